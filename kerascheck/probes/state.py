"""KP101: layers that carry state from one ``predict`` call to the next."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck.findings import Finding
from kerascheck.probes.base import Probe, ProbeContext


class StatefulLayers(Probe):
    """## What it does
    Lists the layers that carry state between `predict` calls: stateful RNNs
    (`LSTM(..., stateful=True)` and friends, also inside `Bidirectional` or nested models), and
    any layer whose non-trainable variables change while the model only predicts. It predicts
    the same input twice from a fresh state and says how much the output moved.

    ## Why is this bad?
    `predict` never resets RNN state, so the same input predicted twice gives different
    outputs, and every prediction depends on what was predicted before it. Keras 3 models no
    longer have `model.reset_states()`; only the RNN layers do. A stateful model also accepts
    only its fixed batch size (from `keras.Input(batch_shape=...)`).

    ## Example
    ```python
    inputs = keras.Input(batch_shape=(2, 5, 3))
    model = keras.Model(inputs, keras.layers.LSTM(4, stateful=True)(inputs))
    a = model.predict(x, batch_size=2)
    b = model.predict(x, batch_size=2)   # differs from a
    ```

    ## Use instead
    Reset the state between independent sequences, and predict with the fixed batch size:
    ```python
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()
    a = model.predict(x, batch_size=2)
    ```
    or save a non-stateful copy of the model for inference.

    ## Options
    * `atol` (default `1e-6`): output changes at or below this are not reported.
    """

    code = "KP101"
    name = "stateful-layers"
    summary = "Layers that keep state between predict calls (stateful RNNs, changing variables)"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-6}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        from kerascheck.probes import _tf

        atol = float(ctx.options["atol"])
        model = ctx.model
        stateful = _tf.stateful_layers(model)
        watched = [v for v in model.non_trainable_variables if not _tf.is_seed_state(v)]
        owners = _tf.variable_owners(model)

        ctx.reset_states()
        before = _tf.snapshot(watched)
        first = ctx.predict()
        second = ctx.predict()
        after = _tf.snapshot(watched)
        moved = _tf.max_difference(first, second)

        if stateful:
            kinds = {type(layer).__name__ for _, layer in stateful}
            kind = f"stateful {kinds.pop() if len(kinds) == 1 else 'RNN'}"
            if moved > atol:
                effect = f"the same input predicted twice differs by up to {moved:.3g}"
            else:
                effect = "its state persists across predict calls"
            yield ctx.layers_finding(
                kind,
                [path for path, _ in stateful],
                f"{effect}; call layer.reset_states() between independent sequences and predict "
                f"with batch_size={ctx.batch_size} (the model's fixed batch size)",
            )

        stateful_paths = {path for path, _ in stateful}
        changed: dict[str, str] = {}
        for variable, old, new in zip(watched, before, after, strict=False):
            if old.shape == new.shape and (old == new).all():
                continue
            path = owners.get(id(variable), "")
            if path in changed or any(path == p or path.startswith(f"{p}/") for p in stateful_paths):
                continue
            changed[path] = str(getattr(variable, "path", variable.name))
        if changed:
            paths = list(changed)
            example = changed[paths[0]]
            yield ctx.layers_finding(
                "",
                [p or "the model" for p in paths],
                f"changes non-trainable variables during predict (e.g. {example!r}), so "
                "predictions depend on earlier calls",
            )
        ctx.reset_states()
