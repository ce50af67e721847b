# Toxic comment classification (6 labels, multi-label): "accuracy is 99% but predictions are useless"
import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(17)

LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
df = pd.read_csv("jigsaw/train.csv")
texts = df["comment_text"].astype(str).values
y = df[LABELS].values.astype("float32")

vectorize = layers.TextVectorization(max_tokens=30000, output_sequence_length=150)
vectorize.adapt(texts)  # expect-none: KC401

inputs = keras.Input(shape=(1,), dtype="string")
x = vectorize(inputs)
x = layers.Embedding(30000, 64)(x)
x = layers.Bidirectional(layers.LSTM(32))(x)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(len(LABELS), activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])  # expect: KC605

model.fit(texts, y, epochs=3, batch_size=128)

model.save("toxic_model.keras")
scores = model.predict(np.array(["you are a wonderful person", "I will find you"]))
for row in scores:
    print({label: round(float(s), 3) for label, s in zip(LABELS, row)})
