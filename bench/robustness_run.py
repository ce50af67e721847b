"""Run kerascheck, every static rule on, over the whole stdlib and site-packages; report internal
errors (KC000: must be 0) and the files not analysed (KC002) by cause.

    python bench/robustness_run.py                   # stdlib + site-packages
    python bench/robustness_run.py --only stdlib -j 2
    python bench/robustness_run.py PATH...           # any other trees

Exit status 1 if any KC000 was found (each is printed with its file and message), else 0.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import sysconfig
import time
from pathlib import Path


def _cause(message: str, path: str) -> str:
    """A KC002 message without the file's own details: ``<path>: binary file ...``."""
    text = message.replace(path, "<path>")
    text = re.sub(r"\(.*\)$", "(...)", text)  # parser details
    text = re.sub(r"'[^']*'", "'...'", text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="trees to check (default: the stdlib and site-packages)")
    parser.add_argument("--only", choices=("stdlib", "site-packages"), help="just one of the default trees")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    from kerascheck.config import Config
    from kerascheck.plugins import load_plugins
    from kerascheck.static.engine import Engine, check_paths

    trees = args.paths or [
        p
        for name, p in (("stdlib", sysconfig.get_paths()["stdlib"]), ("site-packages", sysconfig.get_paths()["purelib"]))
        if args.only in (None, name)
    ]
    registry = load_plugins()
    # Every rule, including those off by default; excludes off: site-packages is a default exclude.
    config = Config(root=str(Path.cwd()), select=tuple(sorted(registry.rules)), respect_gitignore=False)
    engine = Engine(registry.rules, config, **_plugin_defaults(registry))
    status = 0
    print("| tree | files | seconds | KC000 | KC001 | KC002 | findings |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    causes: dict[str, collections.Counter[str]] = {}
    crashes: list[str] = []
    for tree in trees:
        files = _discover(tree)
        began = time.perf_counter()
        results = check_paths(engine, files, jobs=args.jobs)
        findings = engine.finish(results, root=Path(tree))
        seconds = time.perf_counter() - began
        counts = collections.Counter(f.code for f in findings)
        print(f"| {tree} | {len(files)} | {seconds:.1f} | {counts['KC000']} | {counts['KC001']} | {counts['KC002']} | {len(findings)} |")
        sys.stdout.flush()
        causes[tree] = collections.Counter(_cause(f.message, f.location.path) for f in findings if f.code == "KC002")
        crashes += [f"{f.location.display()}: {f.message}" for f in findings if f.code == "KC000"]
    for tree, counter in causes.items():
        print(f"\nKC002 (not analysed) in {tree}, by cause:\n")
        for cause, count in counter.most_common():
            print(f"- {count} x {cause}")
    if crashes:
        status = 1
        print("\nKC000 internal errors:\n")
        for line in crashes:
            print(f"- {line}")
    return status


def _discover(tree: str) -> list[str]:
    """Every .py/.pyi file under ``tree`` (kerascheck's default excludes would skip
    site-packages and build directories, which is exactly what we want to cover here)."""
    found = []
    for directory, subdirs, names in os.walk(tree):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        found.extend(os.path.join(directory, n) for n in sorted(names) if n.endswith((".py", ".pyi")))
    return found


def _plugin_defaults(registry: object) -> dict[str, object]:
    import inspect

    from kerascheck.static.engine import Engine

    if "plugin_defaults" in inspect.signature(Engine.__init__).parameters:
        return {"plugin_defaults": getattr(registry, "config_options", {})}
    return {}


if __name__ == "__main__":
    raise SystemExit(main())
