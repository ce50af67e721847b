"""A stateful LSTM forecaster trained and used without managing its state."""

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)

series = np.sin(np.linspace(0, 100, 2000)).astype("float32")
windows = np.stack([series[i : i + 20] for i in range(1900)])[..., None]
targets = series[20:1920]

model = keras.Sequential(
    [
        keras.Input(batch_shape=(10, 20, 1)),
        layers.LSTM(32, stateful=True),
        layers.Dense(1),
    ]
)
model.compile(optimizer="adam", loss="mse")
model.fit(windows, targets, epochs=2, batch_size=10)

first = model.predict(windows[:10], batch_size=10)
second = model.predict(windows[:10], batch_size=10)
print(np.abs(first - second).max())
