"""Measure what probing costs in memory and time, by model size (calibrates the runner's
memory estimate, ``kerascheck.probes.runner.estimated_memory``).

    python bench/probe_memory.py [--sizes 25 100 300]

Builds one Dense model per size (in MB of float32 weights) in a subprocess, probes it with
``kerascheck probe --verbose`` and reads the child's peak resident memory and the wall time
from the verbose summary line. Prints one row per size and the least-squares line
``peak = base + k * size`` that the estimate should cover.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = """
import sys, keras
size_mb = float(sys.argv[2])
units = int((size_mb * 2**20 / 4) ** 0.5)
inputs = keras.Input((units,))
model = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Dense(units)(inputs)))
model.compile(optimizer="adam", loss="mse")
model.save(sys.argv[1])
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[25.0, 100.0, 300.0])
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            path = Path(scratch) / f"dense_{size:g}mb.keras"
            subprocess.run([sys.executable, "-c", BUILD, str(path), str(size)], check=True, capture_output=True, env=env)
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "kerascheck", "probe", str(path), "--verbose", "--timeout", "1200"],
                capture_output=True, text=True, env=env, check=False,
            )
            wall = time.perf_counter() - started
            peak = re.search(r"peak memory (\d+) MB", result.stderr)
            steps = dict(re.findall(r"(KP\d+) [\w-]+: ([\d.]+)s", result.stderr))
            file_mb = path.stat().st_size / 2**20
            rows.append((file_mb, int(peak.group(1)) if peak else None, wall, steps.get("KP104")))
            print(f"model {file_mb:7.1f} MB: peak {rows[-1][1]} MB, probe run {wall:6.1f} s (KP104 {steps.get('KP104')} s), exit {result.returncode}")
            path.unlink()
    measured = [(size, peak) for size, peak, _, _ in rows if peak]
    if len(measured) >= 2:
        n = len(measured)
        mean_x = sum(x for x, _ in measured) / n
        mean_y = sum(y for _, y in measured) / n
        k = sum((x - mean_x) * (y - mean_y) for x, y in measured) / sum((x - mean_x) ** 2 for x, _ in measured)
        print(f"fit: peak ≈ {mean_y - k * mean_x:.0f} MB + {k:.2f} × model size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
