"""A custom layer whose call() defaults training=True but does not depend on it: the static
rule (KC202) reports the default; running the model shows nothing changes (KP103 silent)."""

import keras
from keras import layers


class Doubler(layers.Layer):
    def call(self, x, training=True):
        return x * 2.0


def doubled():
    inputs = keras.Input((3,))
    return keras.Model(inputs, layers.Dense(1)(Doubler()(inputs)))
