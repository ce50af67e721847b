"""TF1 -> TF2 migration rules for Keras code (prefix ``TF``).

Built only on kerascheck's public API: :class:`kerascheck.Rule`, its semantic model
``self.context.semantic`` (``qualified``, ``raw_qualified``, ``uses_keras``, ``in_import``,
``number_value``, ``keras_name``) and the rule's text helpers (``self.context.code``/``edit``). Every fact a message states
was measured on TensorFlow 2.21 / Keras 3.15.

Names are resolved, never matched as text: ``tf.Session``, ``tensorflow.Session`` and
``from tensorflow import Session`` are the same call; ``import tensorflow.compat.v1 as tf``
makes ``tf.Session`` the ``compat.v1`` one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libcst as cst

from kerascheck import Applicability, Fix, Invalid, Rule, Severity, Valid, hookimpl

TF = "tensorflow"
V1 = "tensorflow.compat.v1"

#: ``tf.compat.v1`` names that are the *same function object* as a TF2 name (checked with
#: ``getattr(tf.compat.v1, a) is tf.<b>`` on TF 2.21): renaming them changes nothing.
IDENTICAL_V2_NAMES = {
    "random_normal": "random.normal",
    "random_uniform": "random.uniform",
    "truncated_normal": "random.truncated_normal",
    "random_shuffle": "random.shuffle",
    "random.normal": "random.normal",
    "random.uniform": "random.uniform",
    "log": "math.log",
    "exp": "math.exp",
    "sqrt": "math.sqrt",
    "matmul": "matmul",
    "concat": "concat",
    "cast": "cast",
    "zeros": "zeros",
    "ones": "ones",
    "nn.relu": "nn.relu",
    "nn.l2_loss": "nn.l2_loss",
    "gfile.GFile": "io.gfile.GFile",
    "io.gfile.GFile": "io.gfile.GFile",
}

#: What to use instead of TF1 APIs that have no identical TF2 twin (advice, never a fix).
V1_ADVICE = {
    "global_variables_initializer": "remove it: Keras layers create and initialise their variables themselves",
    "initialize_all_variables": "remove it: Keras layers create and initialise their variables themselves",
    "local_variables_initializer": "remove it: Keras metrics initialise their own state",
    "tables_initializer": "remove it: TF2 lookup tables are initialised when created",
    "reset_default_graph": "use `keras.backend.clear_session()` to free Keras state",
    "get_default_graph": "Keras 3 models are not built in a TF1 graph",
    "set_random_seed": "use `keras.utils.set_random_seed(seed)`, which also seeds Python and NumPy (Keras 3 draws its seeds from them)",
    "get_variable": "create weights with `self.add_weight(...)` inside a Keras layer, so they are tracked and saved",
    "variable_scope": "Keras layers scope their own weights; remove it",
    "ConfigProto": "use `tf.config.experimental.set_memory_growth` / `tf.config.threading`",
    "GPUOptions": "use `tf.config.experimental.set_memory_growth`",
    "train.Saver": "use `model.save(...)` or `tf.train.Checkpoint`",
    "summary.FileWriter": "use `keras.callbacks.TensorBoard` or `tf.summary.create_file_writer`",
    "enable_eager_execution": "remove it: eager execution is always on in TF2",
}

#: ``tf.compat.v1`` members another TF rule reports, or that are harmless (logging verbosity).
_NOT_LEFTOVERS = ("Session", "InteractiveSession", "placeholder", "placeholder_with_default",
                  "sparse_placeholder", "disable_eager_execution", "disable_v2_behavior", "logging", "keras")

_SESSIONS = frozenset({"Session", "InteractiveSession"})
_PLACEHOLDERS = frozenset({"placeholder", "placeholder_with_default", "sparse_placeholder"})
_EAGER_OFF = frozenset({"disable_eager_execution", "disable_v2_behavior"})


def tf_member(qualified: str | None) -> tuple[str, bool] | None:
    """``("Session", True)`` for ``tensorflow.compat.v1.Session``; ``("Session", False)`` for
    ``tensorflow.Session``; None for anything not under ``tensorflow``."""
    if qualified is None:
        return None
    if qualified.startswith(V1 + "."):
        return qualified[len(V1) + 1 :], True
    if qualified.startswith(TF + "."):
        return qualified[len(TF) + 1 :], False
    return None


def chain_root(expr: cst.BaseExpression) -> cst.Name | None:
    """The leftmost name of an attribute chain (``tf`` in ``tf.compat.v1.Session``)."""
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def _v1_spelling(member: str) -> str:
    return f"tf.compat.v1.{member}"


class _Tf1Rule(Rule):
    """Shared bookkeeping: is this Keras code, are we inside an import, deferred findings.

    Some TF1 APIs are only wrong *in Keras code* (a pure TF1-style script may use
    ``tf.compat.v1`` legitimately), so those findings are held until the end of the module and
    reported only if the file uses Keras anywhere.
    """

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        self.semantic = context.semantic
        self.eager_disabled = False
        self.deferred: list[tuple[cst.CSTNode, str, Fix | None, Severity | None, str]] = []

    @property
    def keras_code(self) -> bool:
        """The file uses Keras (final in ``leave_Module``)."""
        return self.semantic.uses_keras

    @property
    def import_depth(self) -> int:
        return int(self.semantic.in_import)

    def visit_Call(self, node: cst.Call) -> None:
        member = tf_member(self.semantic.qualified(node.func))
        if member is not None and member[0] in _EAGER_OFF:
            self.eager_disabled = True

    def defer(self, node: cst.CSTNode, message: str, *, when: str, fix: Fix | None = None, severity: Severity | None = None) -> None:
        """Report at the end of the module if ``when`` holds: "keras", "eager-on" or "always"."""
        self.deferred.append((node, message, fix, severity, when))

    def leave_Module(self, node: cst.Module) -> None:
        for target, message, fix, severity, when in self.deferred:
            if when == "always" or (when == "keras" and self.keras_code) or (when == "eager-on" and (self.keras_code or not self.eager_disabled)):
                self.report(target, message, fix=fix, severity=severity)


class TfSession(_Tf1Rule):
    """
    ## What it does
    Finds TF1 sessions: ``tf.Session()`` / ``tf.InteractiveSession()``, and
    ``tf.compat.v1.Session()`` in code that uses Keras.

    ## Why is this bad?
    ``tf.Session`` does not exist in TensorFlow 2: the line raises ``AttributeError``.
    ``tf.compat.v1.Session`` still exists, but Keras 3 models run eagerly (or inside
    ``tf.function``), never in a TF1 graph, so ``sess.run`` cannot evaluate them and
    ``K.set_session`` is gone. The session code around a Keras model is dead or broken.

    A pure TF1-style script (no Keras) that uses ``tf.compat.v1.Session`` is left alone.

    ## Example
    ```python
    import tensorflow as tf
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        preds = sess.run(model.output, feed_dict={model.input: x})
    ```

    ## Use instead
    ```python
    preds = model.predict(x)
    ```
    """

    code = "TF101"
    name = "tf-session"
    summary = "TF1 session in TF2 / Keras code"
    severity = Severity.ERROR
    VALID = (
        "import tensorflow as tf\nimport keras\nmodel = keras.Sequential()\npreds = model.predict(x)\n",
        # TF1-style graph code without Keras, through the compat module: it works.
        (
            "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\nx = tf.placeholder(tf.float32)\n"
            "with tf.Session() as sess:\n    sess.run(x, {x: 1.0})\n"
        ),
        # A class of the project named Session is not TensorFlow's.
        "import tensorflow as tf\nclass Session:\n    pass\ns = Session()\n",
    )
    INVALID = (
        Invalid("import tensorflow as tf\nwith tf.Session() as sess:\n    sess.run(init)\n", line=2, message="AttributeError"),
        Invalid("import tensorflow as tf\nsess = tf.InteractiveSession()\n", line=2, message="`tf.InteractiveSession` does not exist"),
        Invalid("from tensorflow import Session\ns = Session()\n", line=2),
        Invalid(
            "import tensorflow as tf\nfrom tensorflow import keras\nmodel = keras.models.load_model('m.keras')\nsess = tf.compat.v1.Session()\n",
            line=4,
            message="Keras 3 models run eagerly",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\nimport keras\nwith tf.Session() as sess:\n    y = sess.run(out)\n",
            line=3,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        member = tf_member(self.semantic.qualified(node.func))
        if member is None or member[0] not in _SESSIONS:
            return
        name, compat = member
        if not compat:
            self.report(
                node,
                f"`tf.{name}` does not exist in TensorFlow 2 (AttributeError); Keras models are "
                "called directly (`model(x)`, `model.predict(x)`), with no session",
            )
            return
        self.defer(
            node,
            f"`{_v1_spelling(name)}` runs TF1 graphs, but Keras 3 models run eagerly (or in "
            "`tf.function`) and cannot be evaluated by a session; call the model instead",
            when="keras",
        )


class TfPlaceholder(_Tf1Rule):
    """
    ## What it does
    Finds ``tf.placeholder`` (and ``placeholder_with_default``, ``sparse_placeholder``), from
    ``tf`` or from ``tf.compat.v1``.

    ## Why is this bad?
    ``tf.placeholder`` does not exist in TensorFlow 2 (``AttributeError``).
    ``tf.compat.v1.placeholder`` raises ``RuntimeError: tf.placeholder() is not compatible
    with eager execution`` unless eager execution was disabled, and Keras 3 models cannot take
    placeholders (nor run with eager execution disabled, see TF105).

    TF1-style code without Keras that disables eager execution is left alone.

    ## Example
    ```python
    x = tf.placeholder(tf.float32, shape=[None, 784])
    ```

    ## Use instead
    ```python
    inputs = keras.Input(shape=(784,), dtype="float32")  # a model input
    # or simply pass the arrays to model(x) / model.predict(x)
    ```
    """

    code = "TF102"
    name = "tf-placeholder"
    summary = "TF1 placeholder in TF2 / Keras code"
    severity = Severity.ERROR
    VALID = (
        "import keras\ninputs = keras.Input(shape=(784,), dtype='float32')\n",
        "import tensorflow.compat.v1 as tf\ntf.disable_eager_execution()\nx = tf.placeholder(tf.float32, [None, 3])\n",
        "import tensorflow as tf\nplaceholder = object()\nx = placeholder\n",
    )
    INVALID = (
        Invalid("import tensorflow as tf\nx = tf.placeholder(tf.float32, shape=[None, 784])\n", line=2, message="AttributeError"),
        Invalid("import tensorflow as tf\nx = tf.compat.v1.placeholder(tf.float32, [None, 3])\n", line=2, message="eager execution"),
        Invalid("import tensorflow as tf\nx = tf.compat.v1.placeholder_with_default(0.5, [])\n", line=2),
        Invalid(
            "import tensorflow.compat.v1 as tf\nfrom tensorflow import keras\ntf.disable_eager_execution()\nx = tf.placeholder(tf.float32)\n",
            line=4,
            message="Keras 3",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        member = tf_member(self.semantic.qualified(node.func))
        if member is None or member[0] not in _PLACEHOLDERS:
            return
        name, compat = member
        if not compat:
            self.report(
                node,
                f"`tf.{name}` does not exist in TensorFlow 2 (AttributeError); use `keras.Input(shape=..., dtype=...)` for a model input,"
                " or pass arrays to the model",
            )
            return
        self.defer(
            node,
            f"`{_v1_spelling(name)}` raises RuntimeError under eager execution (the TF2 default), and "
            "Keras 3 models cannot take placeholders; use `keras.Input(shape=..., dtype=...)` or pass arrays",
            when="eager-on",
        )


#: ``tf.contrib`` members with a known TF2/Keras home: (advice, fix builder or None).
_CONTRIB_ADVICE = {
    "layers.xavier_initializer": "`keras.initializers.GlorotUniform()`",
    "layers.xavier_initializer_conv2d": "`keras.initializers.GlorotUniform()`",
    "layers.l2_regularizer": "`keras.regularizers.L2(scale / 2)` (contrib's penalty is `scale * sum(w**2) / 2`)",
    "layers.l1_regularizer": "`keras.regularizers.L1(scale)`",
    "layers.flatten": "`keras.layers.Flatten()`",
    "rnn.LSTMCell": "`keras.layers.LSTMCell`",
    "rnn.GRUCell": "`keras.layers.GRUCell`",
    "rnn.BasicLSTMCell": "`keras.layers.LSTMCell`",
    "rnn.MultiRNNCell": "`keras.layers.StackedRNNCells`",
    "rnn.DropoutWrapper": "the `dropout=`/`recurrent_dropout=` arguments of the Keras cell",
    "slim": "`keras.layers`",
    "keras": "`keras`",
}


class TfContrib(_Tf1Rule):
    """
    ## What it does
    Finds ``tf.contrib`` (attribute uses and ``import tensorflow.contrib...``).

    ## Why is this bad?
    ``tf.contrib`` was removed in TensorFlow 2.0: any use raises ``AttributeError`` and any
    import raises ``ModuleNotFoundError``. The message names the Keras replacement when one is
    known (initializers, regularizers, RNN cells, ``slim`` layers).

    ## Example
    ```python
    init = tf.contrib.layers.xavier_initializer()
    reg = tf.contrib.layers.l2_regularizer(0.001)
    ```

    ## Use instead
    ```python
    init = tf.keras.initializers.GlorotUniform()
    reg = tf.keras.regularizers.L2(0.0005)
    ```

    ## Fix safety
    Unsafe, and offered only for two 1:1 replacements: ``xavier_initializer()`` with no
    arguments becomes ``GlorotUniform()`` (the same distribution, but a different random
    stream), and ``l2_regularizer(<number>)`` becomes ``L2(<number> / 2)`` (the same penalty:
    contrib's ``l2_regularizer`` multiplies ``tf.nn.l2_loss``, which halves the sum of squares).
    """

    code = "TF103"
    name = "tf-contrib"
    summary = "`tf.contrib` was removed in TensorFlow 2"
    severity = Severity.ERROR
    VALID = (
        "import tensorflow as tf\ninit = tf.keras.initializers.GlorotUniform()\n",
        "import tensorflow as tf\ncontrib = load()\nx = contrib.layers\n",
    )
    INVALID = (
        Invalid(
            "import tensorflow as tf\ninit = tf.contrib.layers.xavier_initializer()\n",
            line=2,
            message="GlorotUniform",
            count=1,
            fixed="import tensorflow as tf\ninit = tf.keras.initializers.GlorotUniform()\n",
        ),
        Invalid(
            "import tensorflow as tf\nreg = tf.contrib.layers.l2_regularizer(0.001)\n",
            line=2,
            fixed="import tensorflow as tf\nreg = tf.keras.regularizers.L2(0.0005)\n",
        ),
        Invalid("import tensorflow.contrib.slim as slim\nnet = slim.conv2d(x, 32, [3, 3])\n", line=1, count=1, message="ModuleNotFoundError"),
        Invalid("from tensorflow.contrib import rnn\ncell = rnn.LSTMCell(64)\n", line=1, count=1),
        Invalid("import tensorflow as tf\ncell = tf.contrib.rnn.LSTMCell(64)\n", line=2, message="keras.layers.LSTMCell"),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        self._inner: set[int] = set()  # inner nodes of an attribute chain already reported
        self._calls: dict[int, cst.Call] = {}  # id(call.func) -> call, to fix whole calls

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = self.context.code(alias.name)
            if name == "tensorflow.contrib" or name.startswith("tensorflow.contrib."):
                self.report(alias, f"`{name}` was removed in TensorFlow 2.0 (ModuleNotFoundError)" + self._advice(name[len("tensorflow.contrib.") :]))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        module = self.context.code(node.module)
        if module == "tensorflow.contrib" or module.startswith("tensorflow.contrib."):
            self.report(node, f"`{module}` was removed in TensorFlow 2.0 (ModuleNotFoundError)" + self._advice(module[len("tensorflow.contrib.") :]))
        elif module == "tensorflow" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if self.context.code(alias.name) == "contrib":
                    self.report(alias, "`tensorflow.contrib` was removed in TensorFlow 2.0 (ImportError)")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.import_depth or id(node) in self._inner:
            return
        root = chain_root(node)
        # Only chains spelled from tensorflow itself: uses of an imported contrib alias
        # (``slim.conv2d``) were reported once, at the import.
        if root is None or self.semantic.raw_qualified(root) != TF:
            return
        member = tf_member(self.semantic.qualified(node))
        if member is None or member[1] or not (member[0] == "contrib" or member[0].startswith("contrib.")):
            return
        inner = node.value
        while isinstance(inner, cst.Attribute):
            self._inner.add(id(inner))
            inner = inner.value
        path = member[0][len("contrib.") :]
        self.report(node, f"`tf.{member[0]}` was removed in TensorFlow 2.0 (AttributeError)" + self._advice(path), fix=self._fix(node, path, root))

    @staticmethod
    def _advice(path: str) -> str:
        for key, advice in _CONTRIB_ADVICE.items():
            if path == key or path.startswith(key + "."):
                return f"; use {advice}"
        return ""

    def _fix(self, node: cst.Attribute, path: str, root: cst.Name) -> Fix | None:
        # The fix rewrites the whole call, recorded in visit_Call (a call is visited before its
        # function expression).
        call = self._calls.get(id(node))
        if call is None:
            return None
        keras_name = self.semantic.keras_name()
        if path == "layers.xavier_initializer" and not call.args:
            text = f"{keras_name}.initializers.GlorotUniform()"
        elif path == "layers.l2_regularizer" and len(call.args) == 1 and call.args[0].keyword is None:
            scale = self.semantic.number_value(call.args[0].value)
            if scale is None:
                return None
            text = f"{keras_name}.regularizers.L2({_format_number(scale / 2)})"
        else:
            return None
        return Fix((self.context.edit(call, text),), Applicability.UNSAFE, f"Replace with `{text}`")

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        self._calls[id(node.func)] = node


def _format_number(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") and "e" not in text else text


class CompatV1Leftover(_Tf1Rule):
    """
    ## What it does
    Finds ``tf.compat.v1`` APIs in code that uses Keras: ``tf.compat.v1.<name>`` uses, and
    imports of the ``tensorflow.compat.v1`` module itself (reported once, at the import).
    Sessions, placeholders and disabling eager execution have their own rules (TF101, TF102,
    TF105); ``tf.compat.v1.logging`` (log verbosity) and ``tf.compat.v1.keras`` (which *is*
    Keras) are not reported.

    ## Why is this bad?
    ``tf.compat.v1`` exists to run TF1 graph code. Next to a Keras 3 model most of it does
    nothing or fails: initializers (``global_variables_initializer``) initialise nothing Keras
    owns, ``get_variable`` makes weights Keras neither trains nor saves, ``train.*Optimizer``
    is rejected by ``compile`` ("Could not interpret optimizer identifier"). Some names are
    merely old spellings of TF2 functions (``tf.compat.v1.random_normal`` *is*
    ``tf.random.normal``); those are reported as information with a rename.

    ## Example
    ```python
    import tensorflow as tf
    import keras
    tf.compat.v1.set_random_seed(0)
    noise = tf.compat.v1.random_normal([8, 4])
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(0)
    noise = tf.random.normal([8, 4])
    ```

    ## Fix safety
    Safe, and offered only for names that are the very same function object in TF2 (checked
    on TensorFlow 2.21: ``random_normal``, ``random_uniform``, ``truncated_normal``,
    ``random_shuffle``, ``log``, ``exp``, ``sqrt``, ``matmul``, ``concat``, ``cast``, ``zeros``,
    ``ones``, ``nn.relu``, ``nn.l2_loss``, ``gfile.GFile``), when the chain is spelled from a
    ``tensorflow`` import (``tf.compat.v1.log`` -> ``tf.math.log``). Everything else, such as
    ``global_variables_initializer``, has no 1:1 replacement and gets advice only.
    """

    code = "TF104"
    name = "compat-v1-leftover"
    summary = "`tf.compat.v1` API left in Keras code"
    severity = Severity.WARNING
    VALID = (
        # TF1-style code without Keras: the compat module is the point there.
        "import tensorflow as tf\ninit = tf.compat.v1.global_variables_initializer()\n",
        # Log verbosity is harmless, and compat.v1.keras is plain Keras.
        (
            "import tensorflow as tf\nimport keras\ntf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)\n"
            "m = tf.compat.v1.keras.Sequential()\n"
        ),
        "import tensorflow as tf\nimport keras\nnoise = tf.random.normal([8, 4])\n",
    )
    INVALID = (
        Invalid(
            "import tensorflow as tf\nimport keras\nnoise = tf.compat.v1.random_normal([8, 4])\n",
            line=3,
            message="is `tf.random.normal`",
            count=1,
            fixed="import tensorflow as tf\nimport keras\nnoise = tf.random.normal([8, 4])\n",
        ),
        Invalid(
            "import tensorflow as tf\nfrom tensorflow import keras\nsess_init = tf.compat.v1.global_variables_initializer()\n",
            line=3,
            message="Keras layers create and initialise",
        ),
        Invalid(
            "import tensorflow as tf\nimport keras\ntf.compat.v1.set_random_seed(0)\n",
            line=3,
            message="keras.utils.set_random_seed",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\nimport keras\nw = tf.get_variable('w', [3])\ninit = tf.global_variables_initializer()\n",
            line=1,
            count=1,
        ),
        Invalid("from tensorflow.compat.v1 import get_variable\nfrom tensorflow import keras\nw = get_variable('w', [3])\n", line=1, count=1),
        Invalid(
            "import tensorflow as tf\nx = tf.compat.v1.log(y)\nmodel = tf.keras.Sequential()\n",
            line=2,
            fixed="import tensorflow as tf\nx = tf.math.log(y)\nmodel = tf.keras.Sequential()\n",
        ),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        self._inner: set[int] = set()

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = self.context.code(alias.name)
            if name == V1 or (name.startswith(V1 + ".") and not name.startswith(V1 + ".keras")):
                self.defer(alias, f"`{name}` is TensorFlow 1 compatibility code in a Keras program; port its uses to TF2/Keras", when="keras")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = self.context.code(node.module)
        names = [self.context.code(alias.name) for alias in node.names]
        if module == "tensorflow.compat" and "v1" in names:
            self.defer(node, "`tensorflow.compat.v1` is TensorFlow 1 compatibility code in a Keras program; port its uses to TF2/Keras", when="keras")
            return
        if not (module == V1 or module.startswith(V1 + ".")) or module.startswith(V1 + ".keras"):
            return
        names = [n for n in names if n.split(".")[0] not in _NOT_LEFTOVERS]
        if names:
            imported = ", ".join(names)
            message = f"`from {module} import {imported}` imports TensorFlow 1 compatibility APIs into a Keras program; port them to TF2/Keras"
            self.defer(node, message, when="keras")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.import_depth or id(node) in self._inner:
            return
        root = chain_root(node)
        if root is None or self.semantic.raw_qualified(root) != TF:
            return  # an alias of tensorflow.compat.v1 was reported at its import
        member = tf_member(self.semantic.raw_qualified(node))
        if member is None or not member[1]:
            return
        inner = node.value
        while isinstance(inner, cst.Attribute):
            self._inner.add(id(inner))
            inner = inner.value
        name = member[0]
        if name.split(".")[0] in _NOT_LEFTOVERS:
            return
        v2 = IDENTICAL_V2_NAMES.get(name)
        if v2 is not None:
            text = f"{root.value}.{v2}"
            fix = Fix((self.context.edit(node, text),), Applicability.SAFE, f"Use `tf.{v2}`")
            message = f"`{_v1_spelling(name)}` is `tf.{v2}` under its TF1 name; use the TF2 name"
            self.defer(node, message, when="keras", fix=fix, severity=Severity.INFO)
            return
        advice = V1_ADVICE.get(name)
        if advice is None:
            # ``tf.compat.v1.train.AdamOptimizer`` -> advice keyed by the module, if any
            advice = _module_advice(name)
        message = f"`{_v1_spelling(name)}` is a TensorFlow 1 API left in Keras code"
        self.defer(node, message + (f"; {advice}" if advice else "; port it to TF2/Keras"), when="keras")


def _module_advice(name: str) -> str | None:
    head = name.split(".")[0]
    return {
        "train": "TF1 optimizers are rejected by Keras 3 `compile`; use `keras.optimizers`",
        "losses": "use `keras.losses`",
        "layers": "use `keras.layers`",
        "metrics": "use `keras.metrics`",
        "nn": None,
    }.get(head)


class EagerDisabled(_Tf1Rule):
    """
    ## What it does
    Finds ``tf.compat.v1.disable_eager_execution()`` and ``disable_v2_behavior()`` in code
    that uses Keras, when the target is Keras 3.

    ## Why is this bad?
    Keras 3 only runs eagerly (compiling to ``tf.function`` itself). With eager execution
    disabled, building a model still works but ``fit``/``predict`` fail, e.g.
    ``RuntimeError: `tf.data.Dataset` only supports Python-style iteration in eager mode or
    within tf.function`` (TF 2.21, Keras 3.15). The call is usually a leftover from TF1 code
    that used sessions and placeholders.

    ## Example
    ```python
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    model = keras.Sequential([...])
    model.fit(x, y)
    ```

    ## Use instead
    ```python
    model = keras.Sequential([...])
    model.fit(x, y)  # eager by default; Keras compiles its own tf.function
    ```
    """

    code = "TF105"
    name = "eager-disabled"
    summary = "Eager execution disabled in Keras 3 code"
    severity = Severity.ERROR
    keras_versions = ">=3"
    VALID = (
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\nx = tf.placeholder(tf.float32)\n",
        # Keras 2 (tf.keras <= 2.15) could run in graph mode.
        Valid("import tensorflow as tf\nfrom tensorflow import keras\ntf.compat.v1.disable_eager_execution()\n", target_keras="2.15"),
    )
    INVALID = (
        Invalid(
            "import tensorflow as tf\nimport keras\ntf.compat.v1.disable_eager_execution()\nmodel = keras.Sequential()\n",
            line=3,
            message="Keras 3",
        ),
        Invalid("import tensorflow.compat.v1 as tf\nfrom tensorflow import keras\ntf.disable_v2_behavior()\n", line=3),
    )

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        member = tf_member(self.semantic.qualified(node.func))
        if member is None or member[0] not in _EAGER_OFF:
            return
        self.defer(
            node,
            f"`{_v1_spelling(member[0])}()`: Keras 3 runs only eagerly, so `fit`/`predict` fail "
            "with eager execution disabled; remove it and the TF1 session code it served",
            when="keras",
        )


RULES: Sequence[type[Rule]] = (TfSession, TfPlaceholder, TfContrib, CompatV1Leftover, EagerDisabled)


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return list(RULES)
