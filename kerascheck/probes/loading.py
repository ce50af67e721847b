"""Child side: import custom objects and load the model, turning every failure into a cause.

Runs inside the probe subprocess only (it imports Keras inside functions, but there is no
reason to import it elsewhere). Every problem becomes a :class:`LoadFailure` whose message
names the cause in the user's terms; nothing here lets a traceback escape.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import sys
import zipfile
from dataclasses import field
from pathlib import Path
from typing import Any

from kerascheck.records import record

#: The first Keras whose ``safe_mode`` holds for every format kerascheck loads: 3.11.0 fixed
#: the ``.keras`` config bypasses (CVE-2025-8747, CVE-2025-9906), 3.11.3 made ``.h5`` honour
#: ``safe_mode`` (CVE-2025-9905), 3.14.0 closed the TFSMLayer bypass (CVE-2026-1462) and the
#: archive path traversal. Keep in step with the ``probe`` extra in pyproject.toml.
MIN_SAFE_KERAS = (3, 14, 0)
#: Keras 3.13+ needs Python 3.11; the maintainers backport security fixes to the 3.12 line for
#: Python 3.10 users, and 3.12.1 has the ones above.
SAFE_BACKPORT_LINE = ((3, 12, 1), (3, 13, 0))

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# HDF5 files may start with a user block of 512 * 2**n bytes; the signature follows it.
_HDF5_OFFSETS = (0, 512, 1024, 2048, 4096)


class LoadFailure(Exception):
    """The model could not be loaded. ``code`` is ``KP001`` or ``KP105`` (unsafe content)."""

    def __init__(self, message: str, code: str = "KP001", layer: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.layer = layer


@record(frozen=False)
class LoadedModel:
    model: Any
    #: ``"keras"``, ``"h5"``, ``"savedmodel"`` or ``"factory"``.
    source_format: str
    compile_error: str | None = None
    reload_kwargs: dict[str, Any] = field(default_factory=dict)


def short_cause(exc: BaseException, limit: int = 300) -> str:
    """The exception type and first meaningful line of its message, trimmed."""
    text = str(exc).strip()
    located = re.search(r"Could not locate (class|function) '([^']+)'", text)
    if located:
        return f"unknown custom object {located.group(2)!r} ({located.group(1)})"
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) > limit:
        line = line[: limit - 3] + "..."
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def keras_version_problem(version: str) -> str | None:
    """Why a Keras ``version`` cannot be trusted to load untrusted files safely, or ``None``."""
    numbers = []
    for part in version.split(".")[:3]:
        digits = re.match(r"\d+", part)
        numbers.append(int(digits.group()) if digits else 0)
    found = tuple(numbers)
    low, high = SAFE_BACKPORT_LINE
    if found >= MIN_SAFE_KERAS or low <= found < high:
        return None
    wanted = ".".join(map(str, MIN_SAFE_KERAS))
    return (
        f"not loaded: Keras {version} is older than {wanted}, and older versions load some files "
        "with safe_mode ignored or bypassed (CVE-2025-9905, CVE-2025-9906, CVE-2026-1462), so a "
        f"file could run code; upgrade (pip install 'keras>={wanted}') or, for a file you trust, "
        "probe it with --unsafe"
    )


def import_custom_objects(modules: list[str]) -> None:
    """Import modules that register custom objects (a ``.py`` path or a dotted module name)."""
    for entry in modules:
        try:
            _import_entry(entry)
        except LoadFailure:
            raise
        except BaseException as exc:  # user code may raise anything, even SystemExit
            raise LoadFailure(f"importing custom objects from {entry!r} failed: {short_cause(exc)}") from None


def is_module_path(entry: str) -> bool:
    """Whether a custom-objects/factory entry is a file path (else a dotted module name)."""
    return entry.endswith(".py") or "/" in entry or "\\" in entry


def _import_entry(entry: str) -> Any:
    if is_module_path(entry):
        path = Path(entry).resolve()
        if not path.is_file():
            raise LoadFailure(f"custom objects module {entry!r} does not exist")
        package = _package_of(path)
        if package is not None:  # import ``pkg.sub.mod`` by name: its relative imports work
            root, dotted = package
            if root not in sys.path:
                sys.path.insert(0, root)
            return importlib.import_module(dotted)
        directory = str(path.parent)
        if directory not in sys.path:
            sys.path.insert(0, directory)  # so the module's own sibling imports work
        name = path.stem
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise LoadFailure(f"cannot import custom objects module {entry!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(entry)


def is_qualname(text: str) -> bool:
    """``build`` or ``Models.build``: names a function, or a method of a module's class."""
    return all(part.isidentifier() for part in text.split("."))


def _package_of(path: Path) -> tuple[str, str] | None:
    """``(directory to put on sys.path, dotted module name)`` for a ``.py`` file inside a
    regular package (its directory has ``__init__.py``), else None."""
    if path.suffix != ".py" or not (path.parent / "__init__.py").is_file():
        return None
    parts = [] if path.stem == "__init__" else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.name.isidentifier():
        parts.insert(0, directory.name)
        directory = directory.parent
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return str(directory), ".".join(parts)


def call_factory(spec: str) -> LoadedModel:
    """Import ``file.py:fn`` or ``pkg.module:fn`` (``fn`` may be ``Cls.method``) and call it
    with no argument to build the model."""
    import keras

    module_part, _, attr = spec.rpartition(":")
    if not module_part or not is_qualname(attr):
        raise LoadFailure(f"factory {spec!r} is not 'path/to/file.py:function' or 'package.module:function'")
    try:
        module = _import_entry(module_part)
    except LoadFailure:
        raise
    except BaseException as exc:
        raise LoadFailure(f"importing factory module {module_part!r} failed: {short_cause(exc)}") from None
    function: Any = module
    for part in attr.split("."):
        function = getattr(function, part, None)
    if not callable(function):
        raise LoadFailure(f"factory module {module_part!r} has no function {attr!r}")
    try:
        model = function()
    except BaseException as exc:
        raise LoadFailure(f"factory {attr}() raised {short_cause(exc)}") from None
    if not isinstance(model, keras.Model):
        raise LoadFailure(f"factory {attr}() returned {type(model).__name__}, not a keras.Model")
    return LoadedModel(model, "factory")


def load_path(path_text: str, unsafe: bool) -> LoadedModel:
    """Load a ``.keras``/``.h5`` file or wrap a SavedModel directory."""
    path = Path(path_text)
    if not path.exists():
        raise LoadFailure(f"model file {path_text!r} not found")
    if path.is_dir():
        if (path / "saved_model.pb").is_file():
            return _load_saved_model(path)
        raise LoadFailure(
            f"{path_text!r} is a directory without saved_model.pb: expected a .keras file, "
            "an .h5 file or a TensorFlow SavedModel directory"
        )
    name = path.name.lower()
    if name.endswith(".weights.h5"):
        raise LoadFailure(
            f"{path.name} holds weights only (no architecture): probe the model's .keras file, "
            "or build it with a factory (--factory file.py:build_model)"
        )
    if name.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise LoadFailure(f"{path.name} is not a valid .keras archive (corrupt or truncated zip file)")
        source_format = "keras"
    elif name.endswith((".h5", ".hdf5")):
        if not _is_hdf5(path):
            raise LoadFailure(f"{path.name} is not a valid HDF5 file (corrupt or truncated)")
        source_format = "h5"
    else:
        raise LoadFailure(
            f"unsupported model file {path.name!r}: expected .keras, .h5 or a SavedModel directory"
        )
    if not unsafe:
        # Refused before Keras sees the file: its own safe_mode check has had bypasses.
        lambdas = lambda_layers_in_file(path)
        if lambdas:
            raise _lambda_refusal(lambdas)
    return _load_keras_file(path, source_format, unsafe)


def _lambda_refusal(lambdas: list[str]) -> LoadFailure:
    named = ", ".join(repr(n) for n in lambdas) or "a Lambda layer"
    return LoadFailure(
        f"refused to load: {named} holds Python bytecode (a Lambda layer), which can run "
        "arbitrary code; if you trust this file, probe it with --unsafe",
        code="KP105",
        layer=lambdas[0] if len(lambdas) == 1 else None,
    )


def _load_keras_file(path: Path, source_format: str, unsafe: bool) -> LoadedModel:
    import keras

    kwargs: dict[str, Any] = {"safe_mode": not unsafe}
    try:
        model = keras.saving.load_model(path, compile=True, **kwargs)
        _check_preprocessing_state(model, source_format)
        return LoadedModel(model, source_format, reload_kwargs={**kwargs, "compile": True})
    except LoadFailure:
        raise
    except Exception as exc:  # classified below
        first = exc
    if _is_safe_mode_refusal(first):  # a Lambda our config reader did not see
        raise _lambda_refusal([])
    # The architecture may load without the training configuration (Keras 3.15: .h5 compiled
    # with loss="mse" fails only while compiling); probes still run, KP104 reports the failure.
    try:
        model = keras.saving.load_model(path, compile=False, **kwargs)
    except Exception as exc:
        raise LoadFailure(f"loading {path.name} failed: {short_cause(exc)}") from None
    _check_preprocessing_state(model, source_format)
    return LoadedModel(
        model,
        source_format,
        compile_error=short_cause(first),
        reload_kwargs={**kwargs, "compile": False},
    )


def _check_preprocessing_state(model: Any, source_format: str) -> None:
    """An .h5 file drops lookup vocabularies; the model then fails on every input (an
    uninitialised table), so this is reported once, as the round-trip problem it is (KP104)."""
    if source_format != "h5":
        return
    from kerascheck.probes._tf import empty_vocabularies

    empty = empty_vocabularies(model)
    if empty:
        named = ", ".join(repr(p) for p in empty)
        raise LoadFailure(
            f"lookup layer(s) {named} have an empty vocabulary after loading this .h5 file: .h5 "
            "does not store TextVectorization/StringLookup vocabularies, so the model cannot map "
            "any input; save it as .keras",
            code="KP104",
            layer=empty[0] if len(empty) == 1 else None,
        )


def _is_safe_mode_refusal(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, ValueError) and "safe_mode" in text and (
        "Lambda" in text or "lambda" in text or "arbitrary code" in text
    )


def _is_hdf5(path: Path) -> bool:
    with path.open("rb") as handle:
        for offset in _HDF5_OFFSETS:
            handle.seek(offset)
            if handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
                return True
    return False


def lambda_layers_in_file(path: Path) -> list[str]:
    """Names of Lambda layers in a saved model's config, read without deserialising anything."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                config = json.loads(archive.read("config.json"))
        else:
            import h5py

            with h5py.File(path, "r") as handle:
                raw = handle.attrs.get("model_config")
                if raw is None:
                    return []
                config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except Exception:  # a config we cannot read has no names to report
        return []
    return lambda_layers_in_config(config)


def lambda_layers_in_config(config: Any) -> list[str]:
    """Recursively collect the names of ``Lambda`` layers in a Keras config structure."""
    found: list[str] = []
    if isinstance(config, dict):
        if config.get("class_name") == "Lambda":
            inner = config.get("config") or {}
            found.append(str(inner.get("name", "lambda")))
        for value in config.values():
            found.extend(lambda_layers_in_config(value))
    elif isinstance(config, list):
        for value in config:
            found.extend(lambda_layers_in_config(value))
    return found


def _load_saved_model(path: Path) -> LoadedModel:
    """Wrap a TensorFlow SavedModel's ``serving_default`` endpoint into a Keras model."""
    import keras
    import tensorflow as tf

    try:
        signatures = tf.saved_model.load(str(path)).signatures
    except Exception as exc:
        raise LoadFailure(f"loading SavedModel {path.name} failed: {short_cause(exc)}") from None
    if "serving_default" not in signatures:
        raise LoadFailure(
            f"SavedModel {path.name} has no 'serving_default' signature (it has "
            f"{sorted(signatures) or 'none'}); Keras 3 can only wrap an endpoint with TFSMLayer"
        )
    specs = signatures["serving_default"].structured_input_signature[1]

    class NamedInputsTFSMLayer(keras.layers.TFSMLayer):
        """Signatures take their inputs as keyword arguments; TFSMLayer passes one positional."""

        def call(self, inputs: Any, training: bool = False, **kwargs: Any) -> Any:
            if isinstance(inputs, dict):
                return self.call_endpoint_fn(**inputs, **kwargs)
            return super().call(inputs, training=training, **kwargs)

    try:
        layer = NamedInputsTFSMLayer(str(path), call_endpoint="serving_default")
        inputs = {
            name: keras.Input(
                shape=tuple(spec.shape[1:]), batch_size=spec.shape[0], dtype=spec.dtype.name, name=name
            )
            for name, spec in specs.items()
        }
        if len(inputs) == 1:
            (only,) = inputs.values()
            model = keras.Model(only, layer(only))
        else:
            model = keras.Model(inputs, layer(inputs))
    except Exception as exc:
        raise LoadFailure(
            f"SavedModel {path.name} could not be wrapped in keras.layers.TFSMLayer "
            f"(serving_default): {short_cause(exc)}"
        ) from None
    return LoadedModel(model, "savedmodel")
