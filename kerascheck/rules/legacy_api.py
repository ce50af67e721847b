"""KC1xx: APIs, arguments, imports and file formats that Keras removed or changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Fix, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.keras_api import Removed, RemovedKeyword, TargetApi, facts, learning_phase_names, target_for
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static.compat_guards import CompatGuards
from kerascheck.static.context import FileContext
from kerascheck.static.names import canonical, dotted
from kerascheck.static.semantic import Site, Value
from kerascheck.static.semantic.layers import dense_units, layer_activation


def _spelling(context: FileContext, qualified: str) -> str | None:
    """How the code at this point can name ``qualified`` (canonical: ``numpy``,
    ``keras.layers.concatenate``): a name the semantic model resolves to it or to one of its
    modules (``np``, ``concatenate``, ``keras.layers.concatenate``, ``tf.keras.layers.concatenate``),
    bound by imports only (a local variable shadowing an import does not count). None if none."""
    semantic = context.semantic
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        for local in semantic.imports.aliases:
            resolved = semantic.qualified(cst.Name(local))
            spelled = local
            if resolved == "tensorflow" and head.startswith("keras"):
                resolved, spelled = "keras", f"{local}.keras"  # ``tf.keras``
            if resolved == head and all(binding.kind == "import" for binding in semantic.lookup(local)):
                return ".".join([spelled, *parts[cut:]])
    return None


class RemovedPredictClasses(Rule):
    """
    ## What it does
    Finds calls to ``model.predict_classes(...)``.

    ## Why is this bad?
    ``Sequential.predict_classes`` was removed in TensorFlow 2.6 / Keras 2.6; it raises a bare
    ``AttributeError`` with no hint. The replacement depends on the output layer: a softmax (or
    any multi-unit) output needs ``argmax`` over the last axis, a single sigmoid unit needs a
    0.5 threshold. Using the wrong one gives all-zero predictions.

    The receiver is matched by name because ``predict_classes`` exists only on Keras models,
    except when a class in the same file defines its own ``predict_classes``.

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(10, activation="softmax")])
    labels = model.predict_classes(x)
    ```

    ## Use instead
    ```python
    labels = np.argmax(model.predict(x), axis=-1)  # softmax / several units
    labels = (model.predict(x) > 0.5).astype("int32")  # one sigmoid unit
    ```

    ## Fix safety
    Unsafe, offered only when the model's output layer is visible in the same file and numpy is
    imported: it picks argmax or threshold from that layer.
    """

    code = "KC101"
    name = "removed-predict-classes"
    summary = "`predict_classes` was removed from Keras models"
    severity = Severity.ERROR
    VALID = (
        "import numpy as np\nimport keras\nlabels = np.argmax(model.predict(x), axis=-1)\n",
        "import keras\nclass Wrapper:\n    def predict_classes(self, x):\n        return x\nw = Wrapper()\nw.predict_classes(1)\n",
        "labels = clf.predict_classes(x)\n",  # no Keras in the file
        # a fallback for Keras versions without it
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\ntry:\n    labels = model.predict_classes(x)\n"
        "except AttributeError:\n    labels = np.argmax(model.predict(x), axis=-1)\n",
    )
    INVALID = (
        Invalid(
            "import numpy as np\nfrom tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
            "labels = model.predict_classes(x_test)\n",
            line=4,
            fixed=(
                "import numpy as np\nfrom tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
                "labels = np.argmax(model.predict(x_test), axis=-1)\n"
            ),
        ),
        Invalid(
            "import numpy as np\nfrom keras.models import Sequential\nfrom keras.layers import Dense\nmodel = Sequential()\n"
            "model.add(Dense(1, activation='sigmoid'))\ny = model.predict_classes(x)\n",
            line=6,
            message="sigmoid",
            fixed=(
                "import numpy as np\nfrom keras.models import Sequential\nfrom keras.layers import Dense\nmodel = Sequential()\n"
                "model.add(Dense(1, activation='sigmoid'))\ny = (model.predict(x) > 0.5).astype(\"int32\")\n"
            ),
        ),
        Invalid("import keras\nmodel = keras.models.load_model('m.keras')\nprint(model.predict_classes(x))\n", line=3),
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None or method[1] != "predict_classes":
            return
        receiver = method[0]
        if not m.receiver_is_model(self.context, receiver, "predict_classes") or _guarded_method_call(self.context, node):
            return
        replacement, kind = self._replacement(node, receiver)
        message = "`predict_classes` was removed from Keras models (AttributeError); use "
        if kind == "threshold":
            message += "`(model.predict(x) > 0.5).astype('int32')` for this one-unit sigmoid output"
        elif kind == "argmax":
            message += "`np.argmax(model.predict(x), axis=-1)` for this multi-class output"
        else:
            message += "`np.argmax(model.predict(x), axis=-1)` (softmax) or `(model.predict(x) > 0.5)` (one sigmoid unit)"
        fix = None
        if replacement is not None:
            fix = m.fix(m.replace_in_source(self.context, node, replacement), safe=False, message=f"Use {kind}")
        self.report(node, message, fix=fix)

    def _replacement(self, node: cst.Call, receiver: cst.BaseExpression) -> tuple[str | None, str]:
        layer = self.context.semantic.output_layer(receiver)
        if layer is None:
            return None, "unknown"
        imports = self.context.imports
        activation = layer_activation(layer, imports)
        units = dense_units(layer, imports)
        args = ", ".join(self.context.code(a.value) if a.keyword is None else self.context.code(a).rstrip(", ") for a in node.args)
        predict = f"{self.context.code(receiver)}.predict({args})"
        np_alias = _spelling(self.context, "numpy")
        if units == 1 and activation == "sigmoid":
            return f'({predict} > 0.5).astype("int32")', "threshold"
        if activation == "softmax" or (units is not None and units > 1):
            if np_alias is None:
                return None, "argmax"
            return f"{np_alias}.argmax({predict}, axis=-1)", "argmax"
        return None, "unknown"


class RemovedPredictProba(Rule):
    """
    ## What it does
    Finds ``model.predict_proba(...)`` on a Keras model.

    ## Why is this bad?
    ``predict_proba`` was removed with ``predict_classes`` (Keras 2.6); it raises
    ``AttributeError``. For a Keras model, ``predict`` already returns the probabilities.
    Scikit-learn estimators keep their ``predict_proba``, so a receiver is flagged when it
    visibly holds a Keras model, or when it is named like a model (``model = vgg.model``) in a
    file using Keras and nothing in the file shows it holding another library's object
    (``model = LogisticRegression()`` is left alone).

    ## Example
    ```python
    model = keras.models.load_model("m.keras")
    probs = model.predict_proba(x)
    ```

    ## Use instead
    ```python
    probs = model.predict(x)
    ```

    ## Fix safety
    Safe when the receiver visibly holds a Keras model: ``predict`` returns what
    ``predict_proba`` returned. Unsafe when only its name says it is a model.
    """

    code = "KC102"
    name = "removed-predict-proba"
    summary = "`predict_proba` was removed from Keras models; use `predict`"
    severity = Severity.ERROR
    VALID = (
        "import keras\nfrom sklearn.linear_model import LogisticRegression\nclf = LogisticRegression()\np = clf.predict_proba(x)\n",
        "import keras\nfrom sklearn.linear_model import LogisticRegression\nmodel = LogisticRegression()\np = model.predict_proba(x)\n",
        "import keras\np = model.predict(x)\n",
        "import keras\nmodel = keras.models.load_model('m.keras')\nif hasattr(model, 'predict_proba'):\n    p = model.predict_proba(x)\n"
        "else:\n    p = model.predict(x)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict_proba(x)\n",
            line=3,
            fixed="import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict(x)\n",
        ),
        # a model reached through a helper object (fast.ai's ``vgg.model``): the fix is unsafe
        Invalid(
            "import keras\nvgg = Vgg16()\nmodel = vgg.model\nprobs = model.predict_proba(x)[:, 0]\n",
            line=4,
            fixed="import keras\nvgg = Vgg16()\nmodel = vgg.model\nprobs = model.predict(x)[:, 0]\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None or method[1] != "predict_proba" or self.context.semantic.defines_method("predict_proba"):
            return
        receiver = method[0]
        visible = self.context.semantic.is_model(receiver)
        # Else a receiver named like a model (``model = vgg.model``) in a Keras file, unless
        # the file shows it holding something else (``model = LogisticRegression()``).
        if not visible and (not m.receiver_is_model(self.context, receiver, "predict_proba") or _holds_foreign_object(self.context, receiver)):
            return
        if _guarded_method_call(self.context, node):
            return
        assert isinstance(node.func, cst.Attribute)
        fix = m.fix(m.replace_in_source(self.context, node.func.attr, "predict"), safe=visible, message="Use `predict`")
        self.report(node, "`predict_proba` was removed from Keras models (AttributeError); `predict` returns the probabilities", fix=fix)


def _holds_foreign_object(context: FileContext, receiver: cst.BaseExpression) -> bool:
    """``receiver`` is a name some binding of which the semantic model sees made by a call of
    a non-Keras library (``LogisticRegression()``, ``joblib.load(...)``)."""
    if not isinstance(receiver, cst.Name):
        return False
    for binding in context.semantic.lookup(receiver.value):
        value = binding.value
        made_by = context.semantic.qualified(value.func) if isinstance(value, cst.Call) else None
        if made_by is not None and not made_by.startswith(("keras", "tensorflow")):
            return True
    return False


def _keras_target(context: FileContext, raw: str) -> TargetApi | None:
    """The generated API data to check ``raw`` (a qualified name as imported) against.

    None where the code chose its Keras explicitly: ``tf_keras`` (the Keras 2 package),
    ``tensorflow.python.keras`` (private, KC108) and, for Keras 2 targets,
    ``tensorflow.compat.v1.keras`` (TF1 compatibility, which TF 2.15 keeps; TF >= 2.16 with
    Keras 3 has no such module). ``tensorflow.keras`` under Keras 3 is ``tf.keras``, which keeps
    some legacy names.
    """
    if raw.startswith(("tf_keras", "tensorflow.python")):
        return None
    if raw.startswith("tensorflow.compat.v1") and context.keras_major < 3:
        return None
    return target_for(context.target_keras, tf_keras=raw.startswith("tensorflow"))


def _current_name(target: TargetApi, qualified: str) -> str:
    """Where a name imported from a removed module lives now (``keras.layers.recurrent.LSTM``
    -> ``keras.layers.LSTM``), or what a removed alias was (``keras.layers.Deconvolution2D`` ->
    ``keras.layers.Conv2DTranspose``), so its keywords are judged there; else ``qualified``."""
    removed = target.removed(qualified)
    if removed is not None and removed.is_module and not removed.successor:
        return removed.moved(qualified[len(removed.name) + 1 :]) or qualified
    if removed is not None and not removed.is_module and removed.replacement:
        return removed.replacement
    return qualified


def _guarded(context: FileContext, node: cst.CSTNode, *, raises: Sequence[str] = (), uses: Sequence[str] = ()) -> bool:
    """The code guards ``node`` itself (:mod:`kerascheck.static.compat_guards`): a ``try``
    whose fallback catches ``raises``, a ``hasattr`` test on one of ``uses``, or a version
    test the target never passes."""
    return context.shared(CompatGuards).covers(node, raises=raises, uses=uses)


def _guarded_method_call(context: FileContext, node: cst.Call) -> bool:
    """A call of a method the target removed (``model.predict_classes(x)``) that the code
    guards: its AttributeError caught by a fallback, ``hasattr(model, "predict_classes")``."""
    return _guarded(context, node, raises=("AttributeError",), uses=[dotted(node.func) or ""])


def _release(label: str) -> str:
    return "Keras 1.2" if label == "1" else f"Keras {label}"


def _target_name(context: FileContext) -> str:
    return "Keras 3" if context.keras_major >= 3 else "Keras 2.15"


def _names_a_model(receiver: cst.BaseExpression) -> bool:
    text = dotted(receiver)
    return text is not None and "model" in text.rsplit(".", 1)[-1].lower()


def _model_receiver(context: FileContext, receiver: cst.BaseExpression, method: str) -> bool:
    """``receiver.method(...)`` is a call on a Keras model: the shared matcher, or an attribute
    named like a model (``self.model.fit(...)``) in a file using Keras, even when a class of the
    file defines ``method`` itself (that class's own method is called on ``self``)."""
    if m.receiver_is_model(context, receiver, method):
        return True
    return context.uses_keras and isinstance(receiver, cst.Attribute) and _names_a_model(receiver)


class RemovedModelMethods(Rule):
    """
    ## What it does
    Finds calls of model and layer methods that the target Keras no longer has, from the
    generated API data (``kerascheck.keras_api``): ``fit_generator``, ``predict_generator``,
    ``evaluate_generator``, ``add_metric`` (on ``self`` in a custom layer, or on a model), and
    every other public ``Model``/``Sequential``/``Layer`` method an older Keras had.
    ``predict_classes`` and ``predict_proba`` have their own rules (KC101, KC102).

    ## Why is this bad?
    The call raises ``AttributeError``. The ``*_generator`` methods were deprecated in TF 2.1
    and removed in Keras 3: ``fit``, ``predict`` and ``evaluate`` accept generators and
    ``keras.utils.PyDataset`` directly. ``add_metric`` no longer exists in Keras 3.

    ## Example
    ```python
    model.fit_generator(train_gen, epochs=10)
    ```

    ## Use instead
    ```python
    model.fit(train_gen, epochs=10)
    ```

    ## Fix safety
    Safe for the generator methods (hand-written fact: the arguments are the same); none for
    the others.
    """

    code = "KC103"
    name = "removed-model-methods"
    summary = "Model or layer method removed from Keras"
    severity = Severity.ERROR
    VALID = (
        "import keras\nmodel.fit(train_gen, epochs=10)\n",
        "import keras\nclass Trainer:\n    def fit_generator(self, g):\n        pass\nTrainer().fit_generator(g)\nt = Trainer()\n"
        "t.fit_generator(g)\n",
        Valid(
            "import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n        self.add_metric(x)\n        return x\n", target_keras="2.15"
        ),
        Valid("import keras\nmodel = keras.Sequential()\nmodel.fit_generator(gen)\n", target_keras="1"),
        "import keras\nif hasattr(metric, 'reset_states'):\n    metric.reset_states()\n",
        "import keras\nmodel = keras.Sequential()\ntry:\n    model.fit_generator(gen)\nexcept AttributeError:\n    model.fit(gen)\n",
        "import keras\nmodel = keras.Sequential()\nif hasattr(model, 'fit_generator'):\n    model.fit_generator(gen)\nelse:\n    model.fit(gen)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nmodel.fit_generator(train_gen, epochs=10)\n",
            line=2,
            fixed="import keras\nmodel.fit(train_gen, epochs=10)\n",
        ),
        Invalid(
            "from tensorflow import keras\nm = keras.Sequential()\npreds = m.predict_generator(gen, steps=3)\n",
            fixed="from tensorflow import keras\nm = keras.Sequential()\npreds = m.predict(gen, steps=3)\n",
        ),
        Invalid(
            "import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n        self.add_metric(x, name='m')\n        return x\n",
            line=4,
            message="add_metric",
        ),
        Invalid("from keras.models import Model\nmodel = Model(inputs, outputs)\nmodel.add_metric(acc, name='acc')\n", line=3, message="add_metric"),
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit_generator(gen)\n",
            target_keras="2.15",
            message="deprecated",
            fixed="import keras\nmodel = keras.Sequential()\nmodel.fit(gen)\n",
        ),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.reset_states()\n", message="reset_state()"),
        Invalid(
            "import keras\nclass Vgg:\n    def fit_generator(self, b):\n        self.model.fit_generator(b)\n",
            line=4,
            fixed="import keras\nclass Vgg:\n    def fit_generator(self, b):\n        self.model.fit(b)\n",
        ),
    )

    def _is_model(self, receiver: cst.BaseExpression, name: str) -> bool:
        """A removed method other than the ``*_generator`` ones may still exist on layers or
        metrics (``reset_states``): only a receiver that visibly holds a model, or is named
        like one, counts."""
        if not _model_receiver(self.context, receiver, name):
            return False
        return name in facts.METHOD_REPLACEMENTS or self.context.semantic.is_model(receiver) or _names_a_model(receiver)

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None:
            return
        receiver, name = method
        if name in ("predict_classes", "predict_proba") or self.context.semantic.qualified(node.func) is not None:
            return
        target = target_for(self.context.target_keras, tf_keras=False)
        if target is None:
            return
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            if not self.context.enclosing_class_is_layer() or self.context.semantic.defines_method(name):
                return
            last, owner = target.removed_method("Layer", name), "Layer"
        else:
            last = target.removed_method("Model", name) or target.removed_method("Sequential", name)
            if last is None and name in facts.METHOD_REPLACEMENTS:
                last = "2.15"  # deprecated, still there in Keras 2: reported with its fix
            if last is None or not self._is_model(receiver, name):
                return
            owner = "Model"
        if last is None or _guarded_method_call(self.context, node):
            return
        new = facts.METHOD_REPLACEMENTS.get(name)
        if new is not None:
            assert isinstance(node.func, cst.Attribute)
            fix = m.fix(m.replace_in_source(self.context, node.func.attr, new), safe=True, message=f"Use `{new}`")
            when = "removed in Keras 3" if self.context.keras_major >= 3 else "deprecated since TF 2.1"
            self.report(node, f"`{name}` is {when}; `{new}` accepts generators and datasets", fix=fix)
            return
        advice = "; compute the metric in `compile(metrics=...)` or a custom `train_step`" if name == "add_metric" else ""
        if name == "reset_states":
            advice = "; call `reset_state()` on each stateful layer"
        self.report(node, f"`{owner}.{name}` is gone from {_target_name(self.context)} (last in {_release(last)}): calling it raises{advice}")


#: Modules whose classes' removed methods KC110 reports, with the base class of each.
_OBJECT_MODULES = {"keras.optimizers": "keras.optimizers.Optimizer", "keras.callbacks": "keras.callbacks.Callback"}


def _keras_class(context: FileContext, path: str | None) -> str | None:
    """``path`` (canonical) if it names a class of ``keras.optimizers``/``keras.callbacks``
    (a removed alias mapped to what it was: ``keras.optimizers.adam`` -> ``Adam``)."""
    if path is None or path.rpartition(".")[0] not in _OBJECT_MODULES:
        return None
    target = target_for(context.target_keras, tf_keras=False)
    return _current_name(target, path) if target is not None else path


class _KerasObjects:
    """Which optimizer/callback class an expression holds, from the semantic model's bindings:
    constructor calls (``Adam(...)``, ``MyCallback(...)`` of a class of the file deriving from a
    Keras one), names whose every binding is one, ``self``/``super()`` in such a class, and a
    model's ``optimizer`` attribute. No guess from variable names."""

    def __init__(self, context: FileContext) -> None:
        self.context = context

    def class_of(self, expr: cst.BaseExpression, depth: int = 0) -> tuple[str, cst.ClassDef | None] | None:
        """(Keras class path, class of this file in between or None) for what ``expr`` holds."""
        semantic = self.context.semantic
        if depth > 4:
            return None
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name) and func.value == "super" and self.context.classes:
                found = self.class_def(self.context.classes[-1], depth + 1)
                return (found[0], None) if found is not None else None  # ``super()`` is the Keras class
            path = _keras_class(self.context, semantic.qualified(func))
            if path is not None:
                return path, None
            if isinstance(func, cst.Name):
                for binding in semantic.lookup(func.value):
                    if binding.kind == "class" and isinstance(binding.node, cst.ClassDef):
                        return self.class_def(binding.node, depth + 1)
            return None
        if isinstance(expr, cst.Name):
            if expr.value == "self" and self.context.classes and self.context.functions:
                return self.class_def(self.context.classes[-1], depth + 1)
            found_all = [self.class_of(b.value, depth + 1) if b.value is not None else None for b in semantic.lookup(expr.value)]
            if found_all and all(f is not None and f[0] == found_all[0][0] for f in found_all):  # type: ignore[index]
                return found_all[0]
            return None
        if isinstance(expr, cst.Attribute) and expr.attr.value == "optimizer":
            holder = expr.value
            is_model = semantic.is_model(holder)
            if not is_model and dotted(holder) == "self.model":
                # ``self.model`` of a callback is the model Keras trains
                callback = self.class_of(cst.Name("self"), depth + 1)
                is_model = callback is not None and callback[0].startswith("keras.callbacks.")
            return ("keras.optimizers.Optimizer", None) if is_model else None
        return None

    def class_def(self, node: cst.ClassDef, depth: int) -> tuple[str, cst.ClassDef | None] | None:
        """The Keras optimizer/callback class ``node`` (a class of this file) derives from."""
        semantic = self.context.semantic
        if depth > 4:
            return None
        for base in node.bases:
            path = _keras_class(self.context, semantic.qualified(base.value))
            if path is not None:
                return path, node
            if isinstance(base.value, cst.Name):
                for binding in semantic.lookup(base.value.value):
                    if binding.kind == "class" and isinstance(binding.node, cst.ClassDef) and binding.node is not node:
                        found = self.class_def(binding.node, depth + 1)
                        if found is not None:
                            return found[0], node
        return None


def _defines(node: cst.ClassDef | None, method: str) -> bool:
    return node is not None and any(isinstance(s, cst.FunctionDef) and s.name.value == method for s in node.body.body)


class RemovedObjectMethods(Rule):
    """
    ## What it does
    Finds calls of optimizer and callback methods that the target Keras no longer has, and
    overrides of such methods in subclasses, from the generated API data
    (``kerascheck.keras_api``: the public methods of every ``keras.optimizers`` and
    ``keras.callbacks`` class of Keras 1.2, 2.3, 2.15 and 3). Examples: ``get_updates``,
    ``get_gradients``, ``get_weights`` (Keras 2.3 optimizers), ``minimize``,
    ``compute_gradients``, ``aggregate_gradients`` (Keras 2.15 optimizers, gone in Keras 3).

    The object must be one the semantic model knows: a Keras optimizer or callback built in
    the file (``opt = Adam(...)``, a subclass of one defined in the file), ``self`` or
    ``super()`` in such a subclass, or ``model.optimizer`` of a visible model. A variable's
    name alone never counts.

    ## Why is this bad?
    The call raises ``AttributeError``. An override is worse: nothing calls it any more, so a
    custom optimizer whose ``get_gradients`` changed the gradients (gradient centralisation,
    clipping) silently trains without the change.

    ## Example
    ```python
    class GCRMSprop(keras.optimizers.RMSprop):
        def get_gradients(self, loss, params):
            grads = super().get_gradients(loss, params)
            return [g - tf.reduce_mean(g) for g in grads]
    ```

    ## Use instead
    ```python
    grads = tape.gradient(loss, model.trainable_variables)
    grads = [g - tf.reduce_mean(g) for g in grads]
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    ```
    """

    code = "KC110"
    name = "removed-object-methods"
    summary = "Optimizer or callback method removed from Keras"
    severity = Severity.ERROR
    VALID = (
        "import keras\nopt = keras.optimizers.Adam(1e-3)\nopt.apply_gradients(zip(grads, variables))\n",
        # a variable named like an optimizer is not one
        "import keras\nopt = make_optimizer()\nupdates = opt.get_updates(loss, params)\n",
        Valid("import keras\nopt = keras.optimizers.Adam(1e-3)\nopt.minimize(loss, var_list)\n", target_keras="2.15"),
        "import keras\nclass Clip(keras.optimizers.Adam):\n    def clipped(self, grads):\n        return grads\nopt = Clip()\nopt.clipped(g)\n"
        "opt.apply(g)\n",
        "import keras\ncb = keras.callbacks.EarlyStopping()\ncb.set_model(model)\ncb.on_batch_begin(0)\n",
        "import keras\nopt = keras.optimizers.Adam(1e-3)\ntry:\n    w = opt.get_weights()\nexcept AttributeError:\n    w = opt.variables\n",
    )
    INVALID = (
        Invalid("import keras\nopt = keras.optimizers.Adam(1e-3)\nupdates = opt.get_updates(loss, params)\n", line=3, message="get_updates"),
        Invalid("from tensorflow.keras.optimizers import SGD\nsgd = SGD(0.1)\nsgd.minimize(loss, var_list)\n", line=3, message="minimize"),
        Invalid("import keras\nmodel = keras.Sequential()\nw = model.optimizer.get_weights()\n", line=3, message="variables"),
        Invalid(
            "import tensorflow as tf\nfrom tensorflow.keras.optimizers import RMSprop\nclass GC(RMSprop):\n"
            "    def get_gradients(self, loss, params):\n        return super().get_gradients(loss, params)\n",
            findings=[(4, 9), (5, 16)],
        ),
        Invalid("import keras\nopt = keras.optimizers.Adam(1e-3)\nopt.get_updates(loss, params)\n", target_keras="2.15", message="Keras 2.15"),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        self._objects = _KerasObjects(context)

    def _last(self, path: str, method: str) -> str | None:
        target = target_for(self.context.target_keras, tf_keras=False)
        return target.removed_class_method(path, method) if target is not None else None

    def _text(self, path: str, method: str, last: str) -> str:
        owner = path.rpartition(".")[2]
        advice = facts.REMOVED_METHOD_ADVICE.get(method)
        return f"`{owner}.{method}` is gone from {_target_name(self.context)} (last in {_release(last)})" + (f"; {advice}" if advice else "")

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None:
            return
        receiver, name = method
        found = self._objects.class_of(receiver)
        if found is None or _defines(found[1], name):
            return  # not a Keras optimizer/callback, or the file's subclass defines it itself
        last = self._last(found[0], name)
        if last is not None and not _guarded_method_call(self.context, node):
            self.report(node, self._text(found[0], name, last) + ": calling it raises AttributeError")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.classes or self.context.functions[-1:] != [node]:
            return
        cls = self.context.classes[-1]
        if not any(statement is node for statement in cls.body.body):
            return
        found = self._objects.class_def(cls, 0)
        last = self._last(found[0], node.name.value) if found is not None else None
        if found is not None and last is not None:
            self.report(node.name, self._text(found[0], node.name.value, last) + ": Keras never calls this override")


_FULL_MODEL_SAVERS = frozenset({"keras.models.save_model", "keras.saving.save_model"})
_CHECKPOINT = frozenset({"keras.callbacks.ModelCheckpoint"})


def _saves_weights_only(call: cst.Call) -> bool:
    return ah.is_true(ah.keyword_value(call, "save_weights_only"))


class LegacySaveFormat(Rule):
    """
    ## What it does
    Finds full-model saving to the legacy HDF5 format: ``model.save("m.h5")``,
    ``keras.models.save_model(model, "m.hdf5")``, ``ModelCheckpoint("best.h5")``.

    ## Why is this bad?
    Keras 3 still writes ``.h5`` but warns that it is legacy: it does not keep everything the
    native ``.keras`` format keeps, and some models do not load back (in Keras 3.15 an ``.h5``
    model compiled with ``loss="mse"`` fails to load). The ``.keras`` format round-trips.

    ## Example
    ```python
    model.save("model.h5")
    ```

    ## Use instead
    ```python
    model.save("model.keras")
    ```

    ## Fix safety
    Unsafe: the fix renames every string literal of the file that names the same file (the
    save, the ``load_model`` that reads it back, a checkpoint path held in a variable) and drops
    a ``save_format="h5"`` beside it; it offers no fix when a load builds the path from pieces it
    cannot rename. Code in *other* files that loads the old name must be updated by hand.
    """

    code = "KC104"
    name = "legacy-save-format"
    summary = "Full model saved in the legacy HDF5 format; use `.keras`"
    keras_versions = ">=3"
    VALID = (
        "import keras\nmodel = keras.Sequential()\nmodel.save('model.keras')\n",
        "import keras\nmodel = keras.Sequential()\nmodel.save_weights('w.weights.h5')\n",
        "import keras\ncb = keras.callbacks.ModelCheckpoint('w.weights.h5', save_weights_only=True)\n",
        "import h5py\nf.save('data.h5')\n",
        Valid("import keras\nmodel = keras.Sequential()\nmodel.save('model.h5')\n", target_keras="2.12"),
    )
    INVALID = (
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.save('model.h5')\n",
            line=3,
            fixed="import keras\nmodel = keras.Sequential()\nmodel.save('model.keras')\n",
        ),
        Invalid(
            "from tensorflow.keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint(f'{out}/best_{{epoch}}.h5', save_best_only=True)\n",
            fixed=(
                "from tensorflow.keras.callbacks import ModelCheckpoint\n"
                "cb = ModelCheckpoint(f'{out}/best_{{epoch}}.keras', save_best_only=True)\n"
            ),
        ),
        Invalid(
            "import tensorflow as tf\ntf.keras.models.save_model(model, 'm.hdf5')\n",
            line=2,
            fixed="import tensorflow as tf\ntf.keras.models.save_model(model, 'm.keras')\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        path = _saved_model_path(self, node)
        if path is None:
            return
        text = m.path_literal(path, self.context)
        if text is None:
            return
        for suffix in (".h5", ".hdf5"):
            if text.endswith(suffix) and not text.endswith(".weights.h5"):
                if suffix == ".hdf5" and self.context.semantic.qualified(node.func) in _CHECKPOINT:
                    return  # ModelCheckpoint rejects .hdf5 outright: KC105's business
                # Renames every literal use of the file (its loads too) and drops save_format="h5".
                fix = m.rename_path_fix(self.context, node, path, suffix, ".keras", "Save in the `.keras` format")
                self.report(node, f"full model saved in the legacy HDF5 format (`{suffix}`); save to `.keras` so it reloads faithfully", fix=fix)
                return


def _saved_model_path(rule: Rule, node: cst.Call) -> cst.BaseExpression | None:
    """The path argument of a full-model save (method, function or checkpoint), else None."""
    context = rule.context
    qualified = context.semantic.qualified(node.func)
    if qualified in _FULL_MODEL_SAVERS:
        return ah.argument(node, 1, "filepath")
    if qualified in _CHECKPOINT:
        return None if _saves_weights_only(node) else ah.argument(node, 0, "filepath")
    method = ah.method_call(node)
    if method is not None and method[1] == "save" and m.receiver_is_model(context, method[0], "save"):
        if qualified is not None:
            return None  # ``np.save``, ``joblib.save``...: a module function, not a model method
        return ah.argument(node, 0, "filepath")
    return None


class RejectedFilePath(Rule):
    """
    ## What it does
    Finds save/load paths that Keras 3 rejects with a ``ValueError``: ``model.save`` without an
    extension (the TF SavedModel directory of Keras 2), ``save_weights`` paths not ending in
    ``.weights.h5``, TF-checkpoint paths given to ``load_weights``, ``ModelCheckpoint`` paths
    ending ``.hdf5`` or with no extension (or, with ``save_weights_only=True``, not ending in
    ``.weights.h5``), and ``load_model`` of a SavedModel directory. Paths ending with a number
    (``ckpt + "." + str(epoch)``, ``"model_{:d}".format(i)``), ``tf.train.latest_checkpoint``
    prefixes and the defaults of absl flags (``FLAGS.weights``) count.

    ## Why is this bad?
    The script crashes at the end of training (saving) or at start-up (loading), often after
    hours of work. Keras 3 writes ``.keras`` (whole model) and ``.weights.h5`` (weights); a
    SavedModel directory is loaded for inference with ``keras.layers.TFSMLayer``.

    ## Example
    ```python
    model.save("saved_model/my_model")
    model.save_weights("ckpt/weights")
    ```

    ## Use instead
    ```python
    model.save("my_model.keras")
    model.save_weights("ckpt/model.weights.h5")
    ```
    """

    code = "KC105"
    name = "rejected-file-path"
    summary = "Keras 3 rejects this save/load path"
    severity = Severity.ERROR
    keras_versions = ">=3"
    VALID = (
        "import keras\nmodel = keras.Sequential()\nmodel.save('m.keras')\nmodel.save_weights('m.weights.h5')\nmodel.load_weights('m.weights.h5')\n",
        "import keras\nmodel = keras.Sequential()\nmodel.save(path)\n",
        "import keras\ncb = keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True)\n",
        "import keras\nm = keras.models.load_model('m.keras')\nm2 = keras.models.load_model('legacy.h5')\n",
        Valid("import keras\nmodel = keras.Sequential()\nmodel.save('saved_model/x')\n", target_keras="2.15"),
        # An epoch number inside a valid name; a name of unknown type at the end (may be a string).
        "import keras\nmodel = keras.Sequential()\nfor i in range(3):\n    model.save_weights('m_{:d}.weights.h5'.format(i))\n",
        "import keras\nmodel = keras.Sequential()\nmodel.save_weights(out + '.' + str(tag))\nmodel.save('model.h5')\n",
        "import keras\nm = keras.models.load_model('model_0.9.keras')\nm.load_weights(find_latest(ckpt_dir))\n",
        # A command-line flag the file itself sets: its default is not what runs.
        (
            "from absl import flags\nfrom absl.flags import FLAGS\nimport keras\n"
            "flags.DEFINE_string('weights', './checkpoints/yolov3.tf', 'path')\n"
            "FLAGS.weights = 'yolo.weights.h5'\nmodel = keras.Sequential()\nmodel.load_weights(FLAGS.weights)\n"
        ),
        # the part before the first dot of a known file name, but the name keeps its extension
        (
            "import keras\n"
            "def load(path):\n"
            "    return keras.models.load_model(path.split('/')[0])\n"
            "m = load('model.keras/extra')\n"
        ),
    )
    INVALID = (
        # the file name without anything after its first dot: a SavedModel directory unzipped
        Invalid(
            (
                "import keras\n"
                "MODELS = {'base': 'models/vit_base.zip', 'large': 'models/vit_large.zip'}\n"
                "def load(zip_path):\n"
                "    return keras.models.load_model(zip_path.split('.')[0])\n"
                "base = load(MODELS['base'])\n"
                "large = load(MODELS['large'])\n"
            ),
            line=4, message="TFSMLayer",
        ),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save('saved_model/my_model')\n", line=3, message="extension"),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save_weights('ckpt/weights')\n", line=3, message=".weights.h5"),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.load_weights('training_1/cp.ckpt')\n", line=3),
        Invalid("from keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint('best.hdf5', save_best_only=True)\n", line=2),
        Invalid("import keras\ncb = keras.callbacks.ModelCheckpoint('w.h5', save_weights_only=True)\n", line=2),
        Invalid("import tensorflow as tf\nm = tf.keras.models.load_model('exported_model')\n", line=2, message="TFSMLayer"),
        Invalid("import tensorflow as tf\nm = tf.keras.models.load_model('flower_model_0.96875')\n", line=2, message="TFSMLayer"),
        # The default of an absl flag (what runs without the command-line option).
        Invalid(
            (
                "from absl import flags\nimport keras\n"
                "flags.DEFINE_string('weights', './checkpoints/yolov3.tf', 'path to weights file')\n"
                "FLAGS = flags.FLAGS\nmodel = keras.Sequential()\nmodel.load_weights(FLAGS.weights)\n"
            ),
            line=6,
            message="yolov3.tf",
        ),
        Invalid(
            "import tensorflow as tf\nmodel = tf.keras.Sequential()\nlatest = tf.train.latest_checkpoint('ckpt')\nmodel.load_weights(latest)\n",
            line=4,
            message="TF-checkpoint",
        ),
        # A path ending with an epoch number (a Keras callback's ``epoch`` is an integer).
        Invalid(
            (
                "import keras\n"
                "class Save(keras.callbacks.Callback):\n"
                "    def __init__(self, prefix):\n"
                "        self.prefix = prefix\n"
                "    def on_epoch_end(self, epoch, logs=None):\n"
                "        self.model.save_weights(self.prefix + '.' + str(epoch))\n"
            ),
            line=6,
            message=".weights.h5",
        ),
        Invalid(
            (
                "import os\n"
                "import keras\n"
                "model = keras.Sequential()\n"
                "for i in range(10):\n"
                "    path = os.path.join(CHECKPOINTS, 'model_epoch_{:d}'.format(i + 1))\n"
                "    model.load_weights(path)\n"
            ),
            line=6,
            message="load_weights",
        ),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: ``load_model`` paths decided at the end of the file: (call, path, where).
        self._later: list[tuple[cst.Call, cst.BaseExpression, Site]] = []

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        qualified = context.semantic.qualified(node.func)
        if qualified in _CHECKPOINT:
            self._checkpoint(node)
            return
        if qualified in ("keras.models.load_model", "keras.saving.load_model"):
            path = ah.argument(node, 0, "filepath")
            text = m.path_literal(path, context)
            if text is not None and m.is_complete_path(path, context) and _no_extension(text):
                self._saved_model_load(node)
            elif path is not None:  # a parameter's value is known once the file's calls are seen
                self._later.append((node, path, context.semantic.here()))
            return
        method = ah.method_call(node)
        if method is None or qualified is not None:
            return
        receiver, name = method
        if name not in ("save", "save_weights", "load_weights") or not m.receiver_is_model(context, receiver, name):
            return
        path = ah.argument(node, 0, "filepath")
        digit = m.path_ends_in_number(path, context) or (name == "load_weights" and _tf_checkpoint_prefix(context, path))
        text = m.path_literal(path, context) or (_shown(context, path) if digit else None)
        if text is None:
            return
        complete = m.is_complete_path(path, context)
        if name == "save":
            if (complete and _no_extension(text)) or text.endswith((".tf", ".pb", "/")) or digit:
                self.report(
                    node,
                    "Keras 3 `model.save` needs a `.keras` (or legacy `.h5`) extension; "
                    "a SavedModel directory path raises ValueError (use `model.export(...)` for SavedModel)",
                )
        elif name == "save_weights":
            if not text.endswith(".weights.h5"):
                self.report(node, f"Keras 3 `save_weights` requires a path ending in `.weights.h5` (got `{text}`); it raises ValueError")
        elif text.endswith((".ckpt", ".index")) or (complete and _no_extension(text)) or digit or _unreadable_extension(text):
            self.report(node, f"Keras 3 `load_weights` cannot read TF-checkpoint paths (`{text}`); save and load `.weights.h5` files")

    def leave_Module(self, node: cst.Module) -> None:
        for call, path, site in self._later:
            if _dotless_name(self.context.semantic.value_of(path, site)):
                self._saved_model_load(call)

    def _saved_model_load(self, node: cst.Call) -> None:
        self.report(
            node,
            "Keras 3 `load_model` cannot load a SavedModel directory; "
            "wrap it with `keras.layers.TFSMLayer(path, call_endpoint='serving_default')` or re-save as `.keras`",
        )

    def _checkpoint(self, node: cst.Call) -> None:
        path = ah.argument(node, 0, "filepath")
        digit = m.path_ends_in_number(path, self.context)
        text = m.path_literal(path, self.context) or (_shown(self.context, path) if digit else None)
        if text is None:
            return
        complete = m.is_complete_path(path, self.context)
        if _saves_weights_only(node):
            if not text.endswith(".weights.h5"):
                self.report(
                    node,
                    f"with `save_weights_only=True`, Keras 3 `ModelCheckpoint` requires a path ending in `.weights.h5` "
                    f"(got `{text}`); it raises ValueError",
                )
        elif text.endswith(".hdf5") or (complete and _no_extension(text)) or digit:
            self.report(
                node, f"Keras 3 `ModelCheckpoint` requires a full-model path ending in `.keras` (got `{text}`); it raises ValueError at construction"
            )


def _shown(context: FileContext, path: cst.BaseExpression | None) -> str:
    """How a path whose text is not known is shown in a message: its source (``ckpt + str(e)``)."""
    return context.code(path).strip() if path is not None else ""


def _dotless_name(value: Value) -> bool:
    """A partly known path whose file name certainly holds no dot, so no extension: the known
    start's last component has none and the unknown rest has none (``zip_name.split(".")[0]``)."""
    return value.kind == "string" and not value.suffix and value.lacks == "." and "." not in value.prefix.rsplit("/", 1)[-1]


def _no_extension(path: str) -> bool:
    """The file name has no extension: no dot, or only a number after the last one
    (``flower_model_0.96875``, ``weights.0042``: a score or an epoch, not a file type)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "{" not in last and ("." not in last or last.rsplit(".", 1)[1].isdigit())


#: The endings Keras 3 ``load_weights`` reads (anything else raises ``File format not supported``).
_WEIGHT_ENDINGS = (".keras", ".weights.h5", ".weights.json", ".h5", ".hdf5")


def _unreadable_extension(path: str) -> bool:
    """The known ending shows the file name's extension, and Keras 3 ``load_weights`` does not
    read it (``yolov3.tf``, ``model.ckpt-100``)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "." in last and "{" not in last and not path.endswith(_WEIGHT_ENDINGS)


def _tf_checkpoint_prefix(context: FileContext, path: cst.BaseExpression | None) -> bool:
    """``path`` holds what ``tf.train.latest_checkpoint(...)`` returns: a TF checkpoint prefix."""
    if isinstance(path, cst.Name):
        bindings = context.semantic.lookup(path.value)
        return bool(bindings) and all(b.kind == "assign" and _tf_checkpoint_prefix(context, b.value) for b in bindings)
    return isinstance(path, cst.Call) and context.semantic.qualified(path.func) == "tensorflow.train.latest_checkpoint"


class RemovedArgument(Rule):
    """
    ## What it does
    Finds keyword arguments the target Keras rejects or silently ignores, from the generated
    API data (``kerascheck.keras_api``): every keyword an older Keras accepted for a public
    callable (layer, optimizer, callback, function) or a model method that the target no
    longer accepts. Examples: ``lr=`` and ``decay=`` on optimizers; ``nb_epoch``/``workers``/
    ``use_multiprocessing`` on ``fit``; Keras-1 layer arguments (``init``, ``border_mode``,
    ``subsample``, ``W_regularizer``, ``nb_filter``...); ``batch_input_shape`` on layers;
    ``period`` on ``ModelCheckpoint``; ``save_format`` on ``model.save``.

    ## Why is this bad?
    Most raise ``TypeError``/``ValueError``. ``decay=`` is worse: Keras 3 accepts it with a
    warning and then ignores it, so the learning-rate schedule you think you train with is not
    applied. Use a ``keras.optimizers.schedules`` schedule instead.

    ## Example
    ```python
    opt = keras.optimizers.Adam(lr=1e-3, decay=1e-6)
    model.fit(x, y, nb_epoch=10)
    Conv2D(32, (3, 3), border_mode="same", W_regularizer=l2(0.01))
    ```

    ## Use instead
    ```python
    schedule = keras.optimizers.schedules.InverseTimeDecay(1e-3, decay_steps=1, decay_rate=1e-6)
    opt = keras.optimizers.Adam(learning_rate=schedule)
    model.fit(x, y, epochs=10)
    Conv2D(32, (3, 3), padding="same", kernel_regularizer=l2(0.01))
    ```

    ## Fix safety
    Safe for one-to-one renames: those Keras 2 itself applied to Keras-1 keywords
    (``border_mode`` -> ``padding``, ``init`` -> ``kernel_initializer``...) and the hand-written
    ``lr`` -> ``learning_rate``, ``nb_epoch`` -> ``epochs``. None where the value changes too
    (``dim_ordering='tf'``, ``samples_per_epoch``) or the new keyword is already given.
    """

    code = "KC106"
    name = "removed-argument"
    summary = "Argument removed (or silently ignored) by Keras"
    severity = Severity.ERROR
    VALID = (
        "import keras\nopt = keras.optimizers.Adam(learning_rate=1e-3)\nmodel.fit(x, y, epochs=3)\n",
        "import keras\nfrom sklearn.svm import SVC\nclf = SVC(decay=1)\n",
        "import keras\nimport torch\nopt = torch.optim.SGD(params, lr=0.1)\n",
        "import keras\nd = keras.layers.Dense(10, input_shape=(4,), kernel_initializer='he_normal')\n",
        Valid("import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, workers=4, use_multiprocessing=True)\n", target_keras="2.15"),
        Valid("from tensorflow.keras.optimizers import Adam\nopt = Adam(lr=0.001)\n", target_keras="2.15"),
        "import keras\nif keras.__version__.startswith('2.'):\n    opt = keras.optimizers.Adam(lr=1e-3)\n"
        "else:\n    opt = keras.optimizers.Adam(learning_rate=1e-3)\n",
        "import keras\ntry:\n    opt = keras.optimizers.Adam(lr=1e-3)\n"
        "except (TypeError, ValueError):\n    opt = keras.optimizers.Adam(learning_rate=1e-3)\n",
    )
    INVALID = (
        Invalid(
            "from tensorflow.keras.optimizers import Adam\nopt = Adam(lr=0.001)\n",
            line=2,
            fixed="from tensorflow.keras.optimizers import Adam\nopt = Adam(learning_rate=0.001)\n",
        ),
        Invalid("import keras\nopt = keras.optimizers.SGD(learning_rate=0.1, decay=1e-6)\n", message="ignored"),
        # Keras 3 optimizers reject ``lr`` with ValueError: a TypeError handler does not catch
        # it; and an ignored keyword only warns, which no handler catches
        Invalid(
            "import keras\ntry:\n    opt = keras.optimizers.Adam(lr=1e-3)\nexcept TypeError:\n    opt = None\n",
            line=3,
            fixed="import keras\ntry:\n    opt = keras.optimizers.Adam(learning_rate=1e-3)\nexcept TypeError:\n    opt = None\n",
        ),
        Invalid("import keras\ntry:\n    opt = keras.optimizers.SGD(decay=1e-6)\nexcept Exception:\n    opt = None\n", message="ignored"),
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, nb_epoch=5)\n",
            fixed="import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, epochs=5)\n",
        ),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.fit(gen, workers=4, use_multiprocessing=True)\n", count=2),
        Invalid(
            "from keras.layers import Dense\nd = Dense(10, init='uniform', W_regularizer=reg)\n",
            count=2,
            fixed="from keras.layers import Dense\nd = Dense(10, kernel_initializer='uniform', kernel_regularizer=reg)\n",
        ),
        Invalid(
            "from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), border_mode='same', subsample=(2, 2))\n",
            count=2,
            fixed="from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), padding='same', strides=(2, 2))\n",
        ),
        Invalid("from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), dim_ordering='tf')\n", target_keras="2.15", message="data_format"),
        Invalid("import keras\nd = keras.layers.Dense(4, batch_input_shape=(None, 3))\n"),
        Invalid("from keras.layers.recurrent import LSTM\nl = LSTM(4, stateful=True, batch_input_shape=(2, 3, 1))\n", message="batch_input_shape"),
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit_generator(g, nb_epoch=2)\n",
            fixed="import keras\nmodel = keras.Sequential()\nmodel.fit_generator(g, epochs=2)\n",
        ),
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit_generator(g, samples_per_epoch=100, nb_worker=4)\n",
            count=2,
            message="steps_per_epoch",
        ),
        Invalid("import keras\ncb = keras.callbacks.ModelCheckpoint('m.keras', period=5)\n"),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save('m', save_format='tf')\n", message="save_format"),
        # a callable Keras 3 dropped: what it had lost while Keras 2 still had it
        Invalid(
            "from keras.preprocessing import image\ngen = image.ImageDataGenerator(rotation_range=10, dim_ordering='tf')\n", message="dim_ordering"
        ),
        # a removed alias: judged as what it was (``Deconvolution2D`` was ``Conv2DTranspose``)
        Invalid(
            "from keras.layers import *\nup = Deconvolution2D(8, (3, 3), border_mode='same', subsample=(2, 2))\n",
            count=2,
            fixed="from keras.layers import *\nup = Deconvolution2D(8, (3, 3), padding='same', strides=(2, 2))\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not any(arg.keyword is not None for arg in node.args):
            return
        removed = self._removed(node)
        if not removed:
            return
        given = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value not in removed:
                continue
            entry = removed[arg.keyword.value]
            # A rejected keyword raises TypeError or ValueError (which one depends on the
            # callable): a fallback must catch both. An ignored one only warns.
            if _guarded(self.context, node, raises=() if entry.ignored else ("TypeError", "ValueError")):
                continue
            new = entry.replacement or facts.KEYWORD_RENAMES.get(entry.keyword, "")
            message, fix = self._message(entry, new), None
            plain = not entry.value_converted and entry.keyword not in facts.COUNT_CHANGING_RENAMES
            if new and plain and new not in given and not entry.ignored:
                fix = m.fix(m.replace_in_source(self.context, arg.keyword, new), safe=True, message=f"Rename to `{new}`")
            self.report(arg, message, fix=fix)

    def _message(self, entry: RemovedKeyword, new: str) -> str:
        name = f"`{entry.keyword}=`"
        if entry.ignored:
            return f"{name} is accepted with a warning and then silently ignored by {_target_name(self.context)} ({entry.message[6:]})" + (
                "; use a `keras.optimizers.schedules` learning-rate schedule" if entry.keyword == "decay" else ""
            )
        if new:
            text = f"{name} was removed; use `{new}=`"
            if entry.value_converted or entry.keyword in facts.COUNT_CHANGING_RENAMES:
                text += " (its value means something else: convert it too)"
            return text
        since = f" (last in {_release(entry.last)})" if entry.last else ""
        text = f"{name} is not accepted by {_target_name(self.context)}{since}"
        return f"{text}: {entry.message}" if entry.message else text

    def _removed(self, node: cst.Call) -> Mapping[str, RemovedKeyword]:
        raw = self.context.semantic.raw_qualified(node.func)
        if raw is not None:
            qualified = canonical(raw)
            target = _keras_target(self.context, raw) if qualified.startswith("keras.") else None
            if target is None:
                return {}
            current = _current_name(target, qualified)
            found = target.removed_keywords(current)
            last_keras2 = target_for("2.15", tf_keras=False)
            if not found and target.removed(current) is not None and last_keras2 is not None and last_keras2 is not target:
                # A callable the target dropped (``ImageDataGenerator``): the keywords it had
                # already lost while Keras 2 still had it (``dim_ordering``) are wrong either way.
                found = last_keras2.removed_keywords(_current_name(last_keras2, qualified))
            return found
        method = ah.method_call(node)
        if method is None or not _model_receiver(self.context, method[0], method[1]):
            return {}
        target = target_for(self.context.target_keras, tf_keras=False)
        if target is None:
            return {}
        name = method[1]
        found = dict(target.removed_method_keywords("Model", name))
        replacement = facts.METHOD_REPLACEMENTS.get(name)
        if replacement is not None and target.removed_method("Model", name) is not None:
            # KC103 rewrites the call to ``replacement``: judge its keywords against that.
            given = [arg.keyword.value for arg in node.args if arg.keyword is not None]
            found.update(target.rejected_by_model_method(replacement, given, old_method=name))
        fact = facts.METHOD_KEYWORD_FACTS.get((name, "save_format"))
        if fact is not None and self.context.keras_major >= 3:
            found["save_format"] = RemovedKeyword("save_format", "2.15", "", False, fact)
        return found


class RemovedModule(Rule):
    """
    ## What it does
    Finds imports and uses of Keras modules and names that the target Keras does not have, from
    the generated API data (``kerascheck.keras_api``): every module and public name an older
    Keras (1.2, 2.3, 2.15) had that the target lacks. Examples: ``keras.layers.recurrent``,
    ``keras.layers.advanced_activations``, ``keras.utils.np_utils``, ``keras.utils.generic_utils``,
    ``keras.engine``, ``keras.wrappers.scikit_learn``, ``multi_gpu_model``, Keras-1 ``Merge``/
    ``merge``, ``CuDNNLSTM``, and ``keras.backend`` functions Keras 3 dropped (``K.function``,
    ``K.set_session``, ``K.placeholder``...). Under Keras 3, code reaching Keras through
    ``tf.keras`` is checked against ``tf.keras``, which keeps some legacy names
    (``ImageDataGenerator``). Names Keras 3 keeps only as stubs that raise
    (``keras.optimizers.legacy.Adam``) count as removed. ``set_learning_phase`` and
    ``learning_phase`` are reported by KC204.

    Uses the code guards itself are not reported: in the ``try:`` body of a ``try`` whose
    handler catches what the use raises and falls back, under ``if hasattr(M, "name")`` for
    ``M.name``, or in a branch a TensorFlow/Keras version test never runs on the target
    (``if tf_major == 1:``); see :mod:`kerascheck.static.compat_guards`. Assigning a name to a
    module (``saving.name = ...``, a shim) is not a use.

    ## Why is this bad?
    The import fails (``ModuleNotFoundError``/``ImportError``) or the attribute access raises
    ``AttributeError`` on the target Keras.

    ## Example
    ```python
    from keras.layers.advanced_activations import LeakyReLU
    from keras.utils.np_utils import to_categorical
    from keras.utils import multi_gpu_model
    ```

    ## Use instead
    ```python
    from keras.layers import LeakyReLU
    from keras.utils import to_categorical
    # multi_gpu_model: build the model inside tf.distribute.MirroredStrategy().scope()
    ```

    ## Fix safety
    Where the target keeps every imported name under the same name, ``from ... import``
    statements are rewritten to import each name from its new module (one statement per
    module), and attribute chains (``tf.keras.layers.experimental.preprocessing.Rescaling``)
    are shortened. Safe when the new module is in the same Keras package as the old one
    (``keras.layers.recurrent`` -> ``keras.layers``), unsafe otherwise
    (``keras.engine.topology.Layer`` -> ``keras.Layer``).
    """

    code = "KC107"
    name = "removed-module"
    summary = "Module or name removed from Keras"
    severity = Severity.ERROR
    VALID = (
        "from tensorflow.keras.layers import Rescaling\nfrom keras.utils import to_categorical\n",
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n",
        "import tensorflow as tf\ngen = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1/255)\n",
        "from keras import backend as K\nK.clear_session()\nK.epsilon()\n",
        Valid("from tensorflow.keras.layers.experimental.preprocessing import Rescaling\n", target_keras="2.12"),
        Valid("from keras.utils import multi_gpu_model\n", target_keras="1"),
        Valid("from tensorflow.compat.v1.keras.layers import CuDNNLSTM\n", target_keras="2.15"),
        # names of a star import that Keras 3 still has, and star-bound names the file rebinds
        "from keras.layers import *\nfrom keras.models import *\nm = Sequential([Dense(3), Convolution2D(8, 3)])\ndef Merge(*a):\n    return a\n"
        "Merge(1)\n",
        "from keras.layers import *\ndef join(merge, a, b):\n    return merge([a, b])\n",
        # compatibility guards: a ``try`` body with a fallback handler, ``hasattr``, a version test
        "import tensorflow as tf\ntry:\n    tf.keras.backend.get_session()\nexcept AttributeError:\n    pass\n",
        "try:\n    from keras.utils import multi_gpu_model\nexcept ImportError:\n    multi_gpu_model = None\n",
        "from tensorflow.keras import optimizers\nif hasattr(optimizers, 'optimizer_from_config'):\n"
        "    c = optimizers.optimizer_from_config(config)\n"
        "else:\n    c = optimizers.deserialize(config)\n",
        "import keras\nif not hasattr(keras.utils, 'multi_gpu_model'):\n"
        "    multi_gpu_model = None\nelse:\n    from keras.utils import multi_gpu_model\n",
        "import tensorflow as tf\ntf_major = int(tf.__version__.split('.')[0])\nif tf_major == 1:\n    from keras.layers import LocallyConnected2D\n",
        "import tensorflow as tf\ndef tf_major():\n    return int(tf.__version__.split('.', maxsplit=1)[0])\ndef build():\n    if tf_major() == 1:\n"
        "        from keras.layers import LocallyConnected2D\n",
        "import keras\nif keras.__version__ < '2.4':\n    from keras.utils import multi_gpu_model\n",
        "import tensorflow as tf\nif tf.__version__.startswith('1.'):\n    from keras.layers import CuDNNLSTM\n",
        "import tensorflow as tf\nfrom packaging import version\nif version.parse(tf.__version__) < version.parse('2.0'):\n"
        "    from keras.utils import multi_gpu_model\n",
        # a shim that sets the name where it is missing: assigning never raises
        "from keras import utils\nif not hasattr(utils, 'multi_gpu_model'):\n    utils.multi_gpu_model = None\n",
    )
    INVALID = (
        Invalid(
            "from tensorflow.keras.layers.experimental.preprocessing import Rescaling\n",
            line=1,
            fixed="from tensorflow.keras.layers import Rescaling\n",
        ),
        Invalid(
            "from keras.utils.np_utils import to_categorical\n",
            fixed="from keras.utils import to_categorical\n",
        ),
        Invalid(
            "from keras.layers.advanced_activations import LeakyReLU, PReLU\n",
            fixed="from keras.layers import LeakyReLU, PReLU\n",
        ),
        Invalid(
            "from keras.layers.recurrent import LSTM\nfrom keras.layers.embeddings import Embedding\n",
            count=2,
            fixed="from keras.layers import LSTM\nfrom keras.layers import Embedding\n",
        ),
        Invalid("from keras.wrappers.scikit_learn import KerasClassifier\n", message="SKLearnClassifier"),
        Invalid("from keras.preprocessing.image import ImageDataGenerator\n"),
        Invalid(
            "import tensorflow as tf\nx = tf.keras.layers.experimental.preprocessing.Rescaling(1/255)\n",
            count=1,
            fixed="import tensorflow as tf\nx = tf.keras.layers.Rescaling(1/255)\n",
        ),
        Invalid("from keras import backend as K\nsess = K.get_session()\n", line=2),
        Invalid("from keras import backend as K\nf = K.function([model.input], [model.output])\n", line=2, message="keras.backend.function"),
        Invalid("from keras.layers import CuDNNLSTM\n"),
        Invalid("from tensorflow.compat.v1.keras.layers import CuDNNLSTM\n", message="CuDNNLSTM"),
        Invalid("from keras.utils import multi_gpu_model\n", message="MirroredStrategy"),
        Invalid("from keras.utils import multi_gpu_model\n", target_keras="2.15"),
        Invalid("from keras.layers import Merge, Dense\n", message="Concatenate"),
        Invalid("from keras.layers.merge import add, concatenate\n", fixed="from keras.layers import add, concatenate\n"),
        Invalid("from keras.utils.generic_utils import Progbar\n", fixed="from keras.utils import Progbar\n"),
        Invalid("from keras.optimizers.legacy import Adam\n", fixed="from keras.optimizers import Adam\n"),
        # Keras-1 ``merge`` calls: the function of their mode, when every argument maps
        Invalid(
            "from keras.layers import *\nx = merge([a, b], mode='concat', concat_axis=1)\ny = merge([x, c])\n"
            "z = merge([q, k], mode='dot', dot_axes=2)\n",
            count=3,
            fixed="from keras.layers import *\nx = concatenate([a, b], axis=1)\ny = add([x, c])\nz = dot([q, k], axes=2)\n",
        ),
        Invalid(
            "from keras.layers import *\nx = merge([a, b], mode='cos', name='sim')\n",
            fixed="from keras.layers import *\nx = dot([a, b], name='sim', axes=-1, normalize=True)\n",
        ),
        Invalid(
            "from keras.layers import *\nx = merge([a, b], mode=f)\ny = merge([a, b], mode='concat', output_shape=s)\n",
            count=2,
            message="merge layers",
        ),
        # names a star import bound, which no import statement of the file shows
        Invalid(
            "from keras.layers import *\nup = Deconvolution2D(8, 3, 3, (None, 8, 8, 8))(x)\n",
            line=2,
            message="keras.layers.Conv2DTranspose",
            fixed="from keras.layers import *\nup = Conv2DTranspose(8, 3, 3, (None, 8, 8, 8))(x)\n",
        ),
        Invalid(
            "from keras import initializations\nw = initializations.uniform((3, 3), scale=0.1)\n", count=2, message="keras.initializers.RandomUniform"
        ),
        # one finding per imported name, however often the statement lists it
        Invalid("from tensorflow.keras.models import model_from_config, Sequential, model_from_config\n", count=1),
        # only ``tf.keras`` lacks the name: the message says so
        Invalid("import tensorflow as tf\nloss = tf.keras.losses.mean_squared_error\n", message="`tf.keras` of Keras 3"),
        # the fallback's own uses are judged; a handler that raises again or catches something
        # else, a ``try`` around a definition, a live version branch and ``hasattr`` on another
        # name guard nothing
        Invalid(
            "import tensorflow as tf\ntry:\n    tf.keras.backend.get_session()\n"
            "except AttributeError:\n    tf.compat.v1.keras.backend.get_session()\n",
            findings=[(5, 5)],
        ),
        Invalid("try:\n    from keras.utils import multi_gpu_model\nexcept ImportError:\n    raise ImportError('needs Keras 2')\n", line=2),
        Invalid("from keras import backend as K\ntry:\n    K.get_session()\nexcept ImportError:\n    pass\n", line=3),
        Invalid("try:\n    def f():\n        from keras.utils import multi_gpu_model\nexcept ImportError:\n    pass\n", line=3),
        Invalid(
            "import tensorflow as tf\ntf_major = int(tf.__version__.split('.')[0])\n"
            "if tf_major == 1:\n    from keras.layers import LocallyConnected2D\n"
            "else:\n    from tensorflow.keras.layers import LocallyConnected2D\n",
            line=6,
            count=1,
        ),
        Invalid("from keras import backend as K\nif hasattr(K, 'epsilon'):\n    K.get_session()\n", line=3),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: Inner nodes of an attribute chain already reported through its outermost node.
        self._inner: set[int] = set()
        #: Attributes assigned to (``module.name = value``), which never raise.
        self._stores: set[int] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        raw_module = dotted(node.module) or ""
        module = canonical(raw_module)
        target = _keras_target(self.context, raw_module) if module.split(".", 1)[0] == "keras" else None
        if target is None:
            return
        aliases = [] if isinstance(node.names, cst.ImportStar) else [a for a in node.names if isinstance(a.name, cst.Name)]
        removed = target.removed(module)
        if removed is not None:
            names = [_imported_name(a) for a in aliases]
            if _guarded(self.context, node, raises=("ModuleNotFoundError",), uses=[module]):
                return
            fix = self._import_fix(node, raw_module, module, removed, aliases)
            self.report(node, self._message(removed, names, target), fix=fix)
            return
        reported: set[str] = set()  # ``from m import a, b, a``: one ImportError, one finding
        for alias in aliases:
            full = f"{module}.{_imported_name(alias)}"
            found = target.removed(full)
            if found is None or full in learning_phase_names() or full in reported:
                continue
            reported.add(full)
            if _guarded(self.context, node, raises=("ImportError",), uses=[full]):
                continue
            fix = None
            if found.replacement and len(aliases) == 1 and not found.is_module:
                new_module = found.replacement.rpartition(".")[0]
                if new_module != module:
                    text = f"from {_respell(raw_module, module, new_module)} import {_alias_text(self.context, alias)}"
                    fix = m.fix(
                        m.replace_in_source(self.context, node, text), safe=_same_package(new_module, module), message=f"Import from `{new_module}`"
                    )
            self.report(node, self._message(found, [], target), fix=fix)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            raw = dotted(alias.name) or ""
            name = canonical(raw)
            target = _keras_target(self.context, raw) if name.split(".", 1)[0] == "keras" else None
            found = target.removed(name) if target is not None else None
            if found is not None and target is not None and not _guarded(self.context, node, raises=("ModuleNotFoundError",), uses=[name]):
                self.report(node, self._message(found, [], target))
                return

    def visit_Call(self, node: cst.Call) -> None:
        """Calls of a bare name: Keras-1 ``merge(...)`` however it was imported, and names a
        star import bound (``from keras.layers import *`` here or in a project module the file
        star-imports), which no import statement of this file shows. Attribute chains are
        judged in :meth:`visit_Attribute`."""
        func = node.func
        raw = self.context.semantic.raw_qualified(func) if isinstance(func, cst.Name) else None
        if raw is None or self.context.in_import:
            return
        qualified = canonical(raw)
        target = _keras_target(self.context, raw) if qualified.startswith("keras.") else None
        found = target.removed(qualified) if target is not None else None
        if target is None or found is None or qualified in learning_phase_names():
            return
        bindings = self.context.semantic.lookup(func.value)  # type: ignore[attr-defined]
        if any(binding.kind != "import" for binding in bindings):
            return  # the file's own ``merge`` (a function, a parameter...)
        if qualified.rpartition(".")[2] == "merge" and qualified.startswith(("keras.layers.", "keras.engine.")):
            if not _guarded(self.context, node, uses=[qualified]):
                self._merge(node)
            return
        if bindings:
            return  # imported by this file: its import statement is reported
        rest = qualified[len(found.name) + 1 :] if found.is_module else ""
        if found.is_module and (not rest or found.moved(rest)):
            return  # the name itself lives on (the star import's module is what is gone)
        if _guarded(self.context, node, raises=("NameError",), uses=[qualified]):
            return  # a name the star import did not bind raises NameError
        fix = None
        spelled = _spelling(self.context, found.replacement) if found.replacement else None
        if spelled is not None:
            safe = _same_package(found.replacement.rpartition(".")[0], found.name.rpartition(".")[0])
            fix = m.fix(m.replace_in_source(self.context, func, spelled), safe=safe, message=f"Use `{spelled}`")
        self.report(func, self._message(found, [rest] if rest else [], target), fix=fix)

    def _merge(self, node: cst.Call) -> None:
        """Keras-1 ``merge(inputs, mode=...)``: the Keras 2+ function for its mode."""
        semantic = self.context.semantic
        mode_arg = ah.argument(node, 1, "mode")
        mode = "sum" if mode_arg is None else semantic.string_value(mode_arg)
        spec = facts.MERGE_MODES.get(mode or "")
        text = f"Keras-1 `merge(...)` does not exist in Keras 2 or later (last in {_release('1')})"
        if spec is None:
            self.report(node, f"{text}; {facts.advice_for('keras.layers.merge')}")
            return
        function, renames, defaults = spec
        keywords = [arg for arg in node.args if arg.keyword is not None and arg.keyword.value in renames]
        given = {renames[arg.keyword.value]: self.context.code(arg.value) for arg in keywords if arg.keyword is not None}
        extra = "".join(f", {k}={v}" for k, v in {**defaults, **given}.items())
        text += f"; `mode={mode!r}` is `keras.layers.{function}(inputs{extra})`"
        self.report(node, text, fix=self._merge_fix(node, function, renames, defaults))

    def _merge_fix(self, node: cst.Call, function: str, renames: Mapping[str, str], defaults: Mapping[str, str]) -> Fix | None:
        """Offered when every argument maps (inputs, mode, the mode's keywords, ``name``)."""
        spelled = _spelling(self.context, f"keras.layers.{function}")
        positional = ah.positional(node)
        if spelled is None or ah.has_star_args(node) or len(positional) > 2:
            return None
        inputs = ah.argument(node, 0, "inputs")
        if inputs is None:
            return None
        arguments = [self.context.code(inputs)]
        given: set[str] = set()
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value in ("inputs", "mode"):
                continue
            keyword = arg.keyword.value
            if keyword != "name" and keyword not in renames:
                return None  # ``output_shape``, ``arguments``...: no Keras 2 equivalent here
            new = renames.get(keyword, keyword)
            given.add(new)
            arguments.append(f"{new}={self.context.code(arg.value)}")
        arguments += [f"{k}={v}" for k, v in defaults.items() if k not in given]
        replacement = f"{spelled}({', '.join(arguments)})"
        # Unsafe: the layer's automatic name changes (``merge_1`` -> ``concatenate_1``), which
        # matters to weights loaded by name.
        return m.fix(m.replace_in_source(self.context, node, replacement), safe=False, message=f"Use `{spelled}`")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._stores.add(id(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._stores.add(id(node.target))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._inner or self.context.in_import or id(node) in self._stores:
            return  # ``saving.name = ...`` sets the name: only its holder must exist (judged by itself)
        raw = self.context.semantic.raw_qualified(node)
        if raw is None:
            return
        qualified = canonical(raw)
        target = _keras_target(self.context, raw) if qualified.startswith("keras.") else None
        found = target.removed(qualified) if target is not None else None
        if target is None or found is None or qualified in learning_phase_names():
            return
        if _guarded(self.context, node, raises=("AttributeError",), uses=[qualified]):
            return
        rest = qualified[len(found.name) + 1 :]
        new = found.replacement if not found.is_module else (found.moved(rest) if rest and "." not in rest and not found.successor else "")
        fix = None
        local = self.context.code(node)
        suffix = qualified[len("keras") :]
        if new and local.endswith(suffix) and "\n" not in local:
            text = local[: len(local) - len(suffix)] + new[len("keras") :]
            old_module = found.name if found.is_module else found.name.rpartition(".")[0]
            fix = m.fix(
                m.replace_in_source(self.context, node, text), safe=_same_package(new.rpartition(".")[0], old_module), message=f"Use `{text}`"
            )
        self.report(node, self._message(found, [rest] if found.is_module and rest else [], target), fix=fix)
        inner = node.value
        while isinstance(inner, cst.Attribute):
            self._inner.add(id(inner))
            inner = inner.value

    def _message(self, removed: Removed, names: Sequence[str], target: TargetApi) -> str:
        kind = "module" if removed.is_module else "name"
        where = _target_name(self.context)
        keras_package = target_for(self.context.target_keras, tf_keras=False)
        if target.label.endswith("-tf") and keras_package is not None and keras_package.removed(removed.name) is None:
            where = f"`tf.keras` of {where} (the `keras` package has it)"
        text = f"{kind} `{removed.name}` does not exist in {where} (last in {_release(removed.last)})"
        if removed.successor:
            text += f"; Keras 2 renamed it `{removed.successor}`"
        moves = [f"`{name}` is `{removed.moved(name)}`" for name in names if removed.moved(name)]
        advice = facts.advice_for(f"{removed.name}.{names[0]}" if removed.is_module and len(names) == 1 else removed.name)
        if removed.replacement:
            return f"{text}; use `{removed.replacement}`"
        if moves and len(moves) == len(names):
            return f"{text}; " + ", ".join(moves[:4])
        if advice:
            return f"{text}; {advice}"
        return text + (("; " + ", ".join(moves[:4])) if moves else "")

    def _import_fix(self, node: cst.ImportFrom, raw_module: str, module: str, removed: Removed, aliases: Sequence[cst.ImportAlias]) -> Fix | None:
        """``from old import a, b`` -> one ``from new import ...`` per module the names moved to."""
        if not aliases:
            return None
        groups: dict[str, list[str]] = {}
        for alias in aliases:
            new = removed.moved(_imported_name(alias))
            if not new or removed.successor:
                return None  # a renamed module's names changed meaning: advice only
            groups.setdefault(new.rpartition(".")[0], []).append(_alias_text(self.context, alias))
        statements = [f"from {_respell(raw_module, module, new)} import {', '.join(names)}" for new, names in groups.items()]
        line, column, _, _ = self.context.source_range(node)
        before = self.context.source.splitlines()[line - 1][: column - 1]
        separator = "\n" + before if not before.strip() else "; "
        safe = all(_same_package(new, removed.name) for new in groups)
        return m.fix(m.replace_in_source(self.context, node, separator.join(statements)), safe=safe, message=f"Import from `{'`, `'.join(groups)}`")


def _respell(raw: str, canonical_name: str, new: str) -> str:
    """``new`` (canonical ``keras.``) spelled with the Keras prefix ``raw`` was written with
    (``tensorflow.keras.layers.x`` with ``keras.layers`` -> ``tensorflow.keras.layers``)."""
    root = raw[: len(raw) - len(canonical_name) + len("keras")]
    return root + new[len("keras") :]


def _imported_name(alias: cst.ImportAlias) -> str:
    """The name a ``from ... import`` alias imports (aliases here are plain names)."""
    return alias.name.value if isinstance(alias.name, cst.Name) else ""


def _alias_text(context: FileContext, alias: cst.ImportAlias) -> str:
    text = context.code(alias.name)
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        text += f" as {alias.asname.name.value}"
    return text


def _same_package(new_module: str, old_module: str) -> bool:
    """Both under the same ``keras.<package>`` (``keras.layers.recurrent`` -> ``keras.layers``)."""
    return new_module.split(".")[:2] == old_module.split(".")[:2]


class PrivateKerasApi(Rule):
    """
    ## What it does
    Finds uses of Keras internals: imports from ``keras.src`` or ``tensorflow.python.keras``,
    and underscored attributes of Keras modules or models (``model._make_predict_function``,
    ``keras.backend._get_available_gpus``).

    ## Why is this bad?
    Private APIs change without notice between Keras releases; code using them breaks on the
    next upgrade, often silently changing behaviour first.

    ## Example
    ```python
    from keras.src.engine import data_adapter
    model._make_predict_function()
    ```

    ## Use instead
    Use the public API (``keras.*``, ``model.predict``); if you need an internal, pin the Keras
    version and isolate the use behind one helper.
    """

    code = "KC108"
    name = "private-keras-api"
    summary = "Use of a private Keras API"
    VALID = (
        "import keras\nclass M(keras.Model):\n    def call(self, x):\n        return self._dense(x)\n",
        "import keras\nprint(keras.__version__)\n",
        "try:\n    from tensorflow.python.keras import backend_config\nexcept ImportError:\n    backend_config = None\n",
        "import tensorflow as tf\nif tf.__version__.startswith('1.'):\n    from tensorflow.python.keras.layers import Dense\n",
        "import keras\nmodel = keras.Sequential()\nif hasattr(model, '_make_predict_function'):\n    model._make_predict_function()\n",
    )
    INVALID = (
        Invalid("from keras.src.engine import data_adapter\n", line=1),
        Invalid("from tensorflow.python.keras.layers import Dense\n", line=1),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel._make_predict_function()\n", line=3),
        Invalid("from keras import backend as K\ngpus = K._get_available_gpus()\n", line=2),
    )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        self._check_module(node, dotted(node.module) or "", "ImportError")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._check_module(node, dotted(alias.name) or "", "ModuleNotFoundError")

    def _check_module(self, node: cst.CSTNode, module: str, raises: str) -> None:
        name = canonical(module)
        if name == "keras.src" or name.startswith("keras.src.") or module.startswith("tensorflow.python.keras"):
            # The code may probe a private module and fall back when it is gone.
            if not _guarded(self.context, node, raises=(raises,), uses=[name]):
                self.report(node, f"`{module}` is a private Keras module; import from the public `keras` API")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if self.context.in_import or not attr.startswith("_") or attr.startswith("__"):
            return
        qualified = self.context.semantic.qualified(node.value)
        keras_module = qualified is not None and (qualified == "keras" or qualified.startswith("keras."))
        if not keras_module and not (isinstance(node.value, cst.Name) and self.context.semantic.is_model(node.value)):
            return
        if _guarded(self.context, node, raises=("AttributeError",), uses=[f"{qualified or dotted(node.value)}.{attr}"]):
            return
        if keras_module:
            self.report(node, f"`{attr}` is a private attribute of `{qualified}`; it may change or vanish in any Keras release")
        else:
            self.report(node, f"`{attr}` is a private attribute of Keras models; it may change or vanish in any Keras release")


_CONV_LAYERS = {
    "keras.layers.Conv2D": 2,
    "keras.layers.Convolution2D": 2,
    "keras.layers.Conv2DTranspose": 2,
    "keras.layers.SeparableConv2D": 2,
    "keras.layers.Conv3D": 3,
    "keras.layers.Convolution3D": 3,
}


def _keras1_keywords(callable_path: str) -> frozenset[str]:
    """The Keras-1 keywords of a layer, from the generated data: those Keras 2 converted
    (``border_mode``, ``subsample``, ``nb_filter``...) and those only Keras 1 had."""
    target = target_for("2.15", tf_keras=False)
    if target is None:
        return frozenset()
    return frozenset(k for k, entry in target.removed_keywords(callable_path).items() if entry.last == "1" or entry.replacement)


class Keras1PositionalArgs(Rule):
    """
    ## What it does
    Finds Keras-1 style convolution calls such as ``Conv2D(32, 3, 3)`` where the kernel size
    is spread over several positional integers.

    ## Why is this bad?
    In Keras 2 and 3 the positional parameters are ``(filters, kernel_size, strides, ...)``.
    ``Conv2D(32, 3, 3)`` is accepted silently and means ``kernel_size=3, strides=(3, 3)``: the
    layer skips two thirds of the input and the model trains badly with no error.

    ## Example
    ```python
    Conv2D(32, 3, 3, activation="relu")
    ```

    ## Use instead
    ```python
    Conv2D(32, kernel_size=(3, 3), activation="relu")
    ```

    ## Fix safety
    Unsafe: it changes the stride back to the default ``1``, which changes output shapes (the
    intent of Keras-1 code, but downstream layer sizes may have been tuned to the bug). None
    when a positional argument follows the kernel sizes (Keras-1 ``Deconvolution2D``'s
    ``output_shape``): it cannot follow ``kernel_size=``.
    """

    code = "KC109"
    name = "keras1-positional-args"
    summary = "Keras-1 positional kernel size now means strides"
    severity = Severity.ERROR
    VALID = (
        "from keras.layers import Conv2D\nc = Conv2D(32, 3, activation='relu')\nd = Conv2D(32, (3, 3), strides=2)\n",
        "from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), (2, 2))\n",
        # Keras 2+ positional strides (and padding), as keras-io's RetinaNet writes them
        "from tensorflow import keras\nc = keras.layers.Conv2D(256, 3, 2, 'same')\nd = keras.layers.Conv2D(256, 1, 1, 'same')\n"
        "e = keras.layers.Conv2D(64, 3, 1)\n",
        # a 1x1 Keras-1 kernel reads as kernel 1, stride 1 in Keras 2+: the same layer
        "from keras.layers import Convolution2D\nc = Convolution2D(1, 1, 1, border_mode='same')\n",
        # every call of the helper passes 1, 1
        "from keras.layers import Convolution2D\ndef c1(x, n, r, c):\n    return Convolution2D(n, r, c, border_mode='same')(x)\ny = c1(x, 8, 1, 1)\n",
        "from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), (2, 2), border_mode='same')\n",
    )
    INVALID = (
        # Keras-1 ``Deconvolution2D(nb_filter, nb_row, nb_col, output_shape)``: reported, no fix
        # (a positional argument cannot follow ``kernel_size=``)
        Invalid("from keras.layers import *\nd = Deconvolution2D(8, 3, 3, (None, 8, 8, 8), border_mode='same')\n", message="kernel_size=(3, 3)"),
        Invalid(
            "from keras.layers import Conv2D\nc = Conv2D(32, 3, 3, activation='relu')\n",
            line=2,
            fixed="from keras.layers import Conv2D\nc = Conv2D(32, kernel_size=(3, 3), activation='relu')\n",
        ),
        Invalid(
            "import tensorflow as tf\nc = tf.keras.layers.Convolution3D(8, 3, 3, 3)\n",
            fixed="import tensorflow as tf\nc = tf.keras.layers.Convolution3D(8, kernel_size=(3, 3, 3))\n",
        ),
        Invalid(
            "from keras.layers.convolutional import Convolution2D\nc = Convolution2D(64, 3, 3, border_mode='same')\n",
            line=2,
            fixed="from keras.layers.convolutional import Convolution2D\nc = Convolution2D(64, kernel_size=(3, 3), border_mode='same')\n",
        ),
        Invalid(
            "from keras.layers import Conv2D\nc = Conv2D(32, 5, 3, border_mode='same')\n",
            message="strides=3",
            fixed="from keras.layers import Conv2D\nc = Conv2D(32, kernel_size=(5, 3), border_mode='same')\n",
        ),
        # a helper's parameters, with a Keras-1 keyword: Keras 1 took only integers there
        Invalid(
            "from keras.layers import *\ndef conv(x, nf, sz, stride=1):\n    return Convolution2D(nf, sz, sz, subsample=(stride, stride))(x)\n",
            line=3,
            fixed=(
                "from keras.layers import *\ndef conv(x, nf, sz, stride=1):\n"
                "    return Convolution2D(nf, kernel_size=(sz, sz), subsample=(stride, stride))(x)\n"
            ),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.semantic.qualified(node.func) or ""
        target = target_for("2.15", tf_keras=False)
        if target is not None and qualified.startswith("keras.layers."):
            qualified = _current_name(target, qualified)  # ``keras.layers.convolutional.Conv2D``
        dims = _CONV_LAYERS.get(qualified)
        if dims is None:
            return
        if len(ah.positional(node)) >= 1 + dims:
            # Decided at the end of the file: a helper's parameters hold what its callers pass,
            # and the callers may come after it.
            self._calls.append((node, qualified, dims, self.context.semantic.here()))

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        self._calls: list[tuple[cst.Call, str, int, Site]] = []

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, qualified, dims, site in self._calls:
            self._check(node, qualified, dims, site)

    def _check(self, node: cst.Call, qualified: str, dims: int, site: Site) -> None:
        args = ah.positional(node)
        kernel = args[1 : 1 + dims]
        # What each kernel argument may hold: literals, constants and the arguments a helper's
        # callers pass (``def conv(x, nf, sz): Convolution2D(nf, sz, sz, ...)``); None = unknown.
        values = [self.context.semantic.int_values(a.value, site) for a in kernel]
        keras1 = any(a.keyword is not None and a.keyword.value in _keras1_keywords(qualified) for a in node.args)
        if not self._looks_like_keras1(args, kernel, values, keras1):
            return
        if dims == 2 and all(v is not None and set(v) == {1} for v in values):
            return  # Keras 2+ reads ``(f, 1, 1)`` as kernel 1, stride 1: what Keras 1 meant
        size = ", ".join(self.context.code(a.value) for a in kernel)
        fix = None
        if len(args) == 1 + dims:  # a positional argument after ``kernel_size=`` would not parse
            # Replace the span from the first kernel argument to the last one (commas between included).
            edit = self.context.edit_span(kernel[0].value, kernel[-1].value, f"kernel_size=({size})")
            fix = m.fix(edit, safe=False, message=f"Use `kernel_size=({size})`")
        self.report(
            node,
            f"Keras-1 style call: `{self.context.code(node.func)}({self.context.code(args[0].value)}, {size}, ...)` "
            f"means kernel_size={self.context.code(args[1].value)}, strides={self.context.code(args[2].value)} in Keras 2+; "
            f"pass `kernel_size=({size})`",
            fix=fix,
        )

    @staticmethod
    def _looks_like_keras1(args: list[cst.Arg], kernel: list[cst.Arg], values: list[list[int] | None], keras1: bool) -> bool:
        """Keras 2+ code passes strides positionally too (``Conv2D(256, 3, 2, "same")``), so
        only flag what is recognisably Keras 1: one integer per kernel dimension with a Keras-1
        keyword (``border_mode``, ``subsample``, ``init``, ...) in the call, where a name
        whose value the file does not show counts (Keras 1 took only integers there); or,
        without one, a square kernel spelled out (``Conv2D(32, 3, 3)``, every size known, equal
        and above 1) with no positional padding after it."""
        if keras1:
            # A tuple, list or string there is Keras 2 (``kernel_size``, ``strides``, ``padding``).
            return all(isinstance(a.value, (cst.Name, cst.Attribute, cst.Integer, cst.BinaryOperation)) for a in kernel)
        if any(v is None or len(v) != 1 for v in values):
            return False
        sizes = {v[0] for v in values if v is not None}
        return len(sizes) == 1 and min(sizes) > 1 and len(args) == 1 + len(kernel)


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [
        RemovedPredictClasses,
        RemovedPredictProba,
        RemovedModelMethods,
        RemovedObjectMethods,
        LegacySaveFormat,
        RejectedFilePath,
        RemovedArgument,
        RemovedModule,
        PrivateKerasApi,
        Keras1PositionalArgs,
    ]
