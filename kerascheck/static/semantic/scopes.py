"""Scopes, bindings and which binding a use of a name sees.

Built during the engine's single walk (the :class:`~kerascheck.static.context.FileContext`
forwards its events here), so it costs no extra traversal. Every binding remembers where it
happened: its scope, its rank in walk order, and the *branch path* (the conditional arms around
it: ``if``/``else`` bodies, loop bodies, ``except`` handlers, ``match`` cases). A use at a
:class:`Site` sees the last binding of its scope whose branch path is a prefix of the use's
(certainly executed before it) plus every later binding in an arm the use is not in ("one of
these"): straight-line rebinding replaces, branches merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from typing import Literal

import libcst as cst

from kerascheck.records import record

ScopeKind = Literal["module", "class", "function", "lambda", "comprehension"]
BindingKind = Literal[
    "assign", "unpack", "augassign", "annotation", "param", "import", "def", "class", "loop", "with", "except", "walrus", "attribute"
]


@record(frozen=False, eq=False)
class Scope:
    """One Python scope. ``bindings`` holds every binding of each name, in walk order."""

    kind: ScopeKind
    node: cst.CSTNode
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    #: Names declared ``global`` here (their bindings go to the module scope).
    globals: set[str] = field(default_factory=set)
    #: Names declared ``nonlocal`` here.
    nonlocals: set[str] = field(default_factory=set)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        name = getattr(getattr(self.node, "name", None), "value", "")
        return f"<Scope {self.kind} {name}>"


@record(eq=False)
class Site:
    """Where something happens: scope, rank in walk order, conditional arms, enclosing
    functions (innermost last), whether inside a ``GradientTape`` block, enclosing loops of the
    innermost function (ids of ``For``/``While`` nodes)."""

    scope: Scope
    order: int
    branch: tuple[int, ...]
    functions: tuple[cst.FunctionDef, ...]
    tape: bool
    loops: tuple[int, ...]

    @property
    def function(self) -> cst.FunctionDef | None:
        return self.functions[-1] if self.functions else None


@record(eq=False)
class Binding:
    """One binding of a name. ``value`` is the bound expression when it is known (``x = value``,
    a parameter's default, a ``with ... as x`` item); ``node`` is the binding statement/node."""

    name: str
    kind: BindingKind
    node: cst.CSTNode
    value: cst.BaseExpression | None
    site: Site

    @property
    def scope(self) -> Scope:
        return self.site.scope


def _is_prefix(short: tuple[int, ...], long: tuple[int, ...]) -> bool:
    return len(short) <= len(long) and long[: len(short)] == short


def visible_in_scope(bindings: list[Binding], site: Site, *, all_orders: bool = False) -> list[Binding]:
    """The bindings of one name in one scope that a use at ``site`` may see.

    Straight-line code: the last binding on the use's own path wins; bindings in arms the use
    is not in that come after it are added ("one of these"). With ``all_orders`` (a use from an
    inner function, which runs when called, after the enclosing scope may have moved on), every
    binding after the last certain one counts, whatever its rank.
    """
    candidates = [b for b in bindings if all_orders or b.site.order < site.order]
    if not candidates:
        return []
    last_certain = None
    for index in range(len(candidates) - 1, -1, -1):
        if _is_prefix(candidates[index].site.branch, site.branch):
            last_certain = index
            break
    if last_certain is None:
        return candidates
    if all_orders:
        # From an inner scope, the last certain binding of the enclosing scope hides the earlier
        # ones; later conditional ones may still be the one in force when the function runs.
        return [candidates[last_certain]] + [
            b for b in candidates[last_certain + 1 :] if not _is_prefix(b.site.branch, site.branch)
        ]
    return candidates[last_certain:]


class ScopeTracker:
    """Scopes and bindings of one file, fed in walk order."""

    def __init__(self, module: cst.Module) -> None:
        self.module_scope = Scope("module", module, None)
        self.scope = self.module_scope
        self.order = 0
        self.branch: list[int] = []
        self.functions: list[cst.FunctionDef] = []
        self._arms: set[int] = set()
        #: Per function (innermost last): ids of the loops around the current node in it.
        self._loops: list[list[int]] = [[]]
        self.tape_depth = 0
        #: id(scope node) -> the scope it opened.
        self.scopes: dict[int, Scope] = {id(module): self.module_scope}

    # -- where are we ----------------------------------------------------------------------

    def here(self) -> Site:
        self.order += 1
        return Site(self.scope, self.order, tuple(self.branch), tuple(self.functions), self.tape_depth > 0, tuple(self._loops[-1]))

    @property
    def loops(self) -> list[int]:
        return self._loops[-1]

    # -- scopes ----------------------------------------------------------------------------

    def push(self, kind: ScopeKind, node: cst.CSTNode) -> Scope:
        scope = Scope(kind, node, self.scope)
        self.scopes[id(node)] = scope
        self.scope = scope
        if isinstance(node, cst.FunctionDef):
            self.functions.append(node)
            self._loops.append([])
        return scope

    def pop(self) -> None:
        if isinstance(self.scope.node, cst.FunctionDef):
            self.functions.pop()
            self._loops.pop()
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    # -- conditional arms ------------------------------------------------------------------

    def mark_arms(self, *blocks: cst.CSTNode | None) -> None:
        """The given bodies run conditionally (``if``/``else``, loop bodies, handlers)."""
        for block in blocks:
            if block is not None:
                self._arms.add(id(block))

    def enter_block(self, block: cst.CSTNode) -> None:
        if id(block) in self._arms:
            self.branch.append(id(block))

    def leave_block(self, block: cst.CSTNode) -> None:
        if self.branch and self.branch[-1] == id(block):
            self.branch.pop()

    # -- bindings --------------------------------------------------------------------------

    def bind(self, name: str, kind: BindingKind, node: cst.CSTNode, value: cst.BaseExpression | None, scope: Scope | None = None) -> Binding:
        target = scope or self.scope
        if target.kind != "module" and name in target.globals:
            target = self.module_scope
        site = self.here()
        if target is not self.scope:
            site = Site(target, site.order, site.branch, site.functions, site.tape, site.loops)
        binding = Binding(name, kind, node, value, site)
        target.bindings.setdefault(name, []).append(binding)
        return binding

    def bind_target(self, target: cst.BaseExpression, kind: BindingKind, node: cst.CSTNode, value: cst.BaseExpression | None) -> None:
        """Bind every plain name of an assignment target; a tuple target unpacks a literal
        tuple of the same length element by element."""
        if isinstance(target, cst.Name):
            self.bind(target.value, kind, node, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = None
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(target.elements):
                elements = [e.value for e in value.elements]
            for index, element in enumerate(target.elements):
                inner = element.value
                self.bind_target(inner, kind if elements else "unpack", node, elements[index] if elements else None)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, "unpack", node, None)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            owner = self.class_of_method()
            if owner is not None:
                self.bind("self." + target.attr.value, "attribute", node, value, owner)

    def class_of_method(self) -> Scope | None:
        """The class scope whose method the current function is (for ``self.x`` bindings)."""
        scope: Scope | None = self.scope
        while scope is not None and scope.kind in ("comprehension", "lambda"):
            scope = scope.parent
        if scope is None or scope.kind != "function" or scope.parent is None or scope.parent.kind != "class":
            return None
        return scope.parent

    # -- lookups ---------------------------------------------------------------------------

    def lookup(self, name: str, site: Site) -> list[Binding]:
        """The bindings a use of ``name`` at ``site`` may see (empty: a builtin, a global
        bound nowhere in this file, or not yet bound)."""
        scope: Scope | None = site.scope
        inner = True
        while scope is not None:
            if scope.kind == "class" and not inner:
                scope = scope.parent  # class bodies are not enclosing scopes of their methods
                continue
            bindings = scope.bindings.get(name)
            if bindings:
                found = visible_in_scope(bindings, site, all_orders=not inner)
                if found:
                    return found
            inner = False
            scope = scope.parent
        return []

    def lookup_attribute(self, attribute: str, site: Site) -> list[Binding]:
        """Bindings of ``self.<attribute>`` in the class whose method ``site`` is in (every
        method's assignments: methods run in an order the file does not show)."""
        scope: Scope | None = site.scope
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        if scope is None:
            return []
        return list(scope.bindings.get("self." + attribute, ()))

    def iter_scopes(self) -> Iterator[Scope]:
        return iter(self.scopes.values())
