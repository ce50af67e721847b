"""Keras helpers shared by probes. Imports Keras at module level: import this only in the child.

Probe modules import it inside ``run`` so that listing probes never starts TensorFlow.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np


def flatten_outputs(value: Any) -> list[np.ndarray]:
    """A nested model output (tensor, list, tuple, dict) as a flat list of numpy arrays.

    Dicts are flattened in sorted key order so that two outputs of the same structure line up.
    """
    if isinstance(value, dict):
        return [a for key in sorted(value) for a in flatten_outputs(value[key])]
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in flatten_outputs(item)]
    return [np.asarray(keras.ops.convert_to_numpy(value))]


def max_difference(a: Any, b: Any) -> float:
    """The largest absolute elementwise difference; ``inf`` when the structures differ."""
    left, right = flatten_outputs(a), flatten_outputs(b)
    if len(left) != len(right) or any(x.shape != y.shape for x, y in zip(left, right, strict=False)):
        return float("inf")
    diffs = [
        float(np.max(np.abs(x.astype("float64") - y.astype("float64")))) if x.size else 0.0
        for x, y in zip(left, right, strict=False)
    ]
    return max(diffs, default=0.0)


def close(a: Any, b: Any, atol: float, rtol: float) -> bool:
    """``np.allclose`` over two nested outputs of the same structure (NaNs compare equal)."""
    left, right = flatten_outputs(a), flatten_outputs(b)
    if len(left) != len(right) or any(x.shape != y.shape for x, y in zip(left, right, strict=False)):
        return False
    return all(
        np.allclose(x.astype("float64"), y.astype("float64"), atol=atol, rtol=rtol, equal_nan=True)
        for x, y in zip(left, right, strict=False)
    )


def walk_layers(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every layer inside ``model``, depth first, as ``(path, layer)``; input layers skipped.

    The path joins names with ``/`` (``encoder/lstm_1``), the form findings report.
    """
    for layer in getattr(model, "_layers", None) or getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        path = f"{prefix}{layer.name}"
        yield path, layer
        yield from walk_layers(layer, prefix=f"{path}/")


def stateful_layers(model: Any) -> list[tuple[str, Any]]:
    """The RNN layers that keep state between calls, outermost only: a stateful
    ``Bidirectional`` is listed once, not with its forward and backward layers."""
    found: list[tuple[str, Any]] = []
    for path, layer in walk_layers(model):
        if not (getattr(layer, "stateful", False) and hasattr(layer, "reset_states")):
            continue
        if any(path.startswith(f"{outer}/") for outer, _ in found):
            continue
        found.append((path, layer))
    return found


def reset_states(model: Any) -> None:
    """Reset every stateful RNN; Keras 3 models have no ``reset_states`` of their own."""
    for _, layer in stateful_layers(model):
        layer.reset_states()


def variable_owners(model: Any) -> dict[int, str]:
    """``id(variable) -> path`` of the innermost layer that owns the variable."""
    owners: dict[int, str] = {}
    for path, layer in walk_layers(model):  # depth first: inner layers overwrite outer ones
        for variable in getattr(layer, "variables", []):
            owners[id(variable)] = path
    return owners


def is_seed_state(variable: Any) -> bool:
    """Random-op seed counters: they change on every random op and are not model state."""
    return "seed_generator" in str(getattr(variable, "path", getattr(variable, "name", "")))


def snapshot(variables: list[Any]) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]


def restore(variables: list[Any], values: list[np.ndarray]) -> None:
    for variable, value in zip(variables, values, strict=False):
        variable.assign(value)


def state_values(model: Any) -> list[np.ndarray]:
    """The current state tensors of every stateful RNN (flattened)."""
    values = []
    for _, layer in stateful_layers(model):
        for state in getattr(layer, "states", None) or []:
            if state is not None:
                values.append(np.array(keras.ops.convert_to_numpy(state)))
    return values


def training_default(layer: Any) -> Any:
    """The default of ``training`` in the layer's ``call`` signature (``inspect._empty`` if none)."""
    try:
        parameter = inspect.signature(layer.call).parameters.get("training")
    except (TypeError, ValueError):
        return inspect.Parameter.empty
    return inspect.Parameter.empty if parameter is None else parameter.default


def layer_output_model(model: Any) -> tuple[list[str], Any] | None:
    """A model returning every top-level layer's output, in topological order, or ``None``.

    Used to find the first layer where two runs diverge. ``None`` for subclassed models (their
    layers have no symbolic outputs) and for layers called more than once (shared layers).
    """
    names, outputs = [], []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):  # shared layer or no graph
            continue
        names.append(layer.name)
        outputs.append(output)
    if not outputs:
        return None
    try:
        return names, keras.Model(model.input, outputs)
    except Exception:  # any graph Keras cannot cut means "can't say which layer"
        return None


def first_divergence(
    names: list[str], first: list[Any], second: list[Any], atol: float, rtol: float
) -> str | None:
    """The first layer name whose outputs differ between two runs of a layer-output model."""
    for name, a, b in zip(names, first, second, strict=False):
        if not close(a, b, atol, rtol):
            return name
    return None


def layer_divergence(names: list[str], first: list[Any], second: list[Any]) -> tuple[tuple[str, float], ...]:
    """``((layer, largest absolute difference), ...)`` between two runs, in layer order."""
    return tuple((name, max_difference(a, b)) for name, a, b in zip(names, first, second, strict=False))


def layer_outputs(model: Any, inputs: Any, batch_size: int) -> tuple[list[str], list[Any]] | None:
    """Run ``inputs`` through a layer-output model; ``(names, outputs)`` or ``None``."""
    built = layer_output_model(model)
    if built is None:
        return None
    names, probe_model = built
    outputs = probe_model.predict(inputs, batch_size=batch_size, verbose=0)
    if len(names) == 1:
        outputs = [outputs]
    return names, list(outputs)


#: Vocabulary entries that are not words: padding, out-of-vocabulary and mask tokens.
SPECIAL_TOKENS = frozenset({"", "[UNK]", "[MASK]", "-1", "0"})


def empty_vocabularies(model: Any) -> list[str]:
    """Paths of lookup layers whose vocabulary holds nothing but special tokens."""
    empty: list[str] = []
    for path, layer in walk_layers(model):
        if not hasattr(layer, "get_vocabulary") or any(path.startswith(f"{e}/") for e in empty):
            continue  # TextVectorization's inner StringLookup is the same vocabulary
        try:
            words = [str(w) for w in layer.get_vocabulary()]
        except Exception:  # a layer that cannot list its vocabulary is not judged
            continue
        if all(w in SPECIAL_TOKENS for w in words):
            empty.append(path)
    return empty
