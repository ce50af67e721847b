"""Generate ``kerascheck/keras_api/data.json`` from real Keras releases (run by hand).

    python tools/keras_api.py [--work /tmp/kerascheck-keras-api] [--keep]

It installs each Keras release into a throwaway environment under ``--work`` (``/tmp`` by
default; reused when it is already there), extracts its public API with
``tools/keras_api_extract.py`` and writes what changed between the releases:

* Keras 3 (latest on the index), imported with the light JAX backend, twice: the ``keras``
  package, and ``keras._tf_keras.keras``, which is what ``tf.keras`` is under TensorFlow >= 2.16;
* Keras 2.15 with ``tensorflow-cpu`` 2.15, imported;
* Keras 2.3.1 and 1.2.2, installed without dependencies and read from source (they need
  TensorFlow 1 or Theano, which do not install on this Python).

For every target (``2.15``, ``3``, and ``3-tf`` for ``tf.keras`` under Keras 3) the data lists
what an older release had and the target lacks: modules, names, keyword arguments of callables
and of model/layer methods, and methods; with the replacement where the target has the same name
elsewhere, or where Keras 2 itself converted a Keras-1 keyword. Keyword arguments that a target
swallows with ``**kwargs`` are verified by calling the constructor in the target's environment.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRACTOR = HERE / "keras_api_extract.py"
OUTPUT = HERE.parent / "kerascheck" / "keras_api" / "data.json"

#: (label, install requirements, how to read it). Oldest first: the order is the history.
RELEASES = (
    ("1", ["keras==1.2.2"], "source"),
    ("2.3", ["keras==2.3.1"], "source"),
    ("2.15", ["tensorflow-cpu==2.15.*", "keras==2.15.*"], "import"),
    ("3", ["keras", "jax[cpu]"], "import"),
)
#: target -> (release label, surface in that release's extraction)
TARGETS = {"2.15": ("2.15", "keras"), "3": ("3", "keras"), "3-tf": ("3", "tf.keras")}
_ENV = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, text=True, env=_ENV, **kwargs)  # type: ignore[call-overload]


def install(work: Path, label: str, requirements: list[str], mode: str) -> tuple[Path, Path]:
    """A Python with the release installed, and the directory holding its ``keras`` package."""
    venv = work / f"keras-{label}"
    python = venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
    if mode == "source":
        target = venv / "pkg"
        if not (target / "keras").exists():
            _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), *requirements])
        return python, target / "keras"
    probe = subprocess.run([str(python), "-c", "import keras"], env=_ENV, capture_output=True, check=False)
    if probe.returncode != 0:
        _run([str(python), "-m", "pip", "install", "-q", *requirements])
    return python, venv


def extract(python: Path, mode: str, where: Path, label: str, candidates: Path | None = None) -> dict:
    if mode == "source":
        command = [str(python), str(EXTRACTOR), "source", str(where), label]
    else:
        command = [str(python), str(EXTRACTOR), "import"] + ([str(candidates)] if candidates else [])
    return json.loads(_run(command, capture_output=True).stdout)


# -- diffing ------------------------------------------------------------------------------


def _public_module(name: str) -> bool:
    return not any(part.startswith("_") or part.endswith("_pb2") or part == "protobuf" for part in name.split("."))


def _older_surfaces(releases: dict[str, dict], label: str) -> list[tuple[str, dict]]:
    order = [r[0] for r in RELEASES]
    return [(old, releases[old]["surfaces"]["keras"]) for old in order[: order.index(label)]]


#: Where Keras 3 moved a whole module's functions (a documented Keras 3 change, not derivable
#: from names alone: ``keras.layers.concatenate`` is a namesake of ``K.concatenate``, not its heir).
_PREFERRED_HOMES = {"keras.backend": "keras.ops"}


def _replacement(name: str, kind: str, old_module: str, index: dict[str, list[tuple[str, str]]]) -> str:
    """Where the target keeps a name an older module had: the same name, in the module sharing
    the longest prefix with the old one (shortest path on ties), or in the module Keras moved
    the old module's functions to. Nothing when the only namesakes are elsewhere."""
    if kind == "m":
        return ""  # a module's names are mapped one by one (``moves``), not the module
    best: tuple[bool, int, int, str] | None = None
    old_parts = old_module.split(".")
    for module, found_kind in index.get(name, ()):
        if found_kind == "m":
            continue
        parts = module.split(".")
        common = 0
        for a, b in zip(parts, old_parts, strict=False):
            if a != b:
                break
            common += 1
        preferred = _PREFERRED_HOMES.get(old_module) == module
        if common < 2 and not preferred and _PREFERRED_HOMES.get(old_module):
            continue  # a namesake in an unrelated package (``keras.tree.flatten`` for ``K.flatten``)
        score = (not preferred, -common, len(parts), module)
        if best is None or score < best:
            best = score
    return f"{best[3]}.{name}" if best else ""


def _successor(module: str, last: str, releases: dict[str, dict]) -> str:
    """The module new in the release after ``last`` that took over ``module`` (which ``last``
    had): the one holding most of its public names, if it holds at least half of them (Keras 2
    renamed ``keras.initializations`` to ``keras.initializers``). ``""`` if none did."""
    order = [r[0] for r in RELEASES]
    following = order[order.index(last) + 1 :]
    if not following:
        return ""
    names = {n for n, kind in releases[last]["surfaces"]["keras"]["modules"][module].items() if kind != "m"}
    if len(names) < 3:
        return ""
    existing = releases[last]["surfaces"]["keras"]["modules"]
    best, best_common = "", 0
    for candidate, found in releases[following[0]]["surfaces"]["keras"]["modules"].items():
        common = len(names & {n for n, kind in found.items() if kind != "m"})
        # A module new in that release: ``keras.engine`` folded into ``keras.layers`` (which
        # Keras had all along) is a scatter of names, each found where it is (``moves``).
        if _public_module(candidate) and candidate not in existing and common > best_common:
            best, best_common = candidate, common
    return best if best_common * 2 >= len(names) else ""


def _renamed_moves(module: str, last: str, successor: str, releases: dict[str, dict], surface: dict, disabled: dict) -> dict[str, str]:
    """Where the target keeps each name of ``module`` after Keras renamed it to ``successor``:
    the name the successor gave the same object (``uniform`` -> ``RandomUniform``), in its
    canonical spelling in the target (``glorot_uniform`` -> ``GlorotUniform``)."""
    order = [r[0] for r in RELEASES]
    nxt = releases[order[order.index(last) + 1]]["surfaces"]["keras"]
    target_names = surface["modules"].get(successor, {})
    moves: dict[str, str] = {}
    for name, kind in releases[last]["surfaces"]["keras"]["modules"][module].items():
        if kind == "m" or name not in nxt["modules"].get(successor, {}):
            continue
        new = name
        if nxt["modules"][successor][name] != kind or target_names.get(name, kind) != kind:
            # A Keras-1 function became a class (initializers): name the class itself.
            new = nxt.get("aliases", {}).get(f"{successor}.{name}", name)
            new = surface.get("aliases", {}).get(f"{successor}.{new}", new)
        if new in target_names and f"{successor}.{new}" not in disabled:
            moves[name] = f"{successor}.{new}"
    return moves


def _keyword_candidates(releases: dict[str, dict]) -> dict[str, dict[str, list[str]]]:
    """Per surface of an imported release: class -> keywords older releases passed that its
    signature only takes through ``**kwargs`` (to be verified by a real call)."""
    candidates: dict[str, dict[str, list[str]]] = {}
    for label, surface_name in TARGETS.values():
        surface = releases[label]["surfaces"][surface_name]
        old = _older_surfaces(releases, label)
        per_class = candidates.setdefault(surface_name, {})
        for path, params in surface["signatures"].items():
            if "**" not in params:
                continue
            older: set[str] = set()
            for _, old_surface in old:
                older.update(_old_keywords(path, old_surface))
                older.update(old_surface.get("renames", {}).get(path, {}))
            missing = sorted(older - set(params))
            if missing:
                per_class[path] = sorted(set(per_class.get(path, [])) | set(missing))
    return candidates


def _old_keywords(path: str, surface: dict) -> list[str]:
    """Keywords an older release's ``path`` took: its signature, plus the base-layer keywords
    its ``Layer.__init__`` accepted through ``**kwargs`` when ``path`` is a layer with one."""
    params = surface["signatures"].get(path, [])
    extra = surface.get("layer_keywords", []) if path.startswith("keras.layers.") and "**" in params else []
    return [p for p in [*params, *extra] if p != "**"]


def _keyword_diff(
    path: str, params: list[str], probes: dict[str, list[str]], old: list[tuple[str, dict]], role: str | None = None
) -> dict[str, list]:
    """Keywords older releases accepted for ``path`` that the target does not: kw -> [last
    release, replacement or "", value-converted flag, what the target says (probe message)]."""
    removed: dict[str, list] = {}
    accepted = set(params)
    for label, surface in old:
        if role is None:
            # what its signature shows, and what its ``**kwargs`` was seen to accept
            accepted_there = [k for k, (status, _) in surface["probes"].get(path, {}).items() if status in ("ok", "warn")]
            old_params = _old_keywords(path, surface) + accepted_there
            renames = surface.get("renames", {}).get(path, {})
        else:
            old_params = surface["methods"].get(role, {}).get(path, [])
            renames = surface.get("method_renames", {}).get(role, {}).get(path, {})
        for keyword in [*old_params, *renames]:
            if keyword == "**" or keyword in accepted:
                continue
            status, message = probes.get(keyword, ["unknown" if "**" in params else "absent", ""])
            if status in ("ok", "unknown") or (status == "warn" and "ignore" not in message.lower()):
                continue  # accepted (a deprecation warning still means it works)
            # What the target says is kept only where it matters: a keyword it ignores.
            entry = removed.setdefault(keyword, ["", "", False, "warn: " + message if status == "warn" else ""])
            entry[0] = label
            if keyword in renames:
                new, valued = renames[keyword]
                if new in accepted:
                    entry[1], entry[2] = new, bool(valued)
    return removed


def _method_renames(old: list[tuple[str, dict]]) -> dict[str, dict[str, list]]:
    """Keras 2's conversions of Keras-1 model-method keywords (``nb_epoch`` -> ``epochs``)."""
    renames: dict[str, dict[str, list]] = {}
    for _, surface in old:
        for method, found in surface.get("method_renames", {}).get("Model", {}).items():
            renames.setdefault(method, {}).update({k: [new, int(valued)] for k, (new, valued) in found.items()})
    return renames


def _factor_layer_keywords(keywords: dict[str, dict]) -> dict[str, list]:
    """Move the keywords most layers lost through the ``Layer`` base (``batch_input_shape``...)
    out of each layer's entry into one table; a layer's entry keeps ``"*": 1`` to point at it.
    Only layers that lost every one of them point at the table."""
    layers = [found for path, found in keywords.items() if path.startswith("keras.layers.")]
    counts: dict[str, int] = {}
    for found in layers:
        for keyword, entry in found.items():
            key = json.dumps([keyword, entry])
            counts[key] = counts.get(key, 0) + 1
    base = dict(json.loads(key) for key, count in counts.items() if count * 2 > len(layers))
    for found in layers:
        if base and all(found.get(k) == v for k, v in base.items()):
            for keyword in base:
                del found[keyword]
            found["*"] = 1
    return base


def _compact(found: dict) -> dict:
    """``[last, replacement, value_converted, message]`` without trailing defaults."""
    compact: dict = {}
    for keyword, entry in found.items():
        if not isinstance(entry, list):
            compact[keyword] = entry
            continue
        entry = [entry[0], entry[1], int(entry[2]), entry[3]]
        while len(entry) > 1 and not entry[-1]:
            entry.pop()
        compact[keyword] = entry
    return compact


def diff(releases: dict[str, dict]) -> dict:
    targets: dict[str, dict] = {}
    for target, (label, surface_name) in TARGETS.items():
        surface = releases[label]["surfaces"][surface_name]
        old = _older_surfaces(releases, label)
        present = {m for m in surface["modules"] if _public_module(m)}
        # Callables kept only as stubs that raise (``keras.optimizers.legacy.Adam``) are gone.
        disabled = surface.get("disabled", {})
        index: dict[str, list[tuple[str, str]]] = {}
        for module in present:
            for name, kind in surface["modules"][module].items():
                if f"{module}.{name}" not in disabled:
                    index.setdefault(name, []).append((module, kind))
        modules: dict[str, list] = {}
        symbols: dict[str, list] = {}
        for old_label, old_surface in old:
            for module, names in old_surface["modules"].items():
                if not _public_module(module):
                    continue
                if module not in present:
                    entry = modules.setdefault(module, [old_label, {}])
                    entry[0] = old_label
                    for name, kind in names.items():
                        found = _replacement(name, kind, module, index)
                        if found:
                            entry[1][name] = found
                    continue
                target_names = surface["modules"][module]
                for name, kind in names.items():
                    path = f"{module}.{name}"
                    if kind == "m" or (name in target_names and path not in disabled) or path in present:
                        continue  # submodules are judged as modules
                    replacement = _replacement(name, kind, module, index)
                    alias = old_surface.get("aliases", {}).get(path)
                    if alias and alias in target_names and f"{module}.{alias}" not in disabled:
                        replacement = f"{module}.{alias}"  # ``Deconvolution2D`` was ``Conv2DTranspose``
                    symbols[path] = [old_label, replacement]
        for module, entry in modules.items():
            successor = _successor(module, entry[0], releases)
            if successor:
                # Only names the successor module took over (its own spelling of them), and
                # namesakes in its package: ``keras.initializations.get`` is not ``keras.activations.get``.
                package = successor.split(".")[:2]
                kept = {n: r for n, r in entry[1].items() if r.split(".")[:2] == package}
                entry[1] = {**kept, **_renamed_moves(module, entry[0], successor, releases, surface, disabled)}
            entry.append(successor)
        # A module that became a plain name (``keras.layers.merge`` the function) is a symbol.
        for module in list(modules):
            parent, _, name = module.rpartition(".")
            if parent in present and name in surface["modules"][parent]:
                del modules[module]
        keywords: dict[str, dict] = {}
        for path, params in surface["signatures"].items():
            found = _keyword_diff(path, params, surface["probes"].get(path, {}), old)
            if found:
                keywords[path] = found
        layer_base = _factor_layer_keywords(keywords)
        methods: dict[str, dict] = {}
        method_keywords: dict[str, dict] = {}
        for role in ("Model", "Sequential", "Layer", "Optimizer", "Callback"):
            current = surface["methods"].get(role, {})
            attributes = surface["methods"].get(f"{role}.attributes", {})
            for old_label, old_surface in old:
                for method in old_surface["methods"].get(role, {}):
                    if f"{role}.{method}" in disabled or (method not in current and method not in attributes):
                        methods.setdefault(role, {})[method] = old_label
            for method, params in current.items():
                found = _keyword_diff(method, params, {}, old, role=role)
                if found:
                    method_keywords.setdefault(role, {})[method] = found
        targets[target] = {
            "modules": dict(sorted(modules.items())),
            "symbols": dict(sorted(symbols.items())),
            "keywords": {path: _compact(found) for path, found in sorted(keywords.items())},
            "layer_keywords": _compact(layer_base),
            "methods": methods,
            "method_keywords": {role: {m: _compact(f) for m, f in found.items()} for role, found in method_keywords.items()},
            # For calls of a removed method rewritten to its replacement (``fit_generator`` ->
            # ``fit``): what the target's model methods take, and Keras 2's Keras-1 renames.
            "model_methods": {m: [p for p in params if p != "**"] for m, params in surface["methods"].get("Model", {}).items() if params},
            "method_renames": _method_renames(old),
            "class_methods": _class_method_diff(surface, old, methods),
        }
    return targets


#: The base class each module's classes derive from (its removed methods are listed once).
_CLASS_ROLES = {"keras.optimizers": "Optimizer", "keras.callbacks": "Callback"}


def _class_method_diff(surface: dict, old: list[tuple[str, dict]], methods: dict[str, dict]) -> dict[str, dict[str, str]]:
    """Per optimizer/callback class the target still has: public methods an older release's
    class of the same name had and the target's lacks (beyond its base class's, listed under
    ``methods``): class path -> method -> last release with it."""
    found: dict[str, dict[str, str]] = {}
    for path, current in surface.get("class_methods", {}).items():
        role = _CLASS_ROLES[path.rpartition(".")[0]]
        kept = set(current["attributes"]) | set(current["methods"])
        for label, old_surface in old:
            for method in old_surface.get("class_methods", {}).get(path, {}).get("methods", []):
                if method not in kept and method not in methods.get(role, {}):
                    found.setdefault(path, {})[method] = label
    return dict(sorted(found.items()))


def exports(releases: dict[str, dict]) -> dict[str, list[str]]:
    """Every public name each public module had in any release and surface: what
    ``from keras.<module> import *`` binds, whichever Keras the code was written for. A module
    imported under another name (``K``, Keras 1's ``keras.backend`` inside its layer modules)
    is left out: it is not ``<module>.K``, and the code's own ``K`` means the same module."""
    found: dict[str, set[str]] = {}
    for release in releases.values():
        for surface in release["surfaces"].values():
            modules = surface["modules"]
            for module, names in modules.items():
                if _public_module(module):
                    kept = (n for n, kind in names.items() if not n.startswith("_") and (kind != "m" or f"{module}.{n}" in modules))
                    found.setdefault(module, set()).update(kept)
    return {module: sorted(names) for module, names in sorted(found.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/kerascheck-keras-api"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args()
    started = time.monotonic()
    arguments.work.mkdir(parents=True, exist_ok=True)
    installed = {label: (install(arguments.work, label, req, mode), mode) for label, req, mode in RELEASES}
    installed_at = time.monotonic()
    releases = {label: extract(python, mode, where, label) for label, ((python, where), mode) in installed.items()}
    candidates_file = arguments.work / "candidates.json"
    candidates_file.write_text(json.dumps(_keyword_candidates(releases)))
    for label, ((python, where), mode) in installed.items():
        if mode == "import":
            releases[label] = extract(python, mode, where, label, candidates_file)
    data = {
        "provenance": {
            "generated": datetime.date.today().isoformat(),
            "generator": "tools/keras_api.py",
            "python": sys.version.split()[0],
            "releases": {label: releases[label]["version"] for label, _, _ in RELEASES},
            "read_from": {label: mode for label, _, mode in RELEASES},
            "targets": {target: f"Keras {releases[label]['version']} ({surface})" for target, (label, surface) in TARGETS.items()},
        },
        "targets": diff(releases),
        "exports": exports(releases),
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n")
    total = time.monotonic() - started
    print(
        f"wrote {arguments.output} ({arguments.output.stat().st_size} bytes) in {total:.1f}s "
        f"(install {installed_at - started:.1f}s, extract {total - (installed_at - started):.1f}s)"
    )


if __name__ == "__main__":
    main()
