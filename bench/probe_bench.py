"""Time end-to-end probe runs of small models (child start-up and TF import included).

    python bench/probe_bench.py [--repeat 3] [--jobs 2]

Builds a small clean model once (in a subprocess), then times ``run_probes`` with every
built-in probe on it: Python start-up, TensorFlow/Keras import, loading, input synthesis and
all probes in the child. Then times one run over five different small example models
(``examples/models/build.py``: dense, stateful LSTM, dict inputs with an Embedding, a
string-input TextVectorization model and a CNN), sequentially and with ``--jobs``. Also
reports what importing the probe runner costs the parent and checks that it does not import
TensorFlow. Target: under 10 s per model.
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
    parser.add_argument("--jobs", type=int, default=2)
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
        five = five_models(Path(scratch))
        if five is None:
            return 2
        custom = (str(ROOT / "examples" / "models" / "custom_layers.py"),)
        targets = [ProbeTarget(path=str(p)) for p in five]
        for jobs in (1, args.jobs):
            started = time.perf_counter()
            findings = run_probes(targets, BUILTIN_PROBES, ProbeSettings(custom_objects=custom, jobs=jobs))
            seconds = time.perf_counter() - started
            print(
                f"5 small models ({', '.join(p.name for p in five)}), jobs={jobs}: {seconds:.1f} s in "
                f"total, {seconds / len(five):.1f} s per model, findings: "
                f"{sorted(f'{Path(f.location.path).name}:{f.code}' for f in findings)}"
            )
    best, worst = min(timings), max(timings)
    verdict = "OK" if best < TARGET_SECONDS else "SLOW"
    print(
        f"probe run (1 small model, {sum(p.runs_on_models() for p in BUILTIN_PROBES)} probes, "
        f"child + TF start-up included): best {best:.2f} s, worst {worst:.2f} s over {len(timings)} runs "
        f"[{verdict}, target < {TARGET_SECONDS:g} s]"
    )
    return 0 if best < TARGET_SECONDS and not imported else 1


FIVE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import build, keras
out = Path(sys.argv[1])
build.build_all(out, names=["clean.keras", "stateful_lstm.keras", "clean_multi_input.keras", "clean_text.keras"])
keras.utils.set_random_seed(0)
image = keras.Input((None, None, 3))
x = image
for filters in (8, 16, 32):
    x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.BatchNormalization()(x)
cnn = keras.Model(image, keras.layers.Dense(10, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x)))
cnn.save(out / "cnn.keras")
"""


def five_models(out: Path) -> list[Path] | None:
    """Five small models of different kinds, built in a subprocess."""
    built = subprocess.run(
        [sys.executable, "-c", FIVE, str(out), str(ROOT / "examples" / "models")],
        capture_output=True, text=True, check=False,
    )
    if built.returncode != 0:
        print(built.stderr[-2000:], file=sys.stderr)
        return None
    names = ["clean.keras", "stateful_lstm.keras", "clean_multi_input.keras", "clean_text.keras", "cnn.keras"]
    return [out / name for name in names]

if __name__ == "__main__":
    sys.exit(main())
