"""Plain Python attributes of a model's layers, and what changed between two snapshots.

Shared by KP202's two runners: the Keras callback (between the start and the end of ``fit``)
and the probe (around running the model). Keras variables, private (``_``) attributes and the
attributes Keras manages itself are not the user's state and are ignored.
"""

from __future__ import annotations

from typing import Any

from kerascheck.probes._tf import walk_layers

#: Public attributes Keras itself changes during ``fit``; they are not the user's state.
KERAS_MANAGED = frozenset(
    {
        "built", "trainable", "stop_training", "stop_evaluating", "stop_predicting", "compiled",
        "history", "steps_per_execution", "jit_compile", "optimizer", "loss", "run_eagerly",
        "distribute_strategy", "train_function", "test_function", "predict_function",
    }
)
_PLAIN = (bool, int, float, str, type(None))

#: ``{layer path ("" for the model): {attribute: value, or ("len", n) for a container}}``.
PythonState = dict[str, dict[str, Any]]


def python_state(model: Any) -> PythonState:
    """The plain attributes of the model and every layer in it."""
    state = {"": _plain_attributes(model)}
    for path, layer in walk_layers(model):
        state[path] = _plain_attributes(layer)
    return state


def changed_attributes(before: PythonState, after: PythonState) -> list[tuple[str, list[str]]]:
    """``[(layer path, ["calls: 0 -> 2", ...])]`` for each layer whose attributes changed."""
    found = []
    for path, attributes in before.items():
        now = after.get(path, {})
        changed = [f"{name}: {_show(old)} -> {_show(now[name])}" for name, old in attributes.items() if name in now and now[name] != old]
        if changed:
            found.append((path, changed))
    return found


def changed_message(layer: str, changes: list[str], when: str) -> str:
    """KP202's message for one layer (``when``: ``"during training"``, ``"when the model ran"``)."""
    return (
        f"layer {layer!r} changed plain Python attributes {when} ({'; '.join(changes)}): code in "
        "call() runs when it is traced, not per batch, and the value is not saved; keep such state "
        "in a non-trainable variable (add_weight(..., trainable=False) and assign)"
    )


def _plain_attributes(obj: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in vars(obj).items():
        if name.startswith("_") or name in KERAS_MANAGED:
            continue
        if isinstance(value, _PLAIN):
            result[name] = value
        elif isinstance(value, (list, dict, set)) and all(
            isinstance(item, _PLAIN) for item in (value.values() if isinstance(value, dict) else value)
        ):
            result[name] = ("len", len(value))
    return result


def _show(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "len":
        return f"{value[1]} items"
    return repr(value)
