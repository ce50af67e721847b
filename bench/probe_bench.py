"""Time one end-to-end probe run of a small model (child start-up and TF import included).

    python bench/probe_bench.py [--repeat 3]

Builds a small clean model once (in this process), then times ``run_probes`` with every
built-in probe on it: Python start-up, TensorFlow/Keras import, loading, input synthesis and
all probes in the child. Also reports what importing the probe runner costs the parent and
checks that it does not import TensorFlow. Target: under 10 s per model.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
ROOT = Path(__file__).resolve().parents[1]


def parent_import_cost() -> tuple[float, bool]:
    """Seconds to import the runner and probe classes in a fresh interpreter; TF imported?"""
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "import kerascheck.probes.runner, kerascheck.probes.builtin\n"
        "print(time.perf_counter() - t, 'tensorflow' in sys.modules or 'keras' in sys.modules)\n"
    )
    from kerascheck.probes.runner import child_environment

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_environment(0))
    seconds, imported = out.stdout.split()
    return float(seconds), imported == "True"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from kerascheck.probes.builtin import BUILTIN_PROBES
    from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes

    seconds, imported = parent_import_cost()
    print(f"parent: importing runner + probe classes: {seconds * 1000:.0f} ms, tensorflow imported: {imported}")

    with tempfile.TemporaryDirectory() as scratch:
        model_path = Path(scratch) / "clean.keras"
        build = subprocess.run(
            [sys.executable, "-c",
             "import sys; sys.path.insert(0, sys.argv[2]); import build; build.build_clean().save(sys.argv[1])",
             str(model_path), str(ROOT / "examples" / "models")],
            capture_output=True, text=True,
        )
        if build.returncode != 0:
            print(build.stderr[-2000:], file=sys.stderr)
            return 2
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            findings = run_probes([ProbeTarget(path=str(model_path))], BUILTIN_PROBES, ProbeSettings())
            timings.append(time.perf_counter() - started)
            if findings:
                print("unexpected findings:", *[f.message for f in findings], sep="\n  ")
    best, worst = min(timings), max(timings)
    verdict = "OK" if best < TARGET_SECONDS else "SLOW"
    print(
        f"probe run (1 small model, {sum(p.runs_on_models() for p in BUILTIN_PROBES)} probes, "
        f"child + TF start-up included): best {best:.2f} s, worst {worst:.2f} s over {len(timings)} runs "
        f"[{verdict}, target < {TARGET_SECONDS:g} s]"
    )
    return 0 if best < TARGET_SECONDS and not imported else 1


if __name__ == "__main__":
    sys.exit(main())
