"""The construction order of a model factory: which automatic name each layer may get.

Keras 3 names a layer (without ``name=``) with the snake_case of its class made unique by a
counter per name that lives in the process (``lstm``, ``lstm_1``, ...). :func:`simulate` replays
a factory call abstractly on the file's semantic model and gives every constructor call the
counters it may take:

* Python's evaluation order (a constructor runs after its arguments: ``Bidirectional(LSTM(4))``
  makes the LSTM first);
* module-level code first (the probe subprocess imports the module, in a fresh process, before
  it calls the factory; ``if __name__ == "__main__":`` does not run then);
* helper functions of the file inlined where they are called, custom layer classes with the
  sublayers their ``__init__`` makes (around ``super().__init__``, which names the layer);
* loops with a known trip count (``range(3)``, a literal list) counted exactly;
* everything uncertain widens a counter to a range: ``if`` arms, loops of unknown length,
  ``keras.ops`` calls (they take a counter only on symbolic tensors), calls into other modules
  and ``build`` methods that make layers (they may build layers of any name).

Explicit names (``name="..."``, partly known ``f"block{i}_conv"``, a class passing ``name=`` to
``super().__init__``) take no counter. Nothing is imported or run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from kerascheck.findings import Location
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.semantic import Scope, Site

#: Probes whose findings on a user-defined layer are about what its ``call`` does: reported
#: at the ``call`` def of that class rather than where the layer is constructed.
BEHAVIOUR_PROBES = frozenset({"KP101", "KP102", "KP103", "KP107", "KP202"})
#: Modules whose functions never construct Keras layers (calls into them are not opaque).
_INERT_MODULES = ("numpy", "math", "random", "os", "sys", "pathlib", "json", "logging", "functools", "itertools",
                  "collections", "typing", "dataclasses", "warnings", "time", "re", "pandas", "scipy", "sklearn",
                  "tensorflow.random", "tensorflow.math", "tensorflow.config", "tensorflow.nn", "keras.utils",
                  "keras.backend", "keras.initializers", "keras.regularizers", "keras.constraints", "keras.optimizers",
                  "keras.losses", "keras.metrics", "keras.callbacks", "keras.activations")
_MODEL_CLASSES = {"keras.Sequential": "Sequential", "keras.models.Sequential": "Sequential",
                  "keras.Model": "Functional", "keras.models.Model": "Functional"}
_INPUTS = frozenset({"keras.Input", "keras.layers.Input"})
_AUTO_SUFFIX = re.compile(r"^(?P<prefix>.+)_(?P<index>\d+)$")
_MAX_INLINE_DEPTH = 6


def to_snake_case(name: str) -> str:
    """Keras 3's ``keras.src.utils.naming.to_snake_case`` (how a class name becomes a layer name)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


@dataclass(frozen=True)
class LayerSite:
    """One place that constructs layers of the factory's model (a loop's site builds several).

    ``location`` spans the constructor call; ``class_location`` spans the user-defined class
    (None for Keras's own layers) and ``call_location`` its ``call`` def.
    """

    class_name: str
    location: Location
    class_location: Location | None = None
    call_location: Location | None = None

    def location_for(self, code: str) -> Location:
        """Where a finding of probe ``code`` about this layer belongs."""
        if code in BEHAVIOUR_PROBES and self.call_location is not None:
            return self.call_location
        return self.location

    def anchors(self) -> tuple[Location, ...]:
        """The source spans that are "this layer" for agreement: the constructor call, and
        the user-defined class when there is one."""
        return (self.location,) if self.class_location is None else (self.location, self.class_location)


@dataclass(frozen=True)
class Construction:
    """One construction (or a loop's many) in simulated order. ``site`` None: layers built
    where the file does not show (another module, ``build``), possibly of any name."""


    site: LayerSite | None
    prefix: str | None
    #: Automatic-name indices this construction may get: ``[low, high]``, high None = unbounded.
    low: int = 0
    high: int | None = 0
    #: Explicit name: known text, or a known head/tail (``f"conv_{i}"``), or unknown (any name).
    name: str | None = None
    name_head: str = ""
    name_tail: str = ""
    named: bool = False
    any_name: bool = False
    #: Invisible code ran here (``site`` None): any automatic name from these counters on.
    opaque_from: tuple[tuple[str, int], ...] | None = None

    def may_be_named(self, name: str) -> bool:
        """A layer this construction makes may be called ``name``."""
        if self.any_name:
            return True
        if self.opaque_from is not None:
            lows = dict(self.opaque_from)
            return any(index >= lows.get(prefix, 0) for prefix, index in _auto_parts(name))
        if self.named:
            if self.name is not None:
                return self.name == name
            return name.startswith(self.name_head) and name.endswith(self.name_tail) and len(name) >= len(self.name_head) + len(self.name_tail)
        if self.prefix is None:
            return False
        for prefix, index in _auto_parts(name):
            if prefix == self.prefix and index >= self.low and (self.high is None or index <= self.high):
                return True
        return False


def _auto_parts(name: str) -> list[tuple[str, int]]:
    """``lstm_2`` → ``[("lstm_2", 0), ("lstm", 2)]``: every (prefix, counter) Keras could have
    made the name from (``lstm`` is counter 0; a prefix may itself end in ``_<digits>``)."""
    parts = [(name, 0)]
    match = _AUTO_SUFFIX.match(name)
    if match is not None:
        parts.append((match["prefix"], int(match["index"])))
    return parts


def simulate(context: FileContext, sites: dict[int, Site], module: cst.Module, function: cst.FunctionDef) -> list[Construction]:
    """The constructions of importing ``module`` and then calling ``function`` (``sites``: the
    walk position of each call, so names in arguments resolve where they are)."""
    simulation = _Simulation(context, sites)
    simulation.run_module(module)
    simulation.run_factory(function)
    return simulation.events


@dataclass(frozen=True)
class _Count:
    """How many times code runs: at least ``low``, at most ``high`` (None: no known bound)."""

    low: int
    high: int | None

    def times(self, other: _Count) -> _Count:
        high = None if self.high is None or other.high is None else self.high * other.high
        return _Count(self.low * other.low, high)

    def optional(self) -> _Count:
        return _Count(0, self.high)

    @property
    def never(self) -> bool:
        return self.high == 0


_ONCE = _Count(1, 1)
_ANY = _Count(0, None)


class _Simulation:
    """Runs a factory's construction order abstractly, giving each construction its possible
    automatic-name counters."""

    def __init__(self, context: FileContext, sites: dict[int, Site]) -> None:
        self.context = context
        self.semantic = context.semantic
        self.sites = sites
        self.events: list[Construction] = []
        #: prefix -> (low, high) of the next automatic index.
        self.counters: dict[str, tuple[int, int | None]] = {}
        #: Once code we cannot see may have built layers, every counter's high is unbounded.
        self.unbounded = False
        self._active: list[cst.CSTNode] = []
        self._site_cache: dict[tuple[int, str], LayerSite] = {}

    # -- entry points --------------------------------------------------------------------------

    def run_module(self, module: cst.Module) -> None:
        """Module-level code, as importing the module runs it (``__main__`` blocks do not run)."""
        self._block(module.body, _ONCE)

    def run_factory(self, function: cst.FunctionDef) -> None:
        self._function(function, _ONCE)

    # -- statements ------------------------------------------------------------------------

    def _block(self, statements: Sequence[cst.CSTNode], count: _Count) -> None:
        for statement in statements:
            self._statement(statement, count)

    def _statement(self, node: cst.CSTNode, count: _Count) -> None:
        if count.never or isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return  # a def runs nothing until called (decorators and defaults aside)
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self._expression(small, count)
        elif isinstance(node, cst.If):
            if _is_main_guard(node):
                return
            self._expression(node.test, count)
            self._block(node.body.body, count.optional())
            if node.orelse is not None:
                orelse = node.orelse
                self._statement(orelse, count) if isinstance(orelse, cst.If) else self._block(orelse.body.body, count.optional())
        elif isinstance(node, cst.For):
            self._expression(node.iter, count)
            self._block(node.body.body, count.times(self._trips(node.iter, node)))
            if node.orelse is not None:
                self._block(node.orelse.body.body, count.optional())
        elif isinstance(node, cst.While):
            self._expression(node.test, count)
            self._block(node.body.body, count.times(_ANY))
        elif isinstance(node, (cst.With)):
            for item in node.items:
                self._expression(item.item, count)
            self._block(node.body.body, count)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self._block(node.body.body, count)
            for handler in node.handlers:
                self._block(handler.body.body, count.optional())
            if node.orelse is not None:
                self._block(node.orelse.body.body, count.optional())
            if node.finalbody is not None:
                self._block(node.finalbody.body.body, count)
        elif isinstance(node, cst.Match):
            self._expression(node.subject, count)
            for case in node.cases:
                self._block(case.body.body, count.optional())
        elif isinstance(node, cst.IndentedBlock):
            self._block(node.body, count)

    # -- expressions (Python's evaluation order) ------------------------------------------------

    def _expression(self, node: cst.CSTNode, count: _Count) -> None:
        if count.never or isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            self._comprehension(node, count)
            return
        if isinstance(node, cst.IfExp):
            self._expression(node.test, count)
            self._expression(node.body, count.optional())
            self._expression(node.orelse, count.optional())
            return
        if isinstance(node, cst.BooleanOperation):
            self._expression(node.left, count)
            self._expression(node.right, count.optional())
            return
        for child in node.children:
            self._expression(child, count)
        if isinstance(node, cst.Call):
            self._call(node, count)

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, count: _Count) -> None:
        inner = count
        clause: cst.CompFor | None = node.for_in
        first = True
        while clause is not None:
            self._expression(clause.iter, count if first else inner)
            inner = inner.times(self._trips(clause.iter, clause))
            if clause.ifs:
                inner = inner.optional()
            clause, first = clause.inner_for_in, False
        if isinstance(node, cst.DictComp):
            self._expression(node.key, inner)
            self._expression(node.value, inner)
        else:
            self._expression(node.elt, inner)

    def _trips(self, iterable: cst.BaseExpression, where: cst.CSTNode) -> _Count:
        """How many times a loop over ``iterable`` runs, when the file shows it."""
        if isinstance(iterable, (cst.List, cst.Tuple)) and not any(isinstance(e, cst.StarredElement) for e in iterable.elements):
            return _Count(len(iterable.elements), len(iterable.elements))
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "range":
            site = self.sites.get(id(iterable))
            numbers = [self.semantic.int_value(a.value, site) for a in iterable.args if a.keyword is None]
            if numbers and all(n is not None for n in numbers) and len(numbers) <= 3 and not iterable.args[-1].star:
                trips = len(range(*numbers))  # type: ignore[arg-type]
                return _Count(trips, trips)
        return _ANY

    # -- calls -----------------------------------------------------------------------------

    def _call(self, call: cst.Call, count: _Count) -> None:
        context = self.context
        qualified = context.qualified(call.func)
        site = self.sites.get(id(call))
        if qualified is not None:
            if qualified in _INPUTS:
                self._construct(call, "InputLayer", count, site)
            elif qualified in _MODEL_CLASSES:
                self._construct(call, _MODEL_CLASSES[qualified], count, site)
            elif qualified.startswith("keras.layers.") and qualified.rsplit(".", 1)[-1][:1].isupper():
                self._construct(call, qualified.rsplit(".", 1)[-1], count, site)
            elif qualified.startswith("keras.ops."):
                # A ``keras.ops`` call on symbolic tensors creates an auto-named Operation
                # (``ops.add`` takes the counter ``layers.Add`` uses); on eager ones none.
                self._bump(to_snake_case(qualified.rsplit(".", 1)[-1]), count.optional(), None)
            elif not qualified.startswith(("keras.", "tensorflow.", "builtins.")) and not _inert(qualified) and "." in qualified:
                self._opaque(count)  # a function of another module may build any layers
            return
        local_class = self._local_class(call, site)
        if local_class is not None:
            self._construct_class(call, local_class, count, site)
            return
        function = self._local_function(call, site)
        if function is not None:
            self._function(function, count)

    def _local_class(self, call: cst.Call, site: Site | None) -> cst.ClassDef | None:
        if not isinstance(call.func, cst.Name) or site is None:
            return None
        bindings = self.semantic.lookup(call.func.value, site)
        if len(bindings) != 1 or bindings[0].kind != "class" or not isinstance(bindings[0].node, cst.ClassDef):
            return None
        node = bindings[0].node
        return node if self._is_layer_class(node, 0) else None

    def _is_layer_class(self, node: cst.ClassDef, depth: int) -> bool:
        """A subclass of a Keras layer or model, directly or through classes of this file."""
        if depth > 8:
            return False
        for base in node.bases:
            qualified = self.context.qualified(base.value) or ""
            if qualified.startswith("keras.layers.") or qualified in ("keras.Model", "keras.models.Model", "keras.Layer", "keras.Sequential"):
                return True
            if isinstance(base.value, cst.Name):
                local = next((b.node for b in self.semantic.scopes.module_scope.bindings.get(base.value.value, ()) if b.kind == "class"), None)
                if isinstance(local, cst.ClassDef) and self._is_layer_class(local, depth + 1):
                    return True
        return False

    def _local_function(self, call: cst.Call, site: Site | None) -> cst.FunctionDef | None:
        """A function of this file that ``call`` runs (``helper(x)``, ``cls.block(x)``)."""
        if site is None:
            return None
        found = self.semantic.function_called(call, site)
        if found is not None:
            return found
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and site.function is not None:
            owner = self._owner_class(site)
            if owner is not None and func.value.value in ("cls", owner.name.value):
                return next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == func.attr.value), None)
        return None

    def _owner_class(self, site: Site) -> cst.ClassDef | None:
        scope: Scope | None = site.scope
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        return scope.node if scope is not None and isinstance(scope.node, cst.ClassDef) else None

    def _function(self, function: cst.FunctionDef, count: _Count) -> None:
        statements = function.body.body if isinstance(function.body, cst.IndentedBlock) else [function.body]
        self._block_guarded(function, statements, count)

    # -- constructions -----------------------------------------------------------------------

    def _construct(self, call: cst.Call, class_name: str, count: _Count, site: Site | None,
                   cls: cst.ClassDef | None = None, default_name: cst.BaseExpression | None = None) -> None:
        layer_site = self._layer_site(call, class_name, cls)
        given = ah.keyword(call, "name")
        name_expr = given.value if given is not None else default_name
        if name_expr is None and any(a.star == "**" for a in call.args):
            self.events.append(Construction(layer_site, None, named=True, any_name=True))
            return
        if name_expr is not None and not (isinstance(name_expr, cst.Name) and name_expr.value == "None"):
            value = self.semantic.value_of(name_expr, site) if site is not None else self.semantic.value_of(name_expr)
            if value.text is not None:
                self.events.append(Construction(layer_site, None, name=value.text, named=True))
            elif value.is_string and (value.head or value.tail):
                self.events.append(Construction(layer_site, None, name_head=value.head, name_tail=value.tail, named=True))
            else:
                self.events.append(Construction(layer_site, None, named=True, any_name=True))
            return
        self._bump(to_snake_case(class_name), count, layer_site)

    def _bump(self, prefix: str, count: _Count, layer_site: LayerSite | None) -> None:
        low, high = self.counters.get(prefix, (0, None if self.unbounded else 0))
        if count.high != 0 and layer_site is not None:
            last = None if high is None or count.high is None else high + count.high - 1
            self.events.append(Construction(layer_site, prefix, low=low, high=last))
        new_high = None if high is None or count.high is None else high + count.high
        self.counters[prefix] = (low + count.low, new_high)

    def _opaque(self, count: _Count) -> None:
        """Code the simulation cannot see ran: it may have built layers of any class and name."""
        if count.never:
            return
        self.unbounded = True
        self.events.append(Construction(None, None, opaque_from=tuple((prefix, low) for prefix, (low, _) in self.counters.items())))
        self.counters = {prefix: (low, None) for prefix, (low, _) in self.counters.items()}

    def _construct_class(self, call: cst.Call, cls: cst.ClassDef, count: _Count, site: Site | None) -> None:
        """A user-defined layer: its ``__init__`` makes sublayers around the point where
        ``super().__init__`` names it; its ``build`` may make more, later."""
        init = _method(cls, "__init__")
        default_name = _super_init_name(init) if init is not None else None
        if init is None:
            self._construct(call, cls.name.value, count, site, cls, default_name)
        else:
            before, after = _split_at_super_init(init)
            self._block_guarded(init, before, count)
            self._construct(call, cls.name.value, count, site, cls, default_name)
            self._block_guarded(init, after, count)
        build = _method(cls, "build")
        if build is not None and _makes_calls(build):
            self._opaque(count)  # ``build`` runs when the layer first sees an input

    def _block_guarded(self, function: cst.FunctionDef, statements: Sequence[cst.CSTNode], count: _Count) -> None:
        if function in self._active or len(self._active) >= _MAX_INLINE_DEPTH:
            if _makes_calls(function):
                self._opaque(count)  # recursion or deep helpers: what they build is not followed
            return
        self._active.append(function)
        try:
            self._block(statements, count)
        finally:
            self._active.pop()

    def _layer_site(self, call: cst.Call, class_name: str, cls: cst.ClassDef | None) -> LayerSite:
        key = (id(call), class_name)
        cached = self._site_cache.get(key)
        if cached is not None:
            return cached
        context = self.context
        call_def = _method(cls, "call") if cls is not None else None
        made = LayerSite(
            class_name,
            context.location(call),
            context.location(cls) if cls is not None else None,
            context.location(call_def) if call_def is not None else None,
        )
        self._site_cache[key] = made
        return made


def _inert(qualified: str) -> bool:
    return qualified.startswith(tuple(f"{m}." for m in _INERT_MODULES)) or qualified in _INERT_MODULES


def _is_main_guard(node: cst.If) -> bool:
    test = node.test
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and test.left.value == "__name__"
        and any(isinstance(c.comparator, cst.SimpleString) and "__main__" in c.comparator.value for c in test.comparisons)
    )


def _method(cls: cst.ClassDef | None, name: str) -> cst.FunctionDef | None:
    if cls is None:
        return None
    return next((s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def _is_super_init(node: cst.CSTNode) -> bool:
    """``super().__init__(...)`` (or ``super(Cls, self).__init__``, ``Base.__init__(self, ...)``)."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute) or node.func.attr.value != "__init__":
        return False
    owner = node.func.value
    if isinstance(owner, cst.Call):
        return isinstance(owner.func, cst.Name) and owner.func.value == "super"
    return isinstance(owner, (cst.Name, cst.Attribute))


def _super_init_call(init: cst.FunctionDef) -> cst.Call | None:
    found: list[cst.Call] = []

    class _Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if not found and _is_super_init(node):
                found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is init

    init.visit(_Finder())
    return found[0] if found else None


def _super_init_name(init: cst.FunctionDef) -> cst.BaseExpression | None:
    """A literal ``name=`` the class passes to ``super().__init__`` (its instances' name)."""
    call = _super_init_call(init)
    value = ah.keyword_value(call, "name") if call is not None else None
    return value if ah.string_value(value) is not None else None


def _split_at_super_init(init: cst.FunctionDef) -> tuple[list[cst.CSTNode], list[cst.CSTNode]]:
    """``__init__``'s statements before and after the one calling ``super().__init__``."""
    statements: list[cst.CSTNode] = list(init.body.body) if isinstance(init.body, cst.IndentedBlock) else [init.body]
    call = _super_init_call(init)
    if call is None:
        return [], statements
    for index, statement in enumerate(statements):
        if _contains(statement, call):
            return statements[:index], statements[index + 1:]
    return [], statements


def _contains(tree: cst.CSTNode, target: cst.CSTNode) -> bool:
    if tree is target:
        return True
    return any(_contains(child, target) for child in tree.children)


def _makes_calls(function: cst.FunctionDef) -> bool:
    """``function`` constructs something other than weights (``add_weight`` makes no layer)."""
    found: list[bool] = []

    class _Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if name[:1].isupper():
                found.append(True)

    function.visit(_Finder())
    return bool(found)
