# Stateful LSTM trained epoch by epoch with explicit state resets and a fixed batch size.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(10)

BATCH = 8
STEPS = 20

signal = np.sin(np.linspace(0, 80 * np.pi, 8 * 2000)).astype("float32")
x = signal[: BATCH * 1000 * STEPS // 10].reshape(-1, STEPS, 1)
y = np.roll(signal, -1)[: len(x) * STEPS].reshape(-1, STEPS, 1)[:, -1, :]
n = (len(x) // BATCH) * BATCH
x, y = x[:n], y[:n]

inputs = keras.Input(batch_shape=(BATCH, STEPS, 1))
lstm = layers.LSTM(32, stateful=True)
h = lstm(inputs)
outputs = layers.Dense(1)(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")

for epoch in range(10):
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # expect-none: KC703, KC704
    lstm.reset_states()

lstm.reset_states()
preds = model.predict(x[:64], batch_size=BATCH, verbose=0)  # expect-none: KC702, KC704
print("mse on first 64 windows:", float(np.mean((preds - y[:64]) ** 2)))
model.save("sine_stateful.keras")
