"""Small model factories with one known problem each (tests of layer mapping and agreement)."""

import keras
from keras import layers

STEPS, FEATURES = 5, 3


class NoisyBlock(layers.Layer):
    """Adds noise unless told training=False: the default makes model(x) noisy."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = layers.Dense(4)

    def call(self, x, training=True):
        if training:
            x = x + keras.random.normal(keras.ops.shape(x), stddev=1.0)
        return self.scale(x)


class CallCounter(layers.Layer):
    """Counts its calls in a Python attribute: runs at trace time, not per batch."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, x):
        self.calls += 1
        return x * 2.0


def stateful_lstm():
    inputs = keras.Input(batch_shape=(2, STEPS, FEATURES))
    x = layers.LSTM(4, stateful=True)(inputs)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs)


def noisy_default():
    inputs = keras.Input((FEATURES,))
    x = layers.Dense(4, name="embed")(inputs)
    x = NoisyBlock()(x)
    return keras.Model(inputs, layers.Dense(2)(x))


def one_unit_softmax():
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def counting():
    model = keras.Sequential()
    model.add(keras.Input((FEATURES,)))
    model.add(CallCounter())
    model.add(layers.Dense(1))
    return model


def _block(x, units):
    x = layers.Dense(units)(x)
    return layers.Dropout(0.1)(x)


def stacked():
    inputs = keras.Input((FEATURES,))
    x = inputs
    for units in (8, 8, 4):
        x = _block(x, units)
    return keras.Model(inputs, layers.Dense(1)(x))


if __name__ == "__main__":
    model = stateful_lstm()
    x = keras.random.normal((2, STEPS, FEATURES))
    first = model.predict(x, batch_size=2)
    second = model.predict(x, batch_size=2)
