"""Inputs for probing a model: synthesised from its input signature, or the user's sample file.

Synthesis rules (documented in docs/probes.md):

* batch dimension: the fixed batch size when the model declares one (stateful RNNs need
  ``keras.Input(batch_shape=...)``), else ``DEFAULT_BATCH``;
* other unknown (``None``) dimensions: ``DEFAULT_STEPS`` for sequences (rank 3 or less); for
  spatial inputs (rank 4+, images and volumes) enough for the model's downsampling: twice the
  product of the strides and pool sizes of its convolution/pooling layers, at least
  ``MIN_SPATIAL`` and at most ``MAX_SPATIAL``;
* floating inputs: standard normal; booleans: fair coin;
* string inputs: words of the vocabulary of the ``TextVectorization`` (sentences of 1-6 words)
  or ``StringLookup`` (single tokens) they feed, or of any such layer in the model; a few
  fixed English words when there is none;
* integer inputs: indices in ``[0, input_dim)`` of the ``Embedding`` they feed; integer inputs
  feeding no visible ``Embedding`` get ``[0, min input_dim of any Embedding)``, or ``{0, 1}``
  when the model has none (small indices are valid for lookups of any size);
* ragged inputs (``keras.Input(..., ragged=True)``): a ``tf.RaggedTensor`` whose rows hold 1 to
  the synthesised length of the second axis;
* one array for one input, a list for several, a dict keyed by input name when the model was
  built on a dict.

Everything comes from one seeded ``numpy.random.Generator``, so a run is reproducible.
This module imports Keras lazily (inside functions): it is imported in the child process only,
but keeping it cheap to import keeps the parent's tests of it cheap too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from kerascheck.records import record

DEFAULT_BATCH = 4
DEFAULT_STEPS = 8
MIN_SPATIAL = 32
MAX_SPATIAL = 256
#: Words for string inputs of a model without any vocabulary layer.
FALLBACK_WORDS = ("the", "model", "reads", "some", "plain", "text")


class InputError(Exception):
    """The inputs cannot be made: no signature, an unsupported dtype, or a bad sample file."""


@record
class InputSpec:
    """One model input: its name, shape (``None`` for unknown dims) and dtype name."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    #: Exclusive upper bound for integer inputs (the vocabulary of the Embedding they feed).
    int_high: int | None = None
    #: Words for string inputs (from the vocabulary layer they feed).
    vocabulary: tuple[str, ...] = ()
    #: Whether string inputs are sentences (``TextVectorization``) or single tokens.
    sentences: bool = False
    #: Size for ``None`` dimensions other than the batch.
    free_size: int = DEFAULT_STEPS
    #: A ragged input (``keras.Input(..., ragged=True)``): rows of different lengths.
    ragged: bool = False


@record
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
            return {spec.name: array for spec, array in zip(self.specs, arrays, strict=False)}
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
    vocabularies = _vocabularies(model)
    any_vocabulary = vocabularies.get(-1, ((), False))
    spatial = _spatial_size(model)

    def spec(tensor: Any, fallback_name: str) -> InputSpec:
        dtype = str(keras.backend.standardize_dtype(tensor.dtype))
        high = int_highs.get(id(tensor), any_embedding)
        name = getattr(tensor, "name", None) or fallback_name
        words, sentences = vocabularies.get(id(tensor), any_vocabulary)
        shape = tuple(tensor.shape)
        return InputSpec(
            name=name, shape=shape, dtype=dtype, int_high=high, vocabulary=words,
            sentences=sentences, free_size=spatial if len(shape) >= 4 else DEFAULT_STEPS,
            ragged=bool(getattr(tensor, "ragged", False)),
        )

    if isinstance(struct, dict):
        items = [spec(tensor, key) for key, tensor in struct.items()]
        # the dict key, not the tensor name, is what the model is called with
        specs = [dataclasses.replace(s, name=key) for key, s in zip(struct, items, strict=False)]
        return InputSignature(tuple(specs), "dict")
    if isinstance(struct, (list, tuple)):
        specs = [spec(tensor, f"input_{i}") for i, tensor in enumerate(struct)]
        if len(specs) == 1:
            return InputSignature(tuple(specs), "single")
        return InputSignature(tuple(specs), "list")
    return InputSignature((spec(struct, "input_0"),), "single")


def _signature_from_build_config(model: Any) -> InputSignature:
    """Subclassed models have no symbolic inputs; their build config may still hold a shape."""
    config: dict[str, Any] = {}
    try:
        config = model.get_build_config() or {}
    except Exception:  # any failure just means "no signature"
        pass
    shape = config.get("input_shape")
    if not shape or not isinstance(shape, (list, tuple)):
        raise InputError(
            "the model has no input signature (a subclassed model that was never built on "
            "keras.Input): pass --sample FILE.npy with real inputs"
        )
    if isinstance(shape[0], (list, tuple)):
        specs = [_float_spec(f"input_{i}", s) for i, s in enumerate(shape)]
        return InputSignature(tuple(specs), "list" if len(specs) > 1 else "single")
    return InputSignature((_float_spec("input_0", shape),), "single")


def _float_spec(name: str, shape: Any) -> InputSpec:
    dims = tuple(shape)
    return InputSpec(name, dims, "float32", free_size=MIN_SPATIAL if len(dims) >= 4 else DEFAULT_STEPS)


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


def _vocabularies(model: Any) -> dict[int, tuple[tuple[str, ...], bool]]:
    """``id(input tensor) -> (words, sentences?)`` for inputs feeding a string lookup layer.

    ``-1`` maps to the first vocabulary found anywhere in the model.
    """
    import keras

    from kerascheck.probes._tf import SPECIAL_TOKENS, walk_layers

    found: dict[int, tuple[tuple[str, ...], bool]] = {}
    for _, layer in walk_layers(model):
        sentences = isinstance(layer, keras.layers.TextVectorization)
        if not (sentences or isinstance(layer, keras.layers.StringLookup)):
            continue
        try:
            words = tuple(str(w) for w in layer.get_vocabulary() if str(w) not in SPECIAL_TOKENS)
        except Exception:  # a layer that cannot list its vocabulary has none to give
            words = ()
        entry = (words or FALLBACK_WORDS, sentences)
        found.setdefault(-1, entry)
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in getattr(node, "input_tensors", []):
                found.setdefault(id(tensor), entry)
    return found


def _spatial_size(model: Any) -> int:
    """A size for ``None`` spatial dims that survives the model's downsampling."""
    import keras

    from kerascheck.probes._tf import walk_layers

    factor = 1
    kinds = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
             keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)
    for _, layer in walk_layers(model):
        steps: list[int] = []
        if isinstance(layer, kinds):
            steps = list(_as_tuple(getattr(layer, "strides", 1)))
        elif "Pooling" in type(layer).__name__ and "Global" not in type(layer).__name__:
            steps = list(_as_tuple(getattr(layer, "strides", None) or getattr(layer, "pool_size", 1)))
        if steps:
            factor *= max(int(step) for step in steps)
            if factor >= MAX_SPATIAL:
                break
    return max(MIN_SPATIAL, min(MAX_SPATIAL, 2 * factor))


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def synthesize(
    sig: InputSignature, rng: np.random.Generator, batch_size: int | None = None
) -> tuple[Any, int]:
    """Random inputs for ``sig``: ``(inputs in the model's structure, batch size)``."""
    batch = batch_size or sig.fixed_batch or DEFAULT_BATCH
    arrays = [_synthesize_one(spec, batch, rng) for spec in sig.specs]
    return sig.pack(arrays), batch


def _synthesize_one(spec: InputSpec, batch: int, rng: np.random.Generator) -> Any:
    dims = [batch] + [spec.free_size if d is None else int(d) for d in spec.shape[1:]]
    if spec.ragged:
        return _ragged(dataclasses.replace(spec, ragged=False), dims, rng)
    if spec.dtype == "string":
        return _strings(spec, dims, rng)
    dtype = np.dtype(spec.dtype) if spec.dtype != "bfloat16" else None
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


def _ragged(spec: InputSpec, dims: list[int], rng: np.random.Generator) -> Any:
    """Rows of 1 to ``dims[1]`` elements (the second axis is the ragged one)."""
    import tensorflow as tf

    dense = _synthesize_one(spec, dims[0], rng)
    lengths = rng.integers(1, dense.shape[1] + 1, size=dims[0]) if dense.ndim > 1 and dense.shape[1] else None
    if lengths is None:
        return tf.constant(dense)
    return tf.RaggedTensor.from_tensor(tf.constant(dense.astype(str) if dense.dtype.kind in "US" else dense), lengths=lengths)


def _strings(spec: InputSpec, dims: list[int], rng: np.random.Generator) -> np.ndarray:
    words = spec.vocabulary or FALLBACK_WORDS
    count = int(np.prod(dims))
    if spec.sentences:
        lengths = rng.integers(1, 7, size=count)
        texts = [" ".join(rng.choice(words, size=int(n))) for n in lengths]
    else:
        texts = [str(w) for w in rng.choice(words, size=count)]
    return np.array(texts, dtype=str).reshape(dims)


def as_model_inputs(data: Any) -> Any:
    """``data`` with string arrays turned into tensors: Keras rejects numpy string arrays."""
    if isinstance(data, dict):
        return {key: as_model_inputs(value) for key, value in data.items()}
    if isinstance(data, list):
        return [as_model_inputs(value) for value in data]
    if isinstance(data, np.ndarray) and data.dtype.kind in "US":
        import tensorflow as tf

        return tf.constant(data.astype(str))
    return data


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
    arrays = [a.astype(spec.dtype) if spec.dtype != "string" else a for a, spec in zip(arrays, sig.specs, strict=False)]
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
