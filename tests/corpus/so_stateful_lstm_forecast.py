# "Stateful LSTM gives different forecast each time I run predict on the same window"
import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(3)

series = pd.read_csv("airline-passengers.csv", usecols=[1]).values.astype("float32")
series = (series - series.min()) / (series.max() - series.min())

LOOK_BACK = 12


def make_windows(data, look_back):
    xs, ys = [], []
    for i in range(len(data) - look_back - 1):
        xs.append(data[i : i + look_back, 0])
        ys.append(data[i + look_back, 0])
    return np.array(xs)[..., None], np.array(ys)


split = int(len(series) * 0.67)
train_x, train_y = make_windows(series[:split], LOOK_BACK)
test_x, test_y = make_windows(series[split:], LOOK_BACK)

inputs = keras.Input(batch_shape=(1, LOOK_BACK, 1))
x = layers.LSTM(4, stateful=True)(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(loss="mean_squared_error", optimizer="adam")

model.fit(train_x, train_y, epochs=50, verbose=2)  # expect: KC703, KC704

# walk-forward forecast, one step at a time
history = list(test_x[0, :, 0])
forecast = []
for t in range(len(test_y)):
    window = np.array(history[-LOOK_BACK:]).reshape(1, LOOK_BACK, 1)
    yhat = model.predict(window, batch_size=1, verbose=0)  # expect: KC501, KC702
    forecast.append(float(yhat[0, 0]))
    history.append(test_y[t])

rmse = np.sqrt(np.mean((np.array(forecast) - test_y) ** 2))
print("test RMSE", rmse)
model.save("airline_lstm.keras")
