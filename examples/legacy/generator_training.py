"""Training from a Python generator with the removed *_generator methods and an HDF5 checkpoint."""

import numpy as np
import tensorflow as tf


def batches(x, y, batch_size=32):
    while True:
        index = np.random.randint(0, len(x), batch_size)
        yield x[index], y[index]


x = np.random.rand(1000, 20).astype("float32")
y = (x.sum(axis=1) > 10).astype("float32")

model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

checkpoint = tf.keras.callbacks.ModelCheckpoint("best_model.hdf5", save_best_only=True, period=1)
model.fit_generator(batches(x, y), steps_per_epoch=30, epochs=5, callbacks=[checkpoint])
scores = model.evaluate_generator(batches(x, y), steps=10)
model.save("final_model.h5")
