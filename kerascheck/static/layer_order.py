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

import libcst as cst

from kerascheck.findings import Location
from kerascheck.records import record
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
#: Loops up to this many known iterations are replayed one iteration after another (their
#: constructions interleave: ``conv2d``, ``batch_normalization``, ``conv2d_1``, ...).
_MAX_UNROLL = 64
#: Loop iterations replayed per factory in all; beyond it loops count as of unknown length
#: (nested known loops would otherwise multiply: a bound on time, never a wrong answer).
_REPLAY_BUDGET = 4000
#: Expressions replayed per phase (importing the module, calling the factory): beyond it the
#: rest of that phase counts as code that may build any layers (a bound on time, never a
#: wrong answer: a long training script at module level must not stall the mapping).
_STEP_BUDGET = 60000
#: ``keras.layers.add(...)`` and friends construct the layer class of the same name.
_MERGE_FUNCTIONS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average", "maximum": "Maximum",
                    "minimum": "Minimum", "concatenate": "Concatenate", "dot": "Dot"}
#: Keras layers that make automatically named sublayers when they are built (Keras 3.15
#: source: ``MultiHeadAttention._build_attention`` makes a ``Softmax`` and a ``Dropout``).
_INTERNAL_SUBLAYERS = {"MultiHeadAttention": ("softmax", "dropout"), "GroupedQueryAttention": ("softmax", "dropout"),
                       "GroupQueryAttention": ("softmax", "dropout"), "TextVectorization": ("string_lookup",)}
#: Functions that build whole models, some of whose layers take automatic names.
_PREBUILT_MODELS = ("keras.applications.",)


def to_snake_case(name: str) -> str:
    """Keras 3's ``keras.src.utils.naming.to_snake_case`` (how a class name becomes a layer name)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


@record
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


@record
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


@record
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
        #: Known values while replaying, innermost last: ``("call", {parameter: argument})``
        #: for a helper call (a scope boundary), ``("loop", {target: element})`` for one
        #: iteration of a loop over known values.
        self._frames: list[tuple[str, dict[str, tuple[cst.BaseExpression, Site | None]]]] = []
        self._site_cache: dict[tuple[int, str], LayerSite] = {}
        #: Constructor calls called right away (``Layer(...)(x)``): built at that call.
        self._called_now: set[int] = set()
        self._budget = _REPLAY_BUDGET
        self._steps = _STEP_BUDGET
        #: Per node (the tree is fixed): its children, whether it may exit early (by ``loops``),
        #: the names it rebinds. libcst computes ``children`` with a whole visit each time.
        self._children_memo: dict[int, Sequence[cst.CSTNode]] = {}
        self._exit_memo: dict[tuple[int, bool], bool] = {}
        self._rebound_memo: dict[int, set[str]] = {}

    # -- entry points --------------------------------------------------------------------------

    def run_module(self, module: cst.Module) -> None:
        """Module-level code, as importing the module runs it (``__main__`` blocks do not run)."""
        self._steps = _STEP_BUDGET
        self._block(module.body, _ONCE)

    def run_factory(self, function: cst.FunctionDef) -> None:
        self._steps = _STEP_BUDGET
        self._function(function, _ONCE)

    def _exhausted(self, count: _Count) -> bool:
        """Spend one step; once the phase's budget is gone, the rest of it is opaque."""
        self._steps -= 1
        if self._steps == 0:
            self._opaque(count)
        return self._steps < 0

    def _kids(self, node: cst.CSTNode) -> Sequence[cst.CSTNode]:
        found = self._children_memo.get(id(node))
        if found is None:
            found = self._children_memo[id(node)] = node.children
        return found

    def _may_exit(self, node: cst.CSTNode, loops: bool = True) -> bool:
        """``node`` may leave its block early: a ``return``/``raise`` (and with ``loops``, a
        ``break``/``continue``) inside it, not in a nested function, class or lambda; loops
        nested in it keep their own ``break``/``continue``."""
        key = (id(node), loops)
        known = self._exit_memo.get(key)
        if known is not None:
            return known
        if isinstance(node, (cst.Return, cst.Raise)):
            result = True
        elif isinstance(node, (cst.Break, cst.Continue)):
            result = loops
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            result = False
        else:
            inner = loops and not isinstance(node, (cst.For, cst.While))
            result = any(self._may_exit(child, inner) for child in self._kids(node))
        self._exit_memo[key] = result
        return result

    def _rebound(self, tree: cst.CSTNode) -> set[str]:
        found = self._rebound_memo.get(id(tree))
        if found is None:
            found = self._rebound_memo[id(tree)] = _assigned_names(tree)
        return found

    # -- statements ------------------------------------------------------------------------

    def _block(self, statements: Sequence[cst.CSTNode], count: _Count) -> None:
        for statement in statements:
            if self._statement(statement, count):  # ``if x: return`` / ``continue``: the rest may not run
                count = count.optional()

    def _statement(self, node: cst.CSTNode, count: _Count) -> bool:
        """Replay one statement; whether it may leave the block early."""
        if count.never or isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return False  # a def runs nothing until called (decorators and defaults aside)
        if isinstance(node, cst.If):
            return self._if(node, count)
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self._expression(small, count)
        elif isinstance(node, cst.For):
            self._expression(node.iter, count)
            self._for(node, count)
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
        return self._may_exit(node)

    def _if(self, node: cst.If, count: _Count) -> bool:
        """Only the arm a known test takes runs (``if stride != 1`` with ``stride`` bound)."""
        if _is_main_guard(node):
            return False
        self._expression(node.test, count)
        taken = self._truth(node.test, self.sites.get(id(node.test)))
        orelse = node.orelse
        exits = False
        if taken is not False:
            self._block(node.body.body, count if taken else count.optional())
            exits |= self._may_exit(node.body)
        if orelse is not None and taken is not True:
            arm = count if taken is False else count.optional()
            if isinstance(orelse, cst.If):
                exits |= self._if(orelse, arm)
            else:
                self._block(orelse.body.body, arm)
                exits |= self._may_exit(orelse.body)
        return exits

    # -- known values ----------------------------------------------------------------------

    def _truth(self, test: cst.BaseExpression, site: Site | None) -> bool | None:
        """The truth of a test when it is known from literals, module constants and the
        values bound while replaying (``stride != 1``, ``use_bn``, ``not residual``)."""
        if isinstance(test, cst.BooleanOperation):
            left, right = self._truth(test.left, site), self._truth(test.right, site)
            if isinstance(test.operator, cst.And):
                return False if False in (left, right) else (True if left is True and right is True else None)
            return True if True in (left, right) else (False if left is False and right is False else None)
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._truth(test.expression, site)
            return None if inner is None else not inner
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            known, left_value = self._constant(test.left, site)
            known_right, right_value = self._constant(test.comparisons[0].comparator, site)
            if not (known and known_right):
                return None
            return _compare(test.comparisons[0].operator, left_value, right_value)
        known, value = self._constant(test, site)
        return bool(value) if known else None

    def _constant(self, expr: cst.BaseExpression, site: Site | None) -> tuple[bool, object]:
        """(known, value) of a literal, a module constant or a value bound while replaying
        (``site``: where ``expr`` is read; None for a parameter default)."""
        expr, site = self._argument(expr, site)
        if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
            return True, {"True": True, "False": False, "None": None}[expr.value]
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and isinstance(expr.expression, (cst.Integer, cst.Float)):
            return True, -expr.expression.evaluated_value
        if isinstance(expr, (cst.Integer, cst.Float)):
            return True, expr.evaluated_value
        if site is None and not _is_literal(expr):
            return False, None  # a default that is not a literal: where it is read is unknown
        value = self.semantic.value_of(expr, site)
        return (True, value.value) if value.is_known else (False, None)

    def _for(self, node: cst.For, count: _Count) -> None:
        """A ``for`` body replayed iteration by iteration when the values are known and few
        (constructions interleave across iterations; the target is bound to each value unless
        the body rebinds it), else once with an unknown multiplicity (every counter it
        touches becomes a range)."""
        body = node.body.body
        values = self._affordable(self._values(node.iter))
        if values is None:
            self._block(body, count.times(_ANY))
            return
        exits = any(self._may_exit(statement, False) for statement in body)
        rebound = self._rebound(node.body)
        for value in values:
            frame = {k: v for k, v in _bind_target(node.target, value, self.sites.get(id(node.iter))).items() if k not in rebound}
            self._frames.append(("loop", frame))
            try:
                self._block(body, count)
            finally:
                self._frames.pop()
            if exits:  # a ``break`` may end the loop early
                count = count.optional()

    # -- expressions (Python's evaluation order) ------------------------------------------------

    def _expression(self, node: cst.CSTNode, count: _Count) -> None:
        if count.never or isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)) or self._exhausted(count):
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
        built_now = node.func if isinstance(node, cst.Call) and isinstance(node.func, cst.Call) else None
        if built_now is not None:
            self._called_now.add(id(built_now))  # ``Layer(...)(x)``: built by this very call
        for child in self._kids(node):
            self._expression(child, count)
        if isinstance(node, cst.Call):
            if built_now is not None:
                self._built(built_now, count)
            self._call(node, count)

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, count: _Count) -> None:
        elements: list[cst.BaseExpression] = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
        self._clause(node.for_in, elements, count)

    def _clause(self, clause: cst.CompFor, elements: list[cst.BaseExpression], count: _Count) -> None:
        """One ``for ... in ... if ...`` of a comprehension, then the inner ones, then the
        element(s), iteration by iteration (as a ``for`` statement)."""
        self._expression(clause.iter, count)
        values = self._affordable(self._values(clause.iter))
        site = self.sites.get(id(clause.iter))
        for value in values if values is not None else [None]:
            inner = count if value is not None else count.times(_ANY)
            frame = _bind_target(clause.target, value, site) if value is not None else {}
            self._frames.append(("loop", frame))
            try:
                if clause.ifs:
                    truths = [self._truth(condition.test, self.sites.get(id(condition.test))) for condition in clause.ifs]
                    if False in truths:
                        continue
                    if None in truths:
                        inner = inner.optional()
                if clause.inner_for_in is not None:
                    self._clause(clause.inner_for_in, elements, inner)
                else:
                    for element in elements:
                        self._expression(element, inner)
            finally:
                self._frames.pop()

    def _affordable(self, values: list[cst.BaseExpression] | None) -> list[cst.BaseExpression] | None:
        """``values`` when replaying that many iterations stays within the budget."""
        if values is None or len(values) > _MAX_UNROLL or len(values) > self._budget:
            return None
        self._budget -= len(values)
        return values

    def _values(self, iterable: cst.BaseExpression, site: Site | None = None) -> list[cst.BaseExpression] | None:
        """The values a loop over ``iterable`` takes, when the file shows them (literal lists,
        ``range`` of known numbers, ``enumerate``; a helper's parameter is read from the
        argument of the call being replayed, a name from its single assignment)."""
        iterable, site = self._argument(iterable, site or self.sites.get(id(iterable)))
        if isinstance(iterable, cst.Name) and site is not None:  # ``for f in FILTERS`` with FILTERS = [...]
            bindings = self.semantic.lookup(iterable.value, site)
            if len(bindings) == 1 and bindings[0].kind in ("assign", "annotation") and bindings[0].value is not None:
                iterable, site = bindings[0].value, bindings[0].site
        if isinstance(iterable, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in iterable.elements):
                return None
            return [e.value for e in iterable.elements]
        if not (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name)) or any(a.star or a.keyword for a in iterable.args):
            return None
        kind = iterable.func.value
        if kind == "enumerate" and len(iterable.args) == 1:
            inner = self._values(iterable.args[0].value, site)
            return None if inner is None else [_pair(cst.Integer(str(i)), v) for i, v in enumerate(inner)]
        if kind == "range" and 1 <= len(iterable.args) <= 3:
            numbers = [value for known, value in (self._constant(a.value, site) for a in iterable.args) if known]
            ints = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]
            if len(ints) == len(iterable.args):
                span = range(*ints)
                return [cst.Integer(str(n)) if n >= 0 else cst.UnaryOperation(cst.Minus(), cst.Integer(str(-n))) for n in span[: _MAX_UNROLL + 1]]
        return None

    def _argument(self, expr: cst.BaseExpression, site: Site | None) -> tuple[cst.BaseExpression, Site | None]:
        """``expr`` itself, or the value it is bound to while replaying: a loop target's
        current element, a helper parameter's argument (followed into the caller's bindings)."""
        index = len(self._frames) - 1
        while index >= 0 and isinstance(expr, cst.Name):
            kind, table = self._frames[index]
            if expr.value in table:
                expr, site = table[expr.value]
            elif kind == "call":
                break  # a helper's own names are not its caller's
            index -= 1
        return expr, site

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
                if id(call) not in self._called_now:
                    self._internal_sublayers(qualified.rsplit(".", 1)[-1], count)
            elif qualified.startswith("keras.layers.") and qualified.rsplit(".", 1)[-1] in _MERGE_FUNCTIONS:
                self._construct(call, _MERGE_FUNCTIONS[qualified.rsplit(".", 1)[-1]], count, site)
            elif qualified.startswith(_PREBUILT_MODELS):
                self._opaque(count)  # ``keras.applications.MobileNetV2()`` builds unnamed layers of its own
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
        if function is None and isinstance(call.func, cst.Name):
            callee, _ = self._argument(call.func, site)  # ``block_fn(x)`` with block_fn=conv_block
            if callee is not call.func and isinstance(callee, cst.Name):
                function = self._named_function(callee.value)
            elif not self._harmless_callee(call.func.value, site):
                self._opaque(count)  # a callable the file does not show (a partial, a parameter)
                return
        if function is not None:
            arguments = _bind_arguments(function, call, site, self._is_method_call(call))
            rebound = self._rebound(function.body)
            self._frames.append(("call", {k: v for k, v in arguments.items() if k not in rebound}))
            try:
                self._function(function, count)
            finally:
                self._frames.pop()

    def _named_function(self, name: str) -> cst.FunctionDef | None:
        """The module-level function ``name`` (a helper handed to another as an argument)."""
        bindings = self.semantic.scopes.module_scope.bindings.get(name, ())
        defs = [b.node for b in bindings if b.kind == "def"]
        return defs[-1] if defs and len(defs) == len(bindings) and isinstance(defs[-1], cst.FunctionDef) else None

    def _harmless_callee(self, name: str, site: Site | None) -> bool:
        """Calling ``name`` constructs no layer: a builtin, or a layer or model instance
        (``dense = Dense(3)`` ... ``dense(x)``); a class of the file that makes no layers."""
        if site is None:
            return True
        bindings = self.semantic.lookup(name, site)
        if not bindings:
            return True  # a builtin (imports resolve to qualified names before this)
        for binding in bindings:
            if binding.kind == "class" and isinstance(binding.node, cst.ClassDef):
                if self._makes_layers(binding.node):
                    return False
                continue
            value = binding.value  # a loop target may hold functions (``for block in blocks``): not harmless
            if not isinstance(value, cst.Call):
                return False
            qualified = self.context.qualified(value.func) or ""
            constructed = (qualified.startswith(("keras.layers.", *_PREBUILT_MODELS)) or qualified in _MODEL_CLASSES
                           or self._local_class(value, binding.site) is not None)
            if not constructed:
                return False
        return True

    def _makes_layers(self, cls: cst.ClassDef) -> bool:
        return any(_makes_calls(method) for method in cls.body.body if isinstance(method, cst.FunctionDef))

    def _is_method_call(self, call: cst.Call) -> bool:
        return isinstance(call.func, cst.Attribute)

    def _built(self, constructor: cst.Call, count: _Count) -> None:
        """``Layer(...)(x)``: a Keras layer that makes automatically named sublayers when
        built makes them now (after the call's arguments), in a known order."""
        qualified = self.context.qualified(constructor.func) or ""
        if qualified.startswith("keras.layers."):
            for prefix in _INTERNAL_SUBLAYERS.get(qualified.rsplit(".", 1)[-1], ()):
                self._bump(prefix, count, None)

    def _internal_sublayers(self, class_name: str, count: _Count) -> None:
        """A Keras layer that makes automatically named sublayers when built (at its first
        call, which the file may or may not make right away): those counters become ranges,
        and the names may belong to layers no site shows."""
        for prefix in _INTERNAL_SUBLAYERS.get(class_name, ()):
            if count.never:
                return
            low, _ = self.counters.get(prefix, (0, 0))
            self.events.append(Construction(None, prefix, low=low, high=None))
            self.counters[prefix] = (low, None)

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


def _bind_arguments(function: cst.FunctionDef, call: cst.Call, site: Site | None, method: bool) -> dict[str, tuple[cst.BaseExpression, Site | None]]:
    """Parameter name -> the argument ``call`` passes (or the default), for replaying
    ``function``'s body as this call runs it; ``*args``/``**kwargs`` calls bind only keywords."""
    params = function.params
    positional = [p for p in (*params.posonly_params, *params.params)]
    if method and positional and positional[0].name.value in ("self", "cls"):
        positional = positional[1:]
    bound: dict[str, tuple[cst.BaseExpression, Site | None]] = {}
    for param in (*positional, *params.kwonly_params):
        if param.default is not None:
            bound[param.name.value] = (param.default, None)
    starred = any(a.star for a in call.args)
    for index, arg in enumerate(a for a in call.args if a.keyword is None and not a.star):
        if not starred and index < len(positional):
            bound[positional[index].name.value] = (arg.value, site)
    for arg in call.args:
        if arg.keyword is not None:
            bound[arg.keyword.value] = (arg.value, site)
    if starred:  # positions unknown: keep only what keywords say
        bound = {name: value for name, value in bound.items() if any(a.keyword is not None and a.keyword.value == name for a in call.args)}
    return bound


def _compare(operator: cst.BaseCompOp, left: object, right: object) -> bool | None:
    try:
        if isinstance(operator, cst.Equal):
            return left == right
        if isinstance(operator, cst.NotEqual):
            return left != right
        if isinstance(operator, cst.Is):
            return left is right
        if isinstance(operator, cst.IsNot):
            return left is not right
        if isinstance(operator, cst.LessThan):
            return left < right  # type: ignore[operator]
        if isinstance(operator, cst.LessThanEqual):
            return left <= right  # type: ignore[operator]
        if isinstance(operator, cst.GreaterThan):
            return left > right  # type: ignore[operator]
        if isinstance(operator, cst.GreaterThanEqual):
            return left >= right  # type: ignore[operator]
    except TypeError:
        return None
    return None


def _pair(first: cst.BaseExpression, second: cst.BaseExpression) -> cst.Tuple:
    return cst.Tuple([cst.Element(first), cst.Element(second)])


Bound = dict[str, tuple[cst.BaseExpression, Site | None]]


def _bind_target(target: cst.BaseAssignTargetExpression, value: cst.BaseExpression, site: Site | None) -> Bound:
    """``for a, b in [(8, 1), ...]``: each name of the target with its part of one element."""
    if isinstance(target, cst.Name):
        return {target.value: (value, site)}
    if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) and len(target.elements) == len(value.elements):
        bound: Bound = {}
        for part, element in zip(target.elements, value.elements, strict=True):
            if isinstance(part, cst.StarredElement) or isinstance(element, cst.StarredElement):
                return {}
            bound.update(_bind_target(part.value, element.value, site))  # type: ignore[arg-type]
        return bound
    return {}


def _assigned_names(tree: cst.CSTNode) -> set[str]:
    """Names (re)bound anywhere in ``tree``: their bound values cannot be trusted there."""
    found: set[str] = set()

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            pass

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            found.update(_names_in(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            found.update(_names_in(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            found.update(_names_in(node.target))

        def visit_For(self, node: cst.For) -> None:
            found.update(_names_in(node.target))

        def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
            found.update(_names_in(node.target))

    tree.visit(_Finder())
    return found


def _names_in(target: cst.CSTNode) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {name for element in target.elements for name in _names_in(element.value)}
    if isinstance(target, cst.StarredElement):
        return _names_in(target.value)
    return set()


def _is_literal(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in ("True", "False", "None")
    if isinstance(expr, cst.UnaryOperation):
        return _is_literal(expr.expression)
    return isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString))
