# Binary classifier seeded the long way: Python random + NumPy + TF backend seed.
import os
import random

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 2023
os.environ["PYTHONHASHSEED"] = str(SEED)
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)  # expect-none: KC302


def load_data():
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(5000, 10)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    return x[:4000], y[:4000], x[4000:], y[4000:]


x_train, y_train, x_test, y_test = load_data()

model = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=64, verbose=0)  # expect-none: KC301

labels = (model.predict(x_test, verbose=0) > 0.5).astype("int32").ravel()  # expect-none: KC505
print("test accuracy:", float(np.mean(labels == y_test)))
model.save("xor_like.keras")
