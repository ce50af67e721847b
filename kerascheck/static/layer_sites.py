"""Where in the source each layer of a factory's model is constructed (static, no TensorFlow).

A probe names layers by their Keras name (``lstm_1``, ``encoder/dense``). This module finds the
line that constructed each of them, from the factory's source and the file's semantic model,
and moves probe findings there (:func:`map_probe_findings`):

* explicit ``name=`` values and Keras 3's automatic names by construction order come from
  :mod:`kerascheck.static.layer_order`, which replays the factory call;
* a layer name maps to a site only when exactly one construction site can carry it; otherwise
  the finding stays on the factory's ``def`` line. Mapping is never a guess: a loop's site
  carries every layer the loop builds, and an ambiguous name maps nowhere;
* behaviour of a user-defined layer (its ``call``) is reported at that class's ``call`` def.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

import libcst as cst

from kerascheck.findings import Finding, Location
from kerascheck.records import record
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.layer_order import Construction, LayerSite, simulate
from kerascheck.static.semantic import Site

#: Wrapper layers name their copies of the wrapped layer ``forward_<name>``/``backward_<name>``.
_WRAPPER_PREFIXES = ("forward_", "backward_")


@record
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
    _events: tuple[Construction, ...] = dataclasses.field(default=(), repr=False, compare=False)

    def site_of(self, layer_path: str) -> LayerSite | None:
        """The site that constructed the layer at ``layer_path`` (``outer/inner``), innermost
        component first (a Keras-internal sublayer, or an inner name several sites may carry,
        maps to the layer that contains it), or None when no single site can have made it."""
        for component in reversed([part for part in layer_path.split("/") if part]):
            for candidate in _name_variants(component):
                found = self._unique_site(candidate)
                if found is not None:
                    return found
            # No single site for this component (several may carry its name, or none):
            # the layer that contains it is still a right place, never a guessed one.
        return None

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
    try:
        events = tuple(simulate(analysis.context, analysis.sites, analysis.module, function))
    except RecursionError:  # a pathological file: no mapping rather than a crash
        return None
    sites = tuple(dict.fromkeys(e.site for e in events if e.site is not None))
    context = analysis.context
    return FactorySites(str(path), factory, context.def_location(function), context.location(function), sites, events)


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
        try:
            models = semantic.models_of(method[0], site)
        except RecursionError:  # the semantic model on a self-recursive factory
            continue
        for model in models:
            if model.origin == "factory" and isinstance(model.definition, cst.FunctionDef):
                found.add(_qualname(analysis, model.definition))
            elif model.is_keras and model.site.function is not None:
                found.add(_qualname(analysis, model.site.function))
    return frozenset(found)


@record(eq=False)
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
        elif isinstance(node, (cst.For, cst.CompFor)):  # what a loop iterates over (its values)
            self.sites[id(node.iter)] = self.context.semantic.here()
        elif isinstance(node, (cst.If, cst.CompIf)):  # a test the replay may decide
            self.sites[id(node.test)] = self.context.semantic.here()
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handler = getattr(self.context, "leave_" + type(original_node).__name__, None)
        if handler is not None:
            handler(original_node)
