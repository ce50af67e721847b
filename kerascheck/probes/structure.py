"""Probes about what the model computes and returns: KP106, KP108."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck import causes
from kerascheck.findings import Finding
from kerascheck.probes.base import Probe, ProbeContext

_PROBABILITY_LOSSES = {
    "categorical_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "categorical",
    "binary_crossentropy": "binary",
}


class BatchNormNeverTrained(Probe):
    """## What it does
    Reports `BatchNormalization` layers whose moving statistics are still at their initial
    values: `moving_mean` all 0 and `moving_variance` all 1.

    ## Why is this bad?
    The moving statistics are what BatchNormalization uses at inference. If they were never
    updated (the model was saved before training, the layer was frozen with `trainable=False`
    from the start, or it was only ever called with `training=False`), inference does not
    normalise at all and the predictions differ from what training saw.

    ## Example
    ```python
    model = build_model()            # with BatchNormalization
    model.save("model.keras")        # saved before fit
    ```

    ## Use instead
    Train (or fine-tune) with the layer in training mode before saving, or remove the layer.
    """

    code = "KP106"
    name = "batchnorm-never-trained"
    summary = "BatchNormalization with moving statistics still at their initial values"
    needs_inputs = False

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        import keras
        import numpy as np

        from kerascheck.probes import _tf

        untrained = []
        for path, layer in _tf.walk_layers(ctx.model):
            if not isinstance(layer, keras.layers.BatchNormalization) or not layer.built:
                continue
            mean = np.asarray(keras.ops.convert_to_numpy(layer.moving_mean))
            variance = np.asarray(keras.ops.convert_to_numpy(layer.moving_variance))
            if np.all(mean == 0.0) and np.all(variance == 1.0):
                untrained.append(path)
        if untrained:
            yield ctx.layers_finding(
                "BatchNormalization",
                untrained,
                "moving_mean is still all 0 and moving_variance all 1: never trained, so at "
                "inference it does not normalise",
            )


class OutputStructure(Probe):
    """## What it does
    Checks what the model returns: a softmax over a single unit (always exactly 1.0); an
    output that is not a probability although the compiled loss expects probabilities
    (`categorical_crossentropy`/`binary_crossentropy` without `from_logits=True`); and a
    custom `predict_step` that makes `predict` return a dict while `model(x)` does not.

    ## Why is this bad?
    `Dense(1, activation="softmax")` normalises one number against itself: the output is
    always 1.0, the loss still falls, accuracy stays frozen. Logits fed to a loss that expects
    probabilities train badly and predict unbounded scores. A dict from `predict` breaks every
    caller written for arrays (`np.argmax(model.predict(x), axis=-1)`).

    ## Example
    ```python
    outputs = keras.layers.Dense(1, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)   # binary
    outputs = keras.layers.Dense(n, activation="softmax")(x)   # n classes
    ```
    and keep `predict_step` returning the same structure as `call`.

    ## Options
    * `atol` (default `1e-3`): how far a row may be from summing to 1 (or a value from
      `[0, 1]`) and still count as a probability.
    """

    code = "KP108"
    name = "output-structure"
    summary = "Softmax on one unit, non-probability output for a probability loss, dict from predict"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-3}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        yield from self._single_unit_softmax(ctx)
        ctx.reset_states()
        predicted = ctx.predict()
        ctx.reset_states()
        called = ctx.model(ctx.inputs, training=False)
        if isinstance(predicted, dict) and not isinstance(called, dict):
            yield ctx.finding(
                f"predict() returns a dict (keys {sorted(predicted)}) while model(x) returns "
                f"{type(called).__name__}: {type(ctx.model).__name__}.predict_step returns a "
                "dict, which breaks callers written for arrays",
                extra=causes.tagged(causes.PREDICT_RETURNS_DICT),
            )
        yield from self._not_probabilities(ctx, called)

    @staticmethod
    def _single_unit_softmax(ctx: ProbeContext) -> Iterator[Finding]:
        import keras

        from kerascheck.probes import _tf

        for path, layer in _tf.walk_layers(ctx.model):
            activation = getattr(layer, "activation", None)
            is_softmax = "softmax" in getattr(activation, "__name__", "") or isinstance(
                layer, keras.layers.Softmax
            )
            if not is_softmax:
                continue
            units = getattr(layer, "units", None)
            if units is None:
                try:
                    units = layer.output.shape[-1]
                except (AttributeError, ValueError, IndexError):
                    continue
            if units == 1:
                yield ctx.finding(
                    f"{type(layer).__name__} {layer.name!r} applies softmax to a single unit: "
                    "its output is always exactly 1.0; use sigmoid for one unit, or one unit "
                    "per class with softmax",
                    layer=path,
                    extra=causes.tagged(causes.ONE_UNIT_SOFTMAX),
                )

    @staticmethod
    def _not_probabilities(ctx: ProbeContext, called: Any) -> Iterator[Finding]:
        import numpy as np

        from kerascheck.probes import _tf

        kind, loss_name = _probability_loss(getattr(ctx.model, "loss", None))
        outputs = _tf.flatten_outputs(called)
        if kind is None or len(outputs) != 1:
            return
        (output,) = outputs
        if not np.all(np.isfinite(output)):
            return  # NaN/Inf is KP109's finding; no activation would make it a probability
        atol = float(ctx.options["atol"])
        out_of_range = bool(np.any(output < -atol) or np.any(output > 1 + atol))
        sums_off = (
            kind == "categorical"
            and output.ndim >= 2
            and output.shape[-1] > 1
            and not np.allclose(output.sum(axis=-1), 1.0, atol=atol)
        )
        if out_of_range or sums_off:
            fix = "a softmax" if kind == "categorical" else "a sigmoid"
            yield ctx.finding(
                f"the model is compiled with {loss_name} (from_logits=False) but its output is "
                f"not a probability (range {output.min():.3g}..{output.max():.3g}): end with "
                f"{fix} or compile the loss with from_logits=True",
                extra=causes.tagged(causes.OUTPUT_NOT_PROBABILITY),
            )


def _probability_loss(loss: Any) -> tuple[str | None, str]:
    """``("categorical"|"binary", name)`` when ``loss`` expects probabilities, else ``(None, "")``."""
    if loss is None:
        return None, ""
    if isinstance(loss, str):
        return _PROBABILITY_LOSSES.get(loss), loss
    config: dict[str, Any] = {}
    try:
        config = loss.get_config() or {}
    except Exception:  # a loss without config is not one of ours
        return None, ""
    if config.get("from_logits"):
        return None, ""
    name = str(config.get("name") or getattr(loss, "name", "") or "")
    if name in _PROBABILITY_LOSSES:
        return _PROBABILITY_LOSSES[name], name
    fn = config.get("fn") or getattr(getattr(loss, "fn", None), "__name__", "")
    fn_name = fn if isinstance(fn, str) else ""
    return _PROBABILITY_LOSSES.get(fn_name), fn_name
