"""Parent side of probing: one child process per target, with a timeout, never a traceback.

The parent never imports TensorFlow. For each target it starts an isolated child (see
:func:`child_command`: nothing is imported from the working directory), sends a pickled request
on stdin and reads pickled records back from a result file the child appends to after every
step (so a timeout or crash still keeps the findings of the probes that finished, and says which
step was running). Every child runs in its own process group inside a scratch directory that is
also its ``TMPDIR``: on a timeout, Ctrl-C or SIGTERM the group is killed and the directory
removed, so nothing is left running or on disk.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path
from typing import Any

from kerascheck.findings import Finding
from kerascheck.probes.base import Probe
from kerascheck.probes.child import VERBOSE_PREFIX
from kerascheck.probes.failures import ModelLoadFailed, grouped_probe_failures
from kerascheck.probes.loading import is_qualname
from kerascheck.process_exit import killed_by
from kerascheck.records import record

#: Peak memory of a probe run is about ``TF_BASELINE_BYTES + MODEL_COPIES * file size``.
#: Calibrated with ``python bench/probe_memory.py`` (the child's peak RSS for Dense models of
#: 10-300 MB, every built-in probe; docs/probes.md has the table): TensorFlow, Keras and a
#: tiny model peak at ~550 MB, and each MB of weights costs ~13 MB at the peak (the loaded
#: model, its .keras/.h5 round-trip copies, the model.export SavedModel and their
#: serialisation buffers). The constants add a margin over the fit.
TF_BASELINE_BYTES = 700 * 2**20
MODEL_COPIES = 14
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


@record
class ProbeTarget:
    """What to probe: a saved model path, or a factory ``file.py:fn`` / ``pkg.module:fn``
    (``fn`` may be a static or class method: ``file.py:Models.build``)."""

    path: str | None = None
    factory: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.factory is None):
            raise ValueError("a ProbeTarget has exactly one of path= or factory=")

    @classmethod
    def parse(cls, text: str) -> ProbeTarget:
        """``model.keras``/``saved_dir`` → a path; ``x.py:build``/``pkg.mod:Cls.build`` → a factory.

        A Windows drive (``C:\\m.keras``) and existing paths stay paths.
        """
        head, sep, tail = text.rpartition(":")
        if sep and is_qualname(tail) and len(head) > 1 and not Path(text).exists():
            if head.endswith(".py") or all(part.isidentifier() for part in head.split(".")):
                return cls(factory=text)
        return cls(path=text)

    @property
    def label(self) -> str:
        """How findings name this target (``Location.path``)."""
        return self.path if self.path is not None else str(self.factory)


@record
class ProbeSettings:
    """How to probe. ``options`` maps a probe code (or slug) to ``{"option": value}``."""

    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Seconds per target, TensorFlow start-up included; ``None``: :func:`default_timeout`.
    timeout: float | None = None
    #: Load with ``safe_mode=False`` (runs Lambda bytecode): only for trusted files.
    unsafe: bool = False
    #: Allow factory targets, which import and run the user's code.
    allow_factory: bool = False
    #: Allow SavedModel directories: probing one runs its TensorFlow graph, which can hold
    #: arbitrary ops (file writes, ``py_function`` is not even needed), so only trusted ones.
    allow_savedmodel: bool = False
    #: Modules (dotted names or ``.py`` paths) imported in the child before loading.
    custom_objects: tuple[str, ...] = ()
    #: ``.npy``/``.npz`` inputs to use instead of synthesised ones.
    sample: str | None = None
    #: ``.npz`` of the outputs expected for ``sample`` (arrays in flattened output order);
    #: the Python API writes it for in-memory models so KP104 can compare the saved file
    #: against the model it came from.
    reference: str | None = None
    seed: int = 0
    #: Print per-probe timing lines on stderr.
    verbose: bool = False
    #: Skip (with a KP001 finding) models that will not fit in the available memory.
    check_memory: bool = True
    #: The interpreter for the child; the parent's by default.
    python: str | None = None
    #: Targets probed at the same time (each in its own child; TF start-up dominates).
    jobs: int = 1


def run_probes(
    targets: Sequence[ProbeTarget],
    probes: Sequence[type[Probe]],
    settings: ProbeSettings,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[Finding]:
    """Probe each target in its own subprocess and return every finding, target after target.

    ``on_progress(index, total, label)`` is called before each target (index from 0).
    Probes that only document callback or runner codes are skipped.
    """
    runnable = [p for p in probes if p.runs_on_models()]
    budget = MemoryBudget(available_memory() if settings.check_memory else None)

    def one(index: int) -> list[Finding]:
        if on_progress is not None:
            on_progress(index, len(targets), targets[index].label)
        return _probe_target(targets[index], runnable, settings, budget)

    with _terminate_children_on_signal():
        if settings.jobs <= 1 or len(targets) <= 1:
            results = [one(i) for i in range(len(targets))]
        else:
            # Threads only wait on child processes, so they run truly in parallel.
            with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
                results = list(pool.map(one, range(len(targets))))
    return [finding for result in results for finding in result]


class _LiveChildren:
    """The probe children running now, so an interruption can kill every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[bytes]] = set()

    def add(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.add(process)

    def discard(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.discard(process)

    def kill_all(self) -> None:
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            kill_group(process)


_LIVE = _LiveChildren()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a child and every process it started (its process group on POSIX), then reap it."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    else:
        process.kill()
    process.wait()


@contextmanager
def _terminate_children_on_signal() -> Iterator[None]:
    """Turn SIGTERM into ``KeyboardInterrupt`` while probing; on either, kill every child.

    Only the main thread may install signal handlers; elsewhere the caller owns signals and
    the children are still killed when the interruption reaches this frame.
    """
    previous = None
    main = threading.current_thread() is threading.main_thread()
    if main:

        def interrupt(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    except BaseException:
        _LIVE.kill_all()
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


class MemoryBudget:
    """The memory the running children are expected to peak at, counted together: with
    ``jobs > 1`` a target waits until the others leave room for it, and a target that would
    not fit even alone is not started."""

    def __init__(self, available: int | None) -> None:
        self.available = available
        self.reserved = 0
        self._changed = threading.Condition()

    def acquire(self, needed: int) -> bool:
        """Reserve ``needed`` bytes (waiting for running targets); False if it can never fit."""
        if self.available is None:
            return True
        with self._changed:
            if needed > self.available:
                return False
            while self.reserved and self.reserved + needed > self.available:
                self._changed.wait()
            self.reserved += needed
            return True

    def release(self, needed: int) -> None:
        if self.available is None:
            return
        with self._changed:
            self.reserved -= needed
            self._changed.notify_all()


#: Default time limit: a floor, plus time per MB of model. ``bench/probe_memory.py`` measured
#: a whole probe run at ~20 s + 0.27 s/MB on a busy 2-core machine (300 MB: 100 s); the
#: default doubles the per-MB cost so a big model gets time instead of a timeout.
DEFAULT_TIMEOUT = 120.0
TIMEOUT_PER_MB = 0.6


def default_timeout(target: ProbeTarget) -> float:
    """The time limit for ``target`` when none is set: 120 s, more for models over ~100 MB."""
    size = _artifact_size(Path(target.path)) if target.path is not None and Path(target.path).exists() else 0
    return max(DEFAULT_TIMEOUT, 60.0 + TIMEOUT_PER_MB * size / 2**20)


def estimated_memory(target: ProbeTarget) -> int:
    """Bytes a probe run of ``target`` is expected to peak at (factories: the baseline)."""
    size = _artifact_size(Path(target.path)) if target.path is not None else 0
    return TF_BASELINE_BYTES + MODEL_COPIES * size


def _probe_target(
    target: ProbeTarget, probes: Sequence[type[Probe]], settings: ProbeSettings, budget: MemoryBudget
) -> list[Finding]:
    label = target.label
    problem = _precheck(target, settings)
    if problem:
        return [ModelLoadFailed.finding_on(label, problem)]
    if not probes:
        return []
    needed = estimated_memory(target)
    if not budget.acquire(needed):
        size = needed - TF_BASELINE_BYTES
        return [ModelLoadFailed.finding_on(
            label,
            f"not probed: the model is {size / MODEL_COPIES / 2**20:.0f} MB and probing it needs "
            f"about {needed / 2**20:.0f} MB, but only {(budget.available or 0) / 2**20:.0f} MB of "
            "memory is available",
        )]
    try:
        return _run_target(target, probes, settings)
    finally:
        budget.release(needed)


def _run_target(target: ProbeTarget, probes: Sequence[type[Probe]], settings: ProbeSettings) -> list[Finding]:
    label = target.label
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kerascheck-probe-") as scratch:
        result_path = Path(scratch) / "result.pickle"
        cwd = os.getcwd()
        request = {
            "target": target,
            "probes": [p.ref() for p in probes],
            "options": {key: dict(value) for key, value in settings.options.items()},
            "unsafe": settings.unsafe,
            "custom_objects": list(settings.custom_objects),
            "sample": settings.sample,
            "reference": settings.reference,
            "seed": settings.seed,
            "verbose": settings.verbose,
            "result_path": str(result_path),
            "sys_path": forwarded_sys_path(sys.path, cwd),
            "cwd": cwd,
        }
        timeout = settings.timeout if settings.timeout is not None else default_timeout(target)
        returncode, timed_out, stderr = _run_child(request, settings, Path(scratch), timeout)
        records = _read_records(result_path)
    findings = [f for record in records if record[0] == "findings" for f in record[2]]
    failures = [(record[1], record[2]) for record in records if record[0] == "failed"]
    findings += grouped_probe_failures(label, failures, {p.code: p.name for p in probes})
    done = any(record[0] == "done" for record in records)
    stage = _running_stage(records, probes)
    if settings.verbose:
        for line in stderr.splitlines():
            if line.startswith(VERBOSE_PREFIX):
                print(line[len(VERBOSE_PREFIX) :], file=sys.stderr)
        peak = next((record[1] for record in records if record[0] == "peak_memory" and record[1]), None)
        memory = f", peak memory {peak / 2**20:.0f} MB" if peak else ""
        print(f"{label}: {time.perf_counter() - started:.2f}s in total{memory}", file=sys.stderr)
    if timed_out:
        findings.append(
            ModelLoadFailed.finding_on(
                label,
                f"probing timed out after {timeout:g} s while {stage}; "
                "raise the timeout (--timeout) or select fewer probes",
            )
        )
    elif not done:
        findings.append(ModelLoadFailed.finding_on(label, _crash_message(returncode, stage, stderr)))
    return findings


def _precheck(target: ProbeTarget, settings: ProbeSettings) -> str | None:
    """Problems found without starting a child: flags, missing files (memory: MemoryBudget)."""
    if target.factory is not None:
        if not settings.allow_factory:
            return (
                f"factory target {target.factory!r} imports and runs your code: allow it "
                "explicitly (--factory / allow_factory=True)"
            )
        return None
    path = Path(str(target.path))
    if not path.exists():
        return f"model file {target.path!r} not found"
    if path.is_dir() and (path / "saved_model.pb").is_file() and not settings.allow_savedmodel:
        return (
            f"not probed: {target.path!r} is a TensorFlow SavedModel, and probing one runs its "
            "graph, which can do anything the saved ops do (write files, read the network); if "
            "you trust it, allow it explicitly (--allow-savedmodel / allow_savedmodel=True)"
        )
    return None


def _artifact_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def available_memory() -> int | None:
    """Bytes of memory available to a new process (Linux ``MemAvailable``), or ``None``."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def package_root() -> str:
    """The directory holding this ``kerascheck`` package (also for an uninstalled checkout)."""
    import kerascheck

    return str(Path(kerascheck.__file__).absolute().parent.parent)


def forwarded_sys_path(entries: Sequence[str], cwd: str) -> list[str]:
    """The parent's ``sys.path`` for the child (plugins' probe modules), minus the working dir.

    ``python -m kerascheck`` puts the working directory first; a cloned repository's
    ``numpy.py`` must never be importable because of that.
    """
    here = os.path.realpath(cwd)
    kept = []
    for entry in entries:
        absolute = os.path.normpath(os.path.join(cwd, entry or os.curdir))
        if entry and os.path.realpath(absolute) != here and absolute not in kept:
            kept.append(absolute)
    return kept


#: Run by ``python -c`` as the child's first code: nothing has been imported from the working
#: directory yet (``-c`` adds it to ``sys.path`` only for user code), so removing it here keeps
#: a repository's ``keras.py``/``numpy.py`` from shadowing anything. ``-I``/``-P`` would also
#: drop user site-packages (``pip install --user tensorflow``) or need Python 3.11.
CHILD_BOOTSTRAP = (
    "import os, sys\n"
    "here = os.path.realpath(os.getcwd())\n"
    "sys.path[:] = [sys.argv[1]] + [os.path.abspath(p) for p in sys.path\n"
    "                               if p and os.path.realpath(p) != here]\n"
    "from kerascheck.probes.child import main\n"
    "sys.exit(main())\n"
)


def child_command(settings: ProbeSettings) -> list[str]:
    """The child's command line: the bootstrap, with this kerascheck's root as ``argv[1]``."""
    return [settings.python or sys.executable, "-c", CHILD_BOOTSTRAP, package_root()]


def child_environment(seed: int, scratch: Path | None = None) -> dict[str, str]:
    """The child's environment: quiet TensorFlow on CPU, this kerascheck importable, and (given
    ``scratch``) temporary files inside the parent's scratch directory."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ info/warning logs on stderr
    env["CUDA_VISIBLE_DEVICES"] = ""  # CPU: deterministic kernels, no GPU memory grab
    env["KERAS_BACKEND"] = "tensorflow"  # TFSMLayer and the probes assume TensorFlow
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders float sums between runs
    env["PYTHONHASHSEED"] = str(seed)
    env["PYTHONWARNINGS"] = "ignore"  # so the last stderr line of a crash is the cause
    env["PYTHONUNBUFFERED"] = "1"
    root = package_root()  # the very package this parent runs, even from an uninstalled checkout
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = root + (os.pathsep + existing if existing else "")
    if scratch is not None:
        temp = scratch / "tmp"
        temp.mkdir(exist_ok=True)
        # Whatever the child (or TF, or user code) puts in tempfile goes where we clean up.
        for name in ("TMPDIR", "TEMP", "TMP"):
            env[name] = str(temp)
    return env


def _run_child(request: dict[str, Any], settings: ProbeSettings, scratch: Path, timeout: float) -> tuple[int, bool, str]:
    """Run the child; ``(returncode, timed_out, stderr text)``.

    The child's process group is killed on a timeout and on any interruption of this thread
    (Ctrl-C, SIGTERM turned into ``KeyboardInterrupt``), then the exception goes on.
    """
    stderr_path = scratch / "stderr.txt"
    with open(stderr_path, "wb") as stderr_file:
        process = subprocess.Popen(
            child_command(settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,  # user code may print; results go to the result file
            stderr=stderr_file,
            env=child_environment(settings.seed, scratch),
            start_new_session=os.name == "posix",  # a process group: TF's helpers die with it
        )
        _LIVE.add(process)
        timed_out = False
        try:
            process.communicate(pickle.dumps(request), timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(process)
        except BaseException:
            kill_group(process)
            raise
        finally:
            _LIVE.discard(process)
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    return process.returncode, timed_out, stderr


def _read_records(path: Path) -> list[tuple[Any, ...]]:
    """Every complete record the child wrote (a killed child may leave a truncated last one)."""
    records: list[tuple[Any, ...]] = []
    if not path.exists():
        return records
    with path.open("rb") as handle:
        while True:
            try:
                records.append(pickle.load(handle))
            except EOFError:
                break
            except Exception:  # truncated record from a killed child
                break
    return records


def _running_stage(records: list[tuple[Any, ...]], probes: Sequence[type[Probe]]) -> str:
    """What the child was doing last, in words."""
    names = {p.code: p.name for p in probes}
    stage = "starting Python and TensorFlow"
    for message in records:
        if message[0] == "start":
            step = message[1]
            if step == "load":
                stage = "loading the model"
            elif step == "inputs":
                stage = "preparing inputs"
            else:
                stage = f"running {step} ({names.get(step, 'probe')})"
    return stage


def _crash_message(returncode: int, stage: str, stderr: str) -> str:
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(VERBOSE_PREFIX)
    ]
    last = f": {lines[-1][:300]}" if lines else ""
    name = killed_by(returncode)
    if name is not None:
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the probe subprocess crashed with {name}{hint} while {stage}{last}"
    return f"the probe subprocess exited with status {returncode} while {stage}{last}"

