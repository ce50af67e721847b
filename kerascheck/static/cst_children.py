"""The children of libcst nodes, read without libcst's visitor machinery.

``CSTNode.children`` and ``CSTNode.visit`` rebuild (and re-validate) nodes; reading the child
attributes directly, in libcst's own order, is what makes the engine's walk and the position
search cheap.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any

import libcst as cst


class _FieldRecorder(cst.CSTVisitor):
    """Records which attributes libcst's own traversal visits, in order, one level deep."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)


#: node class -> the attributes holding its children, in libcst's traversal (source) order.
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(node: cst.CSTNode) -> tuple[str, ...]:
    """Learnt once per node class from libcst itself, so the order can never drift from
    ``CSTNode.visit``. A field libcst visits only when set (``format_spec``) may be absent from
    the first instance seen: remaining dataclass fields come last, which is where libcst
    visits them, and plain values (strings, None, sentinels) are skipped by the walk."""
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    order = list(dict.fromkeys(recorder.fields))
    order.extend(f.name for f in dataclasses.fields(node) if f.name not in order)
    declared = {f.name: f.type for f in dataclasses.fields(node)}
    # Fields declared to hold only plain values (a Name's ``value: str``) are never read.
    fields = tuple(name for name in order if name not in declared or _may_hold_node(declared[name]))
    CHILD_FIELDS[type(node)] = fields
    return fields


def _may_hold_node(declared: Any) -> bool:
    """Whether a field declared with type ``declared`` can hold a node (unknown: yes)."""
    if isinstance(declared, type):
        return issubclass(declared, cst.CSTNode) or issubclass(declared, (tuple, list))
    origin = typing.get_origin(declared)
    if origin is typing.Literal:
        return False
    arguments = typing.get_args(declared)
    if origin is None or not arguments:
        return True  # a string annotation or a construct this does not know
    return any(_may_hold_node(argument) for argument in arguments)


#: node class -> a function returning the values of its child fields, as a tuple.
CHILD_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
#: value class -> whether it is a node class (``isinstance`` on libcst's abstract classes goes
#: through ``ABCMeta.__instancecheck__``: a dict lookup by exact class is several times cheaper).
IS_NODE: dict[type, bool] = {}


def child_getter(node: cst.CSTNode) -> Callable[[Any], tuple[Any, ...]]:
    """The function returning the child-field values of nodes of ``node``'s class."""
    fields = CHILD_FIELDS.get(type(node))
    if fields is None:
        fields = child_fields(node)
    getter: Callable[[Any], tuple[Any, ...]]
    if len(fields) > 1:
        getter = attrgetter(*fields)
    elif fields:
        one = attrgetter(fields[0])

        def getter(value: Any) -> tuple[Any, ...]:
            return (one(value),)
    else:

        def getter(value: Any) -> tuple[Any, ...]:
            return ()

    CHILD_GETTERS[type(node)] = getter
    return getter


def is_node_class(kind: type) -> bool:
    """Whether values of class ``kind`` are libcst nodes (remembered in :data:`IS_NODE`)."""
    answer = IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return answer


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of ``node``, in source order."""
    getter = CHILD_GETTERS.get(type(node)) or child_getter(node)
    found: list[cst.CSTNode] = []
    for value in getter(node):
        kind = type(value)
        if kind is tuple or kind is list:
            found.extend(value)
        elif IS_NODE.get(kind) or (kind not in IS_NODE and is_node_class(kind)):
            found.append(value)
    return found


def descendants(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``root`` and every node under it, depth first, in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        found = children(node)
        found.reverse()
        stack.extend(found)


def contains(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    """Whether ``target`` (by identity) is ``root`` or one of its descendants."""
    return any(node is target for node in descendants(root))
