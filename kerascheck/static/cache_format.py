"""The cache's data format: JSON with tags, so reading an entry can never run code.

Cached results hold findings, suppression comments and the facts rules recorded (usually frozen
dataclasses of strings and numbers). JSON has no tuples, sets or classes, so every value that is
not a plain JSON scalar or list is written as a one-key object naming its kind:

* ``{"tuple": [...]}``, ``{"set": [...]}``, ``{"frozenset": [...]}``, ``{"map": [[k, v], ...]}``,
  ``{"bytes": "hex"}``;
* ``{"enum": "module:Class", "value": v}`` and ``{"dataclass": "module:Class", "fields": {...}}``
  for enums and dataclasses.

Decoding never imports anything: a class is looked up only in modules that are already loaded
and belong to kerascheck or to a loaded plugin's top-level package, and it must be a dataclass
or an enum. Anything else makes the whole entry a cache miss. A value of another type cannot be
encoded (:class:`Unencodable`); such a result is simply not cached.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Iterable
from typing import Any


class Unencodable(TypeError):
    """A value the cache format cannot represent (the result is then not cached)."""


class Undecodable(ValueError):
    """An entry that is not in this format (the entry is then a miss)."""


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data (lists, strings, numbers and one-key tag objects)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return {"enum": _class_name(type(value)), "value": encode(value.value)}
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, frozenset):
        return {"frozenset": [encode(item) for item in value]}
    if isinstance(value, set):
        return {"set": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"map": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"dataclass": _class_name(type(value)), "fields": fields}
    raise Unencodable(f"cannot cache a {type(value).__module__}.{type(value).__qualname__}")


def _class_name(cls: type) -> str:
    if "<locals>" in cls.__qualname__:
        raise Unencodable(f"cannot cache an instance of the local class {cls.__qualname__}")
    return f"{cls.__module__}:{cls.__qualname__}"


class Decoder:
    """Decodes :func:`encode`'s data; classes only from ``packages`` (top-level names)."""

    def __init__(self, packages: Iterable[str]) -> None:
        self.packages = frozenset({"kerascheck", *(p.split(".")[0] for p in packages)})
        self._classes: dict[str, type] = {}

    def decode(self, data: Any) -> Any:
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            return [self.decode(item) for item in data]
        if not isinstance(data, dict) or not data:
            raise Undecodable(f"unexpected {type(data).__name__}")
        if "dataclass" in data:
            cls = self._class(data["dataclass"], dataclass_only=True)
            fields = data.get("fields")
            if not isinstance(fields, dict):
                raise Undecodable("dataclass without fields")
            try:
                return cls(**{name: self.decode(value) for name, value in fields.items()})
            except TypeError as exc:  # fields that changed since the entry was written
                raise Undecodable(str(exc)) from None
        if "enum" in data:
            cls = self._class(data["enum"], dataclass_only=False)
            try:
                return cls(self.decode(data.get("value")))
            except ValueError as exc:
                raise Undecodable(str(exc)) from None
        if len(data) != 1:
            raise Undecodable(f"unknown object with keys {sorted(data)[:3]}")
        ((kind, items),) = data.items()
        if kind == "bytes" and isinstance(items, str):
            return bytes.fromhex(items)
        if not isinstance(items, list):
            raise Undecodable(f"unknown tag {kind!r}")
        if kind == "tuple":
            return tuple(self.decode(item) for item in items)
        if kind == "set":
            return {self.decode(item) for item in items}
        if kind == "frozenset":
            return frozenset(self.decode(item) for item in items)
        if kind == "map":
            return {self.decode(k): self.decode(v) for k, v in _pairs(items)}
        raise Undecodable(f"unknown tag {kind!r}")

    def _class(self, name: Any, *, dataclass_only: bool) -> type:
        cached = self._classes.get(name) if isinstance(name, str) else None
        if cached is not None:
            return cached
        if not isinstance(name, str) or ":" not in name:
            raise Undecodable(f"bad class name {name!r}")
        module_name, _, qualname = name.partition(":")
        if module_name.split(".")[0] not in self.packages:
            raise Undecodable(f"class {name} is not from kerascheck or a loaded plugin")
        target: Any = sys.modules.get(module_name)  # never import: only what is loaded already
        for part in qualname.split("."):
            target = getattr(target, part, None)
        if not isinstance(target, type):
            raise Undecodable(f"no loaded class {name}")
        if dataclass_only and not dataclasses.is_dataclass(target):
            raise Undecodable(f"{name} is not a dataclass")
        if not dataclass_only and not issubclass(target, enum.Enum):
            raise Undecodable(f"{name} is not an enum")
        self._classes[name] = target
        return target


def _pairs(items: list[Any]) -> Iterable[tuple[Any, Any]]:
    for item in items:
        if not isinstance(item, list) or len(item) != 2:
            raise Undecodable("bad map item")
        yield item[0], item[1]


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def loads(data: bytes, decoder: Decoder) -> Any:
    try:
        parsed = json.loads(data.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise Undecodable(str(exc)) from None
    return decoder.decode(parsed)
