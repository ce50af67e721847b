"""Where a value comes from: does an expression hold (or compute from) the result of a node?

``flows_from(semantic, expr, site, sources)`` answers whether ``expr``, evaluated at ``site``,
may hold data computed from one of ``sources`` (ids of CST nodes: calls whose result counts, or
binding nodes/values standing for a data set). It follows the expression's parts, the bindings
each name it mentions sees (and their values, recursively), items stored into a name
(``X[i] = data[i]``) and things appended to it, and the returns of the file's functions it calls.
What only reads a value's shape (``len(x)``, ``x.shape``, ``np.zeros(...)``) is not data flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from kerascheck.static.semantic.model import SemanticModel
    from kerascheck.static.semantic.scopes import Binding, Site

#: Calls and attributes that read only a value's shape or type, never its data.
_SHAPE_CALLS = frozenset({"len", "numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full", "numpy.arange",
                          "numpy.zeros_like", "numpy.ones_like", "numpy.empty_like", "range", "type", "isinstance"})
_SHAPE_ATTRIBUTES = frozenset({"shape", "size", "ndim", "dtype", "columns", "index"})
_MAX_DEPTH = 10


def flows_from(semantic: SemanticModel, expr: cst.BaseExpression | None, site: Site, sources: set[int]) -> int | None:
    """The id of the first of ``sources`` whose result ``expr`` at ``site`` may hold or be
    computed from, else None."""
    return _Flow(semantic, sources).expression(expr, site, 0)


class _Flow:
    def __init__(self, semantic: SemanticModel, sources: set[int]) -> None:
        self.semantic = semantic
        self.sources = sources
        self.seen: set[tuple[int, int]] = set()

    def expression(self, expr: cst.BaseExpression | None, site: Site, depth: int) -> int | None:
        if expr is None or depth > _MAX_DEPTH:
            return None
        key = (id(expr), site.order)
        if key in self.seen:
            return None
        self.seen.add(key)
        pending: list[cst.CSTNode] = [expr]
        while pending:
            node = pending.pop()
            if id(node) in self.sources:
                return id(node)
            if isinstance(node, cst.Name):
                found = self.name(node.value, site, depth)
                if found is not None:
                    return found
                continue
            if isinstance(node, cst.Attribute):
                if node.attr.value not in _SHAPE_ATTRIBUTES:
                    pending.append(node.value)
                continue
            if isinstance(node, cst.Call):
                qualified = self.semantic.qualified(node.func) or (node.func.value if isinstance(node.func, cst.Name) else None)
                if qualified in _SHAPE_CALLS:
                    continue
                function = self.semantic.function_called(node, site)
                if function is not None:
                    for value, where in self.semantic.returns_of(function):
                        found = self.expression(value, where, depth + 1)
                        if found is not None:
                            return found
                    pending.extend(a.value for a in node.args)
                    continue
            if isinstance(node, (cst.Lambda, cst.FunctionDef)):
                continue
            pending.extend(node.children)
        return None

    def name(self, name: str, site: Site, depth: int) -> int | None:
        for binding in self.semantic.lookup(name, site):
            found = self.binding(binding, depth)
            if found is not None:
                return found
            for value, where in self.semantic.stores_into(binding, site):
                found = self.expression(value, where, depth + 1)
                if found is not None:
                    return found
        return None

    def binding(self, binding: Binding, depth: int) -> int | None:
        if id(binding.node) in self.sources:
            return id(binding.node)
        if binding.value is not None and binding.kind != "param":
            return self.expression(binding.value, binding.site, depth + 1)
        return None
