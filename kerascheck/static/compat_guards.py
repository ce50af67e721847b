"""Compatibility guards: code that itself protects a use of an API the target Keras lacks.

A use of a removed name is not a bug where the code guards it:

* it is in the ``try:`` body of a ``try`` with a handler that catches what the use raises on
  the target (``AttributeError``, ``ImportError``, ``Exception``, a bare ``except:``) and does
  not just raise again: the body is the probe, the handler the fallback (the handler's own
  uses are judged normally);
* it is in the branch of ``if hasattr(M, "name")`` (or ``getattr(M, "name", None)``) that runs
  when ``M.name`` exists, or in the ``else`` of ``if not hasattr(M, "name")``, and uses
  ``M.name``;
* it is in a branch that a TensorFlow/Keras version test never runs on the target
  (``if tf_major == 1:``, ``if keras.__version__ < "2.4":``,
  ``if version.parse(tf.__version__) < version.parse("2.0"):``), where the version is read
  from ``tf.__version__``/``keras.__version__`` directly or through names and helper functions
  the semantic model follows (a helper of an imported project module too).

Rules ask :meth:`CompatGuards.covers` (one instance per file, ``context.shared(CompatGuards)``)
just before they report: the node's ancestors are found once per top-level statement, only
for statements that have something to report.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import libcst as cst

from kerascheck.records import record
from kerascheck.static import ast_helpers as ah
from kerascheck.static.cst_children import children
from kerascheck.static.names import dotted

if TYPE_CHECKING:
    from kerascheck.static.context import FileContext
    from kerascheck.static.semantic import SemanticModel
    from kerascheck.static.semantic.scopes import Site

#: Exception classes a handler may name, with the exceptions (of those rules raise about) each catches.
_CATCHES = {
    "ModuleNotFoundError": frozenset({"ModuleNotFoundError"}),
    "ImportError": frozenset({"ImportError", "ModuleNotFoundError"}),
    "AttributeError": frozenset({"AttributeError"}),
    "NameError": frozenset({"NameError"}),
    "TypeError": frozenset({"TypeError"}),
    "ValueError": frozenset({"ValueError"}),
}
_EVERYTHING = frozenset({"Exception", "BaseException"})

#: Expressions that hold a version string, by canonical qualified name -> the package.
_VERSION_TEXTS = {"tensorflow.__version__": "tensorflow", "tensorflow.version.VERSION": "tensorflow", "keras.__version__": "keras"}
#: Calls that parse a version string into something compared numerically.
_VERSION_PARSERS = frozenset(
    {
        "packaging.version.parse",
        "packaging.version.Version",
        "distutils.version.LooseVersion",
        "distutils.version.StrictVersion",
        "pkg_resources.parse_version",
        "looseversion.LooseVersion",
    }
)
_COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    cst.Equal: operator.eq,
    cst.NotEqual: operator.ne,
    cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le,
    cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
}
#: ``a < b`` is ``b > a``.
_FLIPPED: dict[type, type] = {
    cst.LessThan: cst.GreaterThan,
    cst.GreaterThan: cst.LessThan,
    cst.LessThanEqual: cst.GreaterThanEqual,
    cst.GreaterThanEqual: cst.LessThanEqual,
}
_MAX_DEPTH = 8

Version = tuple[int, ...]


@record
class VersionRange:
    """The versions a package may have on the target: ``low <= version < high``."""

    low: Version
    high: Version

    @property
    def major(self) -> int | None:
        """The major version, when every version of the range shares it."""
        return self.low[0] if self.high <= (self.low[0] + 1,) else None


@record
class _Text:
    """A version string of a package (``tf.__version__``)."""

    versions: VersionRange


@record
class _Parsed:
    """A parsed version (``version.parse(tf.__version__)``), compared numerically."""

    versions: VersionRange


#: What a version expression evaluates to: a version string, a parsed version, a plain value
#: derived from them (``int(tf.__version__.split(".")[0])`` is ``2``) or a parsed literal.
_Form = _Text | _Parsed | str | int | Version


def target_versions(target_keras: str) -> dict[str, VersionRange]:
    """The versions of ``keras`` and ``tensorflow`` code checked for ``target_keras`` runs with
    (only those certain: Keras 3 means TensorFlow >= 2.16 if TensorFlow at all; Keras 2.6+
    shipped in step with TensorFlow)."""
    parts = [int(p) for p in target_keras.split(".")[:2] if p.isdigit()]
    if not parts:
        parts = [3]
    major = parts[0]
    found: dict[str, VersionRange] = {}
    if len(parts) > 1:
        found["keras"] = VersionRange((major, parts[1]), (major, parts[1] + 1))
    else:
        found["keras"] = VersionRange((major,), (major + 1,))
    if major >= 3:
        found["tensorflow"] = VersionRange((2, 16), (3,))
    elif major == 2 and len(parts) > 1 and parts[1] >= 6:
        found["tensorflow"] = VersionRange((2, parts[1]), (2, parts[1] + 1))
    return found


def _padded(version: Version) -> Version:
    return (*version, 0, 0, 0)[: max(3, len(version))]


def _parse_literal(text: str) -> Version | None:
    """``"2.11"`` -> ``(2, 11)``; None unless it starts with a number."""
    numbers: list[int] = []
    for piece in text.split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(numbers) if numbers else None


def _compare_range(versions: VersionRange, op: type, literal: Version) -> bool | None:
    """``version <op> literal`` for every version of the range, or None when it depends."""
    low, high, value = _padded(versions.low), _padded(versions.high), _padded(literal)
    if op in (cst.LessThan, cst.GreaterThanEqual):
        below = True if high <= value else (False if low >= value else None)
    elif op in (cst.LessThanEqual, cst.GreaterThan):
        below = True if high <= value else (False if low > value else None)
    elif op in (cst.Equal, cst.NotEqual):
        differs = True if high <= value or low > value else None
        return None if differs is None else op is cst.NotEqual
    else:
        return None
    if below is None:
        return None
    return below if op in (cst.LessThan, cst.LessThanEqual) else not below


def _compare_text(versions: VersionRange, op: type, literal: str) -> bool | None:
    """``version_string <op> "literal"`` as Python compares strings, from the known major."""
    major = versions.major
    if major is None:
        return None
    prefix = f"{major}."  # every version string of the range starts with it
    if literal.startswith(prefix):
        return None
    if op in (cst.Equal, cst.NotEqual):
        return op is cst.NotEqual
    # The strings differ within the prefix, or the literal is a prefix of it (sorts first).
    less = False if prefix.startswith(literal) else prefix < literal
    if op in (cst.LessThan, cst.LessThanEqual):
        return less
    if op in (cst.GreaterThan, cst.GreaterThanEqual):
        return not less
    return None


def _starts_with(versions: VersionRange, literal: str) -> bool | None:
    major = versions.major
    if major is None:
        return None
    prefix = f"{major}."
    if prefix.startswith(literal):
        return True
    return None if literal.startswith(prefix) else False


class _VersionReader:
    """Reads version expressions and tests with the semantic model of one module."""

    def __init__(self, versions: dict[str, VersionRange]) -> None:
        self.versions = versions

    def test(self, semantic: SemanticModel, site: Site, expr: cst.BaseExpression) -> bool | None:
        """What a test certainly evaluates to on the target, None if that depends."""
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
            inner = self.test(semantic, site, expr.expression)
            return None if inner is None else not inner
        if isinstance(expr, cst.BooleanOperation):
            left = self.test(semantic, site, expr.left)
            right = self.test(semantic, site, expr.right)
            if isinstance(expr.operator, cst.And):
                return False if False in (left, right) else (True if left is True and right is True else None)
            return True if True in (left, right) else (False if left is False and right is False else None)
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
            target = expr.comparisons[0]
            return self._compare(
                self.form(semantic, site, expr.left), type(target.operator), self.form(semantic, site, target.comparator)
            )
        if isinstance(expr, cst.Call):
            method = ah.method_call(expr)
            args = ah.positional(expr)
            if method is not None and method[1] == "startswith" and len(args) == 1 and len(expr.args) == 1:
                text = self.form(semantic, site, method[0])
                literal = ah.string_value(args[0].value)
                if isinstance(text, _Text) and literal is not None:
                    return _starts_with(text.versions, literal)
        return None

    def _compare(self, left: _Form | None, op: type, right: _Form | None) -> bool | None:
        if left is None or right is None:
            return None
        if not isinstance(left, (_Text, _Parsed)) and isinstance(right, (_Text, _Parsed)):
            return self._compare(right, _FLIPPED.get(op, op), left)
        if isinstance(left, _Parsed) and isinstance(right, tuple):
            return _compare_range(left.versions, op, right)
        if isinstance(left, _Text) and isinstance(right, str):
            return _compare_text(left.versions, op, right)
        function = _COMPARISONS.get(op)
        plain = (str, int)
        if function is not None and isinstance(left, plain) and isinstance(right, plain) and type(left) is type(right):
            return bool(function(left, right))
        return None

    def form(self, semantic: SemanticModel, site: Site, expr: cst.BaseExpression, depth: int = 0) -> _Form | None:
        """What ``expr`` holds, as far as versions go; None for anything else."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            return ah.string_value(expr)
        if isinstance(expr, cst.Integer):
            return ah.int_value(expr)
        qualified = semantic.qualified(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
        package = _VERSION_TEXTS.get(qualified or "")
        if package is not None:
            versions = self.versions.get(package)
            return _Text(versions) if versions is not None else None
        if isinstance(expr, cst.Name):
            return self._name(semantic, site, expr.value, depth)
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            return self._item(semantic, site, expr, depth)
        if isinstance(expr, cst.Call):
            return self._call(semantic, site, expr, depth)
        return None

    def _name(self, semantic: SemanticModel, site: Site, name: str, depth: int) -> _Form | None:
        """A name every binding of which (that the use sees) holds the same version form."""
        bindings = semantic.lookup(name, site)
        forms = []
        for binding in bindings:
            if binding.kind not in ("assign", "annotation") or binding.value is None:
                return None
            forms.append(self.form(semantic, binding.site, binding.value, depth + 1))
        return forms[0] if forms and all(f is not None and f == forms[0] for f in forms) else None

    def _item(self, semantic: SemanticModel, site: Site, expr: cst.Subscript, depth: int) -> _Form | None:
        """``text.split(".")[0]`` and ``text[0]`` of a version string: its major (as text)."""
        where = expr.slice[0].slice
        index = ah.int_value(where.value) if isinstance(where, cst.Index) else None
        container = expr.value
        if index != 0:
            return None
        if isinstance(container, cst.Call):
            method = ah.method_call(container)
            args = ah.positional(container)
            if method is None or method[1] != "split" or not args or ah.string_value(args[0].value) != ".":
                return None
            text = self.form(semantic, site, method[0], depth + 1)
        else:
            text = self.form(semantic, site, container, depth + 1)
            if isinstance(text, _Text) and text.versions.major is not None:
                return str(text.versions.major)[0]
            return None
        return str(text.versions.major) if isinstance(text, _Text) and text.versions.major is not None else None

    def _call(self, semantic: SemanticModel, site: Site, call: cst.Call, depth: int) -> _Form | None:
        args = ah.positional(call)
        qualified = semantic.qualified(call.func)
        if qualified in _VERSION_PARSERS and len(args) == 1 and len(call.args) == 1:
            inner = self.form(semantic, site, args[0].value, depth + 1)
            if isinstance(inner, _Text):
                return _Parsed(inner.versions)
            return _parse_literal(inner) if isinstance(inner, str) else None
        if isinstance(call.func, cst.Name) and call.func.value == "int" and len(args) == 1 and qualified is None:
            inner = self.form(semantic, site, args[0].value, depth + 1)
            return int(inner) if isinstance(inner, str) and inner.isdigit() else None
        function = semantic.function_called(call, site)
        if function is not None:
            return self._returns(semantic, function, depth)
        if not call.args:
            return self._project_helper(semantic, site, call.func, depth)
        return None

    def _returns(self, semantic: SemanticModel, function: cst.FunctionDef, depth: int) -> _Form | None:
        """The one version form every ``return`` of ``function`` gives."""
        forms = [self.form(semantic, where, value, depth + 1) for value, where in semantic.returns_of(function)]
        return forms[0] if forms and all(f is not None and f == forms[0] for f in forms) else None

    def _project_helper(self, semantic: SemanticModel, site: Site, func: cst.BaseExpression, depth: int) -> _Form | None:
        """``helper()`` or ``module.helper()`` of a project module the file imports."""
        modules = semantic.project_modules
        if modules is None:
            return None
        found: tuple[SemanticModel, str] | None = None
        if isinstance(func, cst.Name):
            bindings = semantic.lookup(func.value, site)
            if len(bindings) == 1 and bindings[0].kind == "import":
                found = modules.target(bindings[0])
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            bindings = semantic.lookup(func.value.value, site)
            if len(bindings) == 1 and bindings[0].kind == "import":
                module = modules.module(bindings[0])
                found = (module, func.attr.value) if module is not None else None
        if found is None or found[0].end is None:
            return None
        other, name = found
        definitions = other.lookup(name, other.end)
        if len(definitions) != 1 or not isinstance(definitions[0].node, cst.FunctionDef):
            return None
        modules.depends_on(other)
        return self._returns(other, definitions[0].node, depth + 1)


def _catches(handler: cst.ExceptHandler, raised: str) -> bool:
    kind = handler.type
    if kind is None:
        return True
    names = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    for name in names:
        text = (dotted(name) or "").rpartition(".")[2]
        if text in _EVERYTHING or raised in _CATCHES.get(text, ()):
            return True
    return False


def _falls_back(handler: cst.ExceptHandler) -> bool:
    """The handler does something other than raise again (a raise as its last statement)."""
    body = handler.body.body
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, cst.Raise) for s in last.body):
        return False
    return last is not None


def _probes(node: cst.Try, raises: Sequence[str]) -> bool:
    """A ``try`` whose fallback handlers catch every exception in ``raises``."""
    handlers = [h for h in node.handlers if _falls_back(h)]
    return bool(raises) and all(any(_catches(h, raised) for h in handlers) for raised in raises)


def _attribute_test(expr: cst.BaseExpression) -> tuple[cst.BaseExpression, str, bool] | None:
    """``hasattr(M, "n")`` / ``getattr(M, "n", None)`` (True: the branch runs when ``M.n``
    exists) and their ``not`` (False): ``(M, "n", polarity)``."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        inner = _attribute_test(expr.expression)
        return None if inner is None else (inner[0], inner[1], not inner[2])
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Name) or ah.has_star_args(expr):
        return None
    args = ah.positional(expr)
    probe = (expr.func.value == "hasattr" and len(args) == 2) or (
        expr.func.value == "getattr" and len(args) == 3 and isinstance(args[2].value, cst.Name) and args[2].value.value == "None"
    )
    if not probe:
        return None
    name = ah.string_value(args[1].value)
    return (args[0].value, name, True) if name else None


class CompatGuards:
    """Which nodes of one file the code itself guards (see the module docstring)."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self._parents: dict[int, dict[int, cst.CSTNode]] = {}  # statement index -> id(child) -> parent
        self._reader = _VersionReader(target_versions(context.target_keras))

    def covers(self, node: cst.CSTNode, *, raises: Sequence[str] = (), uses: Collection[str] = ()) -> bool:
        """``node`` (being visited) is guarded: in the ``try`` body of a fallback that catches
        every exception of ``raises`` (what the use raises on the target; none for a warning),
        in the branch of a ``hasattr`` test on one of ``uses`` (canonical qualified names or
        dotted text: ``keras.optimizers.optimizer_from_config``, ``model.fit_generator``) that
        runs when it exists, or in a branch no target version runs."""
        crossed_function = False
        child: cst.CSTNode = node
        for parent in self._ancestors(node):
            if isinstance(parent, (cst.FunctionDef, cst.Lambda)):
                crossed_function = True  # a ``try`` around a definition does not guard its body
            elif isinstance(parent, (cst.Try, cst.TryStar)) and child is parent.body:
                if not crossed_function and _probes(parent, raises):  # type: ignore[arg-type]
                    return True
            elif isinstance(parent, (cst.If, cst.IfExp)) and child is not parent.test:
                if self._dead_or_guarding(parent, child is parent.body, uses):
                    return True
            child = parent
        return False

    def _dead_or_guarding(self, node: cst.If | cst.IfExp, in_body: bool, uses: Collection[str]) -> bool:
        test = node.test
        attribute = _attribute_test(test)
        if attribute is not None and uses:
            holder, name, polarity = attribute
            if polarity == in_body and self._names_use(holder, name, uses):
                return True
        semantic = self.context.semantic
        value = self._reader.test(semantic, semantic.here(), test)
        return value is not None and value != in_body

    def _names_use(self, holder: cst.BaseExpression, name: str, uses: Collection[str]) -> bool:
        keys = {f"{text}.{name}" for text in (self.context.qualified(holder), dotted(holder)) if text}
        return any(use == key or use.startswith(key + ".") for use in uses for key in keys)

    def _ancestors(self, node: cst.CSTNode) -> Iterable[cst.CSTNode]:
        """The ancestors of ``node``, innermost first, within its top-level statement."""
        index = self.context.current_statement
        body = self.context.module.body
        key = index if index is not None and 0 <= index < len(body) else -1
        parents = self._parents.get(key)
        if parents is None:
            root: cst.CSTNode = body[key] if key >= 0 else self.context.module
            parents = self._parents[key] = _parent_map(root)
        if id(node) not in parents and key >= 0:
            parents = self._parents.setdefault(-1, _parent_map(self.context.module))
        current = parents.get(id(node))
        while current is not None:
            yield current
            current = parents.get(id(current))


def _parent_map(root: cst.CSTNode) -> dict[int, cst.CSTNode]:
    parents: dict[int, cst.CSTNode] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in children(node):
            parents[id(child)] = node
            stack.append(child)
    return parents
