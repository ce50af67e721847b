"""Model factories of a file, found statically: what ``kerascheck check --probe`` may build.

A *factory* is a function at module level, or a ``@staticmethod``/``@classmethod`` of a class
at module level, that returns a Keras model the semantic model can see being made (a
``Sequential``, a functional ``Model(inputs, outputs)``, an instance of a model subclass of the
file, or what another factory of the file returns; directly or through a name bound to one),
and that can be called with no argument: every parameter has a literal default (``units=8``,
``name="m"``, ``shape=(4,)``) or is ``*args``/``**kwargs``.

Functions that return a model but cannot be called that way are *skipped*, each with the
reason (which parameter needs a value, which decorator wraps it, that it loads a saved model
rather than building one, or that it trains the model: calling it would run the training).
A file whose module-level code trains, predicts or saves a model outside an
``if __name__ == "__main__":`` block is skipped as a whole: importing it (which probing its
factories must do) would run that code.

Nothing here imports or runs the code; it reads it (the static path never imports TensorFlow).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from kerascheck.findings import Location
from kerascheck.records import record
from kerascheck.static.context import FileContext, analyse
from kerascheck.static.semantic.keras_models import ModelObject
from kerascheck.static.semantic.scopes import Site

#: Model origins that are built by the code (a factory that loads a file is not building one).
_BUILT = frozenset({"sequential", "functional", "subclass", "factory"})
#: Model methods that, run at module level, make importing the file do real work.
_IMPORT_HAZARDS = frozenset(
    {"fit", "fit_generator", "train_on_batch", "evaluate", "evaluate_generator", "predict", "predict_generator",
     "predict_on_batch", "predict_classes", "save", "save_weights", "export", "search"}
)
_METHOD_DECORATORS = frozenset({"staticmethod", "classmethod"})
#: Model methods that train: a function calling one is a training run, not a factory.
_TRAINING = frozenset({"fit", "fit_generator", "train_on_batch", "search"})


@record
class ModelFactory:
    """A function that builds a Keras model when called with no argument.

    ``qualname`` is ``build`` or ``Models.build`` (a static/class method); ``location`` spans
    its ``def`` line, from ``def`` to the end of the name.
    """

    path: str
    qualname: str
    location: Location

    @property
    def target(self) -> str:
        """The factory as ``kerascheck probe --factory`` names it: ``path/to/file.py:qualname``."""
        return f"{self.path}:{self.qualname}"


@record
class SkippedFactory:
    """A function that returns a Keras model but is not called, and why (``reason``)."""

    path: str
    qualname: str
    location: Location
    reason: str


@record
class FactoryScan:
    """The factories of one file, the model-returning functions skipped, and (when the whole
    file is skipped because importing it runs code) the reason."""

    path: str
    factories: tuple[ModelFactory, ...] = ()
    skipped: tuple[SkippedFactory, ...] = ()
    file_skipped: str | None = None


def scan_source(source: str, path: str) -> FactoryScan:
    """The model factories of one Python source file (``path`` is how results name it)."""
    try:
        context = analyse(source, path)
    except (cst.ParserSyntaxError, ValueError):
        return FactoryScan(path)  # ``check`` reports the syntax error (KC001)
    except RecursionError:
        return FactoryScan(path, file_skipped="it is nested too deeply to be analysed")
    try:
        return scan_context(context)
    except RecursionError:
        return FactoryScan(path, file_skipped="it is nested too deeply to be analysed")


def scan_context(context: FileContext) -> FactoryScan:
    """The model factories of a file whose semantic model is complete (after the walk)."""
    factories: list[ModelFactory] = []
    skipped: list[SkippedFactory] = []
    trains = _training_functions(context)
    for qualname, function in _candidates(context.module):
        built = _returned_models(context, function)
        if not built:
            continue
        where = context.def_location(function)
        reason = _why_not_callable(context, function, is_method="." in qualname)
        if reason is None and not any(m.origin in _BUILT for m in built):
            reason = "it loads a saved model rather than building one (probe the file: kerascheck probe PATH)"
        if reason is None and id(function) in trains:
            reason = f"it trains the model ({trains[id(function)]}): calling it would run the training"
        if reason is None:
            factories.append(ModelFactory(context.path, qualname, where))
        else:
            skipped.append(SkippedFactory(context.path, qualname, where, reason))
    hazard = _import_hazard(context, trains) if factories else None
    if hazard is not None:
        return FactoryScan(context.path, (), tuple(skipped), hazard)
    return FactoryScan(context.path, tuple(factories), tuple(skipped))


def _candidates(module: cst.Module) -> Iterator[tuple[str, cst.FunctionDef]]:
    """Module-level functions and the static/class methods of module-level classes."""
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            yield statement.name.value, statement
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for member in statement.body.body:
                if isinstance(member, cst.FunctionDef) and _decorator_names(member) & _METHOD_DECORATORS:
                    yield f"{statement.name.value}.{member.name.value}", member


def _training_functions(context: FileContext) -> dict[int, str]:
    """``id(function) -> how it trains`` for the functions of the file that call ``fit``
    (``train_on_batch``...) themselves or through other functions of the file."""
    direct: dict[int, str] = {}
    for event in context.semantic.keras_models.events:
        function = event.site.function
        if event.method in _TRAINING and function is not None and id(function) not in direct:
            direct[id(function)] = f"calls .{event.method}() at line {context.source_range(event.call)[0]}"
    found = dict(direct)
    for reached in context.semantic.calls.reaching(set(direct)):
        found.setdefault(reached, "through a function it calls that trains")
    return found


def _returned_models(context: FileContext, function: cst.FunctionDef) -> list[ModelObject]:
    semantic = context.semantic
    found: list[ModelObject] = []
    for value, site in semantic.returns_of(function):
        found.extend(semantic.keras_models.models_of(value, site, keras_only=True))
    return found


def _why_not_callable(context: FileContext, function: cst.FunctionDef, *, is_method: bool) -> str | None:
    """Why ``function()`` (``Cls.method()``) cannot be called as it is, or None."""
    if isinstance(function.asynchronous, cst.Asynchronous):
        return "it is a coroutine function (async def)"
    others = [d for d in function.decorators if _decorator_name(d) not in _METHOD_DECORATORS]
    if others:
        return f"it is decorated with @{context.code(others[0].decorator)}, which may change how it is called"
    params = function.params
    positional = [*params.posonly_params, *params.params]
    if is_method and "classmethod" in _decorator_names(function) and positional:
        positional = positional[1:]  # ``cls`` is bound by Python
    for param in (*positional, *params.kwonly_params):
        if param.default is None:
            return f"parameter {param.name.value!r} has no default"
        if not _is_literal(param.default):
            return f"parameter {param.name.value!r} defaults to {context.code(param.default)}, not a literal"
    return None


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    return expr.value if isinstance(expr, cst.Name) else ""


def _decorator_names(function: cst.FunctionDef) -> set[str]:
    return {_decorator_name(d) for d in function.decorators}


def _is_literal(expr: cst.BaseExpression) -> bool:
    """A constant Python can evaluate without running code: numbers, strings, ``True``/
    ``False``/``None``, and tuples/lists/sets/dicts of those."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(expr, cst.ConcatenatedString):
        return _is_literal(expr.left) and _is_literal(expr.right)
    if isinstance(expr, cst.Name):
        return expr.value in ("True", "False", "None")
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        return _is_literal(expr.expression)
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return all(isinstance(e, cst.Element) and _is_literal(e.value) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _is_literal(e.key) and _is_literal(e.value) for e in expr.elements)
    return False


def _import_hazard(context: FileContext, trains: dict[int, str]) -> str | None:
    """Why importing the file runs model work, or None: module-level code outside a
    ``__main__`` guard calls ``fit``/``predict``/``save``... on a model, or calls a function of
    the file that trains (``run_experiment()``)."""
    guards = [context.source_range(s) for s in context.module.body if _is_main_guard(s)]

    def at_import(site: Site, node: cst.CSTNode) -> int | None:
        if site.functions or site.scope.kind != "module":
            return None
        line = context.source_range(node)[0]
        return None if any(first <= line <= last for first, _, last, _ in guards) else line

    for event in context.semantic.keras_models.events:
        line = at_import(event.site, event.call) if event.method in _IMPORT_HAZARDS else None
        if line is not None:
            return _runs_at_import(f"calls .{event.method}() at line {line}")
    calls = context.semantic.calls
    for made in calls.calls:
        target = calls.call_targets(made)
        line = at_import(made.site, made.call) if target is not None and id(target) in trains else None
        if line is not None and target is not None:
            return _runs_at_import(f"calls {target.name.value}(), which trains a model, at line {line}")
    return None


def _runs_at_import(what: str) -> str:
    return (
        f"importing it runs its module-level code, which {what}; "
        "move that code under 'if __name__ == \"__main__\":' to let its factories be probed"
    )


def _is_main_guard(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.If) or not isinstance(statement.test, cst.Comparison):
        return False
    test = statement.test
    if len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = {s.value for s in sides if isinstance(s, cst.Name)}
    strings = {s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"}
