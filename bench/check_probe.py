"""Time ``kerascheck check --probe`` on a file with one small model factory, end to end.

    python bench/check_probe.py [--repeat 3]

Writes a realistic ``models.py`` (a compiled Dense classifier built by ``build_model()``) to a
temporary directory and times the whole command in a fresh interpreter, as a user runs it:
Python start-up, the static check, factory discovery, the probe subprocess (TensorFlow import,
building the model, every built-in probe) and the report. For comparison it also times
``kerascheck check`` without ``--probe`` on the same file. Prints the median wall time and
every run, and the CPU time (user + system, the probe subprocess included), which a busy
shared machine changes less than the wall time; target: under 10 s wall for ``check --probe``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
ROOT = Path(__file__).resolve().parents[1]
FACTORY_FILE = '''\
import keras
from keras import layers


def build_model(num_features=20, num_classes=3):
    model = keras.Sequential([
        keras.Input((num_features,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''


def time_command(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds and CPU seconds (this command and every process it waited for, the probe
    subprocess included) of one ``python -m kerascheck ARGS``, and its exit code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kerascheck", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"kerascheck {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, cpu, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascheck-bench-") as scratch:
        work = Path(scratch)
        (work / "models.py").write_text(FACTORY_FILE, encoding="utf-8")
        static = [time_command(["check", "models.py", "--no-cache"], work) for _ in range(args.repeat)]
        probed = [time_command(["check", "--probe", "models.py", "--no-cache"], work) for _ in range(args.repeat)]
    median = statistics.median(run[0] for run in probed)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for label, runs in (("check models.py", static), ("check --probe models.py", probed)):
        walls = ", ".join(f"{run[0]:.2f}" for run in runs)
        print(
            f"kerascheck {label:<24} median {statistics.median(r[0] for r in runs):.2f} s wall "
            f"(runs {walls}), {statistics.median(r[1] for r in runs):.2f} s CPU, exit {runs[-1][2]}"
        )
    verdict = "meets" if median < TARGET_SECONDS else "MISSES"
    print(f"{verdict} the target of {TARGET_SECONDS:g} s for check --probe on one small factory")
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
