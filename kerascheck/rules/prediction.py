"""KC5xx: slow, failing or silently wrong ways to get predictions out of a model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.semantic import Site
from kerascheck.static.semantic.layers import ACTIVATION_LAYERS, dense_units, layer_activation

# argmax functions and the name of their first parameter; all of them default to flattening the
# array (NumPy, ``keras.ops``) or to ``axis=0``, the batch axis (TensorFlow).
_ARGMAX = {
    "numpy.argmax": "a",
    "tensorflow.argmax": "input",
    "tensorflow.math.argmax": "input",
    "keras.ops.argmax": "x",
}
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
#: Calls that load a whole data set into memory.
_LOADERS = ("numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "pandas.read_", "keras.datasets.")
_WHOLE_DATA_WORDS = frozenset({"train", "test", "val", "valid", "validation", "dataset", "all", "full"})


def _comprehension_names(node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> list[str]:
    names: list[str] = []
    comp: cst.CompFor | None = node.for_in
    while comp is not None:
        names.extend(ah.target_names(comp.target))
        comp = comp.inner_for_in
    return names


def _reads(semantic: Any, expr: cst.BaseExpression, site: Site) -> set[str]:
    """The names ``expr`` reads, and for a bare name the names its bindings' values read."""
    read = m.names_in(expr)
    if isinstance(expr, cst.Name):
        for binding in semantic.lookup(expr.value, site):
            if binding.value is not None:
                read |= m.names_in(binding.value)
    return read


class _PredictionRule(Rule):
    """Shared bookkeeping: loops per function, loop variables, names holding one sample, and
    names holding the result of a ``predict`` (not registered itself)."""

    # -- scopes and loops -------------------------------------------------------------------

    @property
    def in_loop(self) -> bool:
        """In a loop of the current function (a loop around a ``def`` does not count)."""
        return bool(self.context.function_loops)

    def loop_names(self) -> set[str]:
        """Loop variables of the enclosing loops of the current function."""
        names: set[str] = set()
        for loop in self.context.function_loops:
            if isinstance(loop, cst.For):
                names.update(ah.target_names(loop.target))
            elif isinstance(loop, _COMPREHENSIONS):
                names.update(_comprehension_names(loop))
        return names

    # -- shared questions -------------------------------------------------------------------

    def prediction(self, expr: cst.BaseExpression | None) -> cst.Call | None:
        """The ``model.predict(...)`` call whose whole result ``expr`` is, else None."""
        if isinstance(expr, cst.Name):
            # Through the bindings the use sees: every one must hold a ``predict`` result.
            bindings = self.context.semantic.lookup(expr.value)
            values = [b.value for b in bindings if b.kind == "assign"]
            if not bindings or len(values) != len(bindings):
                return None
            calls = [self.prediction(v) if not isinstance(v, cst.Name) else None for v in values]
            return calls[-1] if all(c is not None for c in calls) else None
        if isinstance(expr, cst.Call) and m.predict_receiver(self.context, expr) is not None:
            return expr
        return None

    def predicts_one_sample(self, predict: cst.Call) -> bool:
        return m.is_single_sample(self.context, ah.argument(predict, 0, "x"))

    def argmax_call(self, node: cst.Call) -> tuple[cst.BaseExpression | None, cst.BaseExpression | None, str] | None:
        """``(array, axis, kind)`` for an argmax call (``np.argmax``/``tf.argmax``/``keras.ops``
        or ``pred.argmax()`` on a prediction), else None. ``kind`` is the qualified name or
        ``"method"``."""
        qualified = self.context.qualified(node.func)
        if qualified in _ARGMAX:
            return ah.argument(node, 0, _ARGMAX[qualified]), ah.argument(node, 1, "axis"), qualified
        method = ah.method_call(node)
        if qualified is None and method is not None and method[1] == "argmax" and isinstance(method[0], cst.Name):
            if self.prediction(method[0]) is not None:
                return method[0], ah.argument(node, 0, "axis"), "method"
        return None


class PredictInLoop(_PredictionRule):
    """
    ## What it does
    Finds ``model.predict(...)`` called on one sample at a time inside a loop (``for``,
    ``while`` or a comprehension): the argument is visibly a batch of one (``x[i:i+1]``,
    ``x[None]``, ``np.expand_dims(x, 0)``, ``np.array([x])``, ``x.reshape(1, ...)``,
    ``["a sentence"]``, or a name bound to one of those). The loop may be in a caller (a
    helper predicting one sample, called once per iteration with a value that changes), and
    the one-sample shape may come from elsewhere in the file: a caller's argument, or the
    elements appended to a list iterated over (a replay memory of ``(1, n)`` states).

    ## Why is this bad?
    ``predict`` is built for large inputs: every call sets up a data adapter, a progress bar and
    a traced function run. For one sample that overhead dominates: about 44 ms per call against
    1 ms for ``model(x, training=False)``; 200 single-sample ``predict`` calls in a loop are
    ~170x slower than one batched call. A ``predict`` of a whole batch per loop iteration (per
    file, per epoch) is fine and not reported.

    ## Example
    ```python
    for image in images:
        probabilities = model.predict(np.expand_dims(image, 0))
    ```

    ## Use instead
    ```python
    probabilities = model.predict(np.stack(images))  # one batched call
    # or, when each step depends on the previous one (generation loops):
    for step in range(n):
        probabilities = model(x, training=False)
    ```
    """

    code = "KC501"
    name = "predict-in-loop"
    summary = "`predict` on single samples inside a loop (~40x slower than a direct call)"
    severity = Severity.INFO
    VALID = (
        # A whole batch per iteration.
        "import keras\nmodel = keras.models.load_model('m.keras')\nfor path in files:\n    batch = load(path)\n    preds = model.predict(batch)\n",
        "import keras\nmodel = keras.Sequential()\nfor images, labels in val_ds.take(3):\n    preds = model.predict(images)\n",
        # One sample, but not in a loop.
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\np = model.predict(np.expand_dims(img, 0))\n",
        # Direct call in the loop is the recommended form.
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "for img in images:\n"
            "    p = model(img[None], training=False)\n"
        ),
        # A loop around a function definition is not a loop around its body.
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "for name in names:\n"
            "    def f(img):\n"
            "        return model.predict(img[None])\n"
        ),
        # Warm-up / timing loop: the same input on every iteration.
        (
            "import tensorflow as tf\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "def warmup():\n"
            "    dummy = tf.ones((1, 224, 224, 3))\n"
            "    for _ in range(100):\n"
            "        _ = model.predict(dummy)\n"
        ),
        # sklearn's predict on a non-model receiver.
        "import numpy as np\nimport keras\nfrom sklearn.svm import SVC\nsvm = SVC()\nfor row in rows:\n    svm.predict(np.array([row]))\n",
        # A multi-input model fed whole batches (the first input is not one sample).
        (
            "import keras\nmodel = keras.Sequential()\nfor images, masks in loader:\n"
            "    model.predict([images, masks])\n    model.predict([images] + extras)\n"
        ),
        # A helper returning a whole batch and its size; a fancy index of several rows.
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "def prepare(images):\n"
            "    return images, len(images)\n"
            "for chunk in chunks:\n"
            "    batch, n = prepare(chunk)\n"
            "    model.predict(batch)\n"
        ),
        "import numpy as np\nimport keras\nmodel = keras.Sequential()\nfor i in range(10):\n    model.predict(x[np.array([i, i + 1])])\n",
        # A one-sample helper called in a loop, but with the same input every time (a timing loop).
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "def infer(image):\n"
            "    return model.predict(np.expand_dims(image, 0))\n"
            "for _ in range(10):\n"
            "    infer(reference)\n"
        ),
        # A one-sample helper called once, outside any loop.
        (
            "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\n"
            "def infer(image):\n    return model.predict(image[None])\ninfer(img)\n"
        ),
        # A replay memory holding whole batches: each predict in the replay loop is batched.
        (
            "import random\n"
            "import keras\n"
            "class Agent:\n"
            "    def __init__(self):\n"
            "        self.memory = []\n"
            "        self.model = keras.Sequential()\n"
            "    def remember(self, states, actions):\n"
            "        self.memory.append((states, actions))\n"
            "    def replay(self):\n"
            "        for states, actions in random.sample(self.memory, 8):\n"
            "            self.model.predict(states)\n"
            "agent = Agent()\n"
            "for batch, actions in loader:\n"
            "    agent.remember(batch, actions)\n"
        ),
        # Memory also filled from somewhere unknown: what its elements hold is not known.
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.Sequential()\n"
            "memory = [np.zeros((1, 4))]\n"
            "memory.extend(load_transitions())\n"
            "for state in memory:\n"
            "    model.predict(state)\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "for img in images:\n"
                "    p = model.predict(np.expand_dims(img, axis=0))\n"
            ),
            line=5,
            message="single sample",
        ),
        Invalid("import keras\nmodel = keras.models.load_model('m.keras')\nfor i in range(len(x)):\n    p = model.predict(x[i:i + 1])\n", line=4),
        Invalid("import keras\nmodel = keras.models.load_model('m.keras')\npreds = [model.predict(x[None]) for x in xs]\n", line=3),
        Invalid((
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "for sentence in sentences:\n"
            "    print(model.predict([sentence]))\n"
        ), line=4),
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "while True:\n"
                "    frame = grab()\n"
                "    sample = frame.reshape(1, 64, 64, 3)\n"
                "    label = model.predict(sample)\n"
            ),
            line=7,
        ),
        Invalid((
            "import numpy as np\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "for t in range(100):\n"
            "    x_pred = np.zeros((1, maxlen, vocab))\n"
            "    p = model.predict(x_pred, verbose=0)[0]\n"
        ), line=6),
        # A helper returning ``(one sample, extra)``, unpacked in the loop; a fancy index of one row.
        Invalid(
            (
                "import tensorflow as tf\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "def prepare(image):\n"
                "    return tf.expand_dims(image, axis=0), 1.0\n"
                "for image in images:\n"
                "    batch, ratio = prepare(image)\n"
                "    model.predict(batch)\n"
            ),
            line=8,
        ),
        Invalid(
            (
                "import numpy as np\nimport keras\nmodel = keras.Sequential()\n"
                "for i in range(10):\n    row = x[np.array([pick(i)])]\n    model.predict(row)\n"
            ),
            line=6,
        ),
        # A multi-input model fed one sample per input, in a generation loop.
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "decoder = keras.models.load_model('d.keras')\n"
                "while not done:\n"
                "    target = np.zeros((1, 1, tokens))\n"
                "    out, h, c = decoder.predict([target] + states)\n"
                "    states = [h, c]\n"
            ),
            line=6,
        ),
        # The loop is in the caller: one image per call, one call per file.
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "def infer(image):\n"
                "    x = preprocess(image)\n"
                "    return model.predict(np.expand_dims(x, axis=0))\n"
                "for path in paths:\n"
                "    infer(load(path))\n"
            ),
            line=6,
            message="called once per loop iteration",
        ),
        # A replay memory of one-sample states (reshaped by the caller, appended by a method):
        # the replay loop predicts one transition at a time.
        Invalid(
            (
                "import random\n"
                "import numpy as np\n"
                "from collections import deque\n"
                "import keras\n"
                "class Agent:\n"
                "    def __init__(self):\n"
                "        self.memory = deque(maxlen=2000)\n"
                "        self.model = keras.Sequential()\n"
                "    def remember(self, state, action):\n"
                "        self.memory.append((state, action))\n"
                "    def replay(self, n):\n"
                "        for state, action in random.sample(self.memory, n):\n"
                "            target = self.model.predict(state)\n"
                "agent = Agent()\n"
                "state = np.reshape(env.reset(), [1, 4])\n"
                "agent.remember(state, 0)\n"
                "agent.replay(32)\n"
            ),
            line=13,
        ),
        # A subclass's override runs for the base class's ``self.target(state)`` in the loop.
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "class Agent:\n"
                "    def __init__(self):\n"
                "        self.model = keras.Sequential()\n"
                "    def target(self, state):\n"
                "        return 0\n"
                "    def replay(self, frames):\n"
                "        for frame in frames:\n"
                "            self.target(np.expand_dims(frame, 0))\n"
                "class Double(Agent):\n"
                "    def target(self, state):\n"
                "        return self.model.predict(state)\n"
            ),
            line=13,
        ),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        #: ``predict`` calls, decided at the end (the loop may rebind the input after the call; the
        #: one-sample shape may come from a caller or an ``append`` further down): (call,
        #: receiver, data, site, loops, loop variables).
        self._candidates: list[tuple[cst.Call, cst.BaseExpression, cst.BaseExpression, Site, tuple[cst.CSTNode, ...], set[str]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        receiver = m.predict_receiver(self.context, node, frozenset({"predict"}))
        if receiver is None:
            return
        data = ah.argument(node, 0, "x")
        if data is None or (not self.in_loop and self.context.function is None):
            return
        loops = tuple(self.context.function_loops)
        self._candidates.append((node, receiver, data, self.context.semantic.here(), loops, self.loop_names() if loops else set()))

    def leave_Module(self, node: cst.Module) -> None:
        semantic = self.context.semantic
        for call, receiver, data, site, loops, items in self._candidates:
            if not m.is_single_sample(self.context, data, items=items, site=site):
                continue
            if loops:
                # The same input on every iteration is a warm-up or timing loop, not a batching problem.
                bound: set[str] = set()
                for loop in loops:
                    bound |= semantic.names_bound_in(loop)
                if _reads(semantic, data, site) & bound:
                    self._report(call, receiver)
            elif self._caller_loops(data, site):
                self._report(call, receiver, in_caller=True)

    def _caller_loops(self, data: cst.BaseExpression, site: Site) -> bool:
        """The one sample comes from a parameter of the enclosing function, and a call of that
        function inside a loop passes it something that changes on every iteration."""
        semantic = self.context.semantic
        for parameter in semantic.parameters_read(data, site):
            for argument, where in semantic.calls_in_loops(parameter):
                bound: set[str] = set()
                for loop in where.loops:
                    bound |= semantic.names_bound_in(loop)
                if _reads(semantic, argument, where) & bound:
                    return True
        return False

    def _report(self, node: cst.Call, receiver: cst.BaseExpression, *, in_caller: bool = False) -> None:
        model = self.context.code(receiver)
        where = "in a function called once per loop iteration" if in_caller else "inside a loop"
        self.report(
            node,
            f"`{model}.predict` on a single sample {where}: each call has ~40 ms of fixed overhead; "
            f"predict all samples in one batched call, or call `{model}(x, training=False)` in the loop",
        )


class ArgmaxWithoutAxis(_PredictionRule):
    """
    ## What it does
    Finds ``np.argmax(model.predict(x))`` (also ``tf.argmax``, ``keras.ops.argmax`` and
    ``preds.argmax()`` on a name holding a prediction) with no ``axis``, when ``x`` is not
    visibly a single sample.

    ## Why is this bad?
    ``predict`` returns a batch, shape ``(n_samples, n_classes)``. Without ``axis``, NumPy and
    ``keras.ops`` flatten it and return one index into all the scores of all samples;
    ``tf.argmax`` defaults to ``axis=0`` and returns, per class, the *sample* with the highest
    score. Either way the result is not the predicted class of each sample (by luck it is for a
    batch of one, which is why this survives tests).

    ## Example
    ```python
    labels = np.argmax(model.predict(x_test))
    ```

    ## Use instead
    ```python
    labels = np.argmax(model.predict(x_test), axis=-1)
    ```

    ## Fix safety
    Safe: ``axis=-1`` is the class axis of a classifier's output, which is what the code means.
    """

    code = "KC502"
    name = "argmax-without-axis"
    summary = "`argmax` over a whole prediction batch without `axis`"
    severity = Severity.ERROR
    VALID = (
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\nlabels = np.argmax(model.predict(x), axis=1)\n",
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\npred = model.predict(x)\nlabel = np.argmax(pred[0])\n",
        # One sample: the flat index is the class.
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\nlabel = np.argmax(model.predict(np.expand_dims(img, 0)))\n",
        "import numpy as np\nimport keras\nlabel = np.argmax(scores)\n",
    )
    INVALID = (
        Invalid(
            "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\nlabels = np.argmax(model.predict(x_test))\n",
            line=4,
            fixed=(
                "import numpy as np\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "labels = np.argmax(model.predict(x_test), axis=-1)\n"
            ),
        ),
        Invalid(
            "import tensorflow as tf\nmodel = tf.keras.models.load_model('m.keras')\npreds = model.predict(ds)\nlabels = tf.argmax(preds)\n",
            line=4,
            message="axis=0",
            fixed=(
                "import tensorflow as tf\n"
                "model = tf.keras.models.load_model('m.keras')\n"
                "preds = model.predict(ds)\n"
                "labels = tf.argmax(preds, axis=-1)\n"
            ),
        ),
        Invalid(
            "import keras\nmodel = keras.models.load_model('m.keras')\npreds = model.predict(ds)\nlabels = preds.argmax()\n",
            fixed="import keras\nmodel = keras.models.load_model('m.keras')\npreds = model.predict(ds)\nlabels = preds.argmax(axis=-1)\n",
        ),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        #: argmax over the prediction of a parameter, decided when every call is seen.
        self._pending: list[tuple[cst.Call, cst.BaseExpression, str, cst.Name, Site]] = []

    def visit_Call(self, node: cst.Call) -> None:
        found = self.argmax_call(node)
        if found is None:
            return
        array, axis, kind = found
        if axis is not None or array is None or any(a.star for a in node.args):
            return
        predict = self.prediction(array)
        if predict is None or self.predicts_one_sample(predict):
            return
        data = ah.argument(predict, 0, "x")
        if isinstance(data, cst.Name) and any(b.kind == "param" for b in self.context.semantic.lookup(data.value)):
            # A parameter: what the file's calls pass is known only at the end.
            self._pending.append((node, array, kind, data, self.context.semantic.here()))
            return
        self._report(node, array, kind)

    def leave_Module(self, node: cst.Module) -> None:
        for call, array, kind, data, site in self._pending:
            if not m.is_single_sample(self.context, data, site=site):
                self._report(call, array, kind)

    def _report(self, node: cst.Call, array: cst.BaseExpression, kind: str) -> None:
        if kind == "method":
            fix_edit = m.replace_in_source(self.context, node, f"{self.context.code(node.func)}(axis=-1)") if not node.args else None
        else:
            fix_edit = m.replace_in_source(self.context, array, f"{self.context.code(array)}, axis=-1")
        fix = m.fix(fix_edit, safe=True, message="Take the argmax over the class axis (`axis=-1`)") if fix_edit else None
        if kind.startswith("tensorflow."):
            why = "`tf.argmax` defaults to `axis=0`: it picks, per class, the sample with the highest score"
        else:
            why = "without `axis` the whole batch is flattened and one index over all samples' scores is returned"
        self.report(node, f"argmax over a batch of predictions with no `axis`: {why}; pass `axis=-1`", fix=fix)


def _loaded_whole(context: Any, expr: cst.BaseExpression) -> bool:
    """``expr`` is a whole array loaded from disk, possibly cast or scaled:
    ``np.load("x.npy").astype("float32") / 255.0``, ``pd.read_csv(p).values``."""
    while True:
        if isinstance(expr, cst.BinaryOperation):
            expr = expr.left
        elif isinstance(expr, cst.Attribute) and context.qualified(expr) is None:
            expr = expr.value  # ``.values``
        elif isinstance(expr, cst.Call):
            qualified = context.qualified(expr.func)
            if qualified is not None:
                return qualified.startswith(_LOADERS)
            method = ah.method_call(expr)
            if method is None or method[1] not in ("astype", "to_numpy", "reshape", "copy"):
                return False
            expr = method[0]
        else:
            return False


class PredictOnBatchWholeDataset(_PredictionRule):
    """
    ## What it does
    Finds ``model.predict_on_batch(...)`` given a ``tf.data`` dataset or generator, or a whole
    data set array: a name such as ``x_test``, ``X_train``, ``val_images``, ``dataset``, or a
    name bound to an array loaded whole from disk (``np.load``, ``pd.read_csv``).

    ## Why is this bad?
    ``predict_on_batch`` runs the model once on its argument as a single batch. A dataset is
    rejected (``ValueError: Inputs to a layer should be tensors``); a whole array is pushed
    through the model in one piece, which needs memory for every activation of every sample at
    once and fails with out-of-memory errors on real data sizes (on a GPU first). ``predict``
    splits the input into batches.

    ## Example
    ```python
    predictions = model.predict_on_batch(x_test)
    ```

    ## Use instead
    ```python
    predictions = model.predict(x_test, batch_size=64)
    ```
    """

    code = "KC503"
    name = "predict-on-batch-whole-dataset"
    summary = "`predict_on_batch` given a whole data set"
    VALID = (
        "import keras\nmodel = keras.models.load_model('m.keras')\nfor batch in test_ds:\n    p = model.predict_on_batch(batch)\n",
        "import keras\nmodel = keras.models.load_model('m.keras')\np = model.predict_on_batch(x_test[:32])\n",
        "import keras\nmodel = keras.models.load_model('m.keras')\np = model.predict_on_batch(images)\n",
    )
    INVALID = (
        Invalid("import keras\nmodel = keras.models.load_model('m.keras')\np = model.predict_on_batch(x_test)\n", line=3, message="batch_size"),
        Invalid(
            (
                "import tensorflow as tf\n"
                "model = tf.keras.models.load_model('m.keras')\n"
                "ds = tf.data.Dataset.from_tensor_slices(x).batch(32)\n"
                "p = model.predict_on_batch(ds)\n"
            ),
            line=4,
            message="ValueError",
        ),
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "images = np.load('images.npy').astype('float32') / 255.0\n"
                "masks = model.predict_on_batch(images)\n"
            ),
            line=5,
        ),
    )

    def _loaded(self, name: cst.BaseExpression) -> bool:
        """A name every binding of which holds an array loaded whole from disk."""
        if not isinstance(name, cst.Name):
            return False
        bindings = self.context.semantic.lookup(name.value)
        return bool(bindings) and all(b.value is not None and _loaded_whole(self.context, b.value) for b in bindings)

    def visit_Call(self, node: cst.Call) -> None:
        receiver = m.predict_receiver(self.context, node, frozenset({"predict_on_batch"}))
        if receiver is None:
            return
        data = ah.argument(node, 0, "x")
        if data is None:
            return
        model = self.context.code(receiver)
        if self.context.semantic.is_dataset(data):
            self.report(node, f"`{model}.predict_on_batch` does not take a dataset or generator (ValueError); use `{model}.predict(...)`")
            return
        name = data.value if isinstance(data, cst.Name) else data.attr.value if isinstance(data, cst.Attribute) else None
        if name is None or name in self.loop_names():
            return
        words = set(name.lower().split("_"))
        if words & _WHOLE_DATA_WORDS or name.lower() in ("ds", "data") or self._loaded(data):
            self.report(
                node,
                f"`{model}.predict_on_batch({name})` runs `{name}` through the model as one batch (all activations in "
                f"memory at once); use `{model}.predict({name}, batch_size=...)`",
            )


class PredictInTfFunction(_PredictionRule):
    """
    ## What it does
    Finds ``model.predict(...)`` inside a function decorated with ``@tf.function``.

    ## Why is this bad?
    ``predict`` is a Python-level loop over batches with its own compiled function, callbacks
    and NumPy conversion of the results. Inside a traced function it either fails (it cannot
    iterate symbolic tensors or convert them to NumPy) or runs once at trace time and freezes
    its result into the graph. Calling the model is what belongs in a ``tf.function``.

    ## Example
    ```python
    @tf.function
    def serve(x):
        return model.predict(x)
    ```

    ## Use instead
    ```python
    @tf.function
    def serve(x):
        return model(x, training=False)
    ```
    """

    code = "KC504"
    name = "predict-in-tf-function"
    summary = "`model.predict` inside `@tf.function`"
    severity = Severity.ERROR
    VALID = (
        "import tensorflow as tf\nmodel = tf.keras.models.load_model('m.keras')\n@tf.function\ndef serve(x):\n    return model(x, training=False)\n",
        "import tensorflow as tf\nmodel = tf.keras.models.load_model('m.keras')\ndef serve(x):\n    return model.predict(x)\n",
    )
    INVALID = (
        Invalid((
            "import tensorflow as tf\n"
            "model = tf.keras.models.load_model('m.keras')\n"
            "@tf.function\n"
            "def serve(x):\n"
            "    return model.predict(x)\n"
        ), line=5),
        Invalid(
            (
                "import tensorflow as tf\n"
                "model = tf.keras.models.load_model('m.keras')\n"
                "@tf.function(jit_compile=True)\n"
                "def serve(x):\n"
                "    y = model.predict_on_batch(x)\n"
                "    return y\n"
            ),
            line=5,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.in_tf_function:
            return
        receiver = m.predict_receiver(self.context, node)
        if receiver is None:
            return
        model = self.context.code(receiver)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else "predict"
        self.report(
            node,
            f"`{model}.{method}` inside `@tf.function`: it runs its own batch loop and NumPy conversion and fails "
            f"(or runs once at trace time) in a traced function; call `{model}(x, training=False)`",
        )


def _output_units(model: cst.BaseExpression, context: FileContext) -> tuple[int | None, str | None]:
    """``(units, activation)`` of the visible output Dense of the model ``model`` holds
    (looking through a trailing ``Activation``)."""
    semantic = context.semantic
    layer = semantic.output_layer(model)
    if layer is None:
        return None, None
    imports = context.imports
    activation = layer_activation(layer, imports)
    if context.qualified(layer.func) in ACTIVATION_LAYERS:
        before = semantic.layer_before(layer, model)
        if before is None:
            return None, activation
        layer = before
    return dense_units(layer, imports), activation or layer_activation(layer, imports)


class ArgmaxOnSingleOutput(_PredictionRule):
    """
    ## What it does
    Finds ``argmax(..., axis=-1)`` (or ``axis=1``) over the predictions of a model whose output
    layer is visibly a one-unit ``Dense`` (typically ``Dense(1, activation="sigmoid")``).

    ## Why is this bad?
    The last axis has length one, so its argmax is always ``0``: every sample is predicted as
    class 0, accuracy equals the share of negatives, and nothing fails. A one-unit sigmoid
    output is a probability of the positive class and needs a threshold.

    ## Example
    ```python
    model = keras.Sequential([..., layers.Dense(1, activation="sigmoid")])
    labels = np.argmax(model.predict(x), axis=-1)
    ```

    ## Use instead
    ```python
    labels = (model.predict(x) > 0.5).astype("int32")
    ```
    """

    code = "KC505"
    name = "argmax-on-single-output"
    summary = "`argmax` over a one-unit output is always 0"
    severity = Severity.ERROR
    VALID = (
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
            "labels = np.argmax(model.predict(x), axis=-1)\n"
        ),
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.Sequential([keras.layers.Dense(1, activation='sigmoid')])\n"
            "labels = (model.predict(x) > 0.5).astype('int32')\n"
        ),
        # Output layer unknown: silent.
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\nlabels = np.argmax(model.predict(x), axis=-1)\n",
    )
    INVALID = (
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "model = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1, activation='sigmoid')])\n"
                "labels = np.argmax(model.predict(x), axis=-1)\n"
            ),
            line=4,
            message="always 0",
        ),
        Invalid(
            (
                "import numpy as np\n"
                "from keras import layers, Model, Input\n"
                "inp = Input((4,))\n"
                "out = layers.Dense(1, activation='sigmoid')(inp)\n"
                "model = Model(inp, out)\n"
                "pred = model.predict(x)\n"
                "labels = pred.argmax(axis=1)\n"
            ),
            line=7,
        ),
    )

    def __init__(self, context: Any, options: Any) -> None:
        super().__init__(context, options)
        #: argmax over the prediction of a parameter, decided when every call is seen.
        self._pending: list[tuple[cst.Call, cst.BaseExpression, str, cst.Name, Site]] = []

    def visit_Call(self, node: cst.Call) -> None:
        found = self.argmax_call(node)
        if found is None:
            return
        array, axis, _ = found
        axis_value = self.context.code(axis).replace(" ", "") if axis is not None else None
        if axis_value not in ("-1", "1") or array is None:
            return
        predict = self.prediction(array)
        if predict is None:
            return
        receiver = m.predict_receiver(self.context, predict)
        if receiver is None:
            return
        units, activation = _output_units(receiver, self.context)
        if units != 1:
            return
        what = f"one-unit {activation} output" if activation else "one-unit output"
        self.report(
            node,
            f"argmax over the last axis of a {what} is always 0; threshold it instead: `(pred > 0.5).astype('int32')`",
        )


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [PredictInLoop, ArgmaxWithoutAxis, PredictOnBatchWholeDataset, PredictInTfFunction, ArgmaxOnSingleOutput]
