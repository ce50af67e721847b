"""Custom layers and a custom training loop with the classic mode mistakes."""

import keras
import tensorflow as tf
from keras import layers


class NoisyDense(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units
        self.calls = 0
        self.dense = layers.Dense(units)
        self.dropout = layers.Dropout(0.3)

    def call(self, inputs, training=True):
        self.calls += 1
        x = self.dense(inputs)
        return self.dropout(x, training=True)


def build_model():
    inputs = keras.Input(shape=(8,))
    x = NoisyDense(16)(inputs)
    x = layers.BatchNormalization()(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs)


model = build_model()
optimizer = keras.optimizers.Adam(1e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy()


def train_step(x, y):
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


dataset = tf.data.Dataset.from_tensor_slices((tf.random.normal((256, 8)), tf.random.uniform((256,), 0, 3, tf.int32))).batch(32)
for epoch in range(3):
    for x_batch, y_batch in dataset:
        train_step(x_batch, y_batch)

sample = tf.random.normal((1, 8))
print(model(sample, training=True))
