"""Build small saved models that each show one problem the probes find (and a few clean ones).

    python examples/models/build.py            # writes examples/models/out/
    kerascheck probe examples/models/out/stateful_lstm.keras
    kerascheck probe examples/models/out/lossy_config.keras --custom-objects examples/models/custom_layers.py

Every ``build_*`` function returns an unsaved model, so each also works as a factory target:
``kerascheck probe --factory examples/models/build.py:build_clean``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import custom_layers as cl  # noqa: E402 - needs the path above

OUT = Path(__file__).resolve().parent / "out"


def _data(n: int = 64, features: int = 6, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, classes, n), classes)
    return x, y


def build_clean() -> keras.Model:
    """Clean: Dense/BatchNorm/Dropout classifier, trained briefly (BN statistics updated)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="clean")
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x_train, y_train = _data()
    model.fit(x_train, y_train, epochs=2, batch_size=16, verbose=0)
    return model


def build_clean_multi_input() -> keras.Model:
    """Clean: dict inputs, one of them integer token ids feeding an Embedding of 50 words."""
    keras.utils.set_random_seed(0)
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    extra = keras.Input((2,), name="extra")
    embedded = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(tokens))
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Concatenate()([embedded, extra]))
    model = keras.Model({"tokens": tokens, "extra": extra}, outputs, name="multi_input")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def build_stateful_lstm() -> keras.Model:
    """KP101: a stateful LSTM; predict carries state from one call to the next."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input(batch_shape=(2, 5, 3))
    x = keras.layers.LSTM(4, stateful=True, name="stateful_lstm")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(x), name="stateful")


def build_mc_dropout() -> keras.Model:
    """KP102: a custom layer drops units on every call, so predict is random."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(0.5)(x)  # the built-in one is fine: inactive in predict
    x = cl.AlwaysDropout(0.5, name="always_dropout")(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x), name="mc_dropout")


def build_training_default() -> keras.Model:
    """KP103: a custom layer defaults call(training=True); model(x) adds noise, predict not."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = cl.NoisyWhenUntold(0.5, name="noisy")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(x), name="training_default")


def build_lossy_config() -> keras.Model:
    """KP104: a custom layer whose get_config forgets its factor; reloading changes outputs."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(4)(inputs)
    x = cl.Scale(3.0, name="scale")(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x), name="lossy_config")


def build_mse_h5() -> keras.Model:
    """KP104: compiled with loss="mse"; saved as .h5 Keras 3.15 cannot load it back compiled."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs), name="mse_h5")
    model.compile(optimizer="adam", loss="mse")
    return model


def build_lambda() -> keras.Model:
    """KP105: a Lambda layer holds Python bytecode; safe_mode refuses to load it."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(x), name="lambda_model")


def build_untrained_bn() -> keras.Model:
    """KP106: BatchNormalization saved before any training."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8)(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x), name="untrained_bn")


def build_rounding_predict() -> keras.Model:
    """KP107: predict_step rounds, so predict and model(x, training=False) disagree."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    return cl.RoundingPredictModel(inputs, keras.layers.Dense(3)(inputs), name="rounding")


def build_single_unit_softmax() -> keras.Model:
    """KP108: softmax over one unit always outputs 1.0."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    outputs = keras.layers.Dense(1, activation="softmax", name="head")(inputs)
    model = keras.Model(inputs, outputs, name="single_unit_softmax")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def build_dict_predict() -> keras.Model:
    """KP108: predict_step returns a dict, so predict returns a dict."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    return cl.DictPredictModel(inputs, keras.layers.Dense(3)(inputs), name="dict_predict")


#: file name -> builder. The suffix decides the format.

def build_nan_weights() -> keras.Model:
    """KP109: a diverged classifier (one kernel holds NaN and Inf); also compiled with a
    probability loss and a softmax head, which KP108 must not misread."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(hidden)
    model = keras.Model(inputs, outputs, name="nan_weights")
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    kernel = model.get_layer("hidden").kernel.numpy()
    kernel[0, 0], kernel[1, 1] = np.nan, np.inf
    model.get_layer("hidden").kernel.assign(kernel)
    return model


def build_batch_centre() -> keras.Model:
    """KP110: a layer that centres on the batch mean."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2)(cl.BatchCentre(name="centre")(inputs))
    return keras.Model(inputs, outputs, name="batch_centre")


def build_numpy_round() -> keras.Model:
    """KP111: a layer running NumPy through tf.numpy_function, which no export can carry."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    outputs = cl.NumpyRound(name="round")(keras.layers.Dense(3)(inputs))
    return keras.Model(inputs, outputs, name="numpy_round")


def build_half_precision() -> keras.Model:
    """KP112: built under the mixed_float16 policy with no float32 head."""
    keras.utils.set_random_seed(0)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        inputs = keras.Input((4,))
        outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8)(inputs))
        return keras.Model(inputs, outputs, name="half_precision")
    finally:
        keras.config.set_dtype_policy(previous)


def build_text_h5(name: str = "text_h5") -> keras.Model:
    """KP104 when saved as .h5: a TextVectorization vocabulary that .h5 does not store."""
    keras.utils.set_random_seed(0)
    vectorize = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4, name="vectorize")
    vectorize.adapt(["good film", "bad plot twist", "great cast"])
    text = keras.Input((1,), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 3)(vectorize(text)))
    return keras.Model(text, keras.layers.Dense(1, activation="sigmoid")(pooled), name=name)


def build_clean_text() -> keras.Model:
    """Clean: string input through TextVectorization, saved as .keras (vocabulary kept)."""
    return build_text_h5(name="clean_text")

MODELS: dict[str, Callable[[], keras.Model]] = {
    "clean.keras": build_clean,
    "clean_multi_input.keras": build_clean_multi_input,
    "stateful_lstm.keras": build_stateful_lstm,
    "mc_dropout.keras": build_mc_dropout,
    "training_default.keras": build_training_default,
    "lossy_config.keras": build_lossy_config,
    "mse.h5": build_mse_h5,
    "lambda.keras": build_lambda,
    "untrained_bn.keras": build_untrained_bn,
    "rounding_predict.keras": build_rounding_predict,
    "single_unit_softmax.keras": build_single_unit_softmax,
    "dict_predict.keras": build_dict_predict,
    "nan_weights.keras": build_nan_weights,
    "batch_centre.keras": build_batch_centre,
    "numpy_round.keras": build_numpy_round,
    "half_precision.keras": build_half_precision,
    "text.h5": build_text_h5,
    "clean_text.keras": build_clean_text,
}


def build_all(out: Path = OUT, names: list[str] | None = None) -> dict[str, Path]:
    """Save the models (all, or those in ``names``) under ``out``; also a clean SavedModel dir."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, builder in MODELS.items():
        if names is not None and name not in names:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # .h5 is legacy, and says so
            builder().save(out / name)
        written[name] = out / name
    if names is None or "clean_savedmodel" in names:
        build_clean().export(str(out / "clean_savedmodel"), verbose=False)
        written["clean_savedmodel"] = out / "clean_savedmodel"
    if names is None or "clean_multi_savedmodel" in names:  # a signature of named inputs
        build_clean_multi_input().export(str(out / "clean_multi_savedmodel"), verbose=False)
        written["clean_multi_savedmodel"] = out / "clean_multi_savedmodel"
    return written


if __name__ == "__main__":
    for name, path in build_all().items():
        print(path)
