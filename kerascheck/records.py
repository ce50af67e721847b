"""Records: kerascheck's data classes, built for a fraction of ``@dataclass``'s import cost.

``@dataclass(frozen=True)`` writes six methods as source text and compiles them for every class
(about 0.45 ms per class on CPython 3.11, two thirds of it in ``compile``). kerascheck declares
some eighty data classes and a one-file run imports most of them, so that was a tenth of its
start-up (issue 16). :func:`record` compiles only ``__init__`` (which stays the fastest way to
make an instance: it writes the instance dict directly) and gives every class the same
``__repr__``, ``__eq__``, ``__hash__``, ordering and frozen ``__setattr__``, built on an
``operator.attrgetter`` of the compared fields: about 0.07 ms per class.

A record is still a dataclass to every reader: it carries ``__dataclass_fields__`` made of
:class:`dataclasses.Field` objects, so ``dataclasses.fields``, ``replace``, ``asdict`` and
``is_dataclass`` (the result cache's encoder uses them) work on it, and type checkers read the
decorator through :pep:`681`. It supports the subset of ``@dataclass`` kerascheck uses: ``frozen``
(the default), ``eq``, ``order`` and fields declared with ``dataclasses.field`` (``default``,
``default_factory``, ``compare``, ``hash``, ``repr``); no inheritance between records, no
``kw_only``, ``slots`` or ``InitVar``. On a Python whose ``dataclasses`` lacks the field marker
this relies on, it falls back to ``@dataclass`` itself.
"""

from __future__ import annotations

import dataclasses
import inspect
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorator: decorator  # read by type checkers only


__all__ = ["record"]

T = TypeVar("T", bound=type)

_MISSING: Any = dataclasses.MISSING
# The marker dataclasses puts on a class's real fields (as opposed to ClassVar / InitVar
# pseudo-fields); stable since Python 3.7, but private, hence the fallback below.
_FIELD_MARKER = getattr(dataclasses, "_FIELD", None)
_CLASSVAR_PREFIXES = ("ClassVar", "typing.ClassVar", "t.ClassVar")


class _Factory:
    """The default an ``__init__`` parameter has when its field has a ``default_factory``."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


@overload
def record(cls: T, /) -> T: ...


@overload
def record(*, frozen: bool = True, eq: bool = True, order: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(
    cls: T | None = None, /, *, frozen: bool = True, eq: bool = True, order: bool = False
) -> T | Callable[[T], T]:
    """Make ``cls`` a data class, as ``@dataclass(frozen=frozen, eq=eq, order=order)`` would."""

    def build(target: T) -> T:
        if _FIELD_MARKER is None:
            return cast("T", dataclasses.dataclass(frozen=frozen, eq=eq, order=order)(target))
        return _build(target, frozen=frozen, eq=eq, order=order)

    return build if cls is None else build(cls)


def _build(cls: T, *, frozen: bool, eq: bool, order: bool) -> T:
    own = cls.__dict__
    # as dataclass: a __hash__ the class body wrote itself is kept (Python sets it to None
    # when the body defines __eq__ alone, which does not count)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    fields = _fields(cls)
    cls.__dataclass_fields__ = {f.name: f for f in fields}  # type: ignore[attr-defined]
    _add(cls, "__init__", _init(cls, fields))
    _add(cls, "__match_args__", tuple(f.name for f in fields))
    _add(cls, "__repr__", _repr_method(tuple(f.name for f in fields if f.repr)))
    if eq:
        key = _key([f.name for f in fields if f.compare])
        _add(cls, "__eq__", _eq_method(key))
        # as dataclass: equal and frozen means hashable by value; equal and mutable, unhashable
        if frozen and not explicit_hash:
            cls.__hash__ = _hash_method(_key([f.name for f in fields if (f.compare if f.hash is None else f.hash)]))  # type: ignore[assignment, method-assign]
        elif not explicit_hash:
            cls.__hash__ = None  # type: ignore[assignment]
        if order:
            for name, compare in _ORDERINGS.items():
                _add(cls, name, _order_method(name, key, compare), clash=True)
    elif order:
        raise ValueError("eq must be true if order is true")
    if frozen:
        _add(cls, "__setattr__", _frozen_setattr, clash=True)
        _add(cls, "__delattr__", _frozen_delattr, clash=True)
    return cls


def _add(cls: type, name: str, value: Any, *, clash: bool = False) -> None:
    """Give ``cls`` a generated attribute unless its body wrote its own (as dataclass does)."""
    if name not in cls.__dict__:
        setattr(cls, name, value)
    elif clash:
        raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")


def _fields(cls: type) -> list[dataclasses.Field[Any]]:
    fields: list[dataclasses.Field[Any]] = []
    for name, annotation in inspect.get_annotations(cls).items():
        if isinstance(annotation, str) and annotation.startswith(_CLASSVAR_PREFIXES):
            continue
        declared = cls.__dict__.get(name, _MISSING)
        spec = declared if isinstance(declared, dataclasses.Field) else dataclasses.field(default=declared)
        spec.name, spec.type = name, annotation
        spec._field_type = _FIELD_MARKER  # type: ignore[union-attr]
        if spec.default is not _MISSING and type(spec.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(spec.default)} for field {name} is not allowed: use default_factory"
            )
        if isinstance(declared, dataclasses.Field):  # as dataclass: the class keeps a plain default only
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        fields.append(spec)
    return fields


def _init(cls: type, fields: list[dataclasses.Field[Any]]) -> Callable[..., None]:
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    defaults: list[Any] = []
    body = ["    _d = self.__dict__"]  # writing the dict directly is what lets frozen records init fast
    for f in fields:
        if f.default_factory is not _MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            defaults.append(_FACTORY)
            body.append(f"    _d[{f.name!r}] = _factory_{f.name}() if {f.name} is _FACTORY else {f.name}")
        else:
            if f.default is not _MISSING:
                defaults.append(f.default)
            elif defaults:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            body.append(f"    _d[{f.name!r}] = {f.name}")
    if "__post_init__" in cls.__dict__:
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(f.name for f in fields)}):\n" + "\n".join(body)
    exec(source, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__defaults__ = tuple(defaults) or None
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _key(names: list[str]) -> Callable[[Any], Any]:
    """The values a record is compared (or hashed) by, as one object."""
    if len(names) > 1:
        return attrgetter(*names)  # a tuple, compared as dataclass compares its field tuples
    if not names:
        return lambda _: ()
    one = attrgetter(names[0])
    return lambda record: (one(record),)  # a tuple too: (x,) == (x,) even when x == x is not true


def _repr_method(names: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _eq_method(key: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash_method(key: Callable[[Any], Any]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "__lt__": lambda a, b: a < b,
    "__le__": lambda a, b: a <= b,
    "__gt__": lambda a, b: a > b,
    "__ge__": lambda a, b: a >= b,
}


def _order_method(name: str, key: Callable[[Any], Any], compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(key(self), key(other))
        return NotImplemented

    method.__name__ = method.__qualname__ = name
    return method


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
