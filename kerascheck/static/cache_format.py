"""The cache's data format: JSON with tags, so reading an entry can never run code.

Cached results hold findings, suppression comments and the facts rules recorded (usually frozen
dataclasses of strings and numbers). JSON has no tuples, sets or classes, so every value that is
not a plain JSON scalar or list is written as a one-key object naming its kind:

* ``{"tuple": [...]}``, ``{"set": [...]}``, ``{"frozenset": [...]}``, ``{"map": [[k, v], ...]}``,
  ``{"bytes": "hex"}``;
* ``{"enum": "module:Class", "value": v}`` and ``{"dataclass": "module:Class", "fields":
  [[name, value], ...]}`` for enums and dataclasses.

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
    if isinstance(value, enum.Enum):  # before str: Severity and Applicability are str enums
        return {"enum": _class_name(type(value)), "value": encode(value.value)}
    if value is None or isinstance(value, (bool, str)):
        return value
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
        fields = [[f.name, encode(getattr(value, f.name))] for f in dataclasses.fields(value) if f.init]
        return {"dataclass": _class_name(type(value)), "fields": fields}
    raise Unencodable(f"cannot cache a {type(value).__module__}.{type(value).__qualname__}")


def _class_name(cls: type) -> str:
    if "<locals>" in cls.__qualname__:
        raise Unencodable(f"cannot cache an instance of the local class {cls.__qualname__}")
    return f"{cls.__module__}:{cls.__qualname__}"


class Decoder:
    """Decodes :func:`encode`'s data; classes only from ``packages`` (top-level names).

    Every JSON object of the format is a tag, so decoding is a ``json.loads`` object hook
    (called bottom-up by the C parser: the values inside a tag are already decoded).
    """

    def __init__(self, packages: Iterable[str]) -> None:
        self.packages = frozenset({"kerascheck", *(p.split(".")[0] for p in packages)})
        self._classes: dict[str, type] = {}
        self.json = json.JSONDecoder(object_hook=self.object_hook)

    def object_hook(self, data: dict[str, Any]) -> Any:
        # The hot path of a warm run: one call per object, so the common tags come first.
        try:
            if "dataclass" in data:
                cls = self._classes.get(data["dataclass"]) or self._class(data["dataclass"], dataclass_only=True)
                return cls(**{name: value for name, value in data["fields"]})
            if len(data) == 1:
                if "tuple" in data:
                    return tuple(data["tuple"])
                if "map" in data:
                    return {key: value for key, value in data["map"]}
                if "frozenset" in data:
                    return frozenset(data["frozenset"])
                if "set" in data:
                    return set(data["set"])
                if "bytes" in data:
                    return bytes.fromhex(data["bytes"])
            elif "enum" in data:
                cls = self._classes.get(data["enum"]) or self._class(data["enum"], dataclass_only=False)
                return cls(data["value"])
        except (TypeError, ValueError, KeyError) as exc:  # wrong shapes, changed fields, bad values
            raise Undecodable(f"{type(exc).__name__}: {exc}") from None
        raise Undecodable(f"unknown object with keys {sorted(data)[:3]}")

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


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def loads(data: bytes, decoder: Decoder) -> Any:
    try:
        return decoder.json.decode(data.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError) as exc:  # Undecodable is a ValueError
        raise Undecodable(str(exc)) from None
