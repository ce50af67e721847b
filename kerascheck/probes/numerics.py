"""Probes about the numbers a model computes: KP109 (NaN/Inf), KP110 (batch dependence) and
KP112 (half-precision outputs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck.findings import Finding, Severity
from kerascheck.probes.base import Probe, ProbeContext

_HALF = ("float16", "bfloat16")


class NonFiniteValues(Probe):
    """## What it does
    Looks for NaN or infinite values in every layer's weights and in the outputs of `predict`
    on ordinary inputs, and names the layers whose weights hold them.

    ## Why is this bad?
    A model whose training diverged (a too-high learning rate, a log of zero, an overflow in
    float16) still saves and loads, and every other check passes on it, but it predicts
    nothing: NaN propagates through every layer it touches.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e4), loss="mse")
    model.fit(x, y)          # loss: nan
    model.save("model.keras")
    ```

    ## Use instead
    Check `history.history["loss"]` for NaN before saving (or use
    `keras.callbacks.TerminateOnNaN()`), lower the learning rate, clip gradients
    (`clipnorm=1.0`), and keep the loss in float32 under mixed precision.
    """

    code = "KP109"
    name = "non-finite-values"
    summary = "Weights or outputs contain NaN or infinite values"
    severity = Severity.ERROR
    needs_inputs = False  # weights are checked even when no inputs can be made

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        import numpy as np

        from kerascheck.probes import _tf

        owners = _tf.variable_owners(ctx.model)
        variables = list(ctx.model.weights)
        bad_layers: list[str] = []
        bad_values = 0
        for variable, value in zip(variables, _tf.snapshot(variables), strict=False):
            if value.dtype.kind != "f":
                continue
            count = int(value.size - np.count_nonzero(np.isfinite(value)))
            if count:
                path = owners.get(id(variable), "") or ctx.model.name
                if path not in bad_layers:
                    bad_layers.append(path)
                bad_values += count
        bad_outputs, total = 0, 0
        if ctx.inputs is not None:
            floating = [o for o in _tf.flatten_outputs(ctx.predict()) if o.dtype.kind == "f"]
            total = sum(o.size for o in floating)
            bad_outputs = sum(int(o.size - np.count_nonzero(np.isfinite(o))) for o in floating)
        outputs = f"; predict returns NaN/infinite values for {bad_outputs} of {total} outputs" if bad_outputs else ""
        if bad_layers:
            yield ctx.layers_finding(
                "", bad_layers,
                f"weights hold {bad_values} NaN/infinite value(s){outputs}: training diverged; "
                "the model cannot predict anything meaningful",
            )
        elif bad_outputs:
            yield ctx.finding(
                f"predict returns NaN/infinite values for {bad_outputs} of {total} outputs on "
                "ordinary inputs (the weights are finite: an overflow or a division/log of zero "
                "inside the model)"
            )


class BatchDependentOutput(Probe):
    """## What it does
    Predicts each sample alone (batch size 1) and the same samples together in one batch, and
    reports when a sample's output depends on which other samples share its batch.

    ## Why is this bad?
    In serving, batches are formed by whatever requests arrive together. An output that
    depends on the rest of the batch (a custom layer normalising over axis 0, a
    BatchNormalization forced into training mode, a reduction over the batch) changes with
    traffic and cannot be reproduced offline.

    ## Example
    ```python
    class Centre(keras.layers.Layer):
        def call(self, x):
            return x - keras.ops.mean(x, axis=0)     # the batch mean
    ```

    ## Use instead
    Reduce over feature axes (`axis=-1`), or use learned/stored statistics
    (`keras.layers.Normalization`, `BatchNormalization` in inference mode).

    ## Options
    * `atol` (default `1e-5`), `rtol` (default `1e-4`): tolerance when comparing outputs.
    """

    code = "KP110"
    name = "batch-dependent-output"
    summary = "A sample's prediction changes with the other samples in its batch"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-5, "rtol": 1e-4}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        from kerascheck.probes import _tf

        if _fixed_batch(ctx.model) is not None or ctx.batch_size < 2:
            return  # stateful models only take their own batch size
        atol, rtol = ctx.tolerances()
        together = ctx.predict()
        if not _tf.close(together, ctx.predict(), atol, rtol):
            return  # random predictions are KP102's
        alone = ctx.model.predict(ctx.inputs, batch_size=1, verbose=0)  # each sample on its own
        if _tf.close(together, alone, atol, rtol):
            return
        yield ctx.finding(
            f"predicting samples one at a time differs from predicting them in a batch of "
            f"{ctx.batch_size} by up to {_tf.max_difference(together, alone):.3g}: some layer "
            "mixes samples across the batch axis, so outputs change with what is batched together"
        )


class HalfPrecisionOutput(Probe):
    """## What it does
    Reports model outputs computed in float16/bfloat16, which is what a mixed-precision
    policy (`keras.mixed_precision.set_global_policy("mixed_float16")`) gives the last layer
    unless it is told otherwise.

    ## Why is this bad?
    Softmax and losses in half precision overflow and lose small probabilities (float16 has
    about 3 significant digits and tops out at 65504); the Keras mixed-precision guide asks for
    float32 outputs. Consumers of the model also get float16 arrays they did not expect.

    ## Example
    ```python
    keras.mixed_precision.set_global_policy("mixed_float16")
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    outputs = keras.layers.Dense(10, activation="softmax", dtype="float32")(x)
    ```
    """

    code = "KP112"
    name = "half-precision-output"
    summary = "The model outputs float16/bfloat16 (mixed precision without a float32 head)"
    needs_inputs = False

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        dtypes = _output_dtypes(ctx)
        half = sorted({d for d in dtypes if d in _HALF})
        if half:
            yield ctx.finding(
                f"the model's output is {', '.join(half)} (a mixed-precision policy on the last "
                "layer): softmax and losses lose precision or overflow in half precision; give "
                "the last layer dtype='float32'"
            )


def _output_dtypes(ctx: ProbeContext) -> list[str]:
    import keras

    from kerascheck.probes import _tf

    try:
        return [str(keras.backend.standardize_dtype(t.dtype)) for t in ctx.model.outputs]
    except (AttributeError, ValueError, TypeError):
        pass
    if ctx.inputs is None:
        return []
    return [str(a.dtype) for a in _tf.flatten_outputs(ctx.model(ctx.inputs, training=False))]


def _fixed_batch(model: Any) -> int | None:
    from kerascheck.probes import inputs

    try:
        return inputs.signature(model).fixed_batch
    except inputs.InputError:
        return None

