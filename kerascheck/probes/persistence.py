"""Probes about the saved artifact: KP104 (save/reload round trip) and KP105 (unsafe content)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck.findings import Finding, Severity
from kerascheck.probes.base import Probe, ProbeContext

_MSE_HINT = (
    " (Keras 3.15 cannot reload an .h5 model compiled with loss=\"mse\"; save it as .keras, "
    "or load it with compile=False and compile again)"
)


def _hint(cause: str) -> str:
    return _MSE_HINT if "mse" in cause or "mean_squared" in cause else ""


class ReloadMismatch(Probe):
    """## What it does
    Saves the loaded model in a temporary directory, in its own format (`.h5` for an `.h5`
    model) and in `.keras`, loads each copy back in the same way and compares predictions.
    Reports a copy that cannot be saved or loaded, predictions that differ beyond the
    tolerance (naming the first layer whose output differs), and an artifact that loads only
    without its training configuration (`compile=False`).

    ## Why is this bad?
    A model that does not survive save → load serves different predictions from the ones you
    evaluated. Typical causes: a custom layer whose `get_config()` forgets a constructor
    argument (the reloaded layer is built with the default), weights created outside `build`
    and never saved, or the legacy `.h5` format (Keras 3.15 cannot even reload an `.h5` model
    compiled with `loss="mse"`).

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor
        def get_config(self):
            return super().get_config()          # factor is lost
    ```

    ## Use instead
    ```python
        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
    ```
    and save full models as `.keras`.

    ## Options
    * `atol` (default `1e-5`), `rtol` (default `1e-4`): tolerance when comparing the original
      and the reloaded model's predictions.
    """

    code = "KP104"
    name = "reload-mismatch"
    summary = "Predictions change after save and reload, or the model does not reload"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-5, "rtol": 1e-4}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        from kerascheck.probes import _tf

        if ctx.compile_error:
            yield ctx.finding(
                f"this {ctx.source_format} file loads only with compile=False: "
                f"{ctx.compile_error}{_hint(ctx.compile_error)}"
            )
        if ctx.source_format == "savedmodel":
            return  # an inference-only TFSMLayer wrapper: nothing Keras can round-trip
        formats = ["h5", "keras"] if ctx.source_format == "h5" else ["keras"]
        atol, rtol = ctx.tolerances()
        ctx.reset_states()
        reference = ctx.predict()
        ctx.reset_states()
        stable = _tf.close(reference, ctx.predict(), atol, rtol)
        if stable and ctx.reference is not None and not _tf.close(reference, ctx.reference, atol, rtol):
            yield ctx.finding(
                "the saved file predicts differently from the in-memory model it was saved "
                f"from (by up to {_tf.max_difference(reference, ctx.reference):.3g}): a custom "
                "layer's get_config() probably misses a constructor argument, or weights are "
                "created outside build()"
            )
        for fmt in formats:
            reloaded, problem = self._round_trip(ctx, fmt)
            if problem:
                yield ctx.finding(problem)
            if reloaded is None or not stable:
                continue  # random predictions are KP102's; nothing to compare
            ctx.reset_states(reloaded)
            again = ctx.predict(model=reloaded)
            if _tf.close(reference, again, atol, rtol):
                continue
            culprit, divergence = self._first_differing_layer(ctx, reloaded, atol, rtol)
            where = ""
            if culprit is not None:
                kind = type(ctx.model.get_layer(culprit)).__name__
                where = (
                    f"; the first layer that differs is {culprit!r} ({kind}): check that its "
                    "get_config() returns every constructor argument and that its weights are "
                    "created in build()"
                )
            yield ctx.finding(
                f"predictions of the model saved as .{fmt} and loaded back differ by up to "
                f"{_tf.max_difference(reference, again):.3g}{where}",
                layer=culprit,
                extra=(("divergence", divergence),) if divergence else (),
            )

    @staticmethod
    def _round_trip(ctx: ProbeContext, fmt: str) -> tuple[Any, str | None]:
        import keras

        from kerascheck.probes.loading import short_cause

        target = ctx.tmpdir / f"roundtrip.{fmt}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # .h5 saving warns that the format is legacy
            try:
                ctx.model.save(target)
            except Exception as exc:  # any failure is the finding
                return None, f"saving the model as .{fmt} fails: {short_cause(exc)}"
        safe = {"safe_mode": not ctx.unsafe}
        try:
            return keras.saving.load_model(target, compile=True, **safe), None
        except Exception as exc:
            cause = short_cause(exc)
        try:
            reloaded = keras.saving.load_model(target, compile=False, **safe)
        except Exception as exc:
            return None, (
                f"the model saved as .{fmt} does not load back: {short_cause(exc)}"
                " (custom objects must be registered and return their constructor "
                "arguments from get_config())"
            )
        return reloaded, (
            f"the model saved as .{fmt} loads back only with compile=False: {cause}{_hint(cause)}"
        )

    @staticmethod
    def _first_differing_layer(
        ctx: ProbeContext, reloaded: Any, atol: float, rtol: float
    ) -> tuple[str | None, tuple[tuple[str, float], ...]]:
        """The first layer whose output differs after the round trip, and every layer's difference."""
        from kerascheck.probes import _tf

        ctx.reset_states()
        original = _tf.layer_outputs(ctx.model, ctx.inputs, ctx.batch_size)
        ctx.reset_states(reloaded)
        copy = _tf.layer_outputs(reloaded, ctx.inputs, ctx.batch_size)
        if original is None or copy is None or original[0] != copy[0]:
            return None, ()
        return (
            _tf.first_divergence(original[0], original[1], copy[1], atol, rtol),
            _tf.layer_divergence(original[0], original[1], copy[1]),
        )


class UnsafeArtifact(Probe):
    """## What it does
    Reports saved models that hold Python bytecode: `Lambda` layers whose function is a Python
    lambda or function, serialised as marshalled code. Keras refuses to load them in its
    default `safe_mode`, so kerascheck does too and reports this instead of probing, unless
    you pass `--unsafe`; with `--unsafe` the model is probed and the Lambda layers are listed
    as information.

    ## Why is this bad?
    Loading such a file runs code chosen by whoever wrote it: a model downloaded from
    elsewhere can execute anything. It also ties the artifact to the Python version that
    marshalled the bytecode.

    ## Example
    ```python
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    ```

    ## Use instead
    A registered custom layer, whose code lives in your package rather than in the file:
    ```python
    @keras.saving.register_keras_serializable(package="mypkg")
    class Double(keras.layers.Layer):
        def call(self, x):
            return x * 2.0
    ```
    """

    code = "KP105"
    name = "unsafe-artifact"
    summary = "The artifact holds Python bytecode (Lambda layers) that safe_mode refuses"
    severity = Severity.ERROR
    needs_inputs = False

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        import keras

        from kerascheck.probes import _tf

        lambdas = [path for path, layer in _tf.walk_layers(ctx.model) if isinstance(layer, keras.layers.Lambda)]
        if not lambdas:
            return
        if ctx.source_format == "factory":
            yield ctx.layers_finding(
                "Lambda", lambdas,
                "saving this model writes Python bytecode that keras.saving.load_model refuses "
                "without safe_mode=False",
                severity=Severity.WARNING,
            )
        else:
            yield ctx.layers_finding(
                "Lambda", lambdas, "holds Python bytecode; loaded only because --unsafe was given",
                severity=Severity.INFO,
            )

