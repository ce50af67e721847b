"""Probes that run the same input several ways: KP102, KP103, KP107."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck.findings import Finding
from kerascheck.probes.base import Probe, ProbeContext


def _predict_fresh(ctx: ProbeContext) -> Any:
    ctx.reset_states()  # stateful RNNs are KP101's business; compare from the same state
    return ctx.predict()


def _call_fresh(ctx: ProbeContext, **kwargs: Any) -> Any:
    ctx.reset_states()
    return ctx.model(ctx.inputs, **kwargs)


def _predict_is_stable(ctx: ProbeContext, atol: float, rtol: float) -> tuple[bool, Any]:
    from kerascheck.probes import _tf

    first = _predict_fresh(ctx)
    second = _predict_fresh(ctx)
    return _tf.close(first, second, atol, rtol), first


class NondeterministicPredict(Probe):
    """## What it does
    Predicts the same input twice (from a fresh state, so stateful RNNs do not count) and
    reports when the outputs differ, naming the first layer whose output diverges (found by
    running every layer's output as a sub-model).

    ## Why is this bad?
    A model that gives a different answer for the same input cannot be tested, compared or
    trusted. The usual cause is a layer that draws random numbers in inference mode: dropout
    or noise applied regardless of `training` (accidental Monte-Carlo dropout), or
    `keras.random` calls in a custom `call`.

    ## Example
    ```python
    class MyDropout(keras.layers.Layer):
        def call(self, x):
            return keras.random.dropout(x, 0.5)   # applied at inference too
    ```

    ## Use instead
    ```python
    class MyDropout(keras.layers.Layer):
        def call(self, x, training=False):
            if training:
                return keras.random.dropout(x, 0.5)
            return x
    ```
    or use `keras.layers.Dropout`, which is inactive in `predict`. If sampling at inference
    is intended (MC dropout), seed it and average several predictions explicitly.

    ## Options
    * `atol` (default `1e-6`), `rtol` (default `1e-6`): differences within
      `atol + rtol * |y|` count as equal.
    """

    code = "KP102"
    name = "nondeterministic-predict"
    summary = "The same input predicted twice gives different outputs"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-6, "rtol": 1e-6}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        from kerascheck.probes import _tf

        atol, rtol = ctx.tolerances()
        watched = [v for v in ctx.model.non_trainable_variables if not _tf.is_seed_state(v)]
        before = _tf.snapshot(watched)
        first = _predict_fresh(ctx)
        second = _predict_fresh(ctx)
        if _tf.close(first, second, atol, rtol):
            return
        owners = _tf.variable_owners(ctx.model)
        updated = [
            owners.get(id(v), "") for v, old, new in zip(watched, before, _tf.snapshot(watched), strict=False)
            if old.shape != new.shape or not (old == new).all()
        ]
        difference = _tf.max_difference(first, second)
        culprit = None
        ctx.reset_states()
        run_a = _tf.layer_outputs(ctx.model, ctx.inputs, ctx.batch_size)
        ctx.reset_states()
        run_b = _tf.layer_outputs(ctx.model, ctx.inputs, ctx.batch_size)
        divergence: tuple[tuple[str, float], ...] = ()
        if run_a is not None and run_b is not None:
            culprit = _tf.first_divergence(run_a[0], run_a[1], run_b[1], atol, rtol)
            divergence = _tf.layer_divergence(run_a[0], run_a[1], run_b[1])
        if culprit is not None:
            kind = type(ctx.model.get_layer(culprit)).__name__
            where = f"; the first layer whose output differs is {culprit!r} ({kind})"
        else:
            where = ""
        if updated:
            # Different outputs because state moved, not because of randomness.
            names = ", ".join(repr(path or "the model") for path in dict.fromkeys(updated))
            cause = f"{names} updates its variables during predict, so each call sees different state"
        else:
            cause = "a layer draws random numbers in inference mode"
        yield ctx.finding(
            f"the same input predicted twice gives different outputs (max difference "
            f"{difference:.3g}){where}: {cause}",
            layer=culprit or (updated[0] or None if updated else None),
            extra=(("divergence", divergence),) if divergence else (),
        )


class TrainingFlagSensitive(Probe):
    """## What it does
    Compares `model(x)` (no `training` argument) with `model.predict(x)` and `model(x)` with
    itself, and reports the layers whose `call` defaults `training` to `True`.

    ## Why is this bad?
    `predict` always runs layers with `training=False`, but calling the model directly uses
    each layer's own default. A custom `call(self, x, training=True)` therefore runs in
    training mode whenever someone serves the model with `model(x)` (dropout active, batch
    statistics used, BatchNormalization moving averages updated), so the served model
    disagrees with the evaluated one.

    ## Example
    ```python
    class Noise(keras.layers.Layer):
        def call(self, x, training=True):
            return x + keras.random.normal(keras.ops.shape(x)) if training else x
    ```

    ## Use instead
    ```python
    class Noise(keras.layers.Layer):
        def call(self, x, training=None):   # Keras fills in the outer value, False by default
            return x + keras.random.normal(keras.ops.shape(x)) if training else x
    ```
    and call the model as `model(x, training=False)` at inference.

    ## Options
    * `atol` (default `1e-5`), `rtol` (default `1e-5`): tolerance when comparing outputs.
    """

    code = "KP103"
    name = "training-flag-sensitive"
    summary = "Model(x) differs from predict(x) or between calls (custom training defaults)"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-5, "rtol": 1e-5}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        from kerascheck.probes import _tf

        atol, rtol = ctx.tolerances()
        stable, _ = _predict_is_stable(ctx, atol, rtol)
        if not stable:
            return  # predict itself is random: KP102 reports it
        # predict runs call(training=False) (unless predict_step is custom: KP107's business),
        # so model(x, training=False) is the reference the untold call must match.
        inference = _call_fresh(ctx, training=False)
        called = _call_fresh(ctx)
        called_again = _call_fresh(ctx)
        if not _tf.close(called, inference, atol, rtol):
            difference = _tf.max_difference(called, inference)
            what = f"model(x) without training= differs from predict(x) by up to {difference:.3g}"
        elif not _tf.close(called, called_again, atol, rtol):
            difference = _tf.max_difference(called, called_again)
            what = f"model(x) without training= differs between two calls by up to {difference:.3g}"
        else:
            return
        suspects = [
            (path, layer)
            for path, layer in _tf.walk_layers(ctx.model)
            if _tf.training_default(layer) is True
        ]
        if not suspects:
            yield ctx.finding(
                f"{what}: some layer runs in training mode unless told training=False; "
                "call the model as model(x, training=False)"
            )
            return
        custom = [path for path, layer in suspects if not _is_builtin(layer)]
        builtin = [path for path, layer in suspects if _is_builtin(layer)]
        if custom:
            yield ctx.layers_finding(
                "custom", custom,
                f"{what}: call() defaults training=True, so model(x) runs it in training mode; "
                "default training to None and call model(x, training=False) at inference",
            )
        if builtin:
            yield ctx.layers_finding(
                "built-in augmentation", builtin,
                f"{what}: Keras augmentation layers are active unless told training=False; "
                "call model(x, training=False) (predict already does) or apply augmentation "
                "outside the model you serve",
            )


class PredictPathsDisagree(Probe):
    """## What it does
    Runs the same input through `model.predict(x)`, `model.predict_on_batch(x)` and
    `model(x, training=False)` and reports when they disagree beyond the tolerance.

    ## Why is this bad?
    These three are the usual ways to serve a Keras model and are expected to be
    interchangeable. They differ when a custom `predict_step` post-processes the output (so
    `model(x)` in a server returns something else than `predict` in the evaluation script), or
    when the graph depends on how the batch is fed.

    ## Example
    ```python
    class Classifier(keras.Model):
        def predict_step(self, data):
            return keras.ops.argmax(self(data, training=False), axis=-1)
    # predict() returns class ids, model(x) returns scores
    ```

    ## Use instead
    Keep `predict_step` equal to `self(x, training=False)` and put post-processing in a named
    function used by every caller (or in the model as a layer, so every path runs it).

    ## Options
    * `atol` (default `1e-5`), `rtol` (default `1e-4`): tolerance when comparing outputs.
    """

    code = "KP107"
    name = "predict-paths-disagree"
    summary = "Predict, predict_on_batch and model(x, training=False) disagree"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-5, "rtol": 1e-4}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        import keras

        from kerascheck.probes import _tf

        atol, rtol = ctx.tolerances()
        stable, predicted = _predict_is_stable(ctx, atol, rtol)
        if not stable:
            return  # random outputs: KP102
        ctx.reset_states()
        on_batch = ctx.model.predict_on_batch(ctx.inputs)
        called = _call_fresh(ctx, training=False)
        paths = {"predict": predicted, "predict_on_batch": on_batch, "model(x, training=False)": called}
        shapes = {
            name: [a.shape for a in _tf.flatten_outputs(value)] for name, value in paths.items()
        }
        if len({str(s) for s in shapes.values()}) > 1:
            return  # a different output structure is KP108's (predict_step returning a dict)
        names = list(paths)
        disagreements = [
            f"{a} vs {b}: {_tf.max_difference(paths[a], paths[b]):.3g}"
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if not _tf.close(paths[a], paths[b], atol, rtol)
        ]
        if not disagreements:
            return
        model_type = type(ctx.model)
        custom = model_type.predict_step is not keras.Model.predict_step
        cause = f" ({model_type.__name__} overrides predict_step)" if custom else ""
        yield ctx.finding(
            "prediction paths disagree" + cause + ": max difference " + "; ".join(disagreements)
        )


def _is_builtin(layer: Any) -> bool:
    """A layer class that ships with Keras (its defaults are not the user's to change)."""
    return type(layer).__module__.split(".")[0] in ("keras", "tf_keras", "tensorflow")
