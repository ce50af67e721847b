"""Intra-module call graph (functions and same-class methods) and where training code runs.

Training code starts at entry points: functions named like a training step (``train_step``,
``train_on_batch``, ``train*``), functions that apply gradients (``optimizer.apply_gradients``,
``optimizer.minimize``), ``tf.GradientTape`` blocks, and loops that apply gradients (a custom
training loop). Every function called from training code, or handed to a call made there
(``strategy.run(step_fn)``), is training code too; so is a function nested in one.
"""

from __future__ import annotations

import libcst as cst

from kerascheck.records import record
from kerascheck.static.semantic.scopes import Scope, ScopeTracker, Site

#: Functions whose body is a training step, by name (the framework calls them while fitting).
TRAINING_FUNCTION_NAMES = frozenset({"train_step", "training_step", "_train_step", "train_on_batch", "train_batch"})
#: Optimizer methods that change weights: code calling them is training code.
GRADIENT_METHODS = frozenset({"apply_gradients", "minimize"})


@record(eq=False)
class CallSite:
    """One call inside the file: what it calls (``("name", f)`` or ``("self", m)``), the local
    names it passes as arguments (functions may be handed over: ``tf.function(step)``), and for
    ``obj.m(...)`` on a plain name ``obj`` the pair ``(obj, m)`` (``agent.act(s)`` with
    ``agent = Agent()`` calls method ``act`` of a class of this file)."""

    call: cst.Call
    site: Site
    callee: tuple[str, str] | None
    references: tuple[str, ...]
    instance: tuple[str, str] | None = None

    @property
    def binds_self(self) -> bool:
        """The call is a method call: its first positional argument fills the second parameter."""
        return self.instance is not None or (self.callee is not None and self.callee[0] == "self")


class CallGraph:
    def __init__(self, scopes: ScopeTracker) -> None:
        self.scopes = scopes
        self.calls: list[CallSite] = []
        #: id(FunctionDef) -> call sites of it (filled by :meth:`finish`).
        self._callers: dict[int, list[CallSite]] | None = None
        self._gradient_loops: set[int] = set()
        self._gradient_functions: set[int] = set()
        self._training: set[int] | None = None

    # -- recording (during the walk) -------------------------------------------------------

    def record(self, call: cst.Call, site: Site) -> None:
        func = call.func
        callee: tuple[str, str] | None = None
        instance: tuple[str, str] | None = None
        if isinstance(func, cst.Name):
            callee = ("name", func.value)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            callee = ("self", func.attr.value)
        elif isinstance(func, cst.Attribute) and func.attr.value in GRADIENT_METHODS:
            self._gradient_loops.update(site.loops)
            if site.function is not None:
                self._gradient_functions.add(id(site.function))
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value != "self":
            instance = (func.value.value, func.attr.value)
        references = tuple(a.value.value for a in call.args if isinstance(a.value, cst.Name))
        if callee is not None or references or instance is not None:
            self.calls.append(CallSite(call, site, callee, references, instance))
            self._callers = None
            self._training = None

    # -- resolution ------------------------------------------------------------------------

    def resolve(self, spelled: tuple[str, str], site: Site) -> cst.FunctionDef | None:
        """The function of this file that ``name(...)``/``self.name(...)`` at ``site`` calls."""
        kind, name = spelled
        if kind == "name":
            bindings = self.scopes.lookup(name, site)
        else:
            scope: Scope | None = site.scope
            while scope is not None and scope.kind != "class":
                scope = scope.parent
            bindings = list(scope.bindings.get(name, ())) if scope is not None else []
        defs = [b.node for b in bindings if b.kind == "def"]
        if len(defs) != len(bindings) or not defs:
            return None
        node = defs[-1]
        return node if isinstance(node, cst.FunctionDef) else None

    def resolve_method(self, instance: tuple[str, str], site: Site) -> list[cst.FunctionDef]:
        """The methods ``obj.m(...)`` at ``site`` may call: every binding of ``obj`` it sees is
        ``obj = C(...)`` with ``C`` a class of this file defining ``m`` (itself or through a
        base class of this file). Empty when any binding is something else."""
        name, method = instance
        bindings = self.scopes.lookup(name, site)
        found: list[cst.FunctionDef] = []
        for binding in bindings:
            value = binding.value
            if binding.kind != "assign" or not isinstance(value, cst.Call) or not isinstance(value.func, cst.Name):
                return []
            cls = self._class_named(value.func.value, binding.site)
            target = self._method_of(cls, method, 0) if cls is not None else None
            if target is None:
                return []
            if target not in found:
                found.append(target)
        return found

    def _class_named(self, name: str, site: Site) -> cst.ClassDef | None:
        bindings = self.scopes.lookup(name, site)
        if not bindings or any(b.kind != "class" for b in bindings):
            return None
        node = bindings[-1].node
        return node if isinstance(node, cst.ClassDef) else None

    def _method_of(self, cls: cst.ClassDef, method: str, depth: int) -> cst.FunctionDef | None:
        """``method`` as defined by ``cls`` or, failing that, by its base classes of this file
        (None when a base is not a class of this file: it may define it)."""
        scope = self.scopes.scopes.get(id(cls))
        if scope is None or depth > 8:
            return None
        bindings = scope.bindings.get(method, [])
        if bindings:
            node = bindings[-1].node
            return node if bindings[-1].kind == "def" and isinstance(node, cst.FunctionDef) else None
        for base in cls.bases:
            if not isinstance(base.value, cst.Name):
                return None
            parent = self._class_named(base.value.value, Site(scope, 0, (), (), False, ()))
            if parent is None:
                return None
            target = self._method_of(parent, method, depth + 1)
            if target is not None:
                return target
        return None

    def _overrides(self, method: cst.FunctionDef, name: str) -> list[cst.FunctionDef]:
        """Methods ``name`` of this file's subclasses of the class defining ``method``: a
        ``self.name(...)`` call there runs them on their instances."""
        owner = next((s.node for s in self.scopes.iter_scopes() if s.kind == "class" and isinstance(s.node, cst.ClassDef)
                      and method in s.node.body.body), None)
        if owner is None:
            return []
        found: list[cst.FunctionDef] = []
        for scope in self.scopes.iter_scopes():
            cls = scope.node
            if scope.kind != "class" or not isinstance(cls, cst.ClassDef) or cls is owner or not self._derives(cls, owner, 0):
                continue
            bindings = scope.bindings.get(name, [])
            if bindings and bindings[-1].kind == "def" and isinstance(bindings[-1].node, cst.FunctionDef):
                found.append(bindings[-1].node)
        return found

    def _derives(self, cls: cst.ClassDef, base: cst.ClassDef, depth: int) -> bool:
        """``cls`` derives (directly or not, through classes of this file) from ``base``."""
        scope = self.scopes.scopes.get(id(cls))
        if scope is None or depth > 8:
            return False
        for arg in cls.bases:
            if not isinstance(arg.value, cst.Name):
                continue
            parent = self._class_named(arg.value.value, Site(scope, 0, (), (), False, ()))
            if parent is base or (parent is not None and self._derives(parent, base, depth + 1)):
                return True
        return False

    def callers(self, function: cst.FunctionDef) -> list[CallSite]:
        """The call sites of ``function`` in this file (``f(...)``, ``self.f(...)`` also from
        a base class's methods when ``function`` overrides, and ``obj.f(...)`` on an instance of
        a class of this file)."""
        if self._callers is None:
            table: dict[int, list[CallSite]] = {}
            for call_site in self.calls:
                targets: list[cst.FunctionDef] = []
                if call_site.callee is not None:
                    target = self.resolve(call_site.callee, call_site.site)
                    targets = [target] if target is not None else []
                    if target is not None and call_site.callee[0] == "self":
                        targets.extend(self._overrides(target, call_site.callee[1]))
                elif call_site.instance is not None:
                    targets = self.resolve_method(call_site.instance, call_site.site)
                for target in targets:
                    table.setdefault(id(target), []).append(call_site)
            self._callers = table
        return self._callers.get(id(function), [])

    def passed_as_value(self, function: cst.FunctionDef) -> bool:
        """``function`` is handed to another call (``map(f, xs)``): its arguments are unseen."""
        name = function.name.value
        return any(name in call_site.references for call_site in self.calls)

    def reaching(self, direct: set[int]) -> set[int]:
        """ids of the functions that are in ``direct`` or call (directly or not) one of them."""
        found = set(direct)
        changed = True
        while changed:
            changed = False
            for call_site in self.calls:
                caller = call_site.site.function
                if caller is None or id(caller) in found or call_site.callee is None:
                    continue
                target = self.resolve(call_site.callee, call_site.site)
                if target is not None and id(target) in found:
                    found.add(id(caller))
                    changed = True
        return found

    def call_targets(self, call_site: CallSite) -> cst.FunctionDef | None:
        return self.resolve(call_site.callee, call_site.site) if call_site.callee is not None else None

    # -- training code ---------------------------------------------------------------------

    def training_functions(self) -> set[int]:
        """ids of the functions that are training code (entry points, then what they call)."""
        if self._training is not None:
            return self._training
        training: set[int] = set(self._gradient_functions)
        for scope in self.scopes.iter_scopes():
            node = scope.node
            if isinstance(node, cst.FunctionDef):
                name = node.name.value
                if name in TRAINING_FUNCTION_NAMES or name.lstrip("_").startswith("train"):
                    training.add(id(node))
        changed = True
        while changed:
            changed = False
            for call_site in self.calls:
                if not self._site_is_training(call_site.site, training):
                    continue
                targets: list[cst.FunctionDef] = []
                if call_site.callee is not None:
                    target = self.resolve(call_site.callee, call_site.site)
                    if target is not None:
                        targets.append(target)
                for name in call_site.references:
                    target = self.resolve(("name", name), call_site.site)
                    if target is not None:
                        targets.append(target)
                for target in targets:
                    if id(target) not in training:
                        training.add(id(target))
                        changed = True
        self._training = training
        return training

    def _site_is_training(self, site: Site, training: set[int]) -> bool:
        if site.tape or any(loop in self._gradient_loops for loop in site.loops):
            return True
        return any(id(function) in training for function in site.functions)

    def is_training(self, site: Site) -> bool:
        return self._site_is_training(site, self.training_functions())
