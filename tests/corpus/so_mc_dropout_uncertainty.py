# Monte Carlo dropout for uncertainty (the book recipe), on a regression with a test-set bug
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from sklearn.datasets import fetch_california_housing
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(42)
tf.random.set_seed(42)  # expect-none: KC302

housing = fetch_california_housing()
X_train, X_test, y_train, y_test = train_test_split(housing.data, housing.target, random_state=42)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)  # expect: KC401
X_test = scaler.fit_transform(X_test)  # expect: KC402


class MCDropout(layers.Dropout):
    def call(self, inputs):
        return super().call(inputs, training=True)  # expect-none: KC203, KC201


class CallCounter(layers.Layer):
    """Counts forward passes in a Keras variable, and splits features into groups."""

    def __init__(self, groups=2, **kwargs):
        super().__init__(**kwargs)
        self.groups = groups
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, inputs):
        self.calls.assign_add(1.0)  # expect-none: KC701
        parts = []
        for chunk in tf.split(inputs, self.groups, axis=-1):
            parts.append(tf.reduce_mean(chunk, axis=-1, keepdims=True))  # expect-none: KC701
        return tf.concat([inputs] + parts, axis=-1)


model = keras.Sequential([
    keras.Input(shape=(8,)),
    CallCounter(),
    layers.Dense(64, activation="relu"),
    MCDropout(0.2),
    layers.Dense(64, activation="relu"),
    MCDropout(0.2),
    layers.Dense(1),
])
model.compile(loss="mse", optimizer="adam")
model.fit(X_train, y_train, epochs=20, batch_size=32, verbose=0)

samples = np.stack([model.predict(X_test[:200], verbose=0) for _ in range(50)])  # expect-none: KC501
mean, std = samples.mean(axis=0).ravel(), samples.std(axis=0).ravel()
print("mean prediction", mean[:5], "uncertainty", std[:5])
model.save_weights("mc_dropout.weights.h5")
