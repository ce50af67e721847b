"""Inference service: reloads the model, refits the scaler, predicts one row at a time."""

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from tensorflow import keras

model = keras.models.load_model("sentiment.keras")
frame = pd.read_csv("incoming.csv")
scaler = StandardScaler()
features = scaler.fit_transform(frame.to_numpy("float32"))

scores = []
for row in features:
    probability = model.predict(row[np.newaxis, :])
    scores.append(float(probability[0, 0]))

labels = np.argmax(model.predict(features))
print(scores, labels)
