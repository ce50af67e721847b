# Spam classifier with the legacy Tokenizer, saved with pickle next to the model.
import pickle

import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow.keras.preprocessing.sequence import pad_sequences
from tensorflow.keras.preprocessing.text import Tokenizer

tf.keras.utils.set_random_seed(12)
MAX_LEN = 60

df = pd.read_csv("spam.csv", encoding="latin-1")[["v1", "v2"]]
df.columns = ["label", "text"]
labels = (df["label"] == "spam").astype("float32").values
split = int(0.85 * len(df))
train_text, test_text = df["text"].values[:split], df["text"].values[split:]
y_train, y_test = labels[:split], labels[split:]

tokenizer = Tokenizer(num_words=8000, oov_token="<unk>")
tokenizer.fit_on_texts(train_text)  # expect-none: KC401, KC405
x_train = pad_sequences(tokenizer.texts_to_sequences(train_text), maxlen=MAX_LEN)
x_test = pad_sequences(tokenizer.texts_to_sequences(test_text), maxlen=MAX_LEN)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(MAX_LEN,)),
    tf.keras.layers.Embedding(8000, 32),
    tf.keras.layers.GlobalAveragePooling1D(),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
stop = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
model.fit(x_train, y_train, validation_split=0.1, epochs=30, callbacks=[stop], verbose=2)

print(model.evaluate(x_test, y_test, verbose=0))
model.save("spam_classifier.keras")
with open("tokenizer.pickle", "wb") as handle:
    pickle.dump(tokenizer, handle, protocol=pickle.HIGHEST_PROTOCOL)

sample = pad_sequences(tokenizer.texts_to_sequences(["WINNER!! Claim your free prize now"]), maxlen=MAX_LEN)
print("spam probability:", float(model.predict(sample, verbose=0)[0, 0]))
