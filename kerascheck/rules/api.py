"""KC1xx: APIs, arguments, imports and file formats that Keras removed or changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.models import dense_units, layer_activation
from kerascheck.static.names import canonical, dotted


def _numpy_alias(rule: Rule) -> str | None:
    """The local name numpy is imported as (``np``), if it is."""
    for local, target in rule.context.imports.aliases.items():
        if target == "numpy":
            return local
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
    )
    INVALID = (
        Invalid(
            "import numpy as np\nfrom tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\nlabels = model.predict_classes(x_test)\n",
            line=4,
            fixed="import numpy as np\nfrom tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\nlabels = np.argmax(model.predict(x_test), axis=-1)\n",
        ),
        Invalid(
            "import numpy as np\nfrom keras.models import Sequential\nfrom keras.layers import Dense\nmodel = Sequential()\nmodel.add(Dense(1, activation='sigmoid'))\ny = model.predict_classes(x)\n",
            line=6,
            message="sigmoid",
            fixed="import numpy as np\nfrom keras.models import Sequential\nfrom keras.layers import Dense\nmodel = Sequential()\nmodel.add(Dense(1, activation='sigmoid'))\ny = (model.predict(x) > 0.5).astype(\"int32\")\n",
        ),
        Invalid("import keras\nmodel = keras.models.load_model('m.keras')\nprint(model.predict_classes(x))\n", line=3),
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None or method[1] != "predict_classes":
            return
        receiver = method[0]
        if not m.receiver_is_model(self.context, receiver, "predict_classes"):
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
        info = self.context.models.model(receiver)
        layer = info.output_layer if info else None
        if layer is None:
            return None, "unknown"
        imports = self.context.imports
        activation = layer_activation(layer, imports)
        units = dense_units(layer, imports)
        args = ", ".join(self.context.code(a.value) if a.keyword is None else self.context.code(a).rstrip(", ") for a in node.args)
        predict = f"{self.context.code(receiver)}.predict({args})"
        np_alias = _numpy_alias(self)
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
    Scikit-learn estimators keep their ``predict_proba``, so only receivers that visibly hold
    a Keras model are flagged.

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
    Safe: ``predict`` returns what ``predict_proba`` returned.
    """

    code = "KC102"
    name = "removed-predict-proba"
    summary = "`predict_proba` was removed from Keras models; use `predict`"
    severity = Severity.ERROR
    VALID = (
        "import keras\nfrom sklearn.linear_model import LogisticRegression\nclf = LogisticRegression()\np = clf.predict_proba(x)\n",
        "import keras\np = model.predict(x)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict_proba(x)\n",
            line=3,
            fixed="import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict(x)\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None or method[1] != "predict_proba":
            return
        if not self.context.models.is_model(method[0]) or self.context.models.defines_method("predict_proba"):
            return
        assert isinstance(node.func, cst.Attribute)
        fix = m.fix(m.replace_in_source(self.context, node.func.attr, "predict"), safe=True, message="Use `predict`")
        self.report(node, "`predict_proba` was removed from Keras models (AttributeError); `predict` returns the probabilities", fix=fix)


_GENERATOR_METHODS = {"fit_generator": "fit", "predict_generator": "predict", "evaluate_generator": "evaluate"}


class RemovedModelMethods(Rule):
    """
    ## What it does
    Finds ``fit_generator``, ``predict_generator`` and ``evaluate_generator`` calls on models,
    and ``self.add_metric(...)`` inside a custom layer (removed in Keras 3).

    ## Why is this bad?
    The ``*_generator`` methods were deprecated in TF 2.1 and removed in Keras 3: they raise
    ``AttributeError``. ``fit``, ``predict`` and ``evaluate`` accept generators and
    ``keras.utils.PyDataset`` directly. ``Layer.add_metric`` no longer exists in Keras 3.

    ## Example
    ```python
    model.fit_generator(train_gen, epochs=10)
    ```

    ## Use instead
    ```python
    model.fit(train_gen, epochs=10)
    ```

    ## Fix safety
    Safe for the generator methods (the arguments are the same); none for ``add_metric``.
    """

    code = "KC103"
    name = "removed-model-methods"
    summary = "`fit_generator`/`predict_generator`/`evaluate_generator`/`add_metric` were removed"
    severity = Severity.ERROR
    VALID = (
        "import keras\nmodel.fit(train_gen, epochs=10)\n",
        "import keras\nclass Trainer:\n    def fit_generator(self, g):\n        pass\nTrainer().fit_generator(g)\nt = Trainer()\nt.fit_generator(g)\n",
        Valid("import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n        self.add_metric(x)\n        return x\n", target_keras="2.15"),
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
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None:
            return
        receiver, name = method
        if name in _GENERATOR_METHODS and m.receiver_is_model(self.context, receiver, name):
            new = _GENERATOR_METHODS[name]
            assert isinstance(node.func, cst.Attribute)
            fix = m.fix(m.replace_in_source(self.context, node.func.attr, new), safe=True, message=f"Use `{new}`")
            when = "removed in Keras 3" if self.context.keras_major >= 3 else "deprecated since TF 2.1"
            self.report(node, f"`{name}` is {when}; `{new}` accepts generators and datasets", fix=fix)
        elif (
            name == "add_metric"
            and self.context.keras_major >= 3
            and isinstance(receiver, cst.Name)
            and receiver.value == "self"
            and self.context.enclosing_class_is_layer()
        ):
            self.report(node, "`Layer.add_metric` was removed in Keras 3; compute the metric in `compile(metrics=...)` or a custom `train_step`")


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
            fixed="from tensorflow.keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint(f'{out}/best_{{epoch}}.keras', save_best_only=True)\n",
        ),
        Invalid("import tensorflow as tf\ntf.keras.models.save_model(model, 'm.hdf5')\n", line=2),
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
                if suffix == ".hdf5" and self.context.qualified(node.func) in _CHECKPOINT:
                    return  # ModelCheckpoint rejects .hdf5 outright: KC105's business
                # Renames every literal use of the file (its loads too) and drops save_format="h5".
                fix = m.rename_path_fix(self.context, node, path, suffix, ".keras", "Save in the `.keras` format")
                self.report(node, f"full model saved in the legacy HDF5 format (`{suffix}`); save to `.keras` so it reloads faithfully", fix=fix)
                return


def _saved_model_path(rule: Rule, node: cst.Call) -> cst.BaseExpression | None:
    """The path argument of a full-model save (method, function or checkpoint), else None."""
    context = rule.context
    qualified = context.qualified(node.func)
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
    ``.weights.h5``), and ``load_model`` of a SavedModel directory.

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
    )
    INVALID = (
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save('saved_model/my_model')\n", line=3, message="extension"),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save_weights('ckpt/weights')\n", line=3, message=".weights.h5"),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.load_weights('training_1/cp.ckpt')\n", line=3),
        Invalid("from keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint('best.hdf5', save_best_only=True)\n", line=2),
        Invalid("import keras\ncb = keras.callbacks.ModelCheckpoint('w.h5', save_weights_only=True)\n", line=2),
        Invalid("import tensorflow as tf\nm = tf.keras.models.load_model('exported_model')\n", line=2, message="TFSMLayer"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        qualified = context.qualified(node.func)
        if qualified in _CHECKPOINT:
            self._checkpoint(node)
            return
        if qualified in ("keras.models.load_model", "keras.saving.load_model"):
            text = m.path_literal(ah.argument(node, 0, "filepath"), context)
            if text is not None and m.is_complete_path(ah.argument(node, 0, "filepath"), context) and _no_extension(text):
                self.report(node, "Keras 3 `load_model` cannot load a SavedModel directory; wrap it with `keras.layers.TFSMLayer(path, call_endpoint='serving_default')` or re-save as `.keras`")
            return
        method = ah.method_call(node)
        if method is None or qualified is not None:
            return
        receiver, name = method
        if name not in ("save", "save_weights", "load_weights") or not m.receiver_is_model(context, receiver, name):
            return
        path = ah.argument(node, 0, "filepath")
        text = m.path_literal(path, context)
        if text is None:
            return
        complete = m.is_complete_path(path, context)
        if name == "save":
            if (complete and _no_extension(text)) or text.endswith((".tf", ".pb", "/")):
                self.report(node, "Keras 3 `model.save` needs a `.keras` (or legacy `.h5`) extension; a SavedModel directory path raises ValueError (use `model.export(...)` for SavedModel)")
        elif name == "save_weights":
            if not text.endswith(".weights.h5"):
                self.report(node, f"Keras 3 `save_weights` requires a path ending in `.weights.h5` (got `{text}`); it raises ValueError")
        elif text.endswith((".ckpt", ".index")) or (complete and _no_extension(text)):
            self.report(node, f"Keras 3 `load_weights` cannot read TF-checkpoint paths (`{text}`); save and load `.weights.h5` files")

    def _checkpoint(self, node: cst.Call) -> None:
        path = ah.argument(node, 0, "filepath")
        text = m.path_literal(path, self.context)
        if text is None:
            return
        complete = m.is_complete_path(path, self.context)
        if _saves_weights_only(node):
            if not text.endswith(".weights.h5"):
                self.report(node, f"with `save_weights_only=True`, Keras 3 `ModelCheckpoint` requires a path ending in `.weights.h5` (got `{text}`); it raises ValueError")
        elif text.endswith(".hdf5") or (complete and _no_extension(text)):
            self.report(node, f"Keras 3 `ModelCheckpoint` requires a full-model path ending in `.keras` (got `{text}`); it raises ValueError at construction")


def _no_extension(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "." not in last and "{" not in last


# name -> (replacement or None, where it applies, breaks also under Keras 2)
_REMOVED_ARGS: dict[str, tuple[str | None, str, bool]] = {
    "lr": ("learning_rate", "optimizer", False),
    "decay": (None, "optimizer", False),
    "nb_epoch": ("epochs", "fit", True),
    "workers": (None, "fit", False),
    "use_multiprocessing": (None, "fit", False),
    "max_queue_size": (None, "fit", False),
    "init": (None, "layer", True),
    "W_regularizer": (None, "layer", True),
    "b_regularizer": (None, "layer", True),
    "batch_input_shape": (None, "layer", False),
    "period": (None, "checkpoint", False),
    "save_format": (None, "save", False),
}
_FIT_METHODS = frozenset({"fit", "fit_generator", "evaluate", "predict", "evaluate_generator", "predict_generator"})


class RemovedArgument(Rule):
    """
    ## What it does
    Finds keyword arguments Keras 3 rejects or silently ignores: ``lr=`` and ``decay=`` on
    optimizers, ``nb_epoch``/``workers``/``use_multiprocessing``/``max_queue_size`` on
    ``fit``/``evaluate``/``predict``, Keras-1 layer arguments (``init``, ``W_regularizer``),
    ``batch_input_shape`` on layers, ``period`` on ``ModelCheckpoint``, ``save_format`` on saves.

    ## Why is this bad?
    Most raise ``TypeError``/``ValueError``. ``decay=`` is worse: Keras 3 accepts it with a
    warning and then ignores it, so the learning-rate schedule you think you train with is not
    applied. Use a ``keras.optimizers.schedules`` schedule instead.

    ## Example
    ```python
    opt = keras.optimizers.Adam(lr=1e-3, decay=1e-6)
    model.fit(x, y, nb_epoch=10)
    ```

    ## Use instead
    ```python
    schedule = keras.optimizers.schedules.InverseTimeDecay(1e-3, decay_steps=1, decay_rate=1e-6)
    opt = keras.optimizers.Adam(learning_rate=schedule)
    model.fit(x, y, epochs=10)
    ```

    ## Fix safety
    Safe for the one-to-one renames (``lr`` -> ``learning_rate``, ``nb_epoch`` -> ``epochs``).
    """

    code = "KC106"
    name = "removed-argument"
    summary = "Argument removed (or silently ignored) by Keras"
    severity = Severity.ERROR
    VALID = (
        "import keras\nopt = keras.optimizers.Adam(learning_rate=1e-3)\nmodel.fit(x, y, epochs=3)\n",
        "import keras\nfrom sklearn.svm import SVC\nclf = SVC(decay=1)\n",
        "import keras\nimport torch\nopt = torch.optim.SGD(params, lr=0.1)\n",
        Valid("import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, workers=4, use_multiprocessing=True)\n", target_keras="2.15"),
    )
    INVALID = (
        Invalid(
            "from tensorflow.keras.optimizers import Adam\nopt = Adam(lr=0.001)\n",
            line=2,
            fixed="from tensorflow.keras.optimizers import Adam\nopt = Adam(learning_rate=0.001)\n",
        ),
        Invalid("import keras\nopt = keras.optimizers.SGD(learning_rate=0.1, decay=1e-6)\n", message="ignored"),
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, nb_epoch=5)\n",
            fixed="import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, epochs=5)\n",
        ),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.fit(gen, workers=4, use_multiprocessing=True)\n", count=2),
        Invalid("from keras.layers import Dense\nd = Dense(10, init='uniform', W_regularizer=reg)\n", count=2),
        Invalid("import keras\ncb = keras.callbacks.ModelCheckpoint('m.keras', period=5)\n"),
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save('m', save_format='tf')\n", message="save_format"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        kinds = self._kinds(node)
        if not kinds:
            return
        for arg in node.args:
            if arg.keyword is None:
                continue
            entry = _REMOVED_ARGS.get(arg.keyword.value)
            if entry is None:
                continue
            replacement, kind, breaks_in_keras2 = entry
            if kind not in kinds or (self.context.keras_major < 3 and not breaks_in_keras2):
                continue
            name = arg.keyword.value
            if name == "decay":
                message = "`decay=` is accepted with a warning and then silently ignored by Keras 3 optimizers; use a `keras.optimizers.schedules` learning-rate schedule"
            elif replacement:
                message = f"`{name}=` was removed; use `{replacement}=`"
            else:
                message = f"`{name}=` is not accepted by Keras {self.context.keras_major}"
            fix = None
            if replacement:
                fix = m.fix(m.replace_in_source(self.context, arg.keyword, replacement), safe=True, message=f"Rename to `{replacement}`")
            self.report(arg, message, fix=fix)

    def _kinds(self, node: cst.Call) -> set[str]:
        qualified = self.context.qualified(node.func) or ""
        if qualified.startswith("keras.optimizers.") and not qualified.startswith("keras.optimizers.schedules"):
            return {"optimizer"}
        if qualified.startswith("keras.layers."):
            return {"layer"}
        if qualified in _CHECKPOINT:
            return {"checkpoint"}
        if qualified in _FULL_MODEL_SAVERS:
            return {"save"}
        method = ah.method_call(node)
        if method is None or qualified:
            return set()
        receiver, name = method
        if name in _FIT_METHODS and m.receiver_is_model(self.context, receiver, name):
            return {"fit"}
        if name in ("save", "save_weights") and m.receiver_is_model(self.context, receiver, name):
            return {"save"}
        return set()


# canonical module/name prefix -> (message, 1:1 replacement prefix or None)
_REMOVED_MODULES: tuple[tuple[str, str, str | None], ...] = (
    ("keras.wrappers.scikit_learn", "`keras.wrappers.scikit_learn` was removed; use `keras.wrappers.SKLearnClassifier`/`SKLearnRegressor` (or the scikeras package)", None),
    ("keras.layers.experimental.preprocessing", "`layers.experimental.preprocessing` was removed; the preprocessing layers live in `keras.layers`", "keras.layers"),
    ("keras.engine", "`keras.engine` is gone in Keras 3; import public classes from `keras` / `keras.layers`", None),
    ("keras.utils.np_utils", "`keras.utils.np_utils` was removed; use `keras.utils` (e.g. `keras.utils.to_categorical`)", "keras.utils"),
    ("keras.optimizers.legacy", "`keras.optimizers.legacy` still imports in Keras 3 but constructing an optimizer from it raises; use `keras.optimizers`", "keras.optimizers"),
    ("keras.backend.get_session", "`get_session` does not exist in Keras 3 (there is no global TF1 session)", None),
    ("keras.layers.CuDNNLSTM", "`CuDNNLSTM` was removed; `keras.layers.LSTM` uses cuDNN automatically when it can", None),
    ("keras.layers.CuDNNGRU", "`CuDNNGRU` was removed; `keras.layers.GRU` uses cuDNN automatically when it can", None),
    ("keras.layers.merge", "`keras.layers.merge` was removed; use `keras.layers.Concatenate`/`Add`/... ", None),
    ("keras.layers.core", "`keras.layers.core` is private in Keras 3; import layers from `keras.layers`", "keras.layers"),
    ("keras.layers.convolutional", "`keras.layers.convolutional` is private in Keras 3; import layers from `keras.layers`", "keras.layers"),
    ("keras.legacy", "`keras.legacy` was removed", None),
)
# Legacy modules that survive only under ``tf.keras`` (they are gone from the ``keras`` package).
_GONE_ONLY_FROM_KERAS = (
    ("keras.preprocessing.image.ImageDataGenerator", "`keras.preprocessing.image.ImageDataGenerator` is gone from Keras 3; use `keras.utils.image_dataset_from_directory` with preprocessing layers"),
    ("keras.preprocessing.text", "`keras.preprocessing.text` is gone from Keras 3; use `keras.layers.TextVectorization`"),
)


class RemovedModule(Rule):
    """
    ## What it does
    Finds imports and uses of Keras modules and names that Keras 3 removed:
    ``keras.wrappers.scikit_learn``, ``layers.experimental.preprocessing``, ``keras.engine``,
    ``keras.utils.np_utils``, ``keras.optimizers.legacy``, ``get_session``, ``CuDNNLSTM``/
    ``CuDNNGRU``, and ``keras.preprocessing.image.ImageDataGenerator``/``keras.preprocessing.text``
    when reached through the ``keras`` package (they still work under ``tf.keras``).
    ``set_learning_phase`` and ``learning_phase`` are reported by KC204.

    ## Why is this bad?
    The import fails (``ModuleNotFoundError``/``AttributeError``) on Keras 3, or, for
    ``keras.optimizers.legacy``, the import works and constructing the optimizer raises.

    ## Example
    ```python
    from tensorflow.keras.layers.experimental.preprocessing import Rescaling
    from keras.utils.np_utils import to_categorical
    ```

    ## Use instead
    ```python
    from tensorflow.keras.layers import Rescaling
    from keras.utils import to_categorical
    ```

    ## Fix safety
    Safe where the names moved one-to-one (``experimental.preprocessing`` -> ``layers``,
    ``np_utils`` -> ``utils``, ``optimizers.legacy`` -> ``optimizers``), for ``from ... import``
    statements.
    """

    code = "KC107"
    name = "removed-module"
    summary = "Module or name removed from Keras"
    severity = Severity.ERROR
    keras_versions = ">=3"
    VALID = (
        "from tensorflow.keras.layers import Rescaling\nfrom keras.utils import to_categorical\n",
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n",
        "import tensorflow as tf\ngen = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1/255)\n",
        Valid("from tensorflow.keras.layers.experimental.preprocessing import Rescaling\n", target_keras="2.12"),
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
        Invalid("from keras.wrappers.scikit_learn import KerasClassifier\n", message="SKLearnClassifier"),
        Invalid("from keras.preprocessing.image import ImageDataGenerator\n"),
        Invalid("import tensorflow as tf\nx = tf.keras.layers.experimental.preprocessing.Rescaling(1/255)\n", count=1),
        Invalid("from keras import backend as K\nsess = K.get_session()\n", line=2),
        Invalid("from keras.layers import CuDNNLSTM\n"),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: Inner nodes of an attribute chain already reported through its outermost node.
        self._inner: set[int] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        raw_module = dotted(node.module) or ""
        module = canonical(raw_module)
        names = [] if isinstance(node.names, cst.ImportStar) else [a.name.value for a in node.names if isinstance(a.name, cst.Name)]
        for full in [module, *(f"{module}.{n}" for n in names)]:
            found = self._lookup(full, raw_module)
            if found is None:
                continue
            message, replacement, prefix = found
            fix = None
            if replacement and full == module and module.startswith(prefix):
                new_module = raw_module[: len(raw_module) - len(module)] + replacement + module[len(prefix):]
                fix = m.fix(m.replace_in_source(self.context, node.module, new_module), safe=True, message=f"Import from `{new_module}`")
            self.report(node, message, fix=fix)
            return

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            raw = dotted(alias.name) or ""
            found = self._lookup(canonical(raw), raw)
            if found is not None:
                self.report(node, found[0])
                return

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._inner or self.context.in_import:
            return
        qualified = self.context.qualified(node)
        if qualified is None:
            return
        raw = self.context.raw_qualified(node) or ""
        found = self._lookup(qualified, raw)
        if found is None:
            return
        self.report(node, found[0])
        inner = node.value
        while isinstance(inner, cst.Attribute):
            self._inner.add(id(inner))
            inner = inner.value


    @staticmethod
    def _lookup(name: str, raw: str) -> tuple[str, str | None, str] | None:
        for prefix, message, replacement in _REMOVED_MODULES:
            if name == prefix or name.startswith(prefix + "."):
                return message, replacement, prefix
        if raw.startswith("keras"):  # the standalone package, not tf.keras
            for prefix, message in _GONE_ONLY_FROM_KERAS:
                if name == prefix or name.startswith(prefix + "."):
                    return message, None, prefix
        return None


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
        self._check_module(node, dotted(node.module) or "")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._check_module(node, dotted(alias.name) or "")

    def _check_module(self, node: cst.CSTNode, module: str) -> None:
        name = canonical(module)
        if name == "keras.src" or name.startswith("keras.src.") or module.startswith("tensorflow.python.keras"):
            self.report(node, f"`{module}` is a private Keras module; import from the public `keras` API")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if self.context.in_import or not attr.startswith("_") or attr.startswith("__"):
            return
        qualified = self.context.qualified(node.value)
        if qualified is not None and (qualified == "keras" or qualified.startswith("keras.")):
            self.report(node, f"`{attr}` is a private attribute of `{qualified}`; it may change or vanish in any Keras release")
            return
        if self.context.models.is_model(node.value) and isinstance(node.value, cst.Name):
            self.report(node, f"`{attr}` is a private attribute of Keras models; it may change or vanish in any Keras release")


_CONV_LAYERS = {
    "keras.layers.Conv2D": 2,
    "keras.layers.Convolution2D": 2,
    "keras.layers.Conv2DTranspose": 2,
    "keras.layers.SeparableConv2D": 2,
    "keras.layers.Conv3D": 3,
    "keras.layers.Convolution3D": 3,
}


_KERAS1_KEYWORDS = frozenset(
    {"border_mode", "subsample", "init", "dim_ordering", "nb_filter", "nb_row", "nb_col", "W_regularizer", "b_regularizer"}
)


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
    intent of Keras-1 code, but downstream layer sizes may have been tuned to the bug).
    """

    code = "KC109"
    name = "keras1-positional-args"
    summary = "Keras-1 positional kernel size now means strides"
    severity = Severity.ERROR
    VALID = (
        "from keras.layers import Conv2D\nc = Conv2D(32, 3, activation='relu')\nd = Conv2D(32, (3, 3), strides=2)\n",
        "from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), (2, 2))\n",
        # Keras 2+ positional strides (and padding), as keras-io's RetinaNet writes them
        "from tensorflow import keras\nc = keras.layers.Conv2D(256, 3, 2, 'same')\nd = keras.layers.Conv2D(256, 1, 1, 'same')\ne = keras.layers.Conv2D(64, 3, 1)\n",
    )
    INVALID = (
        Invalid(
            "from keras.layers import Conv2D\nc = Conv2D(32, 3, 3, activation='relu')\n",
            line=2,
            fixed="from keras.layers import Conv2D\nc = Conv2D(32, kernel_size=(3, 3), activation='relu')\n",
        ),
        Invalid("import tensorflow as tf\nc = tf.keras.layers.Convolution3D(8, 3, 3, 3)\n"),
        Invalid("from keras.layers import Conv2D\nc = Conv2D(32, 5, 3, border_mode='same')\n", message="strides=3"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        dims = _CONV_LAYERS.get(self.context.qualified(node.func) or "")
        if dims is None:
            return
        args = ah.positional(node)
        if len(args) < 3 or ah.int_value(args[1].value) is None or ah.int_value(args[2].value) is None:
            return
        kernel = [a for a in args[1 : 1 + dims] if ah.int_value(a.value) is not None]
        if len(kernel) != dims or not self._looks_like_keras1(node, args, kernel):
            return
        size = ", ".join(self.context.code(a.value) for a in kernel)
        # Replace the span from the first kernel int to the last one (commas between included).
        edit = self.context.edit_span(kernel[0].value, kernel[-1].value, f"kernel_size=({size})")
        fix = m.fix(edit, safe=False, message=f"Use `kernel_size=({size})`")
        self.report(node, f"Keras-1 style call: `{self.context.code(node.func)}({self.context.code(args[0].value)}, {size}, ...)` means kernel_size={self.context.code(args[1].value)}, strides={self.context.code(args[2].value)} in Keras 2+; pass `kernel_size=({size})`", fix=fix)

    @staticmethod
    def _looks_like_keras1(node: cst.Call, args: list[cst.Arg], kernel: list[cst.Arg]) -> bool:
        """Keras 2+ code passes strides positionally too (``Conv2D(256, 3, 2, "same")``), so
        only flag what is recognisably Keras 1: a Keras-1 keyword (``border_mode``,
        ``subsample``, ``init``, ...), or a square kernel spelled out (``Conv2D(32, 3, 3)``,
        every size equal and above 1) with no positional padding after it."""
        if any(a.keyword is not None and a.keyword.value in _KERAS1_KEYWORDS for a in node.args):
            return True
        sizes = {ah.int_value(a.value) for a in kernel}
        return len(sizes) == 1 and min(sizes) > 1 and len(args) == 1 + len(kernel)


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [
        RemovedPredictClasses,
        RemovedPredictProba,
        RemovedModelMethods,
        LegacySaveFormat,
        RejectedFilePath,
        RemovedArgument,
        RemovedModule,
        PrivateKerasApi,
        Keras1PositionalArgs,
    ]
