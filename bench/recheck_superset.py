"""Checks, on real code, that the project rules' recheck never skips a file that matters.

A file the project rules' text filter leaves out is parsed again only when its program's facts
make it relevant: its text must hold :meth:`ProjectRule.recheck_pattern`, then
:meth:`ProjectRule.recheck_confirm` must agree, from CPython's AST and the file's imports. Both
must answer yes for every file whose libcst walk records a fact that can change a finding. This
script records the facts of every file with the pre-filters off (the walk the recheck would do),
and for every file the filter leaves out, asks both tests the question each fact raises:

* a seed, determinism setting, Keras backend or custom-objects fact: any program that starts a
  finding (a training call) must bring the file back;
* a name the file calls or passes on (:class:`Referenced`): a program whose training or seeding
  helper has that name must;
* a name the file dumps (``NamesSaved.dumped``): a program that fits a preprocessor of that name,
  or binds one to a module-level name of that name, must;
* a name the file calls or passes on: a program whose fitted preprocessor a function of that name
  returns, or a module-level name of that name holds, must.

    python bench/recheck_superset.py                      # the stdlib and both corpora
    python bench/recheck_superset.py DIR [DIR ...]

Prints the files checked and every miss (exit status 1 if there is one).
"""

from __future__ import annotations

import keyword
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kerascheck.config import Config
from kerascheck.findings import Location
from kerascheck.plugins import load_plugins
from kerascheck.rules.program_facts import (
    CustomObjectsGiven,
    Deterministic,
    KerasBackend,
    NamesSaved,
    PreprocessorFitted,
    ProjectRule,
    Referenced,
    Seeds,
    Trains,
)
from kerascheck.static import engine as engine_module
from kerascheck.static import files
from kerascheck.static.engine import Engine, check_paths
from kerascheck.static.recheck import LeftOutFile, alternatives

CORPUS = Path(os.environ.get("KERASCHECK_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
HERE = Location("program.py", 1, 1)
#: Facts that matter in any program that starts a finding.
ALWAYS = (Seeds, Deterministic, KerasBackend, CustomObjectsGiven)


def _targets(roots: list[str]) -> list[str]:
    found: list[str] = []
    for root in roots:
        for path in [Path(root)] if Path(root).is_file() else sorted(Path(root).rglob("*.py")):
            if "site-packages" not in path.parts and "__pycache__" not in path.parts:
                found.append(str(path))
    return found


def _run(paths: list[str], prefilter: bool) -> dict[str, engine_module.FileResult]:
    engine_module.PREFILTER = prefilter
    registry = load_plugins((), blocked=())
    config = Config(root="/", select=("KC3", "KC4"))
    engine = Engine(registry.rules, config, registry.config_options)
    return {r.path: r for r in check_paths(engine, paths, jobs=os.cpu_count() or 1)}


def _names(names: frozenset[str]) -> list[str]:
    """The names a function or a preprocessor can have (libcst spells ``True`` as a ``Name``)."""
    return sorted(n for n in names if not keyword.iskeyword(n))


def _fitted(returned_by: str | None = None, module_name: str | None = None) -> PreprocessorFitted:
    """An unsaved fit whose object a function named ``returned_by`` returns, or a module-level
    name ``module_name`` holds."""
    returned = frozenset({returned_by}) if returned_by else frozenset()
    names = frozenset({module_name}) if module_name else frozenset()
    return PreprocessorFitted(None, "StandardScaler", HERE, returned_by=returned, module_names=names)


def _brought_back(program_facts: list[Any], file: LeftOutFile) -> bool:
    pattern = ProjectRule.recheck_pattern(program_facts)
    if pattern is None or not any(a.search(file.text) for a in alternatives(pattern)):
        return False
    return ProjectRule.recheck_confirm(program_facts, file)


def main() -> int:
    roots = sys.argv[1:] or [sysconfig.get_paths()["stdlib"], str(CORPUS / "real"), str(CORPUS / "keras-io")]
    paths = _targets(roots)
    first = _run(paths, True)
    left_out = [p for p, r in first.items() if "KC301" in r.left_out]
    every = _run(left_out, False)
    misses: list[str] = []
    with_facts = 0
    for path in left_out:
        facts = every[path].facts.get("KC301", [])
        if not facts:
            continue
        with_facts += 1
        file = LeftOutFile(path, files.read(path).text, first[path].imports, star_imports_project=bool(first[path].dependencies))
        questions: list[tuple[str, list[Any]]] = []
        if any(isinstance(f, ALWAYS) for f in facts):
            questions.append(("a program that trains", [Trains(HERE)]))
        for fact in facts:
            if isinstance(fact, Referenced):
                questions.extend((f"a program whose training runs through `{n}`", [Trains(HERE, callers=frozenset({n}))]) for n in _names(fact.names))
                questions.extend((f"a program whose preprocessor `{n}` holds", [_fitted(returned_by=n, module_name=n)]) for n in _names(fact.names))
            elif isinstance(fact, NamesSaved):
                questions.extend((f"a program fitting `{n}`", [PreprocessorFitted(n, "StandardScaler", HERE)]) for n in _names(fact.dumped))
                questions.extend((f"a program whose module-level `{n}` is fitted", [_fitted(module_name=n)]) for n in _names(fact.dumped))
            elif not isinstance(fact, ALWAYS):
                misses.append(f"{path}: records {type(fact).__name__} although the filter left it out")
        for question, program in questions:
            if not _brought_back(program, file):
                misses.append(f"{path}: not brought back for {question} ({sorted({type(f).__name__ for f in facts})})")
    print(f"{len(paths)} files, {len(left_out)} left out by the project rules' filter, {with_facts} of them record facts")
    print(f"misses: {len(misses)}")
    for miss in misses:
        print("  " + miss)
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
