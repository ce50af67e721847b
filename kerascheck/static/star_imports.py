"""What ``from M import *`` binds when M is a module of the project (fast.ai's ``utils.py``).

A notebook that does ``from utils import *``, where ``utils.py`` beside it does
``from keras.layers import *`` and ``import keras.backend as K``, uses Keras as much as one that
imports it itself. Like Python running a script or notebook, M is looked up in the importing
file's own directory, by the program model's path finder
(:func:`kerascheck.static.programs.find_dotted`: a package before a module; never a notebook).
M is read, never run:
only its top-level import statements (and the names its own definitions rebind) count, its
``__all__`` is respected, ``_private`` names are skipped, its own star imports of Keras modules
bind the names :func:`kerascheck.keras_api.module_names` knows, and its star imports of other
project modules are followed (cycles stop). A module that cannot be read or parsed binds
nothing. Each module is read once per process (per path, size and modification time).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping
from dataclasses import field

from kerascheck.records import record
from kerascheck.static.cache_key import digest
from kerascheck.static.names import canonical
from kerascheck.static.programs import find_dotted

#: ``from M import *`` at the start of a line (a cheap test before anything is read).
_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import[ \t]+\*", re.MULTILINE)

#: What every star import holds, spelt to start with its literal (searched at "import" only,
#: where the line-anchored pattern above is tried at every line).
_IMPORT_STAR = re.compile(r"import[ \t]+\*")

#: Project modules larger than this are not read (a generated file, not a helper module).
_MAX_MODULE_BYTES = 2_000_000


@record
class StarBindings:
    """Names the file's star imports of project modules bind, and the modules they read."""

    #: Local name -> dotted path as imported (``K`` -> ``keras.backend``).
    names: Mapping[str, str] = field(default_factory=dict)
    #: ``(path, content digest hex)`` of every project module read, for the result cache.
    dependencies: tuple[tuple[str, str], ...] = ()

    @property
    def uses_keras(self) -> bool:
        """A bound name comes from Keras or TensorFlow."""
        return any(_is_keras(target) for target in self.names.values())


@record
class _Module:
    """One project module as read: its top-level bindings, in order, and its star imports."""

    #: ``(local, dotted path)`` bound by an import; ``(local, "")`` rebound by a definition;
    #: ``("*", module)`` a star import, all in statement order.
    events: tuple[tuple[str, str], ...]
    exported: frozenset[str] | None  # ``__all__`` when it is a literal list/tuple of strings
    digest: str


_modules: dict[tuple[str, int, int], _Module | None] = {}


def bindings(path: str, text: str) -> StarBindings:
    """The names ``text`` (the file at ``path``) gets from star-importing project modules."""
    if "*" not in text or _IMPORT_STAR.search(text) is None:
        return StarBindings()
    wanted = [m for m in _STAR_IMPORT.findall(text) if not _is_keras(m)]
    if not wanted:
        return StarBindings()
    directory = os.path.dirname(os.path.abspath(path))
    names: dict[str, str] = {}
    read: dict[str, str] = {}
    for module in wanted:
        names.update(_exports(module, directory, read, frozenset()))
    return StarBindings(names, tuple(sorted(read.items())))


def _exports(module: str, directory: str, read: dict[str, str], seen: frozenset[str]) -> dict[str, str]:
    """What ``from module import *`` binds if ``module`` is a project module, else nothing."""
    path = find_dotted(module, [directory])
    if path is None or path in seen:
        return {}
    parsed = _read(path)
    if parsed is None:
        return {}
    read[path] = parsed.digest
    bound: dict[str, str] = {}
    for local, target in parsed.events:
        if local != "*":
            if target:
                bound[local] = target
            else:
                bound.pop(local, None)
            continue
        keras_module = canonical(target)
        if _is_keras(target):
            from kerascheck.keras_api import module_names  # the data loads on first use only

            # Keep the spelling used (``tensorflow.keras.layers.Dense``): rules may care.
            bound.update({name: f"{target}.{name}" for name in module_names(keras_module)})
        else:
            bound.update(_exports(target, directory, read, seen | {path}))
    if parsed.exported is not None:
        return {name: value for name, value in bound.items() if name in parsed.exported}
    return {name: value for name, value in bound.items() if not name.startswith("_")}


def _read(path: str) -> _Module | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (path, status.st_size, status.st_mtime_ns)
    if key not in _modules:
        _modules[key] = _parse(path) if status.st_size <= _MAX_MODULE_BYTES else None
    return _modules[key]


def _parse(path: str) -> _Module | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_MODULE_BYTES + 1)
        tree = ast.parse(data, path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # unreadable or broken: it binds nothing, the run goes on
    events: list[tuple[str, str]] = []
    exported: frozenset[str] | None = None
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    events.append((alias.asname, alias.name))
                else:
                    root = alias.name.split(".", 1)[0]
                    events.append((root, root))
        elif isinstance(statement, ast.ImportFrom):
            if statement.level or not statement.module:
                continue  # relative imports: a package's internals, not a script's helpers
            for alias in statement.names:
                if alias.name == "*":
                    events.append(("*", statement.module))
                else:
                    events.append((alias.asname or alias.name, f"{statement.module}.{alias.name}"))
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            events.append((statement.name, ""))
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    if target.id == "__all__":
                        exported = _literal_names(statement.value)
                    events.append((target.id, ""))
    return _Module(tuple(events), exported, digest(data).hex())


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, including those inside top-level ``if``/``try`` blocks."""
    found: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.If):
            found.extend(_top_level(statement.body + statement.orelse))
        elif isinstance(statement, ast.Try):
            found.extend(_top_level(statement.body + [s for h in statement.handlers for s in h.body] + statement.orelse + statement.finalbody))
        else:
            found.append(statement)
    return found


def _literal_names(value: ast.expr) -> frozenset[str] | None:
    if isinstance(value, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
        return frozenset(e.value for e in value.elts)  # type: ignore[attr-defined]
    return None


def _is_keras(module: str) -> bool:
    name = canonical(module)
    return name.split(".", 1)[0] in ("keras", "tensorflow")
