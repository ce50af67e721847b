"""Custom layers used by ``build.py``'s example models.

Each is registered with ``keras.saving.register_keras_serializable`` so that
``kerascheck probe --custom-objects examples/models/custom_layers.py`` can load the models.
Several are deliberately buggy: each docstring says which probe should notice.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

PACKAGE = "kerascheck_examples"


@keras.saving.register_keras_serializable(package=PACKAGE)
class NoisyWhenUntold(keras.layers.Layer):
    """Adds noise unless told ``training=False``: the default is ``training=True`` (KP103)."""

    def __init__(self, stddev: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, inputs: Any, training: bool = True) -> Any:
        if training:
            noise = keras.random.normal(ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator)
            return inputs + noise
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AlwaysDropout(keras.layers.Layer):
    """Drops units on every call, ignoring ``training`` (Monte-Carlo dropout by accident: KP102)."""

    def __init__(self, rate: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(7)

    def call(self, inputs: Any) -> Any:
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Scale(keras.layers.Layer):
    """Multiplies by a constructor argument but forgets it in ``get_config`` (KP104).

    The reloaded layer is built with the default ``factor`` and predicts something else.
    """

    def __init__(self, factor: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs: Any) -> Any:
        return inputs * self.factor

    def get_config(self) -> dict[str, Any]:
        # The bug: ``factor`` is missing. (Without any get_config Keras 3 would record the
        # constructor arguments itself; an override that forgets one defeats that.)
        return super().get_config()


@keras.saving.register_keras_serializable(package=PACKAGE)
class GoodScale(keras.layers.Layer):
    """The fixed ``Scale``: ``get_config`` returns the constructor argument."""

    def __init__(self, factor: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs: Any) -> Any:
        return inputs * self.factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package=PACKAGE)
class CallCounter(keras.layers.Layer):
    """Counts its calls in a plain Python attribute (KP202: it changes at trace time)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, inputs: Any) -> Any:
        self.calls += 1
        return inputs


@keras.saving.register_keras_serializable(package=PACKAGE)
class DictPredictModel(keras.Model):
    """A model whose ``predict_step`` returns a dict, so ``predict`` returns a dict (KP108)."""

    def predict_step(self, data: Any) -> Any:
        x = data[0] if isinstance(data, tuple) else data
        return {"scores": self(x, training=False)}


@keras.saving.register_keras_serializable(package=PACKAGE)
class RoundingPredictModel(keras.Model):
    """A model whose ``predict_step`` rounds the scores, so ``predict`` != ``model(x)`` (KP107)."""

    def predict_step(self, data: Any) -> Any:
        x = data[0] if isinstance(data, tuple) else data
        return ops.round(self(x, training=False))


@keras.saving.register_keras_serializable(package=PACKAGE)
class BatchCentre(keras.layers.Layer):
    """Buggy (KP110): subtracts the mean over the *batch*, so outputs depend on the batch."""

    def call(self, x: Any) -> Any:
        return x - ops.mean(x, axis=0, keepdims=True)


@keras.saving.register_keras_serializable(package=PACKAGE)
class NumpyRound(keras.layers.Layer):
    """Buggy (KP111): rounds through ``tf.numpy_function``, Python code that a SavedModel
    cannot carry, so the exported model cannot run where it is served."""

    def call(self, x: Any) -> Any:
        import numpy as np
        import tensorflow as tf

        rounded = tf.numpy_function(lambda a: np.round(a, 2).astype(a.dtype), [x], x.dtype)
        return tf.ensure_shape(rounded, x.shape)
