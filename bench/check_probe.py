"""Time ``kerascheck check --probe`` on a file with one small model factory, end to end.

    python bench/check_probe.py [--repeat 3]

Writes a realistic ``models.py`` (a compiled Dense classifier built by ``build_model()``) to a
temporary directory and times the whole command in a fresh interpreter, as a user runs it:
Python start-up, the static check, factory discovery, the probe subprocess (TensorFlow import,
building the model, every built-in probe) and the report. For comparison it also times
``kerascheck check`` without ``--probe`` on the same file. Prints the median and every run;
target: under 10 s for ``check --probe``.
"""

from __future__ import annotations

import argparse
import os
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


def time_command(args: list[str], cwd: Path) -> tuple[float, int]:
    """Seconds one ``python -m kerascheck ARGS`` takes, and its exit code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kerascheck", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"kerascheck {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascheck-bench-") as scratch:
        work = Path(scratch)
        (work / "models.py").write_text(FACTORY_FILE, encoding="utf-8")
        static = [time_command(["check", "models.py", "--no-cache"], work)[0] for _ in range(args.repeat)]
        probed = []
        for _ in range(args.repeat):
            seconds, code = time_command(["check", "--probe", "models.py", "--no-cache"], work)
            probed.append(seconds)
    median = statistics.median(probed)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"kerascheck check models.py:          median {statistics.median(static):.2f} s  runs {', '.join(f'{s:.2f}' for s in static)}")
    print(f"kerascheck check --probe models.py:  median {median:.2f} s  runs {', '.join(f'{s:.2f}' for s in probed)}  (exit {code})")
    verdict = "meets" if median < TARGET_SECONDS else "MISSES"
    print(f"{verdict} the target of {TARGET_SECONDS:g} s for check --probe on one small factory")
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
