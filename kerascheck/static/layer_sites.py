"""Where in the source each layer of a factory's model is constructed (static, no TensorFlow).

A probe names layers by their Keras name (``lstm_1``, ``encoder/dense``). This module finds the
line that constructed each of them, from the factory's source and the file's semantic model:

* an explicit ``name="..."`` (also partly known: ``name=f"block{i}_conv"``, and a custom class
  passing ``name=`` to ``super().__init__``);
* otherwise Keras 3's automatic name: the snake_case of the class name made unique by a
  per-process counter per prefix (``lstm``, ``lstm_1``, ...). The factory is *simulated* in
  construction order: Python's evaluation order (a constructor runs after its arguments:
  ``Bidirectional(LSTM(4))`` makes the LSTM first), module-level code first (the probe child
  imports the module, in a fresh process, before it calls the factory), helper functions of
  the file inlined where they are called, custom layer classes with the sublayers their
  ``__init__`` makes, loops with a known trip count (``range(3)``, a literal list), and
  everything uncertain (``if`` arms, unknown loops, ``keras.ops`` calls that name an operation
  only on symbolic tensors, calls into other modules that may build layers) widening the
  counter to a range;
* a layer name maps to a site only when exactly one construction site can carry it; otherwise
  the finding stays on the factory's ``def`` line. Mapping is never a guess: a loop's site
  carries every layer the loop builds, and an ambiguous name maps nowhere.

Behaviour of a user-defined layer (its ``call``) is reported at that class's ``call`` def.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from kerascheck.findings import Finding, Location
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
#: Wrapper layers name their copies of the wrapped layer ``forward_<name>``/``backward_<name>``.
_WRAPPER_PREFIXES = ("forward_", "backward_")


def to_snake_case(name: str) -> str:
    """Keras 3's ``keras.src.utils.naming.to_snake_case`` (how a class name becomes a layer name)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# == data =====================================================================================


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
class FactorySites:
    """The layer sites of one factory function, and how to find the one a layer name means."""

    path: str
    factory: str
    #: The factory's ``def`` line, from ``def`` to the end of its name (where findings about
    #: the whole model go).
    definition: Location
    #: The whole function, ``def`` to the end of its body ("inside the factory").
    body: Location
    sites: tuple[LayerSite, ...]
    _events: tuple[_Event, ...] = dataclasses.field(default=(), repr=False, compare=False)

    def site_of(self, layer_path: str) -> LayerSite | None:
        """The site that constructed the layer at ``layer_path`` (``outer/inner``), innermost
        component first (a Keras-internal sublayer maps to the layer that made it), or None
        when no single site can have made it."""
        for component in reversed([part for part in layer_path.split("/") if part]):
            for candidate in _name_variants(component):
                found = self._unique_site(candidate)
                if found is not None:
                    return found
                if found is None and self._claimed(candidate):
                    return None  # several sites may carry this name: never guess
        return None

    def _claimed(self, name: str) -> bool:
        return len(self._candidates(name)) > 1

    def _unique_site(self, name: str) -> LayerSite | None:
        found = self._candidates(name)
        return found[0] if len(found) == 1 and found[0] is not None else None

    def _candidates(self, name: str) -> list[LayerSite | None]:
        """Distinct sites (None for an invisible one) whose layers may be called ``name``; a
        site giving exactly this ``name=`` outranks automatic names invisible code may make."""
        explicit = list(dict.fromkeys(e.site for e in self._events if e.name == name and e.site is not None))
        if explicit:
            return list(explicit)
        found: list[LayerSite | None] = []
        for event in self._events:
            if event.may_be_named(name) and not any(event.site is f for f in found):
                found.append(event.site)
        return found


@dataclass(frozen=True)
class _Event:
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


def _name_variants(component: str) -> list[str]:
    """A path component, and the wrapped layer's own name for ``Bidirectional``'s copies."""
    variants = [component]
    for prefix in _WRAPPER_PREFIXES:
        if component.startswith(prefix) and len(component) > len(prefix):
            variants.append(component[len(prefix):])
    return variants


# == public entry points ======================================================================


def factory_sites(path: str | Path, factory: str, source: str | None = None) -> FactorySites | None:
    """The layer sites of ``factory`` (``build`` or ``Class.build``) in the file at ``path``;
    None when the file cannot be read or parsed or has no such function."""
    analysis = _analysis(path, source)
    if analysis is None:
        return None
    function = _find_function(analysis.module, factory)
    if function is None:
        return None
    simulation = _Simulation(analysis.context, analysis.sites)
    simulation.run_module(analysis.module)
    simulation.run_factory(function)
    events = tuple(simulation.events)
    sites = tuple(dict.fromkeys(e.site for e in events if e.site is not None))
    context = analysis.context
    return FactorySites(str(path), factory, _def_line(context, function), context.location(function), sites, events)


def _def_line(context: FileContext, function: cst.FunctionDef) -> Location:
    """``def name`` (``async def name``) of ``function``, without decorators or body."""
    name = context.location(function.name)
    lines = context.source.splitlines()
    text = lines[name.line - 1] if 0 < name.line <= len(lines) else ""
    keyword = "async def" if function.asynchronous is not None else "def"
    start = text.rfind(keyword, 0, max(name.column - 1, 0))
    column = start + 1 if start >= 0 else name.column
    return dataclasses.replace(name, column=column)


def factories_using(path: str | Path, line: int, column: int, source: str | None = None) -> frozenset[str]:
    """The functions of the file (qualnames) whose model the model-method call starting at
    ``line:column`` uses (``model = build(); model.predict(x)`` → ``build``; a ``compile``
    inside ``build`` → ``build``). Empty when no such call is there or its model is unknown."""
    analysis = _analysis(path, source)
    if analysis is None:
        return frozenset()
    context = analysis.context
    semantic = context.semantic
    found: set[str] = set()
    for call in analysis.calls:
        method = ah.method_call(call)
        if method is None or context.qualified(call.func) is not None:
            continue
        where = context.location(call)
        if (where.line, where.column) != (line, column):
            continue
        site = analysis.sites.get(id(call))
        for model in semantic.models_of(method[0], site):
            if model.origin == "factory" and isinstance(model.definition, cst.FunctionDef):
                found.add(_qualname(analysis, model.definition))
            elif model.is_keras and model.site.function is not None:
                found.add(_qualname(analysis, model.site.function))
    return frozenset(found)


@dataclass(frozen=True, eq=False)
class _Analysis:
    module: cst.Module
    context: FileContext
    sites: dict[int, Site]
    calls: tuple[cst.Call, ...]


_ANALYSES: dict[tuple[str, str], _Analysis | None] = {}


def _analysis(path: str | Path, source: str | None) -> _Analysis | None:
    """The file's semantic model after a whole walk, with each call's walk position (the last
    few files are kept: mapping and agreement ask about the same file many times)."""
    text = source
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    key = (str(path), text)
    if key in _ANALYSES:
        return _ANALYSES[key]
    result: _Analysis | None = None
    try:
        module = cst.parse_module(text)
        context = FileContext(str(path), text, module)
        recorder = _SiteRecorder(context)
        module.visit(recorder)
        result = _Analysis(module, context, recorder.sites, tuple(recorder.calls))
    except (cst.ParserSyntaxError, RecursionError):
        result = None
    if len(_ANALYSES) >= 16:
        _ANALYSES.pop(next(iter(_ANALYSES)))
    _ANALYSES[key] = result
    return result


def _qualname(analysis: _Analysis, function: cst.FunctionDef) -> str:
    scope = analysis.context.semantic.scopes.scopes.get(id(function))
    parent = scope.parent if scope is not None else None
    if parent is not None and parent.kind == "class" and isinstance(parent.node, cst.ClassDef):
        return f"{parent.node.name.value}.{function.name.value}"
    return function.name.value


def factory_source(label: str, root: str | Path = ".") -> tuple[Path, str] | None:
    """``file.py:fn`` / ``pkg.module:Class.fn`` (a probe target label) → (source file, qualname)
    when the file exists under ``root``; without importing anything."""
    module_part, sep, qualname = label.rpartition(":")
    if not sep or not qualname:
        return None
    base = Path(root)
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        candidates = [Path(module_part) if Path(module_part).is_absolute() else base / module_part]
    else:
        dotted = Path(*module_part.split("."))
        candidates = [base / dotted.with_suffix(".py"), base / dotted / "__init__.py", base / "src" / dotted.with_suffix(".py")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate, qualname
    return None


def map_probe_findings(findings: Iterable[Finding], path: str | Path, factory: str, source: str | None = None,
                       sites: FactorySites | None = None) -> list[Finding]:
    """Probe findings of one factory target, moved to the source lines that built their layers.

    A finding naming one layer goes to that layer's constructor call (or its class's ``call``
    def for behaviour of a user-defined layer); a grouped finding (``extra["layers"]``) becomes
    one finding per distinct site, each keeping the whole message; layers no single site can
    have made, and findings about the whole model, go to the factory's ``def`` line. The layer
    name and the factory are named in the message; ``extra`` keeps the probe target
    (``"factory"``: ``file.py:build``) and the layers (``"layers"``). Findings are
    returned unchanged when the factory cannot be found in the source.
    """
    mapped = sites if sites is not None else factory_sites(path, factory, source)
    items = list(findings)
    if mapped is None:
        return items
    result: list[Finding] = []
    for finding in items:
        result.extend(_relocate(finding, mapped))
    return result


def map_target_findings(findings: Iterable[Finding], labels: Iterable[str], root: str | Path = ".") -> list[Finding]:
    """:func:`map_probe_findings` for every factory target label (``file.py:fn``) of a probe
    run whose source is found under ``root``; other findings (saved models) are unchanged."""
    result = list(findings)
    for label in dict.fromkeys(labels):
        resolved = factory_source(label, root)
        if resolved is None:
            continue
        path, qualname = resolved
        mine = [f for f in result if f.location.path == label]
        if not mine:
            continue
        shown = label.rpartition(":")[0] if label.rpartition(":")[0].endswith(".py") else str(path)
        moved = map_probe_findings(mine, shown, qualname, path.read_text(encoding="utf-8") if path.is_file() else None)
        result = [f for f in result if f.location.path != label] + moved
    return sorted(result, key=Finding.sort_key)


def _relocate(finding: Finding, sites: FactorySites) -> list[Finding]:
    layers = _layers_of(finding)
    target = finding.location.path
    if not layers:
        return [_moved(finding, sites.definition, target, sites.factory, ())]
    groups: dict[Location, list[str]] = {}
    for layer in layers:
        site = sites.site_of(layer)
        where = site.location_for(finding.code) if site is not None else sites.definition
        groups.setdefault(where, []).append(layer)
    return [_moved(finding, where, target, sites.factory, tuple(names)) for where, names in groups.items()]


def _layers_of(finding: Finding) -> tuple[str, ...]:
    extra = dict(finding.extra)
    listed = extra.get("layers")
    if listed:
        return tuple(str(layer) for layer in listed)
    return (finding.location.logical,) if finding.location.logical else ()


def _moved(finding: Finding, where: Location, target: str, factory: str, layers: tuple[str, ...]) -> Finding:
    message = finding.message
    notes = []
    missing = [layer for layer in layers if repr(layer) not in message and layer not in message]
    if missing:
        notes.append(f"layer {', '.join(repr(layer) for layer in missing)}")
    if f"{factory}()" not in message:
        notes.append(f"model built by {factory}()")
    if notes:
        message = f"{message} ({', '.join(notes)})"
    extra = dict(finding.extra)
    extra["factory"] = target
    if layers:
        extra["layers"] = layers
    location = dataclasses.replace(where, logical=None)
    return dataclasses.replace(finding, message=message, location=location, extra=tuple(extra.items()))


# == finding the factory ======================================================================


def _find_function(module: cst.Module, qualname: str) -> cst.FunctionDef | None:
    """A module-level function, or a method ``Class.method`` (static/class methods), by name."""
    body: Sequence[cst.CSTNode] = module.body
    parts = qualname.split(".")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        found: cst.CSTNode | None = None
        for statement in _flat_statements(body):
            if last and isinstance(statement, cst.FunctionDef) and statement.name.value == part:
                found = statement  # the last definition wins, as at import
            elif not last and isinstance(statement, cst.ClassDef) and statement.name.value == part:
                found = statement
        if found is None:
            return None
        if last:
            return found if isinstance(found, cst.FunctionDef) else None
        assert isinstance(found, cst.ClassDef)
        body = found.body.body
    return None


def _flat_statements(body: Sequence[cst.CSTNode]) -> list[cst.CSTNode]:
    """Statements of a block, with those of top-level ``if``/``try`` arms (conditional defs)."""
    flat: list[cst.CSTNode] = []
    for statement in body:
        flat.append(statement)
        if isinstance(statement, (cst.If, cst.Try)):
            flat.extend(_flat_statements(statement.body.body))
    return flat


# == recording sites during the semantic walk ================================================


class _SiteRecorder(cst.CSTVisitor):
    """Feeds a :class:`FileContext` its events (building the semantic model in one walk) and
    remembers the walk position of every call, so names in its arguments resolve as there."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.sites: dict[int, Site] = {}
        self.calls: list[cst.Call] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        handler = getattr(self.context, "visit_" + type(node).__name__, None)
        if handler is not None:
            handler(node)
        if isinstance(node, cst.Call):
            self.sites[id(node)] = self.context.semantic.here()
            self.calls.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handler = getattr(self.context, "leave_" + type(original_node).__name__, None)
        if handler is not None:
            handler(original_node)


# == the simulation ===========================================================================


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
        self.events: list[_Event] = []
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
            self.events.append(_Event(layer_site, None, named=True, any_name=True))
            return
        if name_expr is not None and not (isinstance(name_expr, cst.Name) and name_expr.value == "None"):
            value = self.semantic.value_of(name_expr, site) if site is not None else self.semantic.value_of(name_expr)
            if value.text is not None:
                self.events.append(_Event(layer_site, None, name=value.text, named=True))
            elif value.is_string and (value.head or value.tail):
                self.events.append(_Event(layer_site, None, name_head=value.head, name_tail=value.tail, named=True))
            else:
                self.events.append(_Event(layer_site, None, named=True, any_name=True))
            return
        self._bump(to_snake_case(class_name), count, layer_site)

    def _bump(self, prefix: str, count: _Count, layer_site: LayerSite | None) -> None:
        low, high = self.counters.get(prefix, (0, None if self.unbounded else 0))
        if count.high != 0 and layer_site is not None:
            last = None if high is None or count.high is None else high + count.high - 1
            self.events.append(_Event(layer_site, prefix, low=low, high=last))
        new_high = None if high is None or count.high is None else high + count.high
        self.counters[prefix] = (low + count.low, new_high)

    def _opaque(self, count: _Count) -> None:
        """Code the simulation cannot see ran: it may have built layers of any class and name."""
        if count.never:
            return
        self.unbounded = True
        self.events.append(_Event(None, None, opaque_from=tuple((prefix, low) for prefix, (low, _) in self.counters.items())))
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
