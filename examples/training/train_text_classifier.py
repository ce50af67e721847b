"""Sentiment classifier: scaler and tokenizer fitted but never saved, last-epoch weights kept."""

import joblib  # noqa: F401  (imported for "later")
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from tensorflow.keras import layers

tf.random.set_seed(42)

frame = pd.read_csv("reviews.csv")
features = frame[["length", "exclamations", "stars_mentioned"]].to_numpy("float32")
labels = frame["positive"].to_numpy("float32")

scaler = StandardScaler()
features = scaler.fit_transform(features)
x_train, x_val, y_train, y_val = train_test_split(features, labels, test_size=0.2)

model = tf.keras.Sequential(
    [
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(1, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
early = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=3)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=50, callbacks=[early])

print(model.evaluate(x_val, y_val))
model.save("sentiment.keras")
