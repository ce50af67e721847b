"""KC6xx: which weights a model holds after training, and output/loss mismatches."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from kerascheck import causes
from kerascheck.findings import Edit, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.records import record
from kerascheck.rule import Invalid, Rule
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.semantic import (
    CallbackList,
    ModelEvent,
    ModelObject,
    Scope,
    Site,
    Value,
)
from kerascheck.static.semantic.layers import ACTIVATION_LAYERS, SEQUENTIAL, dense_units, layer_activation

EARLY_STOPPING = "keras.callbacks.EarlyStopping"
CHECKPOINT = "keras.callbacks.ModelCheckpoint"
#: Methods that use the weights a model holds after ``fit``.
USES = frozenset({"predict", "evaluate", "save", "save_weights", "export", "predict_on_batch", "test_on_batch", "return",
                  "predict_generator", "evaluate_generator"})


class _TimelineRule(Rule):
    """The training story of each model object (from ``context.semantic``): which ``fit``
    trains it, with which callbacks, and what happens to it afterwards."""

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: ``EarlyStopping``/``ModelCheckpoint`` constructor calls of the file, with their sites.
        self.early_stopping: list[tuple[cst.Call, Site]] = []
        self.checkpoints: list[tuple[cst.Call, Site]] = []
        self._fits: list[_Fit] | None = None

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified(node.func)
        if qualified == EARLY_STOPPING:
            self.early_stopping.append((node, self.context.semantic.here()))
        elif qualified == CHECKPOINT:
            self.checkpoints.append((node, self.context.semantic.here()))

    # -- per-fit facts (valid in leave_Module) ---------------------------------------------

    def fits(self) -> list[_Fit]:
        """Every ``fit`` of a model, with the model objects and callbacks it really receives."""
        if self._fits is None:
            semantic = self.context.semantic
            found = []
            for event, models in semantic.fits():
                if not m.receiver_is_model(self.context, event.receiver, event.method):
                    continue
                found.append(_Fit(event, models, semantic.callbacks_of(event)))
            self._fits = found
        return self._fits

    def searches(self) -> list[CallbackList]:
        """Callbacks given to keras-tuner ``search`` calls (their models are thrown away)."""
        semantic = self.context.semantic
        return [semantic.callbacks_of(e) for e in semantic.keras_models.events if e.method == "search"]

    def receiving(self, call: cst.Call) -> list[_Fit]:
        return [fit for fit in self.fits() if any(c is call for c, _ in fit.callbacks.calls)]

    def in_search(self, call: cst.Call) -> bool:
        return any(any(c is call for c, _ in found.calls) for found in self.searches())

    def later_events(self, fit: _Fit, methods: frozenset[str]) -> list[ModelEvent]:
        """Events of the fitted model after ``fit`` and before it is trained again: in the same
        function, or anywhere after a module-level ``fit`` (a function reading the global)."""
        semantic = self.context.semantic
        site = fit.event.site
        found: list[ModelEvent] = []
        for model in fit.models:
            events = semantic.events_of(model)
            # The next fit that certainly runs after this one (not one in an exclusive ``else``).
            next_fit = min(
                (
                    e.site.order for e in events
                    if e.method in m.MODEL_FIT_METHODS and e.site.order > site.order and e.site.function is site.function
                    and site.branch[: len(e.site.branch)] == e.site.branch
                ),
                default=None,
            )
            for event in events:
                if event.method not in methods or event.site.order <= site.order:
                    continue
                if next_fit is not None and event.site.order > next_fit:
                    continue
                if event.site.function is site.function or site.function is None:
                    found.append(event)
            # A model built on this one (``keras.Model(inputs, model(x))``) runs its weights.
            for derived in semantic.keras_models.derived_from(model):
                found.extend(
                    e for e in semantic.events_of(derived)
                    if e.method in methods and e.site.order > site.order and (next_fit is None or e.site.order < next_fit)
                    and (e.site.function is site.function or site.function is None)
                )
            # ``evaluate_model(model, data)``: the helper's uses of its parameter are this model's
            # (and so on, through helpers that hand it further).
            handed = [(model, site)]
            seen: set[int] = set()
            while handed:
                holder, after = handed.pop()
                for parameter_model, parameter in semantic.passed_models([holder], after, next_fit if holder is model else None):
                    if id(parameter_model) in seen:
                        continue
                    seen.add(id(parameter_model))
                    found.extend(e for e in semantic.events_of(parameter_model) if e.method in methods)
                    handed.append((parameter_model, parameter.site))
            if _self_attribute(fit.event.receiver):
                # A wrapper class: its ``predict``/``save`` methods run after its training method.
                found.extend(
                    e for e in events
                    if e.method in methods and e.site.function is not site.function and _same_class(e.site, site)
                    and (next_fit is None)
                )
        return found

    def used_after(self, fit: _Fit) -> bool:
        return bool(self.later_events(fit, USES))

    def loads_after(self, fit: _Fit) -> list[tuple[Value, bool]]:
        """Paths loaded after ``fit`` (``load_weights`` of the fitted model, ``load_model`` and
        checkpoint restores anywhere after it), each with whether it reloads a file this model
        saved after the ``fit`` (its last-epoch weights, not a best checkpoint)."""
        semantic = self.context.semantic
        order = fit.event.site.order
        later = [e for e in self.later_events(fit, _SAVES) if isinstance(e.call, cst.Call)]
        saved = [semantic.value_of(ah.argument(e.call, 0, "filepath"), e.site) for e in later]  # type: ignore[arg-type]
        loads: list[tuple[Value, bool]] = []
        for call, site in semantic.keras_models.loads:
            if site.order <= order:
                continue
            method = ah.method_call(call)
            if method is not None and method[1] == "load_weights" and semantic.qualified(call.func) is None:
                loaded_into = semantic.models_of(method[0], site)
                # weights loaded into another visible model do not restore this one
                if not any(model in loaded_into for model in fit.models) and (not fit.models or any(model.is_keras for model in loaded_into)):
                    continue
            path = semantic.value_of(ah.argument(call, 0, "filepath"), site)
            own = path.is_known and any(s.is_known and s.value == path.value for s in saved)
            loads.append((path, own))
        return loads


@record
class _Fit:
    event: ModelEvent
    models: list[ModelObject]
    callbacks: CallbackList

    @property
    def call(self) -> cst.Call:
        assert isinstance(self.event.call, cst.Call)
        return self.event.call


_SAVES = frozenset({"save", "save_weights"})


def _self_attribute(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self"


def _same_class(a: Site, b: Site) -> bool:
    def owner(site: Site) -> Scope | None:
        scope: Scope | None = site.scope
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        return scope

    first = owner(a)
    return first is not None and first is owner(b)


def _restores(call: cst.Call) -> bool:
    return ah.is_true(ah.keyword_value(call, "restore_best_weights"))


def _monitor(call: cst.Call) -> str:
    return ah.string_value(ah.keyword_value(call, "monitor")) or "val_loss"


class LastEpochWeights(_TimelineRule):
    """
    ## What it does
    Finds ``fit`` with validation data and more than one epoch whose model is then used
    (``predict``, ``evaluate``, ``save``, returned, handed to a helper that uses it) when that
    ``fit`` receives neither ``EarlyStopping`` nor a best-only ``ModelCheckpoint`` (nor a
    callback class of the file that sets or loads weights itself) and the model is not reloaded
    from saved weights afterwards (reloading the file it saved after ``fit`` restores the last
    epoch, so it does not count). Each ``fit`` is judged by the callbacks it really receives.
    (``EarlyStopping`` without restore and best checkpoints never loaded are KC602/KC603.)

    ## Why is this bad?
    After ``fit`` the model holds the weights of the **last** epoch, not those of the epoch
    with the best validation score the log showed. Validation is there to pick the best
    epoch; without a mechanism that restores it, the evaluated or saved model is usually a
    worse, more overfitted one.

    ## Example
    ```python
    model.fit(x, y, validation_split=0.2, epochs=50)
    model.save("model.keras")
    ```

    ## Use instead
    ```python
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[stop])
    model.save("model.keras")
    ```
    """

    code = "KC601"
    name = "last-epoch-weights"
    summary = "The model keeps its last-epoch weights, not the best validated ones"
    VALID = (
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[stop])\n"
            "model.evaluate(xt, yt)\n"
        ),
        # best checkpoint reloaded after fit
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "cp = keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True)\n"
            "model.fit(x, y, validation_data=(xv, yv), epochs=20, callbacks=[cp])\n"
            "model = keras.models.load_model('best.keras')\n"
            "model.evaluate(xt, yt)\n"
        ),
        # one epoch, or no validation, or nothing uses the model afterwards
        "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, validation_split=0.2, epochs=1)\nmodel.evaluate(xt, yt)\n",
        "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, epochs=20)\nmodel.evaluate(xt, yt)\n",
        "import keras\nmodel = keras.Sequential()\nhistory = model.fit(x, y, validation_split=0.2, epochs=20)\nplot(history)\n",
        # the first fit is only the start of fine-tuning (corpus: semantic_similarity_with_bert.py)
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "model.fit(x, y, validation_data=(xv, yv), epochs=2)\n"
            "model.trainable = True\n"
            "model.fit(x, y, validation_data=(xv, yv), epochs=1)\n"
            "model.evaluate(xt, yt)\n"
        ),
        # ``return model`` of a function defined further down is not a use (corpus: efficientnet)
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "hist = model.fit(x, y, validation_data=(xv, yv), epochs=40)\n"
            "\n"
            "def build():\n"
            "    model = keras.Sequential()\n"
            "    return model\n"
        ),
        # unknown number of epochs: stay silent
        "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, validation_split=0.2, epochs=args.epochs)\nmodel.evaluate(xt, yt)\n",
        # a callback list built in a variable and appended to; epochs through a constant
        (
            "import keras\n"
            "EPOCHS = 40\n"
            "model = keras.Sequential()\n"
            "callbacks = [keras.callbacks.TensorBoard('logs')]\n"
            "callbacks.append(keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True))\n"
            "model.fit(x, y, validation_split=0.2, epochs=EPOCHS, callbacks=callbacks)\n"
            "model.evaluate(xt, yt)\n"
        ),
        # the name is rebound to another model before it is used: the fitted one is not used
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "model.fit(x, y, validation_split=0.2, epochs=30)\n"
            "model = keras.models.load_model('pretrained.keras')\n"
            "model.evaluate(xt, yt)\n"
        ),
    )
    INVALID = (
        # two models in one file: the EarlyStopping only protects the fit that receives it
        Invalid(
            (
                "import keras\n"
                "encoder = keras.Sequential([keras.layers.Dense(8)])\n"
                "classifier = keras.Sequential([keras.layers.Dense(2)])\n"
                "stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)\n"
                "encoder.fit(x, x, validation_split=0.2, epochs=20, callbacks=[stop])\n"
                "classifier.fit(x, y, validation_split=0.2, epochs=20)\n"
                "classifier.evaluate(xt, yt)\n"
            ),
            line=6, count=1,
        ),
        # reloading the file just saved after fit restores the last epoch, not the best one
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential()\n"
                "model.fit(x, y, validation_split=0.2, epochs=25)\n"
                "model.save_weights('last.weights.h5')\n"
                "model.load_weights('last.weights.h5')\n"
                "model.predict(xt)\n"
            ),
            line=3,
        ),
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, validation_split=0.2, epochs=50)\nmodel.save('model.keras')\n",
            line=3, message="last epoch",
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "EPOCHS = 30\n"
                "model = tf.keras.Sequential()\n"
                "model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS)\n"
                "print(model.evaluate(test_ds))\n"
            ),
            line=4,
        ),
        Invalid(
            "import keras\n\ndef train(model, x, y):\n    model.fit(x, y, validation_split=0.1, epochs=10)\n    return model\n",
            line=4,
        ),
        # Keras 2's ``fit_generator`` (KC103) trains like ``fit``
        Invalid(
            (
                "import tensorflow as tf\n"
                "model = tf.keras.Sequential()\n"
                "model.fit_generator(gen, validation_data=val_gen, epochs=30)\n"
                "model.save('model.keras')\n"
            ),
            line=3,
        ),
        # the global model used by a function defined after the fit (corpus: mirnet.py)
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential()\n"
                "model.fit(x, y, validation_data=(xv, yv), epochs=5)\n"
                "\n"
                "def infer(image):\n"
                "    return model.predict(image)\n"
            ),
            line=3,
        ),
    )

    def leave_Module(self, node: cst.Module) -> None:
        semantic = self.context.semantic
        for fit in self.fits():
            call = fit.call
            if not (ah.keyword_value(call, "validation_data") is not None or _positive(ah.keyword_value(call, "validation_split"))):
                continue
            if not fit.callbacks.complete or any(_keeps_best(self.context, c, where) for c, where in fit.callbacks.calls):
                continue  # KC602/KC603 say what is missing; unseen callbacks may restore the best
            # ``fit(x, y, batch_size, epochs)`` / ``fit_generator(generator, steps_per_epoch, epochs)``
            position = 2 if fit.event.method == "fit_generator" else 3
            # ``epochs`` through names; a parameter may take several values: all must exceed 1.
            possible = semantic.int_values(ah.argument(call, position, "epochs"), fit.event.site)
            epochs = min(possible) if possible else None
            if epochs is None or epochs <= 1:
                continue
            if not self.used_after(fit) or any(not own for _, own in self.loads_after(fit)):
                continue
            self.report(
                call,
                f"after `fit` with validation over {_epochs_text(possible or [epochs])} epochs, "
                f"`{self.context.code(fit.event.receiver)}` holds the last epoch's "
                "weights, not the best validated ones; use `EarlyStopping(restore_best_weights=True)` or "
                "reload a best-only checkpoint",
            )


def _epochs_text(possible: list[int]) -> str:
    low, high = min(possible), max(possible)
    return str(low) if low == high else f"{low} to {high}"


def _keeps_best(context: FileContext, call: cst.Call, site: Site) -> bool:
    """An ``EarlyStopping``, a ``ModelCheckpoint`` keeping only the best epoch, or a callback
    class of the file that manages weights itself (``set_weights``/``load_weights`` in its body;
    a callback that only logs or stops at a threshold leaves the last epoch's weights)."""
    qualified = context.qualified(call.func)
    if qualified == EARLY_STOPPING or (qualified == CHECKPOINT and ah.is_true(ah.keyword_value(call, "save_best_only"))):
        return True
    if not isinstance(call.func, cst.Name):
        return False
    classes = [b.node for b in context.semantic.lookup(call.func.value, site) if b.kind == "class"]
    return any(_MANAGES_WEIGHTS.search(context.code(node)) for node in classes)


_MANAGES_WEIGHTS = re.compile(r"\.(?:set_weights|load_weights)\(|best_weights")


def _positive(expr: cst.BaseExpression | None) -> bool:
    if isinstance(expr, cst.Float):
        try:
            return float(expr.value) > 0
        except ValueError:
            return False
    return expr is not None and ah.int_value(expr) != 0


class EarlyStoppingNoRestore(_TimelineRule):
    """
    ## What it does
    Finds ``EarlyStopping`` callbacks without ``restore_best_weights=True`` (absent, or an
    explicit ``False``, which is the default), unless the file reloads saved weights after
    ``fit`` (a best checkpoint). Callbacks given only to a keras-tuner ``search`` are ignored;
    a non-literal value (``restore_best_weights=args.restore``) is left alone.

    ## Why is this bad?
    ``restore_best_weights`` defaults to ``False``: when training stops, the model holds the
    weights of the last epoch, ``patience`` epochs past the best one. The model you evaluate
    and save is not the one early stopping picked. (Keras 3 restores the best weights at the
    end of ``fit`` even when training was not stopped early; Keras 2 only when it stopped.)

    ## Example
    ```python
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)
    ```

    ## Use instead
    ```python
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    ```

    ## Fix safety
    Unsafe: the model after ``fit`` changes (to the best epoch's weights), and so do the
    results of everything that follows.
    """

    code = "KC602"
    name = "early-stopping-no-restore"
    summary = "`EarlyStopping` without `restore_best_weights=True`"
    VALID = (
        "import keras\nstop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)\n",
        # decided elsewhere
        "import keras\nstop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=config.restore)\n",
        # best checkpoint reloaded after fit
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "cbs = [keras.callbacks.EarlyStopping(patience=3), keras.callbacks.ModelCheckpoint('best.weights.h5', save_best_only=True,"
            " save_weights_only=True)]\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=cbs)\n"
            "model.load_weights('best.weights.h5')\n"
        ),
        # keras-tuner search: the trial models are discarded
        (
            "import keras\n"
            "stop_early = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5)\n"
            "tuner.search(x, y, epochs=50, validation_split=0.2, callbacks=[stop_early])\n"
        ),
        "import keras\nstop = keras.callbacks.EarlyStopping(**settings)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nstop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5)\n",
            line=2,
            fixed="import keras\nstop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)\n",
        ),
        Invalid(
            "from tensorflow.keras.callbacks import EarlyStopping\nmodel.fit(x, y, callbacks=[EarlyStopping()])\n",
            fixed="from tensorflow.keras.callbacks import EarlyStopping\nmodel.fit(x, y, callbacks=[EarlyStopping(restore_best_weights=True)])\n",
        ),
        Invalid(
            "import keras\nstop = keras.callbacks.EarlyStopping(\n    monitor='val_loss',\n    patience=5,\n)\n",
            fixed=(
                "import keras\n"
                "stop = keras.callbacks.EarlyStopping(\n"
                "    monitor='val_loss',\n"
                "    patience=5,\n"
                "    restore_best_weights=True,\n"
                ")\n"
            ),
        ),
        Invalid(
            "import keras\nstop = keras.callbacks.EarlyStopping(patience=2)\n",
            target_keras="2.15", message="only when",
            fixed="import keras\nstop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)\n",
        ),
        # an explicit False is the default: the same last-epoch weights
        Invalid(
            "import keras\nstop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=False)\n",
            line=2, message="restore_best_weights=False",
            fixed="import keras\nstop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)\n",
        ),
    )

    def leave_Module(self, node: cst.Module) -> None:
        fits = self.fits()
        for call, _ in self.early_stopping:
            receiving = self.receiving(call) or ([] if self.in_search(call) else fits[:1])
            if receiving and all(self.loads_after(fit) for fit in receiving):
                continue  # saved weights are loaded back after every fit it stops
            restore = ah.keyword_value(call, "restore_best_weights")
            explicit_false = restore is not None and ah.is_false(restore)
            if restore is not None and not explicit_false:
                continue  # True, or decided by a variable
            if (restore is None and ah.has_star_args(call)) or (self.in_search(call) and not self.receiving(call)):
                continue
            if explicit_false and restore is not None:
                edit: Edit | None = self.context.edit(restore, "True")
                what = "`EarlyStopping(restore_best_weights=False)` (the default)"
            else:
                edit = m.add_keyword_edit(self.context, call, "restore_best_weights", "True")
                what = "`EarlyStopping` without `restore_best_weights=True`"
            fix = m.fix(edit, safe=False, message="Set `restore_best_weights=True`") if edit else None
            when = (
                "Keras 3 then restores the best epoch at the end of `fit`"
                if self.context.keras_major >= 3
                else "Keras 2 then restores the best epoch only when it stops training early"
            )
            self.report(
                call,
                f"{what}: after `fit` the model keeps the last "
                f"epoch's weights, `patience` epochs past the best; pass `restore_best_weights=True` ({when})",
                fix=fix,
            )


class BestCheckpointNeverLoaded(_TimelineRule):
    """
    ## What it does
    Finds ``ModelCheckpoint(..., save_best_only=True)`` given to a ``fit`` whose model is used
    afterwards (``predict``, ``evaluate``, ``save``, returned, handed to a helper, or run inside
    a model built on it) without loading the checkpoint back, unless an
    ``EarlyStopping(restore_best_weights=True)`` on the same metric in the same ``fit``
    restores the best weights. A later load counts only if it loads the checkpoint's path (paths
    compared by value: ``os.path.join``, f-strings and variables are followed).

    ## Why is this bad?
    The checkpoint writes the best epoch's weights to disk but does not put them back into the
    model: the evaluation, the predictions and ``model.save`` that follow use the last epoch's
    weights while the code reads as if the best model were in use.

    ## Example
    ```python
    cp = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
    model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cp])
    model.evaluate(x_test, y_test)
    ```

    ## Use instead
    ```python
    cp = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
    model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cp])
    model = keras.models.load_model("best.keras")
    model.evaluate(x_test, y_test)
    ```
    """

    code = "KC603"
    name = "best-checkpoint-never-loaded"
    summary = "Best checkpoint saved but never loaded back"
    VALID = (
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "cp = keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True)\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[cp])\n"
            "model = keras.models.load_model('best.keras')\n"
            "model.evaluate(xt, yt)\n"
        ),
        # same path through a variable
        (
            "import keras\n"
            "path = 'ckpt/best.weights.h5'\n"
            "model = keras.Sequential()\n"
            "cp = keras.callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True)\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[cp])\n"
            "model.load_weights(path)\n"
            "model.evaluate(xt, yt)\n"
        ),
        # EarlyStopping on the same metric restores the best weights
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "cbs = [keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True), keras.callbacks.EarlyStopping(patience=3,"
            " restore_best_weights=True)]\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=cbs)\n"
            "model.evaluate(xt, yt)\n"
        ),
        # the checkpoint is the output of this script (loaded by another one)
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "cp = keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True)\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[cp])\n"
        ),
        (
            "import keras\n"
            "model = keras.Sequential()\n"
            "cp = keras.callbacks.ModelCheckpoint('all_{epoch}.keras')\n"
            "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[cp])\n"
            "model.evaluate(xt, yt)\n"
        ),

        # the same path built twice (os.path.join through a constant and a variable)
        (
            "import os\n"
            "import keras\n"
            "OUT = 'runs'\n"
            "best_path = os.path.join(OUT, 'best.weights.h5')\n"
            "model = keras.Sequential()\n"
            "cp = keras.callbacks.ModelCheckpoint(filepath=os.path.join(OUT, 'best.weights.h5'), save_best_only=True, save_weights_only=True)\n"
            "model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cp])\n"
            "model.load_weights(best_path)\n"
            "model.evaluate(xt, yt)\n"
        ),
    )
    INVALID = (
        # a later load of another file (the last epoch's) is not the best checkpoint
        Invalid(
            (
                "import os\n"
                "import keras\n"
                "OUT = 'runs'\n"
                "model = keras.Sequential()\n"
                "cp = keras.callbacks.ModelCheckpoint(filepath=os.path.join(OUT, 'best.weights.h5'), save_best_only=True, save_weights_only=True)\n"
                "model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cp])\n"
                "model.save_weights(f'{OUT}/last.weights.h5')\n"
                "model.load_weights(os.path.join(OUT, 'last.weights.h5'))\n"
                "model.evaluate(xt, yt)\n"
            ),
            line=5,
        ),
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential()\n"
                "cp = keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True)\n"
                "model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cp])\n"
                "model.evaluate(x_test, y_test)\n"
            ),
            line=3, message="never loaded",
        ),
        # a different file is loaded
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential()\n"
                "cp = keras.callbacks.ModelCheckpoint('best.keras', save_best_only=True)\n"
                "model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cp])\n"
                "other = keras.models.load_model('baseline.keras')\n"
                "model.save('final.keras')\n"
            ),
            line=3,
        ),
        # EarlyStopping watches another metric
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential()\n"
                "cbs = [keras.callbacks.ModelCheckpoint('best.keras', monitor='val_accuracy', save_best_only=True),"
                " keras.callbacks.EarlyStopping(restore_best_weights=True)]\n"
                "model.fit(x, y, validation_split=0.2, epochs=20, callbacks=cbs)\n"
                "model.evaluate(xt, yt)\n"
            ),
            line=3,
        ),
    )

    def leave_Module(self, node: cst.Module) -> None:
        semantic = self.context.semantic
        fits = self.fits()
        if not fits:
            return
        for call, site in self.checkpoints:
            if not ah.is_true(ah.keyword_value(call, "save_best_only")):
                continue
            receiving = self.receiving(call)
            if not receiving:
                if self.in_search(call) or all(fit.callbacks.complete for fit in fits):
                    continue  # given to no fit of this file
                receiving = [fit for fit in fits if not fit.callbacks.complete]
            path = semantic.value_of(ah.argument(call, 0, "filepath"), site)
            templated = "{" in path.head or "{" in path.tail or not path.is_known  # ``best_{epoch}.keras``
            for fit in receiving:
                restored = {_monitor(c) for c, _ in fit.callbacks.calls if self.context.qualified(c.func) == EARLY_STOPPING and _restores(c)}
                if _monitor(call) in restored or not self.used_after(fit):
                    continue
                if any(templated or loaded.may_equal(path) for loaded, _ in self.loads_after(fit)):
                    continue
                self.report(
                    call,
                    "best-only checkpoint is written but never loaded back after `fit`: the model used afterwards "
                    "holds the last epoch's weights; load the checkpoint (or use `EarlyStopping(restore_best_weights=True)`)",
                )
                break


_SOFTMAX_FUNCTIONS = frozenset(
    {"tensorflow.nn.softmax", "tensorflow.math.softmax", "keras.activations.softmax", "keras.ops.softmax",
     "keras.backend.softmax"}
)
_SOFTMAX_LAYERS = frozenset({"keras.layers.Softmax"})


class SoftmaxSingleUnit(Rule):
    """
    ## What it does
    Finds a softmax over a one-unit output: ``Dense(1, activation="softmax")``, or
    ``Activation("softmax")``, ``layers.Softmax()``, ``tf.nn.softmax`` /
    ``keras.activations.softmax`` applied to the output of a ``Dense(1)``.

    ## Why is this bad?
    Softmax normalises over the last axis; over one unit it always returns exactly 1.0. The
    model predicts the same value for every input; the loss may still fall while accuracy stays
    frozen, and Keras only warns at run time. A binary output needs ``sigmoid``.

    ## Example
    ```python
    outputs = keras.layers.Dense(1, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)  # or Dense(n_classes, "softmax")
    ```
    """

    code = "KC604"
    name = "softmax-single-unit"
    summary = "Softmax over a single unit always outputs 1.0"
    severity = Severity.ERROR
    VALID = (
        "import keras\nout = keras.layers.Dense(1, activation='sigmoid')\n",
        "import keras\nout = keras.layers.Dense(10, activation='softmax')\n",
        "import tensorflow as tf\nlogits = tf.keras.layers.Dense(3)(x)\nprobs = tf.nn.softmax(logits)\n",
        # softmax over another axis of a one-unit output (attention scores over time)
        "import tensorflow as tf\nscore = tf.keras.layers.Dense(1)(h)\nweights = tf.nn.softmax(score, axis=1)\n",
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(1), keras.layers.Dense(4), keras.layers.Softmax()])\n",
    )
    INVALID = (
        Invalid("import keras\nout = keras.layers.Dense(1, activation='softmax')(x)\n", line=2, message="1.0"),
        Invalid("from tensorflow.keras.layers import Dense\nout = Dense(1, 'softmax')\n", line=2),
        Invalid("import keras\nlayer = keras.layers.Dense(units=1, activation=keras.activations.softmax)\n", line=2),
        Invalid("import tensorflow as tf\nlogit = tf.keras.layers.Dense(1)(x)\nprob = tf.nn.softmax(logit)\n", line=3),
        Invalid("import keras\nx = keras.layers.Dense(1)(h)\nout = keras.layers.Activation('softmax')(x)\n", line=3),
        Invalid("import keras\nmodel = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1), keras.layers.Softmax()])\n", line=2),
        Invalid((
            "import keras\n"
            "model = keras.Sequential()\n"
            "model.add(keras.layers.Dense(1))\n"
            "model.add(keras.layers.Activation('softmax'))\n"
        ), line=4),
        Invalid("import keras\nout = keras.layers.Softmax()(keras.layers.Dense(1)(h))\n", line=2),
    )

    _MESSAGE = "softmax over a single unit always outputs 1.0; use `sigmoid` for one unit, or one unit per class"

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        imports = context.imports
        qualified = context.qualified(node.func)
        if qualified == "keras.layers.Dense":
            if dense_units(node, imports) == 1 and layer_activation(node, imports) == "softmax":
                self.report(node, self._MESSAGE)
            return
        if qualified in _SOFTMAX_FUNCTIONS:
            axis = ah.argument(node, 1, "axis")
            if axis is not None and not _last_axis(axis):
                return
            if self._one_unit(ah.argument(node, 0, "x") or ah.argument(node, 0, "logits")):
                self.report(node, self._MESSAGE)
            return
        if qualified in SEQUENTIAL:
            layers = ah.argument(node, 0, "layers")
            if isinstance(layers, (cst.List, cst.Tuple)):
                calls = [e.value for e in layers.elements if isinstance(e.value, cst.Call)]
                for before, after in itertools.pairwise(calls):
                    if self._is_softmax_layer(after) and dense_units(before, imports) == 1:
                        self.report(after, self._MESSAGE)
            return
        # ``Activation("softmax")(x)`` / ``Softmax()(x)`` with ``x`` a Dense(1) output
        if isinstance(node.func, cst.Call) and self._is_softmax_layer(node.func):
            if self._one_unit(ah.argument(node, 0, "inputs")):
                self.report(node, self._MESSAGE)
            return
        method = ah.method_call(node)
        if method is not None and method[1] == "add":
            added = ah.argument(node, 0, "layer")
            if isinstance(added, cst.Call) and self._is_softmax_layer(added):
                previous = context.semantic.layer_before(added, method[0])
                if previous is not None and dense_units(previous, imports) == 1:
                    self.report(node, self._MESSAGE)

    def _is_softmax_layer(self, call: cst.Call) -> bool:
        qualified = self.context.qualified(call.func)
        if qualified in _SOFTMAX_LAYERS:
            axis = ah.argument(call, 0, "axis")
            return axis is None or _last_axis(axis)
        return qualified == "keras.layers.Activation" and layer_activation(call, self.context.imports) == "softmax"

    def _one_unit(self, expr: cst.BaseExpression | None) -> bool:
        if expr is None:
            return False
        layer = self.context.semantic.layer_of(expr)
        return layer is not None and dense_units(layer, self.context.imports) == 1


def _last_axis(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return ah.int_value(expr.expression) == 1
    return False


_CATEGORICAL = frozenset(
    {"categorical_crossentropy", "sparse_categorical_crossentropy", "CategoricalCrossentropy",
     "SparseCategoricalCrossentropy", "CategoricalFocalCrossentropy", "categorical_focal_crossentropy"}
)
_BINARY = frozenset({"binary_crossentropy", "BinaryCrossentropy", "BinaryFocalCrossentropy", "binary_focal_crossentropy"})
#: Layers that only apply an activation: the output width is that of the layer they follow.


class LossActivationMismatch(Rule):
    """
    ## What it does
    Compares the loss given to ``compile`` with the visible output layer of the model:
    ``from_logits=True`` after a softmax/sigmoid output, a categorical loss on a sigmoid or
    one-unit output, a binary cross-entropy on a softmax output. A one-unit softmax with a
    binary loss is reported here too (with its own message), whether the softmax is the
    ``Dense(1)``'s activation or a following ``Activation``/``Softmax`` layer; KC604 reports
    the layer itself.

    ## Why is this bad?
    ``from_logits=True`` applies softmax/sigmoid again on probabilities: gradients shrink and
    training stalls or converges to a worse model. A categorical cross-entropy over one unit is
    always 0 (nothing is learned); over sigmoid outputs it ignores that they are independent.
    Binary cross-entropy on a softmax output treats coupled class probabilities as independent
    labels (and ``accuracy`` then means binary accuracy); over one unit the softmax is always
    1.0, so the loss cannot learn anything.

    ## Example
    ```python
    model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```

    ## Use instead
    ```python
    model = keras.Sequential([keras.layers.Dense(10)])  # logits
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```
    """

    code = "KC605"
    name = "loss-activation-mismatch"
    summary = "The loss does not match the output activation"
    VALID = (
        (
            "import keras\n"
            "model = keras.Sequential([keras.layers.Dense(10)])\n"
            "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        ),
        (
            "import keras\n"
            "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
            "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
        ),
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(1, activation='sigmoid')])\nmodel.compile('adam', 'binary_crossentropy')\n",
        # output layer unknown (subclassed / loaded)
        "import keras\nmodel = keras.models.load_model('m.keras')\nmodel.compile(loss='binary_crossentropy')\n",
        # multi-output losses are not compared
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(3, activation='softmax')])\nmodel.compile(loss=['binary_crossentropy'])\n",
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
                "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            ),
            line=3, message="from_logits=True",
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "loss_fn = tf.keras.losses.BinaryCrossentropy(from_logits=True)\n"
                "inputs = tf.keras.Input((4,))\n"
                "outputs = tf.keras.layers.Dense(1, activation='sigmoid')(inputs)\n"
                "model = tf.keras.Model(inputs, outputs)\n"
                "model.compile(optimizer='adam', loss=loss_fn)\n"
            ),
            line=6, message="sigmoid",
        ),
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential()\n"
                "model.add(keras.layers.Dense(1, activation='sigmoid'))\n"
                "model.compile('adam', 'categorical_crossentropy')\n"
            ),
            line=4, message="categorical",
        ),
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential([keras.layers.Dense(5, activation='softmax')])\n"
                "model.compile(optimizer='adam', loss=keras.losses.binary_crossentropy)\n"
            ),
            line=3, message="softmax",
        ),
        # a one-unit softmax with a binary loss: both spellings of the softmax agree
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential([keras.layers.Dense(1, activation='softmax')])\n"
                "model.compile(optimizer='adam', loss='binary_crossentropy')\n"
            ),
            line=3, message="always 1.0",
        ),
        Invalid(
            (
                "import keras\n"
                "inputs = keras.Input((8,))\n"
                "x = keras.layers.Dense(1)(inputs)\n"
                "outputs = keras.layers.Activation('softmax')(x)\n"
                "model = keras.Model(inputs, outputs)\n"
                "model.compile(optimizer='adam', loss='binary_crossentropy')\n"
            ),
            line=6, message="always 1.0",
        ),
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential([keras.layers.Dense(1), keras.layers.Softmax()])\n"
                "model.compile(optimizer='adam', loss='binary_crossentropy')\n"
            ),
            line=3, message="always 1.0",
        ),
        # the model comes from a factory function of the same file
        Invalid(
            (
                "import keras\n"
                "\n"
                "def build():\n"
                "    model = keras.Sequential([keras.layers.Dense(4, activation='softmax')])\n"
                "    return model\n"
                "\n"
                "model = build()\n"
                "model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))\n"
            ),
            line=8,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = ah.method_call(node)
        if method is None or method[1] != "compile" or self.context.qualified(node.func) is not None:
            return
        layer = self.context.semantic.output_layer(method[0])
        if layer is None:
            return
        loss, from_logits = self._loss(ah.argument(node, 1, "loss"))
        if loss is None:
            return
        imports = self.context.imports
        activation = layer_activation(layer, imports)
        units = self._units(method[0], layer)
        if activation is None and (self.context.qualified(layer.func) or "").startswith("keras.layers.") and units is not None:
            activation = "linear"
        # ``cause`` names the mismatch for kerascheck.agreement (KP108 measures some of them).
        problem = cause = None
        if from_logits and activation in ("softmax", "sigmoid"):
            cause = causes.FROM_LOGITS_AFTER_ACTIVATION
            problem = (
                f"`from_logits=True` but the output layer already applies `{activation}`: the loss applies it a second time; "
                "drop the activation or set `from_logits=False`"
            )
        elif loss in _CATEGORICAL and units == 1:
            cause = causes.CATEGORICAL_LOSS_ONE_UNIT
            problem = f"`{loss}` over a one-unit output is always 0: use `binary_crossentropy` with a sigmoid unit, or one unit per class"
        elif loss in _CATEGORICAL and activation == "sigmoid":
            cause = causes.CATEGORICAL_LOSS_ON_SIGMOID
            problem = f"`{loss}` on a sigmoid output: use softmax for one-of-N classes, or `binary_crossentropy` for independent labels"
        elif loss in _BINARY and activation == "softmax" and units == 1:
            cause = causes.ONE_UNIT_SOFTMAX
            problem = f"`{loss}` on a one-unit softmax output: softmax over one unit is always 1.0, so nothing is learned; use `sigmoid` for the unit"
        elif loss in _BINARY and activation == "softmax":
            cause = causes.BINARY_LOSS_ON_SOFTMAX
            problem = (
                f"`{loss}` on a softmax output treats coupled class probabilities as independent labels: "
                "use `categorical_crossentropy` (or one sigmoid unit)"
            )
        if problem is not None and cause is not None:
            self.report(node, problem, extra=causes.tagged(cause))

    def _units(self, model: cst.BaseExpression, layer: cst.Call) -> int | None:
        """The output's width: the output ``Dense``'s units, or those of the ``Dense`` that an
        output ``Activation``/``Softmax`` layer is applied to."""
        imports = self.context.imports
        units = dense_units(layer, imports)
        if units is not None or (self.context.qualified(layer.func) or "") not in ACTIVATION_LAYERS:
            return units
        before = self.context.semantic.layer_before(layer, model)
        return dense_units(before, imports) if before is not None else None

    def _loss(self, expr: cst.BaseExpression | None) -> tuple[str | None, bool]:
        """(loss name, from_logits) of a loss string, function, instance or bound instance."""
        if expr is None:
            return None, False
        text = self.context.semantic.string_value(expr)  # ``loss=LOSS`` with ``LOSS = "mse"`` too
        if text is not None:
            return text, False
        if isinstance(expr, cst.Name):  # ``loss = keras.losses.X(...)``: the binding the use sees
            bindings = self.context.semantic.lookup(expr.value)
            if len(bindings) == 1 and isinstance(bindings[0].value, cst.Call):
                expr = bindings[0].value
        if isinstance(expr, cst.Call):
            qualified = self.context.qualified(expr.func) or ""
            if not qualified.startswith("keras.losses."):
                return None, False
            return qualified.rsplit(".", 1)[-1], ah.is_true(ah.keyword_value(expr, "from_logits"))
        qualified = self.context.qualified(expr) or ""
        if qualified.startswith("keras.losses."):
            return qualified.rsplit(".", 1)[-1], False
        return None, False


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [LastEpochWeights, EarlyStoppingNoRestore, BestCheckpointNeverLoaded, SoftmaxSingleUnit, LossActivationMismatch]
