"""What Keras constructor calls say, read from their arguments alone.

The canonical names of the calls that make models, layers, inputs and datasets, and the facts a
layer constructor states literally: its activation, its ``Dense`` units, whether it is a
stateful RNN, the batch size it fixes. The semantic model (:mod:`.keras_models`) and the rules
use these; nothing here follows names (that is the semantic model's job).
"""

from __future__ import annotations

import libcst as cst

from kerascheck.static import ast_helpers as ah
from kerascheck.static.names import ImportTable

SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})
FUNCTIONAL = frozenset({"keras.Model", "keras.models.Model"})
MODEL_CONSTRUCTORS = SEQUENTIAL | FUNCTIONAL
#: Bases that make a class of the file a Keras model.
MODEL_BASES = MODEL_CONSTRUCTORS
MODEL_LOADERS = frozenset(
    {
        "keras.models.load_model",
        "keras.saving.load_model",
        "keras.models.clone_model",
        "keras.models.model_from_json",
        "keras.models.model_from_yaml",
        "keras.models.model_from_config",
        "keras.saving.deserialize_keras_object",
    }
)
#: Recurrent layers that accept ``stateful=True``.
RNN_LAYERS = frozenset(
    {
        "keras.layers.LSTM",
        "keras.layers.GRU",
        "keras.layers.SimpleRNN",
        "keras.layers.RNN",
        "keras.layers.ConvLSTM1D",
        "keras.layers.ConvLSTM2D",
        "keras.layers.ConvLSTM3D",
        "keras.layers.CuDNNLSTM",
        "keras.layers.CuDNNGRU",
    }
)
INPUT_CONSTRUCTORS = frozenset({"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"})
#: Calls that make a ``tf.data`` pipeline, a Keras dataset or a Python batch generator.
DATASET_FACTORIES = ("tensorflow.data.", "keras.utils.image_dataset_from_directory",
                     "keras.utils.text_dataset_from_directory", "keras.utils.timeseries_dataset_from_array",
                     "keras.utils.audio_dataset_from_directory", "keras.preprocessing.image_dataset_from_directory",
                     "keras.preprocessing.text_dataset_from_directory", "keras.preprocessing.timeseries_dataset_from_array",
                     "tensorflow_datasets.load")
DATASET_METHODS = frozenset({"batch", "padded_batch", "prefetch", "shuffle", "cache", "repeat", "map",
                             "unbatch", "flow", "flow_from_directory", "flow_from_dataframe", "from_tensor_slices",
                             "from_generator", "take", "skip", "filter"})
#: Bases that make a class of the file a Keras layer.
LAYER_BASE_PREFIXES = ("keras.layers.", "keras.Layer", "keras.engine.", "keras.src.")
#: Layers that only apply an activation to their input.
ACTIVATION_LAYERS = frozenset({"keras.layers.Activation", "keras.layers.Softmax"})


def layer_activation(layer: cst.Call, imports: ImportTable) -> str | None:
    """The activation a layer constructor names (``"softmax"``), if it is a literal."""
    value = ah.keyword_value(layer, "activation")
    if value is None:
        qualified = imports.qualified(layer.func) or ""
        if qualified in ("keras.layers.Softmax",):
            return "softmax"
        if qualified == "keras.layers.Activation":
            value = ah.argument(layer, 0, "activation")
        elif qualified in ("keras.layers.Dense",):
            value = ah.argument(layer, 1, "activation")
    text = ah.string_value(value)
    if text is not None:
        return text
    if value is not None:
        qualified = imports.qualified(value) or ""
        tail = qualified.rsplit(".", 1)[-1]
        if qualified.startswith(("keras.activations.", "tensorflow.nn.", "tensorflow.math.")):
            return tail
    return None


def dense_units(layer: cst.Call, imports: ImportTable) -> int | None:
    """The literal ``units`` of a ``Dense`` constructor call, else None."""
    if imports.qualified(layer.func) != "keras.layers.Dense":
        return None
    return ah.int_value(ah.argument(layer, 0, "units"))


def is_stateful_rnn(layer: cst.Call, imports: ImportTable) -> bool:
    """``LSTM(..., stateful=True)`` (also wrapped: ``Bidirectional(LSTM(..., stateful=True))``)."""
    qualified = imports.qualified(layer.func) or ""
    if qualified in ("keras.layers.Bidirectional", "keras.layers.TimeDistributed"):
        inner = ah.argument(layer, 0, "layer")
        return isinstance(inner, cst.Call) and is_stateful_rnn(inner, imports)
    return qualified in RNN_LAYERS and ah.is_true(ah.keyword_value(layer, "stateful"))


def fixed_batch_size(call: cst.Call) -> int | None:
    """The literal batch size a layer/``Input`` call fixes: ``batch_shape=(8, ...)``,
    ``batch_input_shape=(8, ...)`` (Keras 2) or ``batch_size=8``."""
    for keyword in ("batch_shape", "batch_input_shape"):
        shape = ah.keyword_value(call, keyword)
        if isinstance(shape, (cst.Tuple, cst.List)) and shape.elements:
            return ah.int_value(shape.elements[0].value)
    return ah.int_value(ah.keyword_value(call, "batch_size"))
