# IMDB-style sentiment with Tokenizer + LSTM; "model always predicts negative after reload"
import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow.keras.preprocessing.text import Tokenizer
from tensorflow.keras.preprocessing.sequence import pad_sequences
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Embedding, LSTM, Dense, SpatialDropout1D

np.random.seed(1)  # expect: KC302

MAX_WORDS = 20000
MAX_LEN = 200

data = pd.read_csv("IMDB Dataset.csv")
texts = data["review"].str.lower().values
labels = (data["sentiment"] == "positive").astype(int).values

tokenizer = Tokenizer(num_words=MAX_WORDS, oov_token="<OOV>")
tokenizer.fit_on_texts(texts)  # expect: KC401
sequences = tokenizer.texts_to_sequences(texts)
padded = pad_sequences(sequences, maxlen=MAX_LEN, padding="post", truncating="post")

model = Sequential()
model.add(Embedding(MAX_WORDS, 128))
model.add(SpatialDropout1D(0.2))
model.add(LSTM(64, dropout=0.2, recurrent_dropout=0.2))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

history = model.fit(padded, labels, epochs=5, batch_size=64, validation_split=0.1)  # expect: KC601

model.save("sentiment_model")  # expect: KC105


def predict_sentiment(reviews):
    seq = tokenizer.texts_to_sequences(reviews)
    pad = pad_sequences(seq, maxlen=MAX_LEN, padding="post", truncating="post")
    return np.argmax(model.predict(pad), axis=-1)  # expect: KC505


print(predict_sentiment(["This movie was fantastic, I loved it", "Worst film ever, total waste of time"]))
