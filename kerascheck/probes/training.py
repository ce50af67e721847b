"""KP201 and KP202: reported by :class:`kerascheck.callback.KerascheckCallback` during ``fit``.

KP201 needs a training run, so the runner never runs it on a model (``callback_only``). KP202
also runs on every probed model: it runs the model the way training does and compares the
layers' plain Python attributes before and after.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck.findings import Finding, Severity
from kerascheck.probes.base import Probe, ProbeContext


class BestEpochNotRestored(Probe):
    """## What it does
    During `fit`, tracks the monitored metric (`val_loss` by default). At the end of training
    it reports when the last epoch is worse than the best one and nothing restores the best
    weights: no `EarlyStopping(restore_best_weights=True)` among the callbacks of the same
    `fit` call.

    ## Why is this bad?
    After `fit` the model holds the last epoch's weights. If validation got worse after the
    best epoch (over-fitting), everything done with the model afterwards (evaluate, predict,
    save) uses worse weights than the ones you saw in the logs. `EarlyStopping` does not
    restore by default, and `ModelCheckpoint(save_best_only=True)` writes the best weights but
    never loads them back.

    ## Example
    ```python
    model.fit(x, y, validation_data=(xv, yv), epochs=50,
              callbacks=[keras.callbacks.EarlyStopping(patience=5)])
    model.save("model.keras")          # last epoch, not the best
    ```

    ## Use instead
    ```python
    model.fit(x, y, validation_data=(xv, yv), epochs=50,
              callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])
    ```
    or load the best checkpoint after `fit`.

    ## Options
    * `monitor` (default `"val_loss"`), `mode` (default `"auto"`: `max` for accuracy/AUC-like
      names, `min` otherwise), `min_delta` (default `0.0`, absolute) and `relative_delta`
      (default `0.01`: the last epoch must be worse than the best by more than 1 % of the best
      value, so noise is not reported): passed to the callback's constructor. When `monitor`
      is never logged, an info finding says so.
    """

    code = "KP201"
    name = "best-epoch-not-restored"
    summary = "Training ends on weights worse than the best epoch and nothing restores them"
    callback_only: ClassVar[bool] = True
    options: ClassVar[dict[str, Any]] = {"monitor": "val_loss", "mode": "auto", "min_delta": 0.0, "relative_delta": 0.01}


class PythonStateInTraining(Probe):
    """## What it does
    During `fit` (with `KerascheckCallback`), records the plain Python attributes of every
    layer (numbers, strings, booleans, and the lengths of lists/dicts/sets; not Keras
    variables, not Keras' own private attributes) when training begins and compares them when
    it ends. When probing a model (`kerascheck probe`, `check --probe`), it runs the model
    twice in training mode (`model(x, training=True)`) and once through `predict`, and
    compares the attributes before and after.

    ## Why is this bad?
    A custom `call` is traced into a graph: Python side effects in it (counters, list appends,
    mutating `self.` attributes) run when the function is traced, not once per batch, so the
    value means nothing, and it is not saved with the model. State that must evolve during
    training belongs in a non-trainable Keras variable updated with `assign`.

    ## Example
    ```python
    class Counter(keras.layers.Layer):
        def call(self, x):
            self.calls += 1          # runs at trace time only
            return x
    ```

    ## Use instead
    ```python
    class Counter(keras.layers.Layer):
        def build(self, input_shape):
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         dtype="int64")
        def call(self, x):
            self.calls.assign_add(1)
            return x
    ```
    """

    code = "KP202"
    name = "python-state-in-training"
    summary = "Layers' plain Python attributes changed during training"
    severity = Severity.WARNING

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        from kerascheck.probes.python_state import changed_attributes, changed_message, python_state

        model = ctx.model
        before = python_state(model)
        for _ in range(2):  # eagerly, so the Python in call() runs on each call, as in a fit step
            model(ctx.inputs, training=True)
        ctx.predict()  # traced: what runs once per predict function
        for path, changes in changed_attributes(before, python_state(model)):
            yield ctx.finding(changed_message(path or model.name, changes, "when the model ran"), layer=path or None)
