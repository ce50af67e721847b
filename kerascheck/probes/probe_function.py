"""``probe()``: the Python API of the dynamic half.

A path (or factory) goes straight to the subprocess runner. An in-memory Keras model is saved
to a temporary ``.keras`` file and that file is probed, so every probe sees exactly what
``keras.saving.load_model`` would give back; the model's own predictions on the probe inputs
are recorded first, so KP104 also reports a saved file that predicts differently from the
model it was saved from.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascheck.findings import Finding
from kerascheck.probes.base import Probe
from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes


def probe(
    model_or_path: Any,
    sample: Any = None,
    select: Sequence[str] | None = None,
    *,
    unsafe: bool = False,
    timeout: float | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    probes: Sequence[type[Probe]] | None = None,
    custom_objects: Sequence[str] = (),
    allow_factory: bool = False,
    allow_savedmodel: bool = False,
    seed: int = 0,
) -> list[Finding]:
    """Probe a saved model, a factory (``"file.py:fn"``) or an in-memory ``keras.Model``.

    ``sample`` is a ``.npy``/``.npz`` path, an array, a list of arrays or a dict of arrays
    keyed by input name. ``select`` keeps probes by code (``KP104``), prefix (``KP1``) or slug
    (``reload-mismatch``); an unknown selector is a ``ConfigError``, as for ``check()``.
    ``probes`` defaults to every registered probe: built-in and installed plugins'.

    Problems of the model (it cannot be saved, loaded, given inputs or probed) come back as
    findings (KP001/KP002), never as exceptions; only a wrong argument raises.
    """
    chosen = select_probes(probes if probes is not None else registered_probes(), select, validate=True)
    with tempfile.TemporaryDirectory(prefix="kerascheck-api-") as scratch:
        work = Path(scratch)
        sample_path = _sample_file(sample, work) if sample is not None else None
        reference = None
        label = None
        modules = list(custom_objects)
        if isinstance(model_or_path, (str, os.PathLike)):
            target = ProbeTarget.parse(os.fspath(model_or_path))
        elif _is_keras_model(model_or_path):
            label = f"<in-memory model {model_or_path.name!r}>"
            saved = work / f"{model_or_path.name or 'model'}.keras"
            try:
                model_or_path.save(saved)
            except Exception as exc:  # a model that cannot be saved is a finding
                from kerascheck.probes.failures import ModelLoadFailed
                from kerascheck.probes.loading import short_cause

                return [ModelLoadFailed.finding_on(label, f"the model could not be saved as .keras: {short_cause(exc)}")]
            target = ProbeTarget(path=str(saved))
            sample_path, reference = _record_reference(model_or_path, sample_path, work, seed)
            modules += [m for m in _custom_modules(model_or_path) if m not in modules]
        else:
            raise TypeError(
                f"probe() takes a model path, a factory 'file.py:fn' or a keras.Model, "
                f"not {type(model_or_path).__name__}"
            )
        settings = ProbeSettings(
            options=dict(options or {}),
            timeout=timeout,
            unsafe=unsafe,
            allow_factory=allow_factory,
            allow_savedmodel=allow_savedmodel,
            custom_objects=tuple(modules),
            sample=str(sample_path) if sample_path else None,
            reference=str(reference) if reference else None,
            seed=seed,
        )
        findings = run_probes([target], chosen, settings)
    if label is not None:
        findings = [_relabel(f, label) for f in findings]
    return findings


def registered_probes() -> list[type[Probe]]:
    """Every probe the installed plugins register (the built-in ones included)."""
    from kerascheck.plugins import load_plugins

    return list(load_plugins(()).probes.values())


def select_probes(
    probes: Iterable[type[Probe]], select: Sequence[str] | None, *, validate: bool = False
) -> list[type[Probe]]:
    """The probes matching any selector (code, code prefix or slug); all when ``select`` is None.

    With ``validate``, a selector matching none of ``probes`` raises ``ConfigError``.
    """
    from kerascheck.config import ConfigError, selector_matches

    probes = list(probes)
    if not select:
        return probes
    wanted = [s.strip() for s in select]
    if validate:
        for selector in wanted:
            if not any(selector_matches(selector, p) for p in probes):
                raise ConfigError("probe()", "select", f"unknown probe code, prefix or name {selector!r}")
    return [p for p in probes if any(selector_matches(s, p) for s in wanted)]


def _is_keras_model(obj: Any) -> bool:
    keras = sys.modules.get("keras")  # a model in memory means Keras is already imported
    return keras is not None and isinstance(obj, keras.Model)


def _relabel(finding: Finding, label: str) -> Finding:
    return dataclasses.replace(finding, location=dataclasses.replace(finding.location, path=label))


def _sample_file(sample: Any, work: Path) -> Path:
    """A ``.npy``/``.npz`` path as given, or arrays written to an ``.npz``."""
    import numpy as np

    if isinstance(sample, (str, os.PathLike)):
        return Path(sample)
    path = work / "sample.npz"
    if isinstance(sample, Mapping):
        named: dict[str, Any] = {str(k): np.asarray(v) for k, v in sample.items()}
        np.savez(path, **named)
    elif isinstance(sample, (list, tuple)):
        np.savez(path, *[np.asarray(v) for v in sample])
    else:
        np.savez(path, np.asarray(sample))
    return path


def _record_reference(model: Any, sample_path: Path | None, work: Path, seed: int) -> tuple[Path | None, Path | None]:
    """Write the probe inputs and the model's own outputs for them, when they can be made.

    ``(sample file, reference outputs file)``; when the model cannot be given inputs or
    cannot predict in this process, the child makes its own and reports why it cannot.
    """
    import numpy as np

    from kerascheck.probes import _tf, inputs

    try:
        sig = inputs.signature(model)
        if sample_path is not None:
            data, batch = inputs.load_sample(sample_path, sig)
        else:
            data, batch = inputs.synthesize(sig, np.random.default_rng(seed))
        arrays = data if sig.kind == "list" else list(data.values()) if sig.kind == "dict" else [data]
        written = work / "inputs.npz"
        by_name: dict[str, Any] = {spec.name: np.asarray(a) for spec, a in zip(sig.specs, arrays, strict=False)}
        np.savez(written, **by_name)
        _tf.reset_states(model)
        outputs = _tf.flatten_outputs(model.predict(inputs.as_model_inputs(data), batch_size=batch, verbose=0))
        _tf.reset_states(model)
    except Exception:  # the child reports the same problem as a finding
        return sample_path, None
    reference = work / "reference.npz"
    np.savez(reference, *outputs)
    return written, reference


def _custom_modules(model: Any) -> list[str]:
    """Importable modules defining the model's non-Keras classes (so the child can load it).

    ``__main__`` is skipped: importing a script again would re-run it. Custom layers used
    with in-memory models should live in an importable module.
    """
    from kerascheck.probes import _tf

    classes = [type(model)] + [type(layer) for _, layer in _tf.walk_layers(model)]
    modules: list[str] = []
    for cls in classes:
        module = cls.__module__
        if module.split(".")[0] in ("keras", "tensorflow", "tf_keras", "__main__"):
            continue
        file = getattr(sys.modules.get(module), "__file__", None)
        entry = module if _importable(module) else (file or module)
        if entry not in modules:
            modules.append(entry)
    return modules


def _importable(module: str) -> bool:
    """Whether ``module`` can be imported by name from the child's ``sys.path``."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
