"""How often the static layer → line mapping is right, measured against what really ran.

For each model factory (``file.py:fn``, or every factory ``check --probe`` finds under the given
directories), a fresh Python process imports the module and calls the factory the way the probe
subprocess does, while recording, for every Keras layer constructed, the innermost line of the
factory's file on the call stack (the true constructing line). Then every layer of the returned
model is mapped statically (:func:`kerascheck.static.layer_sites.factory_sites`) and compared:

* ``right``: the mapped line is the true one;
* ``unmapped``: no single site could be named, the finding would stay on the ``def`` line;
* ``wrong``: a different line (the mapping must never do this).

Run (needs the probe extra; executes the factories' code, so only on code you trust)::

    python bench/layer_mapping_accuracy.py tests/data/probe_map/factories.py:stateful_lstm
    python bench/layer_mapping_accuracy.py --scan /work/shared/corpus --details
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

# Runs in the child: build the model with provenance, print {layer path: true line}.
_CHILD = r"""
import importlib.util, json, sys
from pathlib import Path
path, qualname = Path(sys.argv[1]).resolve(), sys.argv[2]
import keras
from keras.src.ops.operation import Operation
lines = {}
original = Operation.__new__
def recording_new(cls, *args, **kwargs):
    instance = original(cls, *args, **kwargs)
    frame = sys._getframe(1)
    while frame is not None and Path(frame.f_code.co_filename).resolve() != path:
        frame = frame.f_back
    if frame is not None:
        lines[id(instance)] = frame.f_lineno
    return instance
Operation.__new__ = recording_new
keras.utils.set_random_seed(0)
sys.path.insert(0, str(path.parent))
spec = importlib.util.spec_from_file_location(path.stem, path)
module = importlib.util.module_from_spec(spec)
sys.modules[path.stem] = module
spec.loader.exec_module(module)
target = module
for part in qualname.split("."):
    target = getattr(target, part)
model = target()
def walk(layer, prefix=""):
    for inner in getattr(layer, "_layers", None) or getattr(layer, "layers", []):
        if isinstance(inner, keras.layers.InputLayer):
            continue
        name = prefix + inner.name
        yield name, inner
        yield from walk(inner, name + "/")
print("RESULT " + json.dumps({name: lines.get(id(layer)) for name, layer in walk(model)}))
"""


def true_lines(path: str, qualname: str, timeout: float) -> dict[str, int | None] | str:
    """{layer path: true constructing line} for the factory's model, or why it failed."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    try:
        command = [sys.executable, "-c", _CHILD, str(Path(path).resolve()), qualname]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(Path(path).parent))
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:g} s"
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return f"failed: {tail[:200]}"


def factories_under(roots: list[str]) -> list[tuple[str, str]]:
    if not roots:
        return []
    from kerascheck.static.model_factories import scan_source

    found = []
    for root in roots:
        for file in sorted(Path(root).rglob("*.py")):
            try:
                scan = scan_source(file.read_text(encoding="utf-8"), str(file))
            except (OSError, UnicodeDecodeError, RecursionError):
                continue
            found.extend((f.path, f.qualname) for f in scan.factories)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="FILE.py:FN")
    parser.add_argument("--scan", action="append", default=[], metavar="DIR", help="measure every factory check --probe finds under DIR")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--details", action="store_true", help="print every layer that is not mapped right")
    args = parser.parse_args()
    from kerascheck.static.layer_sites import factory_sites

    targets = [tuple(t.rsplit(":", 1)) for t in args.targets] + factories_under(args.scan)
    totals = {"right": 0, "unmapped": 0, "wrong": 0}
    built = 0
    for path, qualname in targets:
        truth = true_lines(path, qualname, args.timeout)
        label = f"{path}:{qualname}"
        if isinstance(truth, str):
            print(f"{label}: not built ({truth})")
            continue
        sites = factory_sites(path, qualname)
        if sites is None:
            print(f"{label}: factory not found statically")
            continue
        built += 1
        counts = {"right": 0, "unmapped": 0, "wrong": 0}
        for layer, line in truth.items():
            site = sites.site_of(layer)
            verdict = "unmapped" if site is None else "right" if site.location.line == line else "wrong"
            counts[verdict] += 1
            if args.details and verdict != "right":
                mapped = site.location.line if site is not None else None
                print(f"    {verdict}: {layer} (true line {line}, mapped {mapped})")
        print(f"{label}: {len(truth)} layers: {counts['right']} right, {counts['unmapped']} unmapped, {counts['wrong']} wrong")
        for key in totals:
            totals[key] += counts[key]
    layers = sum(totals.values())
    share = (lambda n: f"{100 * n / layers:.1f}%") if layers else (lambda n: "-")
    print(f"\n{built}/{len(targets)} factories built, {layers} layers: {totals['right']} right ({share(totals['right'])}), "
          f"{totals['unmapped']} unmapped ({share(totals['unmapped'])}), {totals['wrong']} wrong ({share(totals['wrong'])})")
    return 1 if totals["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
