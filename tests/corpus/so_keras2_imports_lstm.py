# Sequence classification that ran on TF 2.3 with a GPU; fails on a fresh install
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers.experimental.preprocessing import Normalization  # expect: KC107
from tensorflow.keras.layers import Input, Dense, Bidirectional
from tensorflow.compat.v1.keras.layers import CuDNNLSTM  # expect: KC107
from tensorflow.keras.models import Model
from tensorflow.keras.callbacks import ModelCheckpoint, EarlyStopping

tf.keras.utils.set_random_seed(8)

x = np.load("sensor_windows.npy").astype("float32")
y = np.load("sensor_labels.npy")
n_train = int(0.8 * len(x))
x_train, x_val = x[:n_train], x[n_train:]
y_train, y_val = y[:n_train], y[n_train:]

norm = Normalization()
norm.adapt(x_train)

inp = Input(shape=x.shape[1:])
h = norm(inp)
h = Bidirectional(CuDNNLSTM(64, return_sequences=True))(h)
h = Bidirectional(CuDNNLSTM(32))(h)
out = Dense(6, activation="softmax")(h)
model = Model(inp, out)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

ckpt = ModelCheckpoint("har_weights.h5", save_weights_only=True, save_best_only=True, period=1)  # expect: KC105, KC106
stop = EarlyStopping(patience=8, restore_best_weights=True)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=100, batch_size=128, callbacks=[ckpt, stop])

model.load_weights("har_weights.h5")  # expect-none: KC105
print(model.evaluate(x_val, y_val))
