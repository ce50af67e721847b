"""What ``from M import *`` binds when M is a module of the project (fast.ai's ``utils.py``).

A notebook that does ``from utils import *``, where ``utils.py`` beside it does
``from keras.layers import *`` and ``import keras.backend as K``, uses Keras as much as one that
imports it itself; so does every module of a package doing ``from .imports import *`` or
``from ..imports import *`` (ktrain), where the package's ``imports.py`` imports TensorFlow. M is
found as Python finds it, by the program model's path finder
(:func:`kerascheck.static.programs.find_dotted`: a package before a module; never a notebook):
a relative M from the importing file's package (:func:`kerascheck.static.programs.relative_base`),
an absolute one in the importing file's own directory (``sys.path[0]`` of a script or notebook),
then in the directory above its top-level package. M is read, never run: only its top-level
statements count (also inside top-level ``if``/``try``/``with``): the names its imports bind,
its module aliases made by assignment (``K = keras.backend``,
:mod:`kerascheck.static.semantic.module_aliases`, whose rules also keep an ``except ImportError``
fallback such as ``K = None`` from erasing what the ``try`` imported) and the names its own
definitions rebind. Its ``__all__`` is respected, ``_private`` names are skipped, its own star
imports of Keras modules bind the names :func:`kerascheck.keras_api.module_names` knows, and its
star imports of other project modules are followed (relative ones from its own package; cycles
stop). A module that cannot be read or parsed binds nothing. Each module is read once per
process (per path, size and modification time).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import field

from kerascheck.records import record
from kerascheck.static.cache_key import digest
from kerascheck.static.names import canonical
from kerascheck.static.programs import find_dotted, relative_base
from kerascheck.static.semantic.module_aliases import TopLevel, catches_import_error, is_keras_module, settled, without_fallbacks
from kerascheck.static.semantic.project_modules import search_path

#: ``from M import *`` at the start of a line, M absolute (``utils``) or relative (``.imports``,
#: ``..``, ``. imports``): a cheap test before anything is read.
_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.[.\w \t]*?|[A-Za-z_][\w.]*)[ \t]+import[ \t]+\*", re.MULTILINE)

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
    """One project module as read: what its top-level statements do to names, in order."""

    events: tuple[TopLevel, ...]
    exported: frozenset[str] | None  # ``__all__`` when it is a literal list/tuple of strings
    digest: str


_modules: dict[tuple[str, int, int], _Module | None] = {}


def bindings(path: str, text: str) -> StarBindings:
    """The names ``text`` (the file at ``path``) gets from star-importing project modules."""
    if "*" not in text or _IMPORT_STAR.search(text) is None:
        return StarBindings()
    wanted = [m for m in (_spelt(found) for found in _STAR_IMPORT.findall(text)) if not _is_keras(m)]
    if not wanted:
        return StarBindings()
    importer = os.path.abspath(path)
    directory = os.path.dirname(importer)
    names: dict[str, str] = {}
    read: dict[str, str] = {}
    for module in wanted:
        names.update(_exports(module, importer, directory, read, frozenset()))
    return StarBindings(names, tuple(sorted(read.items())))


def _spelt(module: str) -> str:
    """A star import's module as Python reads it (``. imports`` is ``.imports``)."""
    return "".join(module.split())


def _exports(module: str, importer: str, directory: str, read: dict[str, str], seen: frozenset[str]) -> dict[str, str]:
    """What ``from module import *`` in the file ``importer`` binds if ``module`` is a project
    module, else nothing; ``directory`` is the checked file's own (``sys.path[0]``)."""
    path = _module_file(module, importer, directory)
    if path is None or path in seen:
        return {}
    parsed = _read(path)
    if parsed is None:
        return {}
    read[path] = parsed.digest
    bound: dict[str, str] = {}
    for event in parsed.events:
        if event.kind == "import":
            bound[event.name] = event.target
        elif event.kind == "alias":
            root, _, rest = event.target.partition(".")
            target = bound.get(root)
            resolved = f"{target}.{rest}" if target is not None and rest else target
            if resolved is not None and is_keras_module(resolved):
                bound[event.name] = resolved
            else:
                bound.pop(event.name, None)
        elif event.kind == "rebind":
            bound.pop(event.name, None)
        elif _is_keras(event.target):
            from kerascheck.keras_api import module_names  # the data loads on first use only

            # Keep the spelling used (``tensorflow.keras.layers.Dense``): rules may care.
            bound.update({name: f"{event.target}.{name}" for name in module_names(canonical(event.target))})
        else:
            bound.update(_exports(event.target, path, directory, read, seen | {path}))
    if parsed.exported is not None:
        return {name: value for name, value in bound.items() if name in parsed.exported}
    return {name: value for name, value in bound.items() if not name.startswith("_")}


def _module_file(module: str, importer: str, directory: str) -> str | None:
    """The file ``from module import *`` in ``importer`` reads, if it is in the project."""
    name = module.lstrip(".")
    level = len(module) - len(name)
    if not level:
        return find_dotted(name, list(dict.fromkeys([directory, *search_path(importer, 0)])))
    if name:
        return find_dotted(name, search_path(importer, level))
    init = os.path.join(relative_base(importer, level), "__init__.py")  # ``from . import *``
    return init if os.path.isfile(init) else None


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
    exported: list[frozenset[str] | None] = [None]
    events = settled(_events(tree.body, exported))
    return _Module(events, exported[0], digest(data).hex())


def _events(body: Sequence[ast.stmt], exported: list[frozenset[str] | None]) -> list[TopLevel]:
    """What the module-level statements ``body`` do to names, in order (``exported[0]`` is set
    to a literal ``__all__``)."""
    events: list[TopLevel] = []
    for statement in body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                root = alias.name.split(".", 1)[0]
                events.append(TopLevel("import", alias.asname, alias.name) if alias.asname else TopLevel("import", root, root))
        elif isinstance(statement, ast.ImportFrom):
            events.extend(_from_events(statement))
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            events.append(TopLevel("rebind", statement.name))
        elif isinstance(statement, ast.Assign):
            events.extend(_assign_events(statement, exported))
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            events.extend(TopLevel("rebind", name) for name in _target_names(statement.target))
        elif isinstance(statement, ast.If):
            events.extend(_events(statement.body + statement.orelse, exported))
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            events.extend(_events(statement.body, exported))
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            tried = _events(statement.body, exported)  # type: ignore[attr-defined]
            events.extend(tried)
            for handler in statement.handlers:  # type: ignore[attr-defined]
                caught = _events(handler.body, exported)
                events.extend(without_fallbacks(tried, caught) if catches_import_error(_exception_names(handler.type)) else caught)
            events.extend(_events(statement.orelse + statement.finalbody, exported))  # type: ignore[attr-defined]
    return events


def _from_events(statement: ast.ImportFrom) -> list[TopLevel]:
    dots = "." * (statement.level or 0)
    module = statement.module or ""
    if any(alias.name == "*" for alias in statement.names):
        return [TopLevel("star", "", dots + module)] if dots or module else []
    if dots:  # ``from .x import y``: a name of the package, not Keras
        return [TopLevel("rebind", alias.asname or alias.name) for alias in statement.names]
    return [TopLevel("import", alias.asname or alias.name, f"{module}.{alias.name}") for alias in statement.names]


def _assign_events(statement: ast.Assign, exported: list[frozenset[str] | None]) -> list[TopLevel]:
    targets = statement.targets
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        name = targets[0].id
        if name == "__all__":
            exported[0] = _literal_names(statement.value)
        value = _dotted(statement.value)
        if value is not None:
            return [TopLevel("alias", name, value)]
    return [TopLevel("rebind", name) for target in targets for name in _target_names(target)]


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _dotted(expr: ast.expr) -> str | None:
    """The dotted text of a ``Name``/``Attribute`` chain, else None."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _exception_names(kind: ast.expr | None) -> list[str | None]:
    """The exception names an ``except`` clause lists (``None`` for a bare ``except:``)."""
    if kind is None:
        return [None]
    if isinstance(kind, ast.Tuple):
        return [_dotted(element) for element in kind.elts]
    return [_dotted(kind)]


def _literal_names(value: ast.expr) -> frozenset[str] | None:
    if isinstance(value, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
        return frozenset(e.value for e in value.elts)  # type: ignore[attr-defined]
    return None


def _is_keras(module: str) -> bool:
    name = canonical(module)
    return name.split(".", 1)[0] in ("keras", "tensorflow")
