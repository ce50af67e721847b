"""The model factories of a small project: what ``kerascheck check --probe`` builds and probes.

Every function here builds a Keras model; each has a bug that makes the model behave
differently from what its author believes (see docs/check-probe.md).
"""

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="factories")
class NoisyDropout(layers.Layer):
    """Dropout meant for Monte-Carlo estimates: stays on unless told otherwise."""

    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.dropout = layers.Dropout(rate)

    def call(self, inputs, training=True):
        return self.dropout(inputs, training=training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable(package="factories")
class BatchCounter(layers.Layer):
    """Counts the batches it sees (it does not: ``call`` runs when it is traced)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.batches = 0

    def call(self, inputs):
        self.batches += 1
        return inputs


def forecaster():
    return keras.Sequential([
        keras.Input(batch_shape=(4, 12, 3)),
        layers.LSTM(8, stateful=True),
        layers.Dense(1),
    ])


def tagger():
    inputs = keras.Input((16,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = NoisyDropout(0.3)(x)
    outputs = layers.Dense(4)(x)
    return keras.Model(inputs, outputs)


def spam_filter(vocabulary=64):
    model = keras.Sequential([
        keras.Input((vocabulary,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def counted():
    return keras.Sequential([keras.Input((6,)), BatchCounter(), layers.Dense(2)])


def pretrained_forecaster(weights="weights/forecaster.weights.h5"):
    model = forecaster()
    model.load_weights(weights)
    return model


def classifier(num_classes):
    return keras.Sequential([keras.Input((16,)), layers.Dense(num_classes, activation="softmax")])


if __name__ == "__main__":
    import numpy as np

    model = forecaster()
    for window in np.random.rand(5, 4, 12, 3):  # five independent 12-step windows
        print(model.predict(window, batch_size=4))
