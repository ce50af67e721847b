"""Idiomatic inference: load model and scaler, predict the whole batch once."""

import joblib
import keras
import numpy as np

model = keras.models.load_model("classifier.keras")
scaler = joblib.load("scaler.joblib")

rows = np.load("incoming.npy")
probabilities = model.predict(scaler.transform(rows), batch_size=256)
labels = np.argmax(probabilities, axis=-1)
np.save("labels.npy", labels)
