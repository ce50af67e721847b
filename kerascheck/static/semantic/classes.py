"""The classes a file defines, and which of them are Keras layers or models.

A class counts as a Keras model (layer) when a base is one, directly or through other classes
of the same file. Module-level classes are known before the walk (the context's pre-scan), so a
class used above its definition resolves; nested ones are added as the walk reaches them.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from kerascheck.records import record
from kerascheck.static.names import ImportTable, dotted
from kerascheck.static.semantic.layers import LAYER_BASE_PREFIXES, MODEL_BASES


@record
class ClassInfo:
    """One class of the file: its bases (canonical qualified names, or local class names) and
    the names of the methods its body defines."""

    name: str
    bases: tuple[str, ...]
    methods: frozenset[str]
    node: cst.ClassDef


class ClassTable:
    """The classes of one file, by name (the last definition of a name wins)."""

    def __init__(self, imports: ImportTable) -> None:
        self.imports = imports
        self.classes: dict[str, ClassInfo] = {}
        self._methods: set[str] = set()

    def add(self, node: cst.ClassDef) -> None:
        bases = tuple(self.imports.qualified(arg.value) or dotted(arg.value) or "" for arg in node.bases)
        methods = frozenset(stmt.name.value for stmt in node.body.body if isinstance(stmt, cst.FunctionDef))
        self.classes[node.name.value] = ClassInfo(node.name.value, bases, methods, node)
        self._methods.update(methods)

    def resolve_again(self) -> None:
        """Resolve every class's bases again (the import table has gained names since)."""
        for info in list(self.classes.values()):
            self.add(info.node)

    def get(self, name: str) -> ClassInfo | None:
        return self.classes.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.classes

    def _derives(self, name: str, predicate: Callable[[str], bool], seen: frozenset[str] = frozenset()) -> bool:
        info = self.classes.get(name)
        if info is None or name in seen:
            return False
        return any(predicate(base) or self._derives(base, predicate, seen | {name}) for base in info.bases)

    def is_model_class(self, name: str) -> bool:
        """A ``keras.Model`` subclass defined in this file."""
        return self._derives(name, lambda base: base in MODEL_BASES)

    def is_layer_class(self, name: str) -> bool:
        """A Layer (or Model) subclass defined in this file."""
        return self._derives(name, lambda base: base.startswith(LAYER_BASE_PREFIXES) or base in MODEL_BASES)

    def is_callback_class(self, name: str) -> bool:
        """A subclass of a ``keras.callbacks`` class defined in this file."""
        return self._derives(name, lambda base: base.startswith("keras.callbacks."))

    def defines_method(self, method: str) -> bool:
        """Some class of this file defines ``method`` (so calls to it may not be Keras's)."""
        return method in self._methods
