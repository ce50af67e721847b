"""Hand-written facts about Keras removals that the generated data cannot know.

The generator reads signatures, module trees and Keras 2's own Keras-1 conversions
(``keras/legacy/interfaces.py``). It cannot see a rename that a function performs in its body,
what to use instead of a name that has no namesake, or a module that imports but no longer
works. Each fact here has a test (``tests/test_keras_api.py``); those checkable against the
installed Keras 3 are demonstrated on the real package there (marked ``tf``).
"""

from __future__ import annotations

from types import MappingProxyType

#: Keyword renames Keras did inside function bodies (so no signature shows them):
#: Keras 2 optimizers popped ``lr`` from ``**kwargs`` (Keras 3 rejects it), Keras 2's ``fit``
#: popped Keras 1's ``nb_epoch``. Both are plain renames: the value means the same.
KEYWORD_RENAMES = MappingProxyType({"lr": "learning_rate", "nb_epoch": "epochs"})

#: Keras-1 keyword renames whose value means something else after the rename (a number of
#: samples became a number of steps), so renaming alone would change behaviour.
COUNT_CHANGING_RENAMES = frozenset({"samples_per_epoch", "nb_val_samples", "val_samples"})

#: Removed model methods with a same-arguments replacement: ``fit`` and friends accept
#: generators and ``PyDataset`` since TF 2.1.
METHOD_REPLACEMENTS = MappingProxyType({"fit_generator": "fit", "predict_generator": "predict", "evaluate_generator": "evaluate"})

#: What to use instead of removed names that have no namesake in the target, by qualified name
#: or module prefix (the longest matching entry wins).
REMOVED_NAME_ADVICE = MappingProxyType(
    {
        "keras.layers.Merge": (
            "use the merge layers (`Concatenate`, `Add`, `Multiply`, `Average`, `Maximum`, `Dot`); `mode='concat'` is `Concatenate(axis=...)`"
        ),
        "keras.layers.merge": "use the merge layers or functions (`keras.layers.concatenate`, `add`, `multiply`, `average`, `maximum`, `dot`)",
        "keras.engine.topology.merge": "use the merge layers or functions (`keras.layers.concatenate`, `add`, `multiply`, ...)",
        "keras.engine.topology.Merge": "use the merge layers (`keras.layers.Concatenate`, `Add`, `Multiply`, ...)",
        "keras.layers.CuDNNLSTM": "`keras.layers.LSTM` uses cuDNN by itself when it can",
        "keras.layers.CuDNNGRU": "`keras.layers.GRU` uses cuDNN by itself when it can",
        "keras.layers.cudnn_recurrent": "`keras.layers.LSTM`/`GRU` use cuDNN by themselves when they can",
        "keras.utils.multi_gpu_model": "use `tf.distribute.MirroredStrategy` (build and compile the model inside `strategy.scope()`)",
        "keras.utils.training_utils": "use `tf.distribute.MirroredStrategy` instead of `multi_gpu_model`",
        "keras.utils.multi_gpu_utils": "use `tf.distribute.MirroredStrategy` instead of `multi_gpu_model`",
        "keras.backend.get_session": "there is no global TF1 session any more; TensorFlow 2 runs eagerly",
        "keras.backend.set_session": "there is no global TF1 session any more; configure devices with `tf.config`",
        "keras.backend.tensorflow_backend": "there is no TF1 backend module; use `keras.ops` / `tf.config`",
        "keras.backend.function": "call the model (`model(x, training=False)`) or build a sub-model with `keras.Model(inputs, outputs)`",
        "keras.backend.placeholder": "use `keras.Input(shape=...)`",
        "keras.backend.gradients": "use `tf.GradientTape` (or the backend's own autodiff)",
        "keras.wrappers.scikit_learn": "use `keras.wrappers.SKLearnClassifier`/`SKLearnRegressor` (Keras 3.5+) or the scikeras package",
        "keras.preprocessing.image.ImageDataGenerator": (
            "use `keras.utils.image_dataset_from_directory` with preprocessing layers (or keep it under `tf.keras` with Keras 2)"
        ),
        "keras.preprocessing.text": "use `keras.layers.TextVectorization`",
        "keras.engine": "import the public classes from `keras` / `keras.layers` / `keras.utils`",
        "keras.legacy": "the Keras-1 compatibility layer is gone; use the Keras 2+ arguments",
        "keras.objectives": "`keras.objectives` was renamed `keras.losses`",
    }
)

#: Keywords Keras 3 model methods take through ``**kwargs`` only to refuse them (no signature
#: shows them): (method, keyword) -> what Keras 3 does.
METHOD_KEYWORD_FACTS = MappingProxyType(
    {
        ("save", "save_format"): (
            "Keras 3 ignores it with a warning when the path ends in `.keras`/`.h5` (the extension picks the format) "
            "and raises ValueError otherwise; use `model.export()` for a SavedModel"
        ),
        ("save_weights", "save_format"): "Keras 3 `save_weights` has no `save_format`: weights go to a `.weights.h5` file",
    }
)


def advice_for(name: str) -> str:
    """The advice for a removed qualified name: its own entry or its longest module's."""
    probe = name
    while probe:
        advice = REMOVED_NAME_ADVICE.get(probe)
        if advice is not None:
            return advice
        probe = probe.rpartition(".")[0]
    return ""


#: Keras-1 ``merge(inputs, mode=...)`` modes and the Keras 2+ merge function each one is, with
#: the keyword renames and the defaults Keras 1 applied (``merge`` was a function that built
#: a ``Merge`` layer; Keras 2 replaced it with one function per mode).
#: mode -> (function in ``keras.layers``, {Keras-1 keyword: new keyword}, {keyword: default}).
MERGE_MODES = MappingProxyType(
    {
        "sum": ("add", {}, {}),
        "mul": ("multiply", {}, {}),
        "ave": ("average", {}, {}),
        "max": ("maximum", {}, {}),
        "concat": ("concatenate", {"concat_axis": "axis"}, {}),
        "dot": ("dot", {"dot_axes": "axes"}, {"axes": "-1"}),
        "cos": ("dot", {"dot_axes": "axes"}, {"axes": "-1", "normalize": "True"}),
    }
)

#: What to do instead of optimizer methods Keras removed (the data says which are gone).
REMOVED_METHOD_ADVICE = MappingProxyType(
    {
        "get_updates": "compute gradients with `tf.GradientTape` and call `optimizer.apply_gradients(zip(grads, vars))`",
        "get_gradients": "compute gradients with `tf.GradientTape`",
        "minimize": "compute gradients with `tf.GradientTape` and call `optimizer.apply_gradients(zip(grads, vars))`",
        "compute_gradients": "compute gradients with `tf.GradientTape`",
        "aggregate_gradients": "gradients are aggregated by the distribution strategy; drop the call",
        "get_weights": "read `optimizer.variables` (and `set_weights` takes the same list)",
    }
)
