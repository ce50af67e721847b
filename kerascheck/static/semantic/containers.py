"""What a container holds: the expressions that become its elements, and what a loop variable is.

``elements_of(semantic, expr, site)`` lists the expressions stored as elements of the list (or
deque, tuple...) ``expr`` holds at ``site``: the items of the literal it was bound to and
everything appended, inserted or item-assigned into it afterwards, through names, ``self.x``
attributes (appends in any method of the class: methods run in an order the file does not
show) and element-preserving calls (``random.sample(memory, n)``, ``list(xs)``, ``xs[a:b]``).
``loop_items(semantic, binding)`` maps a ``for`` target to those elements, position by position
(``for state, action in memory`` with ``memory.append((s, a))`` gives ``s`` for ``state``).

Both answer None when any source is unknown (a parameter, a call of another module, a
comprehension): callers decide only on a complete list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from kerascheck.static import ast_helpers as ah

if TYPE_CHECKING:
    from kerascheck.static.semantic.model import SemanticModel
    from kerascheck.static.semantic.scopes import Binding, Scope, Site

#: Calls whose result holds elements of their first argument (a sample, a copy, a reordering).
_ELEMENT_PRESERVING = frozenset({"random.sample", "random.choices", "list", "tuple", "sorted", "reversed", "collections.deque"})
#: Methods that add elements to a list/deque: how many leading arguments are not elements.
ADDING_METHODS = {"append": 0, "appendleft": 0, "insert": 1, "extend": 0, "extendleft": 0}
_MAX_DEPTH = 8

Elements = list[tuple[cst.BaseExpression, "Site"]]


def elements_of(semantic: SemanticModel, expr: cst.BaseExpression | None, site: Site, depth: int = 0) -> Elements | None:
    """The expressions stored as elements of what ``expr`` holds (with where they are), None
    when some source of elements is unknown."""
    if expr is None or depth > _MAX_DEPTH:
        return None
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        if any(isinstance(e, cst.StarredElement) for e in expr.elements):
            return None
        return [(e.value, site) for e in expr.elements]
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice):
        return elements_of(semantic, expr.value, site, depth + 1)
    if isinstance(expr, cst.Call):
        qualified = semantic.qualified(expr.func) or (expr.func.value if isinstance(expr.func, cst.Name) else None)
        if qualified not in _ELEMENT_PRESERVING or ah.has_star_args(expr):
            return None
        positional = ah.positional(expr)
        if not positional:
            return [] if qualified == "collections.deque" else None
        return elements_of(semantic, positional[0].value, site, depth + 1)
    if isinstance(expr, cst.Name):
        bindings = semantic.lookup(expr.value, site)
        return _from_bindings(semantic, bindings, lambda b: _name_additions(semantic, b, depth), depth)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        bindings = semantic.scopes.lookup_attribute(expr.attr.value, site)
        owner = bindings[0].scope if bindings else None
        calls = [(call, where) for name, call, where in semantic.attribute_mutations if name == expr.attr.value and _class_scope(where) is owner]
        return _from_bindings(semantic, bindings, lambda b: _calls_additions(semantic, calls, depth) if b is bindings[-1] else [], depth)
    return None


def _from_bindings(
    semantic: SemanticModel, bindings: list[Binding], additions: Callable[[Binding], Elements | None], depth: int
) -> Elements | None:
    """The initial elements of every binding plus what is added to each afterwards."""
    if not bindings:
        return None
    found: Elements = []
    for binding in bindings:
        if binding.kind not in ("assign", "annotation", "attribute") or binding.value is None:
            return None
        initial = elements_of(semantic, binding.value, binding.site, depth + 1)
        added = additions(binding)
        if initial is None or added is None:
            return None
        found.extend(initial)
        found.extend(added)
    return found


def _name_additions(semantic: SemanticModel, binding: Binding, depth: int) -> Elements | None:
    """Elements added to the object bound by ``binding`` after it, in its scope: adding calls
    (``xs.append(x)``) and item stores (``xs[i] = x``)."""
    after = [(call, where) for name, call, where in semantic.keras_models.mutations
             if name == binding.name and where.scope is binding.scope and where.order > binding.site.order]
    found = _calls_additions(semantic, after, depth)
    if found is None:
        return None
    found.extend((value, where) for name, value, where in semantic.item_stores
                 if name == binding.name and where.scope is binding.scope and where.order > binding.site.order)
    return found


def _calls_additions(semantic: SemanticModel, calls: list[tuple[cst.Call, Site]], depth: int) -> Elements | None:
    found: Elements = []
    for call, where in calls:
        added = _added_elements(semantic, call, where, depth)
        if added is None:
            return None
        found.extend(added)
    return found


def _added_elements(semantic: SemanticModel, call: cst.Call, where: Site, depth: int) -> Elements | None:
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    skip = ADDING_METHODS.get(method)
    if skip is None or ah.has_star_args(call):
        return None
    values = [a.value for a in ah.positional(call)][skip:]
    if method.startswith("extend"):
        found: Elements = []
        for value in values:
            inner = elements_of(semantic, value, where, depth + 1)
            if inner is None:
                return None
            found.extend(inner)
        return found
    return [(value, where) for value in values]


def _class_scope(site: Site) -> Scope | None:
    scope: Scope | None = site.scope
    while scope is not None and scope.kind != "class":
        scope = scope.parent
    return scope


def loop_items(semantic: SemanticModel, binding: Binding) -> Elements | None:
    """What the ``for``-loop variable of ``binding`` takes: the element (or, for a tuple
    target, the element's part at the variable's position) of every element of the iterable;
    None when unknown."""
    loop = binding.node
    if binding.kind not in ("loop", "unpack") or not isinstance(loop, cst.For):
        return None
    path = _target_path(loop.target, binding.name)
    if path is None:
        return None
    elements = elements_of(semantic, loop.iter, binding.site)
    if not elements:
        return None
    return _parts(semantic, elements, path)


def _parts(semantic: SemanticModel, elements: Elements, path: tuple[int, ...]) -> Elements | None:
    """The part at ``path`` of every one of ``elements``; None when any is unknown."""
    found: Elements = []
    for element, where in elements:
        part = _part(semantic, element, where, path, 0)
        if part is None:
            return None
        found.append(part)
    return found


def _target_path(target: cst.BaseExpression, name: str) -> tuple[int, ...] | None:
    """Positions leading to ``name`` in a (nested) tuple target: ``()`` for the bare name."""
    if isinstance(target, cst.Name):
        return () if target.value == name else None
    if isinstance(target, (cst.Tuple, cst.List)):
        for index, element in enumerate(target.elements):
            if isinstance(element, cst.StarredElement):
                return None
            inner = _target_path(element.value, name)
            if inner is not None:
                return (index, *inner)
    return None


def _part(
    semantic: SemanticModel, element: cst.BaseExpression, where: Site, path: tuple[int, ...], depth: int
) -> tuple[cst.BaseExpression, Site] | None:
    """The part of ``element`` at ``path`` (through tuple literals and names bound to them)."""
    if not path:
        return element, where
    if depth > _MAX_DEPTH:
        return None
    if isinstance(element, (cst.Tuple, cst.List)):
        if len(element.elements) <= path[0] or any(isinstance(e, cst.StarredElement) for e in element.elements):
            return None
        return _part(semantic, element.elements[path[0]].value, where, path[1:], depth + 1)
    if isinstance(element, cst.Name):
        bindings = semantic.lookup(element.value, where)
        if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
            return None
        return _part(semantic, bindings[0].value, bindings[0].site, path, depth + 1)
    return None


def unpacked_values(semantic: SemanticModel, binding: Binding) -> Elements | None:
    """What an unpacking assignment binds to ``binding``'s name: ``a, b = f(x)`` with every
    ``return`` of the file's ``f`` a tuple gives each return's part at ``a``'s position (and
    ``a, b = pair`` with ``pair`` bound to a tuple literal); None when unknown."""
    node = binding.node
    if binding.kind != "unpack" or not isinstance(node, cst.Assign):
        return None
    for target in node.targets:
        path = _target_path(target.target, binding.name)
        if not path:
            continue
        value = node.value
        sources: Elements = [(value, binding.site)]
        if isinstance(value, cst.Call):
            function = semantic.function_called(value, binding.site)
            sources = semantic.returns_of(function) if function is not None else []
        return _parts(semantic, sources, path) or None
    return None

