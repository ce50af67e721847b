"""A table of classes by name whose entries may be imported on first use.

The built-in output formats are nine classes in eight modules (JUnit's pulls in
:mod:`xml.etree`); a run uses one of them. Registering them as ``"module:Class"`` strings in a
:class:`ClassTable` keeps the start-up of every run from importing the other seven. Looking an
entry up imports its module then; a plugin's plain ``{"name": Class}`` mapping works the same.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any


class ClassTable(Mapping[str, type[Any]]):
    """Name -> class; an entry given as ``"package.module:Class"`` is imported when looked up."""

    def __init__(self, entries: Mapping[str, type[Any] | str] | None = None) -> None:
        self._entries: dict[str, type[Any] | str] = dict(entries or {})

    def __getitem__(self, name: str) -> type[Any]:
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            __import__(module)  # not importlib.import_module: ``python -X importtime`` sees this import
            entry = self._entries[name] = getattr(sys.modules[module], attribute)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, name: str, entry: type[Any] | str) -> None:
        self._entries[name] = entry

    def entry(self, name: str) -> type[Any] | str:
        """The class, or the ``"module:Class"`` string it will be imported from (nothing imported)."""
        return self._entries[name]
