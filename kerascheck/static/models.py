"""Which names hold Keras models, and what their output layer is (simple intra-file flow).

The tracker is fed by the engine's context visitor in source order. It is deliberately
flow-insensitive per name (per-object, flow-sensitive facts are the semantic model's:
``kerascheck.static.semantic``): ``model = Sequential(...)`` anywhere in a file makes ``model`` a Keras
model in that file. Where a value's origin cannot be seen (a parameter, an attribute, a call to
an unknown function), the name is not a model and rules stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from kerascheck.static import ast_helpers as ah
from kerascheck.static.names import ImportTable, dotted

MODEL_CONSTRUCTORS = frozenset(
    {
        "keras.Sequential",
        "keras.models.Sequential",
        "keras.Model",
        "keras.models.Model",
    }
)
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
MODEL_BASES = MODEL_CONSTRUCTORS
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
LAYER_BASE_PREFIXES = ("keras.layers.", "keras.Layer", "keras.engine.", "keras.src.")


@dataclass
class ModelInfo:
    """What is known about one model variable."""

    name: str
    origin: str  # "sequential" | "functional" | "subclass" | "loaded" | "factory"
    node: cst.CSTNode
    #: Layer constructor calls in order, when visible (Sequential list, ``.add``).
    layers: list[cst.Call] = field(default_factory=list)
    #: The output layer constructor call of a functional model, when visible.
    output: cst.Call | None = None

    @property
    def output_layer(self) -> cst.Call | None:
        if self.output is not None:
            return self.output
        return self.layers[-1] if self.layers else None


@dataclass
class ClassInfo:
    name: str
    bases: tuple[str, ...]  # canonical qualified names, or local class names
    methods: frozenset[str]
    node: cst.ClassDef


class ModelTracker:
    """Models, layer outputs and classes of one file."""

    def __init__(self, imports: ImportTable) -> None:
        self.imports = imports
        self.models: dict[str, ModelInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        #: Functions whose return value is a Keras model (``def build_model(): ... return m``).
        self.model_functions: set[str] = set()
        #: What is known of the model a factory function returns (its layers/output), by name.
        self.function_models: dict[str, ModelInfo] = {}
        #: ``x = Dense(...)(y)``: name -> the layer constructor call whose output it holds.
        self.layer_outputs: dict[str, cst.Call] = {}
        #: id(layer constructor call) -> the expression it was applied to (``y`` above).
        self._layer_inputs: dict[int, cst.BaseExpression] = {}
        #: ``inp = keras.Input(...)``: name -> the ``Input`` call.
        self.inputs: dict[str, cst.Call] = {}
        #: Literal fixed batch sizes seen (``Input(batch_shape=(8, ...))``, ``batch_size=8``).
        self.batch_sizes: set[int] = set()
        #: Names bound to a ``tf.data`` pipeline / Keras dataset / ``ImageDataGenerator.flow``.
        self.datasets: set[str] = set()

    # -- classes ---------------------------------------------------------------------------

    def add_class(self, node: cst.ClassDef) -> None:
        bases = []
        for arg in node.bases:
            qualified = self.imports.qualified(arg.value)
            bases.append(qualified or dotted(arg.value) or "")
        methods = frozenset(
            stmt.name.value
            for stmt in node.body.body
            if isinstance(stmt, cst.FunctionDef)
        )
        self.classes[node.name.value] = ClassInfo(node.name.value, tuple(bases), methods, node)

    def _class_is(self, name: str, predicate, seen: frozenset[str] = frozenset()) -> bool:
        info = self.classes.get(name)
        if info is None or name in seen:
            return False
        for base in info.bases:
            if predicate(base) or self._class_is(base, predicate, seen | {name}):
                return True
        return False

    def is_model_class(self, name: str) -> bool:
        return self._class_is(name, lambda base: base in MODEL_BASES)

    def is_layer_class(self, name: str) -> bool:
        """A Layer (or Model) subclass defined in this file."""
        return self._class_is(
            name, lambda base: base.startswith(LAYER_BASE_PREFIXES) or base in MODEL_BASES
        )

    def defines_method(self, method: str) -> bool:
        """Some class of this file defines ``method`` (so calls to it may not be Keras's)."""
        return any(method in info.methods for info in self.classes.values())

    # -- expressions -----------------------------------------------------------------------

    def model_origin(self, expr: cst.BaseExpression) -> str | None:
        """How ``expr`` makes a Keras model, or None if it does not (visibly)."""
        if isinstance(expr, cst.Name):
            info = self.models.get(expr.value)
            return info.origin if info else None
        if not isinstance(expr, cst.Call):
            return None
        qualified = self.imports.qualified(expr.func)
        if qualified in ("keras.Sequential", "keras.models.Sequential"):
            return "sequential"
        if qualified in ("keras.Model", "keras.models.Model"):
            return "functional"
        if qualified in MODEL_LOADERS:
            return "loaded"
        if isinstance(expr.func, cst.Name):
            if self.is_model_class(expr.func.value):
                return "subclass"
            if expr.func.value in self.model_functions:
                return "factory"
        return None

    def is_model(self, expr: cst.BaseExpression) -> bool:
        return self.model_origin(expr) is not None

    def model(self, expr: cst.BaseExpression) -> ModelInfo | None:
        if isinstance(expr, cst.Name):
            return self.models.get(expr.value)
        return None

    def layer_call(self, expr: cst.BaseExpression) -> cst.Call | None:
        """The layer constructor whose output ``expr`` is (``Dense(3)(x)`` or a name bound to it)."""
        if isinstance(expr, cst.Name):
            return self.layer_outputs.get(expr.value)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Call):
            return expr.func
        return None

    def layer_input(self, layer: cst.Call) -> cst.BaseExpression | None:
        """What the layer constructor ``layer`` was applied to (``y`` of ``x = Dense(3)(y)``),
        when its output was bound to a name or given as a functional model's output."""
        return self._layer_inputs.get(id(layer))

    def _applied(self, expr: cst.BaseExpression) -> None:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Call) and expr.args:
            self._layer_inputs[id(expr.func)] = expr.args[0].value

    # -- events from the context visitor ---------------------------------------------------

    def on_assign(self, name: str, value: cst.BaseExpression) -> None:
        origin = self.model_origin(value)
        if origin is not None:
            info = ModelInfo(name, origin, value)
            if isinstance(value, cst.Call):
                self._read_constructor(info, value)
            elif isinstance(value, cst.Name) and value.value in self.models:
                source = self.models[value.value]
                info.layers, info.output = list(source.layers), source.output
            self.models[name] = info
            return
        self.models.pop(name, None)
        if isinstance(value, cst.Call) and self.imports.qualified(value.func) in INPUT_CONSTRUCTORS:
            self.inputs[name] = value
        if self.is_dataset(value):
            self.datasets.add(name)
        else:
            self.datasets.discard(name)
        layer = self.layer_call(value)
        if layer is not None:
            self.layer_outputs[name] = layer
            self._applied(value)
        else:
            self.layer_outputs.pop(name, None)

    def _read_constructor(self, info: ModelInfo, call: cst.Call) -> None:
        if info.origin == "factory" and isinstance(call.func, cst.Name):
            built = self.function_models.get(call.func.value)
            if built is not None:  # ``model = build_model()``: the layers the factory built
                info.layers, info.output = list(built.layers), built.output
            return
        if info.origin == "sequential":
            layers = ah.argument(call, 0, "layers")
            if isinstance(layers, (cst.List, cst.Tuple)):
                info.layers = [e.value for e in layers.elements if isinstance(e.value, cst.Call)]
        elif info.origin == "functional":
            outputs = ah.argument(call, 1, "outputs")
            if outputs is not None:
                info.output = self.layer_call(outputs)
                self._applied(outputs)

    def on_method_call(self, receiver: cst.BaseExpression, method: str, call: cst.Call) -> None:
        if method == "add" and isinstance(receiver, cst.Name):
            info = self.models.get(receiver.value)
            if info is not None and info.origin == "sequential":
                layer = ah.argument(call, 0, "layer")
                if isinstance(layer, cst.Call):
                    info.layers.append(layer)

    def on_return(self, function: str, value: cst.BaseExpression | None) -> None:
        if value is not None and self.is_model(value):
            self.model_functions.add(function)
            if isinstance(value, cst.Name) and value.value in self.models:
                self.function_models[function] = self.models[value.value]

    def on_call(self, call: cst.Call) -> None:
        """Every call of the file: records fixed batch sizes (which model is stateful is the
        semantic model's per-object fact: ``context.semantic.is_stateful``)."""
        qualified = self.imports.qualified(call.func)
        if qualified is None or not (qualified.startswith("keras.layers.") or qualified in INPUT_CONSTRUCTORS):
            return
        size = fixed_batch_size(call)
        if size is not None:
            self.batch_sizes.add(size)

    # -- stateful models, datasets ---------------------------------------------------------

    def is_dataset(self, expr: cst.BaseExpression) -> bool:
        """``expr`` visibly is a dataset or generator (``tf.data`` chain, ``*_dataset_from_*``,
        ``datagen.flow(...)``, a name bound to one): ``fit``/``predict`` ignore ``shuffle`` and
        ``batch_size`` for those."""
        if isinstance(expr, cst.Name):
            return expr.value in self.datasets
        if isinstance(expr, (cst.GeneratorExp,)):
            return True
        if not isinstance(expr, cst.Call):
            return False
        qualified = self.imports.qualified(expr.func) or ""
        if qualified.startswith(DATASET_FACTORIES):
            return True
        method = ah.method_call(expr)
        return method is not None and method[1] in DATASET_METHODS and qualified == ""

    def fixed_batch_size(self, expr: cst.BaseExpression) -> int | None:
        """The literal batch size a (stateful) model was built for, when visible."""
        info = self.model(expr)
        if info is None:
            return None
        if info.origin == "sequential" and info.layers:
            return fixed_batch_size(info.layers[0])
        if info.origin == "functional" and isinstance(info.node, cst.Call):
            inputs = ah.argument(info.node, 0, "inputs")
            if isinstance(inputs, (cst.List, cst.Tuple)) and inputs.elements:
                inputs = inputs.elements[0].value
            if isinstance(inputs, cst.Name):
                inputs = self.inputs.get(inputs.value)
            if isinstance(inputs, cst.Call):
                return fixed_batch_size(inputs)
        # Subclassed / factory models: trust a single batch size used throughout the file.
        return next(iter(self.batch_sizes)) if len(self.batch_sizes) == 1 else None


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
