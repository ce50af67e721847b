"""Values defined in the project modules a file imports.

``from .paths import weights_file`` then ``ModelCheckpoint(weights_file())``, or
``from config import WEIGHTS`` then ``model.save(WEIGHTS)``: the evaluator follows the import to
the module's file, found the way Python would from the importing file (relative imports from its
package; absolute ones from its own directory, ``sys.path[0]`` of a script or notebook, then from
the directory above its top-level package) by the program model's path finder
(:func:`kerascheck.static.programs.find_dotted`). That module is read and analysed (never run)
once per process per file version, and its semantic model answers for the name.

Every module read is recorded with its content digest (:meth:`ProjectModules.read`): the
importing file's cached result holds only while they are unchanged.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from kerascheck.static.cache_key import digest
from kerascheck.static.names import dotted
from kerascheck.static.programs import find_dotted, relative_base

if TYPE_CHECKING:
    from kerascheck.static.semantic.model import SemanticModel
    from kerascheck.static.semantic.scopes import Binding

#: Modules larger than this are not analysed (generated code, not a helper module).
_MAX_MODULE_BYTES = 300_000

#: ``(path, size, mtime)`` -> the module's complete semantic model and digest (None: unusable).
_analysed: dict[tuple[str, int, int], tuple[SemanticModel, str] | None] = {}
#: ``(path, name)`` being evaluated (an import cycle evaluates to unknown).
_active: set[tuple[str, str]] = set()


class ProjectModules:
    """The project modules one file imports, as far as its evaluator asks about them."""

    def __init__(self, importer: str) -> None:
        self.importer = os.path.abspath(importer)
        #: path -> content digest (hex) of every module read for this file.
        self.read: dict[str, str] = {}
        self._files: dict[tuple[str, int], str | None] = {}  # (module, level) -> its file, if in the project

    def target(self, binding: Binding) -> tuple[SemanticModel, str] | None:
        """The analysed module a ``from M import name`` binding's name comes from, and its name there."""
        node = binding.node
        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            return None
        original = next((name for local, name in _aliases(node) if local == binding.name), None)
        module = dotted(node.module) if node.module is not None else None
        if original is None or module is None:
            return None
        analysed = self._analysed(module, len(node.relative))
        return (analysed, original) if analysed is not None else None

    def module(self, binding: Binding) -> SemanticModel | None:
        """The analysed project module an ``import`` binding names: ``import config``,
        ``import pkg.paths as paths``, ``from pkg import paths``, ``from . import paths``."""
        node = binding.node
        if isinstance(node, cst.Import):
            for alias in node.names:
                name = dotted(alias.name)
                if name is not None and alias.asname is not None and _local(alias) == binding.name:
                    return self._analysed(name, 0)
                if name == binding.name:  # ``import config`` (not ``import a.b``: that binds ``a``)
                    return self._analysed(name, 0)
            return None
        if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            original = next((name for local, name in _aliases(node) if local == binding.name), None)
            if original is None:
                return None
            package = dotted(node.module) if node.module is not None else ""
            return self._analysed(f"{package}.{original}" if package else original, len(node.relative))
        return None

    def _analysed(self, module: str, level: int) -> SemanticModel | None:
        if (module, level) not in self._files:
            self._files[(module, level)] = find_dotted(module, search_path(self.importer, level))
        path = self._files[(module, level)]
        if path is None:
            return None
        analysed = _analyse(path)
        if analysed is None:
            return None
        self.read[path] = analysed[1]
        return analysed[0]

    def depends_on(self, semantic: SemanticModel) -> None:
        """What ``semantic`` (an analysed module) itself read counts for this file too."""
        if semantic.project_modules is not None:
            self.read.update(semantic.project_modules.read)


def search_path(importer: str, level: int) -> list[str]:
    """Where an import with ``level`` dots in the file ``importer`` (absolute) looks for its
    module: a relative one in the package Python starts from
    (:func:`kerascheck.static.programs.relative_base`); an absolute one in the file's own
    directory (``sys.path[0]`` of a script), then in the directory above its top-level package
    (where an installed or tested package is imported from)."""
    if level:
        return [relative_base(importer, level)]
    directory = os.path.dirname(importer)
    top = directory
    while os.path.isfile(os.path.join(top, "__init__.py")):
        top = os.path.dirname(top)
    return [directory] if top == directory else [directory, top]


def _local(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return dotted(alias.name)


def _aliases(node: cst.ImportFrom) -> list[tuple[str | None, str | None]]:
    """``(local name, imported name)`` of each name a ``from`` import binds."""
    return [(_local(alias), dotted(alias.name)) for alias in node.names] if not isinstance(node.names, cst.ImportStar) else []


def enter(path: str, name: str) -> bool:
    """Start evaluating ``name`` of the module at ``path``; False when already under way (a cycle)."""
    key = (path, name)
    if key in _active:
        return False
    _active.add(key)
    return True


def leave(path: str, name: str) -> None:
    _active.discard((path, name))


def _analyse(path: str) -> tuple[SemanticModel, str] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (path, status.st_size, status.st_mtime_ns)
    if key not in _analysed:
        _analysed[key] = _read(path) if status.st_size <= _MAX_MODULE_BYTES else None
    return _analysed[key]


def _read(path: str) -> tuple[SemanticModel, str] | None:
    from kerascheck.static.context import analyse  # the context builds semantic models

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        context = analyse(data.decode("utf-8"), path)
    except Exception:  # unreadable or unparsable: its names stay unknown, the run goes on
        return None
    return context.semantic, digest(data).hex()
