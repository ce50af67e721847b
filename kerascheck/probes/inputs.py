"""Inputs for probing a model: synthesised from its input signature, or the user's sample file.

Synthesis rules (documented in docs/probes.md):

* batch dimension: the fixed batch size when the model declares one (stateful RNNs need
  ``keras.Input(batch_shape=...)``), else ``DEFAULT_BATCH``;
* other unknown (``None``) dimensions, typically time steps: ``DEFAULT_STEPS``;
* floating inputs: standard normal; booleans: fair coin;
* integer inputs: indices in ``[0, input_dim)`` of the ``Embedding`` they feed; integer inputs
  feeding no visible ``Embedding`` get ``[0, min input_dim of any Embedding)``, or ``{0, 1}``
  when the model has none (small indices are valid for lookups of any size);
* one array for one input, a list for several, a dict keyed by input name when the model was
  built on a dict.

Everything comes from one seeded ``numpy.random.Generator``, so a run is reproducible.
This module imports Keras lazily (inside functions): it is imported in the child process only,
but keeping it cheap to import keeps the parent's tests of it cheap too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_BATCH = 4
DEFAULT_STEPS = 8


class InputError(Exception):
    """The inputs cannot be made: no signature, an unsupported dtype, or a bad sample file."""


@dataclass(frozen=True)
class InputSpec:
    """One model input: its name, shape (``None`` for unknown dims) and dtype name."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    #: Exclusive upper bound for integer inputs (the vocabulary of the Embedding they feed).
    int_high: int | None = None


@dataclass(frozen=True)
class InputSignature:
    """The inputs of a model and how ``model(...)``/``predict`` wants them grouped."""

    specs: tuple[InputSpec, ...]
    #: ``"single"``, ``"list"`` or ``"dict"``.
    kind: str

    @property
    def fixed_batch(self) -> int | None:
        """The batch size the model insists on (stateful models), if any."""
        for spec in self.specs:
            if spec.shape and spec.shape[0] is not None:
                return int(spec.shape[0])
        return None

    def pack(self, arrays: list[np.ndarray]) -> Any:
        """Group one array per spec the way the model takes them."""
        if self.kind == "single":
            return arrays[0]
        if self.kind == "dict":
            return {spec.name: array for spec, array in zip(self.specs, arrays)}
        return list(arrays)


def signature(model: Any) -> InputSignature:
    """Read a model's input signature (functional, sequential, or built subclassed model)."""
    import keras

    struct = getattr(model, "_inputs_struct", None)
    if struct is None:
        try:
            struct = model.inputs
        except (AttributeError, ValueError):
            struct = None
    if struct is None:
        return _signature_from_build_config(model)
    int_highs = _embedding_bounds(model)
    any_embedding = min(int_highs.values(), default=None)

    def spec(tensor: Any, fallback_name: str) -> InputSpec:
        dtype = str(keras.backend.standardize_dtype(tensor.dtype))
        high = int_highs.get(id(tensor), any_embedding)
        name = getattr(tensor, "name", None) or fallback_name
        return InputSpec(name=name, shape=tuple(tensor.shape), dtype=dtype, int_high=high)

    if isinstance(struct, dict):
        items = [spec(tensor, key) for key, tensor in struct.items()]
        # the dict key, not the tensor name, is what the model is called with
        specs = [InputSpec(key, s.shape, s.dtype, s.int_high) for key, s in zip(struct, items)]
        return InputSignature(tuple(specs), "dict")
    if isinstance(struct, (list, tuple)):
        specs = [spec(tensor, f"input_{i}") for i, tensor in enumerate(struct)]
        if len(specs) == 1:
            return InputSignature(tuple(specs), "single")
        return InputSignature(tuple(specs), "list")
    return InputSignature((spec(struct, "input_0"),), "single")


def _signature_from_build_config(model: Any) -> InputSignature:
    """Subclassed models have no symbolic inputs; their build config may still hold a shape."""
    config = {}
    try:
        config = model.get_build_config() or {}
    except Exception:  # noqa: BLE001 - any failure just means "no signature"
        pass
    shape = config.get("input_shape")
    if not shape or not isinstance(shape, (list, tuple)):
        raise InputError(
            "the model has no input signature (a subclassed model that was never built on "
            "keras.Input): pass --sample FILE.npy with real inputs"
        )
    if isinstance(shape[0], (list, tuple)):
        specs = [InputSpec(f"input_{i}", tuple(s), "float32") for i, s in enumerate(shape)]
        return InputSignature(tuple(specs), "list" if len(specs) > 1 else "single")
    return InputSignature((InputSpec("input_0", tuple(shape), "float32"),), "single")


def _embedding_bounds(model: Any) -> dict[int, int]:
    """``id(input tensor) -> input_dim`` for model inputs that feed an ``Embedding`` directly.

    Also maps ``-1`` to the smallest ``input_dim`` of any Embedding in the model so that
    integer inputs reaching an Embedding indirectly stay in range.
    """
    import keras

    from kerascheck.probes._tf import walk_layers

    bounds: dict[int, int] = {}
    smallest: int | None = None
    for _, layer in walk_layers(model):
        if not isinstance(layer, keras.layers.Embedding):
            continue
        dim = int(layer.input_dim)
        smallest = dim if smallest is None else min(smallest, dim)
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in getattr(node, "input_tensors", []):
                bounds[id(tensor)] = min(bounds.get(id(tensor), dim), dim)
    if smallest is not None:
        bounds[-1] = smallest
    return bounds


def synthesize(
    sig: InputSignature, rng: np.random.Generator, batch_size: int | None = None
) -> tuple[Any, int]:
    """Random inputs for ``sig``: ``(inputs in the model's structure, batch size)``."""
    batch = batch_size or sig.fixed_batch or DEFAULT_BATCH
    arrays = [_synthesize_one(spec, batch, rng) for spec in sig.specs]
    return sig.pack(arrays), batch


def _synthesize_one(spec: InputSpec, batch: int, rng: np.random.Generator) -> np.ndarray:
    dims = [batch] + [DEFAULT_STEPS if d is None else int(d) for d in spec.shape[1:]]
    dtype = np.dtype(spec.dtype) if spec.dtype not in ("string", "bfloat16") else None
    if dtype is None:
        raise InputError(f"cannot synthesise input {spec.name!r} of dtype {spec.dtype}: pass --sample")
    if dtype.kind == "f":
        return rng.standard_normal(dims).astype(dtype)
    if dtype.kind == "b":
        return rng.random(dims) < 0.5
    if dtype.kind in "iu":
        high = spec.int_high if spec.int_high and spec.int_high > 0 else 2
        return rng.integers(0, high, size=dims).astype(dtype)
    raise InputError(f"cannot synthesise input {spec.name!r} of dtype {spec.dtype}: pass --sample")


def load_sample(path: str | Path, sig: InputSignature) -> tuple[Any, int]:
    """Read ``.npy``/``.npz`` sample inputs and fit them to ``sig``.

    ``.npz`` arrays are matched by input name, else taken in order (``arr_0``, ``arr_1``, ...).
    When the model has a fixed batch size the rows are cut (or repeated) to exactly that size.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"sample file {str(path)!r} does not exist")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read sample file {str(path)!r}: {exc}") from None
    if isinstance(loaded, np.ndarray):
        if len(sig.specs) != 1:
            raise InputError(
                f"the model has {len(sig.specs)} inputs but {path.name} holds one array: "
                "use an .npz with one array per input name"
            )
        arrays = [loaded]
    else:
        with loaded:
            keys = list(loaded.files)
            names = [spec.name for spec in sig.specs]
            if all(name in keys for name in names):
                arrays = [loaded[name] for name in names]
            elif len(keys) >= len(names):
                ordered = sorted(keys, key=lambda k: (not k.startswith("arr_"), arr_index(k), k))
                arrays = [loaded[key] for key in ordered[: len(names)]]
            else:
                raise InputError(
                    f"{path.name} holds {keys} but the model's inputs are {names}: "
                    "name the arrays after the inputs"
                )
    rows = {int(a.shape[0]) for a in arrays if a.ndim}
    if len(rows) != 1:
        raise InputError(f"the arrays in {path.name} have different numbers of rows: {sorted(rows)}")
    batch = sig.fixed_batch
    if batch is not None:
        arrays = [_fit_rows(a, batch) for a in arrays]
    else:
        batch = rows.pop()
    arrays = [a.astype(spec.dtype) if spec.dtype != "string" else a for a, spec in zip(arrays, sig.specs)]
    return sig.pack(arrays), batch


def arr_index(key: str) -> int:
    """The number in ``arr_12`` (``np.savez`` positional names); 0 for other keys."""
    suffix = key.removeprefix("arr_")
    return int(suffix) if suffix.isdigit() else 0


def _fit_rows(array: np.ndarray, rows: int) -> np.ndarray:
    if array.shape[0] >= rows:
        return array[:rows]
    repeats = -(-rows // array.shape[0])
    return np.concatenate([array] * repeats)[:rows]
