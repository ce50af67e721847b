"""KC7xx: state that survives between calls (Python attributes in ``call``, stateful RNNs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Edit, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah

_MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "add", "discard", "appendleft"}
)
_CONTAINER_FACTORIES = frozenset(
    {"list", "dict", "set", "collections.deque", "collections.defaultdict", "collections.OrderedDict", "collections.Counter"}
)
_RESET_METHODS = frozenset({"reset_states", "reset_state"})


def _is_container(context: Any, value: cst.BaseExpression | None) -> bool:
    """A mutable Python container literal or constructor (``[]``, ``{}``, ``dict()``, ``deque()``)."""
    if isinstance(value, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    if isinstance(value, cst.Call):
        name = context.qualified(value.func) or (value.func.value if isinstance(value.func, cst.Name) else None)
        return name in _CONTAINER_FACTORIES
    return False


def _is_python_scalar(value: cst.BaseExpression | None) -> bool:
    """A Python number/bool/string literal (``0``, ``-1.5``, ``False``, ``"a"``)."""
    if isinstance(value, cst.UnaryOperation):
        value = value.expression
    return isinstance(value, (cst.Integer, cst.Float, cst.SimpleString)) or ah.is_true(value) or ah.is_false(value)


def _self_attr(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        return expr.attr.value
    return None


class _Mentions(cst.CSTVisitor):
    """Does a subtree mention ``self.<attr>``?"""

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.found = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if _self_attr(node) == self.attr:
            self.found = True
        return not self.found


def _mentions_self_attr(node: cst.CSTNode, attr: str) -> bool:
    visitor = _Mentions(attr)
    node.visit(visitor)
    return visitor.found


class PythonStateInCall(Rule):
    """
    ## What it does
    Inside a custom layer's or model's ``call``, finds mutations of Python state: augmented
    assignments to ``self.<attr>`` (``self.calls += 1``), read-modify-write assignments
    (``self.step = self.step + 1``), reassigning an attribute that ``__init__`` set to a Python
    number, bool or string, mutating an attribute or module-level variable that holds a Python
    list/dict/set (``self.history.append(x)``, also a list ``call`` itself just created:
    ``self.updates = []``), and assignments to ``global`` names. Mutations under an
    opt-in debugging flag that ``__init__`` sets to ``False`` (``if self.keep_scores:``), meant
    for eager inspection, are not reported.

    ## Why is this bad?
    ``fit``, ``evaluate`` and ``predict`` trace ``call`` into a graph. Python code in it runs
    while tracing, once or a few times, not once per batch: the counter counts traces, the
    list collects symbolic tensors, and eager ``model(x)`` calls behave differently from
    compiled ones. Such values are also not saved with the model. Assigning a computed tensor
    to an attribute (``self.attention_scores = scores``) and lazily creating sublayers are not
    reported, nor is storing one of ``call``'s own arguments (``self._return_scores =
    return_scores``), which every trace sets again before use.

    ## Example
    ```python
    class Counter(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def call(self, x):
            self.calls += 1
            return x
    ```

    ## Use instead
    ```python
    class Counter(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, dtype="int64")

        def call(self, x):
            self.calls.assign_add(1)
            return x
    ```
    """

    code = "KC701"
    name = "python-state-in-call"
    summary = "Custom `call` mutates Python state (runs at trace time, not per batch)"
    VALID = (
        (
            "import keras\n"
            "class L(keras.layers.Layer):\n"
            "    def build(self, shape):\n"
            "        self.count = self.add_weight(shape=(), initializer='zeros', trainable=False)\n"
            "    def call(self, x):\n"
            "        self.count.assign_add(1.0)\n"
            "        return x\n"
        ),
        # Keeping the latest tensor for inspection, lazily creating a sublayer.
        (
            "import keras\n"
            "class Attn(keras.layers.Layer):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.scores = None\n"
            "        self.proj = None\n"
            "    def call(self, x):\n"
            "        if self.proj is None:\n"
            "            self.proj = keras.layers.Dense(4)\n"
            "        self.scores = self.proj(x)\n"
            "        return self.scores\n"
        ),
        # Outside ``call`` (a training loop or a callback) Python state is fine.
        (
            "import keras\n"
            "class M(keras.Model):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.steps = 0\n"
            "    def train_step(self, data):\n"
            "        self.steps += 1\n"
            "        return {}\n"
        ),
        # Not a Keras layer.
        "import keras\nclass Meter:\n    def call(self, x):\n        self.n += 1\n",
        # An opt-in inspection hook, off by default (run eagerly when switched on).
        (
            "import keras\n"
            "class Cell(keras.layers.Layer):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.keep_scores = False\n"
            "        self.scores = []\n"
            "    def call(self, x):\n"
            "        if self.keep_scores:\n"
            "            self.scores.append(x)\n"
            "        return x\n"
        ),
        # This call's own option, set again on every trace.
        (
            "import keras\n"
            "class Attn(keras.layers.Layer):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self._return_scores = False\n"
            "    def call(self, x, return_scores=False):\n"
            "        self._return_scores = return_scores\n"
            "        return x\n"
        ),
        # The attribute is set in ``call`` to something that is not a Python container.
        (
            "import keras\n"
            "class L(keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        self.buffer = make_buffer()\n"
            "        self.buffer.append(x)\n"
            "        return x\n"
        ),
        # Local lists are fine.
        (
            "import keras\n"
            "class L(keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        outs = []\n"
            "        for i in range(3):\n"
            "            outs.append(x)\n"
            "        return outs\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "class L(keras.layers.Layer):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.calls = 0\n"
                "    def call(self, x):\n"
                "        self.calls += 1\n"
                "        return x\n"
            ),
            line=7,
            message="trace",
        ),
        Invalid(
            (
                "from tensorflow.keras import layers\n"
                "class L(layers.Layer):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.history = []\n"
                "    def call(self, x):\n"
                "        self.history.append(x)\n"
                "        return x\n"
            ),
            line=7,
        ),
        Invalid("import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n        self.step = self.step + 1\n        return x\n", line=4),
        # A list created in ``call`` itself and filled there (Keras 1's ``self.updates`` idiom).
        Invalid(
            (
                "import keras\n"
                "class L(keras.layers.Layer):\n"
                "    def call(self, x):\n"
                "        if self.stateful:\n"
                "            self.updates = []\n"
                "            for i in range(2):\n"
                "                self.updates.append((self.states[i], x))\n"
                "        return x\n"
            ),
            line=7,
        ),
        Invalid("import keras\nSEEN = []\nclass L(keras.layers.Layer):\n    def call(self, x):\n        SEEN.append(x)\n        return x\n", line=5),
        Invalid(
            (
                "import keras\n"
                "counter = 0\n"
                "class L(keras.layers.Layer):\n"
                "    def call(self, x):\n"
                "        global counter\n"
                "        counter += 1\n"
                "        return x\n"
            ),
            line=6,
            count=1,
            message="global",
        ),
        Invalid(
            (
                "import keras\n"
                "class L(keras.layers.Layer):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.first = True\n"
                "    def call(self, x):\n"
                "        self.first = False\n"
                "        return x\n"
            ),
            line=7,
        ),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        self._call: cst.FunctionDef | None = None
        self._inits: dict[str, cst.BaseExpression] = {}
        #: Depth of ``if self.<flag>:`` blocks whose flag ``__init__`` sets to False.
        self._opt_in = 0

    def _is_off_flag(self, test: cst.BaseExpression) -> bool:
        attr = _self_attr(test)
        return attr is not None and ah.is_false(self._inits.get(attr))

    def visit_If(self, node: cst.If) -> None:
        if self._call is not None and self._is_off_flag(node.test):
            self._opt_in += 1

    def leave_If(self, node: cst.If) -> None:
        if self._call is not None and self._is_off_flag(node.test):
            self._opt_in -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._call is None and m.in_layer_method(self.context, "call"):
            self._call = node
            self._inits = self.context.semantic.initial_attributes(self.context.classes[-1])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node is self._call:
            self._call = None

    def _report(self, node: cst.CSTNode, what: str) -> None:
        if self._opt_in:
            return  # an opt-in debugging hook (``if self.record_attention:``), off by default
        self.report(
            node,
            f"{what} in `call` mutates Python state: `call` is traced, so this runs at trace time (once or a few "
            "times), not once per batch, and is not saved with the model; use a non-trainable weight "
            "(`self.add_weight(..., trainable=False)` + `.assign`) or keep it outside the model",
        )

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._call is None:
            return
        attr = _self_attr(node.target)
        operator = self.context.code(node.operator).strip()
        if attr is not None:
            self._report(node, f"`self.{attr} {operator} ...`")
        elif isinstance(node.target, cst.Name) and node.target.value in self._declared_global():
            self._report(node, f"`{node.target.value} {operator} ...` on a global")

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._call is None:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value in self._declared_global():
                self._report(node, f"`{target.target.value} = ...` on a global")
                return
            attr = _self_attr(target.target)
            if attr is None:
                continue
            if isinstance(node.value, cst.Name) and ah.function_param(self._call, node.value.value) is not None:
                continue  # ``self._use_scores = use_scores``: this call's option, set on every trace
            initial = self._inits.get(attr)
            if _mentions_self_attr(node.value, attr) or _is_python_scalar(initial) or _is_container(self.context, initial):
                self._report(node, f"`self.{attr} = ...`")
                return

    def visit_Call(self, node: cst.Call) -> None:
        if self._call is None:
            return
        method = ah.method_call(node)
        if method is None or method[1] not in _MUTATING_METHODS:
            return
        receiver = method[0]
        attr = _self_attr(receiver)
        if attr is not None and (_is_container(self.context, self._inits.get(attr)) or self._container_set_here(attr)):
            self._report(node, f"`self.{attr}.{method[1]}(...)`")
        elif isinstance(receiver, cst.Name) and self._module_container(receiver):
            self._report(node, f"`{receiver.value}.{method[1]}(...)` on a module-level container")

    def _container_set_here(self, attr: str) -> bool:
        """The last assignment of ``self.<attr>`` earlier in this ``call`` stores a Python
        container (``self.updates = []`` then ``self.updates.append(...)``: the Keras 1 update
        list, which Keras 3 never applies)."""
        semantic = self.context.semantic
        here = semantic.here()
        earlier = [b for b in semantic.scopes.lookup_attribute(attr, here) if b.site.function is self._call and b.site.order < here.order]
        return bool(earlier) and _is_container(self.context, earlier[-1].value)

    def _declared_global(self) -> set[str]:
        """Names the current function declares ``global``/``nonlocal``."""
        scope = self.context.semantic.scopes.scope
        return scope.globals | scope.nonlocals

    def _module_container(self, name: cst.Name) -> bool:
        """``name`` is not local to ``call`` and a module-level binding holds a list/dict/set."""
        bindings = self.context.semantic.lookup(name.value)
        if any(b.scope.kind != "module" for b in bindings):
            return False  # a parameter or local of ``call`` (or an enclosing function)
        return any(b.value is not None and _is_container(self.context, b.value) for b in bindings)


class _StatefulRule(Rule):
    """Shared: which calls are ``fit``/``predict`` on a stateful model (not registered)."""

    def stateful_call(self, node: cst.Call, methods: frozenset[str]) -> tuple[cst.Name, str] | None:
        method = ah.method_call(node)
        if method is None or method[1] not in methods or not isinstance(method[0], cst.Name):
            return None
        # Per model: a stateful layer makes only the model built with it stateful.
        if self.context.qualified(node.func) is not None or not self.context.semantic.is_stateful(method[0]):
            return None
        return method[0], method[1]

    def data_is_dataset(self, node: cst.Call) -> bool:
        data = ah.argument(node, 0, "x")
        return data is not None and self.context.semantic.is_dataset(data)


class StatefulPredictWithoutReset(_StatefulRule):
    """
    ## What it does
    Finds a stateful RNN model (a model of this file with ``LSTM(..., stateful=True)`` or
    another stateful recurrent layer) whose ``predict`` runs repeatedly, in a loop or several
    times in a row, with no ``reset_states()`` call between the predictions.

    ## Why is this bad?
    A stateful RNN carries its hidden state from one batch to the next, and ``predict`` does not
    reset it: the same input predicted twice gives different outputs, and each prediction
    depends on whatever ran before. Reset the state of the stateful layers between independent
    sequences. In Keras 3 models have no ``reset_states()``; call it on the RNN layers.

    ## Example
    ```python
    model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])
    for sequence in sequences:
        print(model.predict(sequence))
    ```

    ## Use instead
    ```python
    for sequence in sequences:
        for layer in model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_states()
        print(model.predict(sequence))
    ```
    """

    code = "KC702"
    name = "stateful-predict-without-reset"
    summary = "Stateful RNN predicted repeatedly without resetting its state"
    VALID = (
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])\n"
            "for seq in seqs:\n"
            "    model.layers[0].reset_states()\n"
            "    print(model.predict(seq, batch_size=1))\n"
        ),
        (
            "import keras\n"
            "from keras import layers\n"
            "lstm = layers.LSTM(8, stateful=True)\n"
            "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), lstm])\n"
            "a = model.predict(x, batch_size=1)\n"
            "lstm.reset_states()\n"
            "b = model.predict(x, batch_size=1)\n"
        ),
        # Not stateful.
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([layers.LSTM(8), layers.Dense(1)])\n"
            "for seq in seqs:\n"
            "    print(model.predict(seq))\n"
        ),
        # A reset helper of the file, called in the loop.
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True)])\n"
            "def reset():\n"
            "    for layer in model.layers:\n"
            "        layer.reset_states()\n"
            "for seq in seqs:\n"
            "    reset()\n"
            "    model.predict(seq, batch_size=1)\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "from keras import layers\n"
                "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])\n"
                "for seq in seqs:\n"
                "    print(model.predict(seq, batch_size=1))\n"
            ),
            line=5,
            message="reset_states",
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "inp = tf.keras.Input(batch_shape=(4, 10, 3))\n"
                "h = tf.keras.layers.GRU(8, stateful=True)(inp)\n"
                "model = tf.keras.Model(inp, h)\n"
                "a = model.predict(x, batch_size=4)\n"
                "b = model.predict(x, batch_size=4)\n"
            ),
            line=6,
        ),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        #: Per function scope: model name -> it was predicted and not reset since.
        self._pending: list[dict[str, cst.Call]] = [{}]
        #: Predictions in loops, decided at the end: a reset may come later in the loop body.
        self._in_loops: list[tuple[cst.Call, str, tuple[cst.CSTNode, ...]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pending.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pending.pop()

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        resetting = (method is not None and method[1] in _RESET_METHODS) or (
            self._pending[-1] and self.context.semantic.function_does(node, _RESET_METHODS)
        )
        if resetting:
            self._pending[-1].clear()
            return
        found = self.stateful_call(node, frozenset({"predict", "predict_on_batch"}))
        if found is None:
            return
        model = found[0].value
        loops = tuple(loop for loop in self.context.function_loops if isinstance(loop, (cst.For, cst.While)))
        if loops:
            self._in_loops.append((node, model, loops))
            return
        if model in self._pending[-1]:
            self._report(node, model)
        self._pending[-1][model] = node

    def leave_Module(self, node: cst.Module) -> None:
        semantic = self.context.semantic
        for call, model, loops in self._in_loops:
            if not any(semantic.does_in_loop(loop, _RESET_METHODS) for loop in loops):
                self._report(call, model)

    def _report(self, node: cst.Call, model: str) -> None:
        self.report(
            node,
            f"stateful RNN model `{model}` is predicted repeatedly without resetting its state: each `predict` "
            "continues from the state the last one left, so the same input gives different outputs; call "
            "`layer.reset_states()` on its stateful layers between independent predictions",
        )


class StatefulFitShuffle(_StatefulRule):
    """
    ## What it does
    Finds ``fit`` on a stateful RNN model without ``shuffle=False``.

    ## Why is this bad?
    A stateful RNN assumes that sample ``i`` of each batch continues sample ``i`` of the
    previous batch: that is what its carried state means. ``fit`` shuffles array inputs by
    default (``shuffle=True``), so the state is passed between unrelated sequences and the
    model learns noise. (Datasets and generators are not shuffled by ``fit``, so they are not
    reported.)

    ## Example
    ```python
    model.fit(x, y, batch_size=1, epochs=10)
    ```

    ## Use instead
    ```python
    model.fit(x, y, batch_size=1, epochs=10, shuffle=False)
    ```

    ## Fix safety
    Safe: it only stops ``fit`` from reordering the samples, which a stateful model requires.
    """

    code = "KC703"
    name = "stateful-fit-shuffle"
    summary = "Stateful RNN trained with shuffling on"
    severity = Severity.ERROR
    VALID = (
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])\n"
            "model.fit(x, y, batch_size=1, shuffle=False)\n"
        ),
        "import keras\nfrom keras import layers\nmodel = keras.Sequential([layers.LSTM(8), layers.Dense(1)])\nmodel.fit(x, y)\n",
        (
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.LSTM(8, stateful=True)])\n"
            "ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(1)\n"
            "model.fit(ds, epochs=3)\n"
        ),
        # Per model: the stateful layer of one model does not make an unrelated encoder-decoder stateful.
        (
            "import keras\n"
            "from keras import layers\n"
            "stateful = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])\n"
            "stateful.fit(x, y, batch_size=1, shuffle=False)\n"
            "inputs = keras.Input(shape=(None, 16))\n"
            "hidden = layers.LSTM(32)(inputs)\n"
            "outputs = layers.Dense(16)(hidden)\n"
            "seq2seq = keras.Model(inputs, outputs)\n"
            "seq2seq.fit(a, b, epochs=3)\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "from keras import layers\n"
                "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])\n"
                "model.fit(x, y, batch_size=1)\n"
            ),
            line=4,
            fixed=(
                "import keras\n"
                "from keras import layers\n"
                "model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.LSTM(8, stateful=True), layers.Dense(1)])\n"
                "model.fit(x, y, batch_size=1, shuffle=False)\n"
            ),
        ),
        Invalid(
            (
                "import keras\n"
                "from keras import layers\n"
                "model = keras.Sequential()\n"
                "model.add(layers.LSTM(8, stateful=True, batch_input_shape=(1, 10, 3)))\n"
                "model.fit(x, y, shuffle=True, batch_size=1)\n"
            ),
            line=5,
            fixed=(
                "import keras\n"
                "from keras import layers\n"
                "model = keras.Sequential()\n"
                "model.add(layers.LSTM(8, stateful=True, batch_input_shape=(1, 10, 3)))\n"
                "model.fit(x, y, shuffle=False, batch_size=1)\n"
            ),
        ),
        # A functional model is stateful through the layers on its path, seen through names.
        Invalid(
            (
                "import keras\n"
                "from keras import layers\n"
                "plain = keras.Sequential([layers.Dense(4)])\n"
                "plain.fit(a, b)\n"
                "inputs = keras.Input(batch_shape=(1, 10, 3))\n"
                "recurrent = layers.LSTM(8, stateful=True)\n"
                "hidden = recurrent(inputs)\n"
                "model = keras.Model(inputs, layers.Dense(1)(hidden))\n"
                "model.fit(x, y, batch_size=1)\n"
            ),
            line=9, count=1,
            fixed=(
                "import keras\n"
                "from keras import layers\n"
                "plain = keras.Sequential([layers.Dense(4)])\n"
                "plain.fit(a, b)\n"
                "inputs = keras.Input(batch_shape=(1, 10, 3))\n"
                "recurrent = layers.LSTM(8, stateful=True)\n"
                "hidden = recurrent(inputs)\n"
                "model = keras.Model(inputs, layers.Dense(1)(hidden))\n"
                "model.fit(x, y, batch_size=1, shuffle=False)\n"
            ),
        ),
        # A model built by a factory function of the file.
        Invalid(
            (
                "import keras\n"
                "from keras import layers\n"
                "\n"
                "def build(units):\n"
                "    model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.GRU(units, stateful=True)])\n"
                "    model.compile('adam', 'mse')\n"
                "    return model\n"
                "\n"
                "net = build(16)\n"
                "net.fit(x, y, batch_size=1)\n"
            ),
            line=10,
            fixed=(
                "import keras\n"
                "from keras import layers\n"
                "\n"
                "def build(units):\n"
                "    model = keras.Sequential([keras.Input(batch_shape=(1, 10, 3)), layers.GRU(units, stateful=True)])\n"
                "    model.compile('adam', 'mse')\n"
                "    return model\n"
                "\n"
                "net = build(16)\n"
                "net.fit(x, y, batch_size=1, shuffle=False)\n"
            ),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = self.stateful_call(node, frozenset({"fit"}))
        if found is None or self.data_is_dataset(node):
            return
        shuffle = ah.keyword(node, "shuffle")
        if shuffle is not None and m.literal_bool(shuffle.value) is not True:
            return  # ``shuffle=False`` or a variable: trust it
        edit: Edit | None
        if shuffle is not None:
            edit = m.replace_in_source(self.context, shuffle.value, "False")
        else:
            edit = m.add_keyword_edit(self.context, node, "shuffle", "False")
        fix = m.fix(edit, safe=True, message="Pass `shuffle=False`") if edit is not None else None
        self.report(
            node,
            f"`{found[0].value}.fit` on a stateful RNN shuffles the samples (the default `shuffle=True`), so state "
            "is carried between unrelated sequences; pass `shuffle=False`",
            fix=fix,
        )


class StatefulBatchSize(_StatefulRule):
    """
    ## What it does
    Finds ``fit``/``predict``/``evaluate`` on a stateful RNN model built for a fixed batch size
    ``b`` (``keras.Input(batch_shape=(b, ...))``, ``batch_size=b``, or Keras 2's
    ``batch_input_shape``) called without ``batch_size=b`` (or with a different literal).

    ## Why is this bad?
    A stateful RNN keeps one state row per batch position, so it accepts only batches of exactly
    ``b`` samples. ``fit``, ``predict`` and ``evaluate`` default to ``batch_size=32``: any other
    ``b`` fails with a shape error (often only at the last, partial batch, or only in
    ``predict`` after a long training run).

    ## Example
    ```python
    model = keras.Sequential([keras.Input(batch_shape=(4, 10, 3)), layers.LSTM(8, stateful=True)])
    model.predict(x)
    ```

    ## Use instead
    ```python
    model.predict(x, batch_size=4)
    ```
    """

    code = "KC704"
    name = "stateful-batch-size"
    summary = "Stateful RNN used without its fixed `batch_size`"
    severity = Severity.ERROR
    VALID = (
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(4, 10, 3)), layers.LSTM(8, stateful=True)])\n"
            "model.fit(x, y, batch_size=4, shuffle=False)\n"
            "p = model.predict(x, batch_size=4)\n"
        ),
        # Batch size unknown (a variable): silent.
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(B, 10, 3)), layers.LSTM(8, stateful=True)])\n"
            "p = model.predict(x)\n"
        ),
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(4, 10, 3)), layers.LSTM(8, stateful=True)])\n"
            "p = model.predict(x, batch_size=bs)\n"
        ),
        # Not stateful: any batch size works.
        (
            "import keras\n"
            "from keras import layers\n"
            "model = keras.Sequential([keras.Input(batch_shape=(4, 10, 3)), layers.LSTM(8)])\n"
            "p = model.predict(x)\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "from keras import layers\n"
                "model = keras.Sequential([keras.Input(batch_shape=(4, 10, 3)), layers.LSTM(8, stateful=True)])\n"
                "p = model.predict(x)\n"
            ),
            line=4,
            message="batch_size=4",
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "inp = tf.keras.Input(shape=(10, 3), batch_size=1)\n"
                "out = tf.keras.layers.LSTM(8, stateful=True)(inp)\n"
                "model = tf.keras.Model(inp, out)\n"
                "model.fit(x, y, batch_size=16, shuffle=False)\n"
            ),
            line=5,
            message="16",
        ),
        Invalid(
            (
                "from keras.models import Sequential\n"
                "from keras.layers import LSTM\n"
                "model = Sequential()\n"
                "model.add(LSTM(4, batch_input_shape=(1, 5, 1), stateful=True))\n"
                "model.evaluate(x, y)\n"
            ),
            target_keras="2.15",
            line=5,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = self.stateful_call(node, frozenset({"fit", "predict", "evaluate"}))
        if found is None or self.data_is_dataset(node):
            return
        receiver, method = found
        size = self.context.semantic.fixed_batch_size(receiver)
        if size is None:
            return
        given = ah.argument(node, 1 if method == "predict" else 2, "batch_size")
        if given is None:
            if size == 32:
                return
            self.report(
                node,
                f"stateful RNN model `{receiver.value}` accepts only batches of {size}, but `{method}` uses the default "
                f"`batch_size=32`; pass `batch_size={size}`",
            )
            return
        value = self.context.semantic.int_value(given)
        if value is not None and value != size:
            self.report(
                node,
                f"stateful RNN model `{receiver.value}` accepts only batches of {size}, but `{method}` is given "
                f"`batch_size={value}`; pass `batch_size={size}`",
            )


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [PythonStateInCall, StatefulPredictWithoutReset, StatefulFitShuffle, StatefulBatchSize]
