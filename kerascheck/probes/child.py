"""The probe subprocess, started by the runner's bootstrap with a pickled request on stdin.

It loads one model, makes inputs, runs each probe and appends a pickled record to the result
file after every step: ``("start", step)``, ``("findings", step, [Finding, ...])``,
``("failed", probe code, cause)`` for a probe that could not run (the parent groups equal
causes into one KP002), ``("peak_memory", bytes)`` and finally ``("done",)``. Steps are
``"load"``, ``"inputs"`` and probe codes. Every expected failure becomes a finding; the
process exits 0 unless Python itself dies.
"""

from __future__ import annotations

import importlib
import pickle
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import IO, Any

from kerascheck.findings import Finding

#: Lines written to stderr for the parent to relay in verbose mode (``kerascheck.probes.runner``).
VERBOSE_PREFIX = "kerascheck-probe: "


class _Records:
    def __init__(self, path: str) -> None:
        self._handle: IO[bytes] = open(path, "ab")  # closed in close()

    def write(self, *record: Any) -> None:
        pickle.dump(record, self._handle)
        self._handle.flush()  # the parent reads what is there even if we are killed next

    def close(self) -> None:
        self._handle.close()


def _resolve(ref: str) -> Any:
    module_name, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _peak_memory() -> int | None:
    """This process's peak resident memory in bytes (for calibrating the parent's estimate)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB on Linux


def main() -> int:
    request = pickle.load(sys.stdin.buffer)
    for entry in request["sys_path"]:
        if entry not in sys.path:
            sys.path.append(entry)  # after our own entries: plugins' probe modules, never shadowing
    target = request["target"]
    if target.factory is not None or request["custom_objects"]:
        # Code the user named on the command line (--factory, --custom-objects mypkg.layers)
        # may be a module of the working directory; last, so it shadows nothing installed.
        sys.path.append(request["cwd"])
    records = _Records(request["result_path"])
    try:
        _probe(request, records)
    except BaseException as exc:  # a bug here must still be a finding
        from kerascheck.probes.failures import ModelLoadFailed

        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        records.write("findings", "internal", [
            ModelLoadFailed.finding_on(request["target"].label, f"internal error while probing: {detail}")
        ])
    records.write("peak_memory", _peak_memory())
    records.write("done")
    records.close()
    return 0


def _probe(request: dict[str, Any], records: _Records) -> None:
    from kerascheck.probes.failures import ModelLoadFailed

    target = request["target"]
    label: str = target.label
    verbose: bool = request["verbose"]
    probes = [_resolve(ref) for ref in request["probes"]]
    by_code = {p.code: p for p in probes}

    def say(text: str) -> None:
        if verbose:
            print(f"{VERBOSE_PREFIX}{label}: {text}", file=sys.stderr, flush=True)

    records.write("start", "load")
    started = time.perf_counter()
    import keras
    import numpy as np

    say(f"TensorFlow/Keras {keras.__version__} imported in {time.perf_counter() - started:.2f}s")
    from kerascheck.probes import _tf, inputs, loading

    outdated = loading.keras_version_problem(keras.__version__)
    if outdated and target.path is not None and not request["unsafe"]:
        records.write("findings", "load", [ModelLoadFailed.finding_on(label, outdated)])
        return

    keras.utils.set_random_seed(request["seed"])  # factories build the same weights every run
    started = time.perf_counter()
    try:
        loading.import_custom_objects(request["custom_objects"])
        if target.factory is not None:
            loaded = loading.call_factory(target.factory)
        else:
            loaded = loading.load_path(target.path, unsafe=request["unsafe"])
    except loading.LoadFailure as failure:
        owner = by_code.get(failure.code, ModelLoadFailed)
        records.write("findings", "load", [owner.finding_on(label, failure.message, layer=failure.layer)])
        return
    say(f"model loaded in {time.perf_counter() - started:.2f}s")
    model = loaded.model

    records.write("start", "inputs")
    data: Any = None
    batch_size = inputs.DEFAULT_BATCH
    input_problem: str | None = None
    try:
        sig = inputs.signature(model)
        if request["sample"]:
            data, batch_size = inputs.load_sample(request["sample"], sig)
        else:
            data, batch_size = inputs.synthesize(sig, np.random.default_rng(request["seed"]))
        data = inputs.as_model_inputs(data)
    except inputs.InputError as exc:
        input_problem = str(exc)
    reference = None
    if request.get("reference"):
        with np.load(request["reference"], allow_pickle=False) as stored:
            reference = [stored[key] for key in sorted(stored.files, key=inputs.arr_index)]

    variables = list(model.variables)
    initial = _tf.snapshot(variables)
    with tempfile.TemporaryDirectory(prefix="kerascheck-child-") as scratch:
        for probe in probes:
            records.write("start", probe.code)
            if input_problem is not None and probe.needs_inputs:
                records.write("failed", probe.code, f"not run: {input_problem}")
                continue
            workdir = Path(scratch) / probe.code
            workdir.mkdir()
            from kerascheck.probes.base import ProbeContext

            ctx = ProbeContext(
                probe=probe,
                model=model,
                path=label,
                inputs=data,
                batch_size=batch_size,
                options=probe.resolve_options(request["options"]),
                rng=np.random.default_rng(request["seed"]),
                tmpdir=workdir,
                source_format=loaded.source_format,
                compile_error=loaded.compile_error,
                unsafe=request["unsafe"],
                reload_kwargs=loaded.reload_kwargs,
                reference=reference,
            )
            started = time.perf_counter()
            found: list[Finding] = []
            try:
                for finding in probe().run(ctx) or ():  # what came before a failure is kept
                    found.append(finding)
            except Exception as exc:  # one broken probe must not hide the others
                detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                records.write("failed", probe.code, f"raised {detail[:300]}")
            finally:
                # Undo whatever the probe changed (BatchNorm statistics from training=True
                # calls, seed counters, RNN state) so the next probe sees the loaded model.
                try:
                    _tf.restore(variables, initial)
                    _tf.reset_states(model)
                except Exception:  # a model we cannot restore is still probed
                    pass
            say(f"{probe.code} {probe.name}: {time.perf_counter() - started:.2f}s, {len(found)} finding(s)")
            records.write("findings", probe.code, found)


if __name__ == "__main__":
    sys.exit(main())
