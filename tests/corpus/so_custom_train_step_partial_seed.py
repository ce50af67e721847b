# Customizing fit() with train_step (Keras guide pattern); "two runs give different losses"
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras

np.random.seed(1)  # expect: KC302
tf.random.set_seed(1)


class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # expect-none: KC201
            loss = keras.losses.mean_squared_error(y, y_pred)  # expect: KC107 (gone from tf.keras under Keras 3: keras._tf_keras.keras.losses has no mean_squared_error)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(keras.losses.mean_squared_error(y, y_pred))  # expect: KC107 (gone from tf.keras under Keras 3: keras._tf_keras.keras.losses has no mean_squared_error)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


inputs = keras.Input(shape=(32,))
hidden = keras.layers.Dense(64, activation="relu")(inputs)
hidden = keras.layers.Dropout(0.1)(hidden)
outputs = keras.layers.Dense(1)(hidden)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam")

x = np.random.random((1000, 32))
y = np.random.random((1000, 1))
idx = list(range(len(x)))
random.shuffle(idx)
model.fit(x[idx], y[idx], epochs=5, batch_size=32)
print(model.evaluate(x, y, return_dict=True))
