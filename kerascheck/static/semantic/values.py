"""A small abstract evaluator: what value an expression holds, as far as the file shows.

:class:`Value` is a known ``str``/``int``/``float``/``bool``, a partially known string (a known
prefix and/or suffix: ``out_dir + "/best.h5"`` ends with ``/best.h5``), or unknown. The
evaluator follows names (through the bindings the use sees, merging branches), parameters
(their default and the arguments of the file's calls), returns of helpers in the same file,
``+``, ``*`` and ``/`` on numbers, f-strings, ``%``, ``.format``, ``os.path.join``,
``pathlib.Path`` and its ``/``, ``str()``/``os.fspath()``/``with_suffix``, and absl's
``FLAGS.name`` (the default of the file's ``flags.DEFINE_*("name", default, ...)``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import libcst as cst

from kerascheck.records import record
from kerascheck.static import ast_helpers as ah
from kerascheck.static.semantic import project_modules

if TYPE_CHECKING:
    from kerascheck.static.semantic.model import SemanticModel
    from kerascheck.static.semantic.scopes import Binding, Site

Scalar = str | int | float | bool


@record
class Value:
    """What an expression evaluates to: ``known`` (``value`` set), ``string`` (a string whose
    ``prefix`` and ``suffix`` are known, the middle is not; ``number_end``: with no known suffix,
    it still certainly ends with the text of an integer, ``"m_{:d}".format(i)``), ``int`` (an integer of
    unknown value: ``for i in range(n)``, a Keras callback's ``epoch``) or ``unknown``."""

    kind: Literal["known", "string", "int", "unknown"]
    value: Scalar | None = None
    prefix: str = ""
    suffix: str = ""
    number_end: bool = False
    #: A character the unknown middle of a ``string`` certainly does not hold (``"."`` for
    #: ``name.split(".")[0]``), else "".
    lacks: str = ""

    @property
    def is_known(self) -> bool:
        return self.kind == "known"

    @property
    def is_string(self) -> bool:
        """A string, fully or partly known."""
        return self.kind == "string" or isinstance(self.value, str)

    @property
    def text(self) -> str | None:
        """The whole string, when it is known."""
        return self.value if isinstance(self.value, str) else None

    @property
    def is_int(self) -> bool:
        """An integer, known or not."""
        return self.kind == "int" or (isinstance(self.value, int) and not isinstance(self.value, bool))

    @property
    def ends_in_number(self) -> bool:
        """A string that certainly ends with the text of an integer (``"ckpt." + str(epoch)``,
        ``"m_{:d}".format(i)``): nothing known follows the number."""
        return self.kind == "string" and not self.suffix and self.number_end

    @property
    def int(self) -> int | None:
        v = self.value
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    @property
    def number(self) -> float | None:
        v = self.value
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    @property
    def head(self) -> str:
        """The known start of a string value ('' when unknown)."""
        return self.value if isinstance(self.value, str) else self.prefix

    @property
    def tail(self) -> str:
        """The known end of a string value ('' when unknown)."""
        return self.value if isinstance(self.value, str) else self.suffix

    def endswith(self, suffix: str | tuple[str, ...]) -> bool:
        """The string certainly ends with ``suffix``."""
        return self.is_string and self.tail.endswith(suffix)

    def may_equal(self, other: Value) -> bool:
        """The two values can be the same (unknown parts may be anything)."""
        if self.is_known and other.is_known:
            return self.value == other.value
        if not (self.is_string and other.is_string):
            return True
        heads = sorted((self.head, other.head), key=len)
        tails = sorted((self.tail, other.tail), key=len)
        return heads[1].startswith(heads[0]) and tails[1].endswith(tails[0])


UNKNOWN = Value("unknown")
#: An integer whose value is not known.
SOME_INT = Value("int")
#: The text of an integer whose value is not known (``str(i)``).
DIGITS = Value("string", number_end=True)


def known(value: Scalar) -> Value:
    return Value("known", value)


def partial(prefix: str, suffix: str, number_end: bool = False, lacks: str = "") -> Value:
    return Value("string", None, prefix, suffix, number_end=number_end and not suffix, lacks=lacks)


def concat(parts: Iterable[Value]) -> Value:
    """String concatenation of (possibly partial) string values."""
    items = list(parts)
    if all(p.is_known and isinstance(p.value, str) for p in items):
        return known("".join(p.value for p in items))  # type: ignore[misc]
    prefix = ""
    for part in items:
        if part.is_known and isinstance(part.value, str):
            prefix += part.value
            continue
        prefix += part.prefix
        break
    suffix = ""
    for part in reversed(items):
        if part.is_known and isinstance(part.value, str):
            suffix = part.value + suffix
            continue
        suffix = part.suffix + suffix
        break
    last = next((p for p in reversed(items) if p.value != ""), None)
    return partial(prefix, suffix, last is not None and last.ends_in_number)


def merge(values: Iterable[Value]) -> Value:
    """"One of these": equal known values stay known; strings keep their common prefix and
    suffix; anything else is unknown."""
    items = list(values)
    if not items:
        return UNKNOWN
    first = items[0]
    if len(items) == 1 or all(v == first for v in items):
        return first
    if all(v.is_known and v.value == first.value and type(v.value) is type(first.value) for v in items):
        return first
    if all(v.is_int for v in items):
        return SOME_INT
    if not all(v.is_string for v in items):
        return UNKNOWN
    heads = [v.head for v in items]
    tails = [v.tail for v in items]
    prefix = _common_prefix(heads)
    suffix = _common_prefix([t[::-1] for t in tails])[::-1]
    return partial(prefix, suffix, all(v.ends_in_number for v in items))


def _common_prefix(texts: list[str]) -> str:
    if not texts:
        return ""
    shortest = min(texts, key=len)
    for index, char in enumerate(shortest):
        if any(t[index] != char for t in texts):
            return shortest[:index]
    return shortest


_JOIN = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_PATH = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath"})
_AS_TEXT = frozenset({"str", "os.fspath", "os.path.abspath", "os.path.normpath", "os.path.expanduser", "os.path.realpath"})
_MAX_DEPTH = 24
#: Keras callback hooks whose first argument is the epoch or batch index.
_CALLBACK_HOOK = re.compile(r"on_(epoch|batch|train_batch|test_batch|predict_batch)_(begin|end)")


#: Methods that read a dict or list without changing it.
_READS = frozenset({"get", "keys", "values", "items", "index", "count", "copy"})


def _names(func: cst.BaseExpression, name: str) -> bool:
    return isinstance(func, cst.Name) and func.value == name


class Evaluator:
    """``value_of`` over one file's semantic model (memoised per node and site)."""

    def __init__(self, semantic: SemanticModel) -> None:
        self.semantic = semantic
        self._active: set[tuple[int, int]] = set()
        self._memo: dict[tuple[int, int], tuple[cst.BaseExpression, Value]] = {}

    def value_of(self, expr: cst.BaseExpression | None, site: Site, depth: int = 0) -> Value:
        if expr is None or depth > _MAX_DEPTH:
            return UNKNOWN
        key = (id(expr), site.order)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is expr:
            return hit[1]
        if key in self._active:  # a cycle (``x = x + "a"`` in a loop)
            return UNKNOWN
        self._active.add(key)
        try:
            result = self._evaluate(expr, site, depth + 1)
        finally:
            self._active.discard(key)
        if self.semantic.complete:
            self._memo[key] = (expr, result)
        return result

    def candidates(self, expr: cst.BaseExpression | None, site: Site) -> list[Value]:
        """The values ``expr`` may hold, one per binding (a parameter: its default and each
        argument the file passes), before they are merged into one :class:`Value`."""
        if not isinstance(expr, cst.Name):
            return [self.value_of(expr, site)]
        bindings = self.semantic.scopes.lookup(expr.value, site)
        if not bindings:
            return [UNKNOWN]
        found: list[Value] = []
        for binding in bindings:
            if binding.kind != "param":
                found.append(self._binding_value(binding, 0))
                continue
            param = binding.node
            assert isinstance(param, cst.Param)
            passed = self.semantic.arguments_for(binding)
            if passed is None:
                return [UNKNOWN]
            if param.default is not None:
                found.append(self.value_of(param.default, self.semantic.definition_site(binding.site) or binding.site))
            found.extend(self.value_of(value, where) for value, where in passed)
            if not found:
                found.append(UNKNOWN)
        return found

    # -- by node type ----------------------------------------------------------------------

    def _evaluate(self, expr: cst.BaseExpression, site: Site, depth: int) -> Value:
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            text = ah.string_value(expr)
            if text is not None:
                return known(text)
            if isinstance(expr, cst.ConcatenatedString):
                return concat([self.value_of(expr.left, site, depth), self.value_of(expr.right, site, depth)])
            return UNKNOWN
        if isinstance(expr, cst.Integer):
            number = ah.int_value(expr)
            return known(number) if number is not None else UNKNOWN
        if isinstance(expr, cst.Float):
            try:
                return known(float(expr.value.replace("_", "")))
            except ValueError:
                return UNKNOWN
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            inner = self.value_of(expr.expression, site, depth)
            negated = inner.number
            return known(-inner.value) if negated is not None else UNKNOWN  # type: ignore[operator]
        if isinstance(expr, cst.FormattedString):
            return self._fstring(expr, site, depth)
        if isinstance(expr, cst.Name):
            if expr.value in ("True", "False"):
                return known(expr.value == "True")
            return self._name(expr.value, site, depth)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            bindings = self.semantic.scopes.lookup_attribute(expr.attr.value, site)
            return merge(self._binding_value(b, depth) for b in bindings) if bindings else UNKNOWN
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            flag = self.semantic.flag_default(expr.value, expr.attr.value, site)
            if flag is not None:  # ``FLAGS.weights``: the flag's default
                return self.value_of(flag[0], flag[1], depth)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and self.semantic.project_modules is not None:
            module = self._module_binding(expr.value, site)  # ``config.WEIGHTS`` of ``import config``
            return self._imported(module, None, expr.attr.value) if module is not None else UNKNOWN
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, site, depth)
        if isinstance(expr, cst.Call):
            return self._call(expr, site, depth)
        if isinstance(expr, cst.IfExp):
            return merge([self.value_of(expr.body, site, depth), self.value_of(expr.orelse, site, depth)])
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            key = self.value_of(expr.slice[0].slice.value, site, depth)
            literal = key.value if key.is_known and isinstance(key.value, (str, int)) and not isinstance(key.value, bool) else None
            return self._item(expr.value, literal, site, depth)
        return UNKNOWN

    def _item(self, container: cst.BaseExpression, key: str | int | None, site: Site, depth: int) -> Value:
        """``container[key]`` with a literal key: a part of ``text.split(sep)``, or an item of
        the dict/list/tuple display a name is bound to (and never stored into)."""
        if key is None:
            return UNKNOWN
        if isinstance(container, cst.Call):
            method = ah.method_call(container)
            args = container.args
            if method is None or method[1] != "split" or not args or args[0].keyword is not None or args[0].star:
                return UNKNOWN
            return _split_part(self.value_of(method[0], site, depth), self.value_of(args[0].value, site, depth), key, len(args) == 1)
        if not isinstance(container, cst.Name):
            return UNKNOWN
        bindings = self.semantic.scopes.lookup(container.value, site)
        if len(bindings) != 1 or self._changed(container.value):
            return UNKNOWN
        display = bindings[0].value if bindings[0].kind == "assign" else None
        if isinstance(display, cst.Dict):
            for element in display.elements:
                if not isinstance(element, cst.DictElement):
                    return UNKNOWN  # ``**other``
                literal = ah.string_value(element.key)
                if (literal if literal is not None else ah.int_value(element.key)) == key:
                    return self.value_of(element.value, bindings[0].site, depth)
        elif isinstance(display, (cst.List, cst.Tuple)) and isinstance(key, int) and not isinstance(key, bool):
            elements = display.elements
            if not any(isinstance(e, cst.StarredElement) for e in elements) and -len(elements) <= key < len(elements):
                return self.value_of(elements[key].value, bindings[0].site, depth)
        return UNKNOWN

    def _name(self, name: str, site: Site, depth: int) -> Value:
        bindings = self.semantic.scopes.lookup(name, site)
        if not bindings:
            return UNKNOWN
        return merge(self._binding_value(b, depth) for b in bindings)

    def _binding_value(self, binding: Binding, depth: int) -> Value:
        if binding.kind == "param":
            return self._parameter(binding, depth)
        if binding.kind == "augassign":
            node = binding.node
            assert isinstance(node, cst.AugAssign)
            previous = self.semantic.scopes.lookup(binding.name, binding.site)
            left = merge(self._binding_value(b, depth + 1) for b in previous) if previous else UNKNOWN
            right = self.value_of(node.value, binding.site, depth)
            operator = type(node.operator).__name__.replace("Assign", "")
            return _arithmetic(operator, left, right)
        if binding.kind in ("assign", "annotation", "walrus", "attribute") and binding.value is not None:
            return self.value_of(binding.value, binding.site, depth)
        if binding.kind == "loop" and isinstance(binding.node, cst.For) and isinstance(binding.node.target, cst.Name):
            loop_iter = binding.node.iter
            if isinstance(loop_iter, cst.Call) and self.semantic.qualified(loop_iter.func) in (None, "range") and _names(loop_iter.func, "range"):
                return SOME_INT
        if binding.kind == "import":
            return self._imported(binding, None)
        return UNKNOWN

    def _imported(self, binding: Binding, call: cst.Call | None, attribute: str | None = None) -> Value:
        """The value of a name imported from a project module (``call``: what calling it
        with no arguments returns); with ``attribute``, of that name of the imported module
        the binding names (``paths.WEIGHTS``, ``paths.weights_file()``)."""
        modules = self.semantic.project_modules
        if modules is None:
            return UNKNOWN
        if attribute is not None:
            module = modules.module(binding)
            target = (module, attribute) if module is not None else None
        else:
            target = modules.target(binding)
        if target is None:
            return UNKNOWN
        other, name = target
        if other.end is None or other.path is None or not project_modules.enter(other.path, name):
            return UNKNOWN
        try:
            if call is None:
                result = other.value_of(cst.Name(name), other.end)
            else:
                bindings = other.scopes.lookup(name, other.end)
                functions = [b.node for b in bindings if b.kind == "def"]
                if len(functions) != 1 or len(bindings) != 1 or not isinstance(functions[0], cst.FunctionDef):
                    return UNKNOWN
                returns = other.returns_of(functions[0])
                result = merge(other.value_of(value, where) for value, where in returns) if returns else UNKNOWN
        finally:
            project_modules.leave(other.path, name)
        modules.depends_on(other)
        return result

    def _parameter(self, binding: Binding, depth: int) -> Value:
        """A parameter holds its default or any argument the file's calls pass."""
        candidates: list[Value] = []
        param = binding.node
        assert isinstance(param, cst.Param)
        if param.default is not None:
            parent_site = self.semantic.definition_site(binding.site)
            candidates.append(self.value_of(param.default, parent_site or binding.site, depth))
        arguments = self.semantic.arguments_for(binding)
        if arguments is None:
            return UNKNOWN  # called with ``*args``/``**kwargs``, or passed around as a value
        for expr, site in arguments:
            candidates.append(self.value_of(expr, site, depth))
        if not candidates:
            return SOME_INT if self._callback_index(binding) else UNKNOWN
        return merge(candidates)

    def _callback_index(self, binding: Binding) -> bool:
        """``epoch``/``batch`` of a Keras callback hook (``on_epoch_end(self, epoch, logs)`` of
        a ``keras.callbacks.Callback`` subclass): Keras passes the integer index."""
        function = binding.scope.node
        parent = binding.scope.parent
        if not isinstance(function, cst.FunctionDef) or parent is None or not isinstance(parent.node, cst.ClassDef):
            return False
        params = function.params.params
        if len(params) < 2 or params[1] is not binding.node or not _CALLBACK_HOOK.fullmatch(function.name.value):
            return False
        return self.semantic.classes.is_callback_class(parent.node.name.value)

    def _fstring(self, expr: cst.FormattedString, site: Site, depth: int) -> Value:
        parts: list[Value] = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(known(part.value.replace("{{", "{").replace("}}", "}")))
                continue
            assert isinstance(part, cst.FormattedStringExpression)
            inner = self.value_of(part.expression, site, depth)
            if inner.is_known and part.format_spec is None and part.conversion is None and not isinstance(inner.value, bool):
                parts.append(known(str(inner.value)))
            elif inner.is_known and part.conversion is None and _literal_spec(part.format_spec) is not None:
                try:
                    parts.append(known(format(inner.value, _literal_spec(part.format_spec) or "")))
                except (TypeError, ValueError):
                    parts.append(partial("", ""))
            elif inner.is_string and part.format_spec is None and part.conversion in (None, "s"):
                parts.append(inner)
            elif inner.is_int and part.conversion is None and (part.format_spec is None or (_literal_spec(part.format_spec) or "").endswith("d")):
                parts.append(DIGITS)
            else:
                parts.append(partial("", ""))
        return concat(parts)

    def _binary(self, expr: cst.BinaryOperation, site: Site, depth: int) -> Value:
        left = self.value_of(expr.left, site, depth)
        operator = type(expr.operator).__name__
        if operator == "Modulo" and left.is_string:
            return self._percent(left, expr.right, site, depth)
        right = self.value_of(expr.right, site, depth)
        if operator == "Divide" and (right.is_string or left.is_string or self._is_path(expr.left, site)):
            return _join([left, right])
        return _arithmetic(operator, left, right)

    def _percent(self, template: Value, args: cst.BaseExpression, site: Site, depth: int) -> Value:
        text = template.text
        elements = [e.value for e in args.elements] if isinstance(args, cst.Tuple) else [args]
        values = [self.value_of(e, site, depth) for e in elements]
        if text is not None and all(v.is_known for v in values):
            try:
                return known(text % tuple(v.value for v in values))
            except (TypeError, ValueError, KeyError):
                return UNKNOWN
        head, tail = template.head, template.tail
        cut = head.find("%")
        prefix = head if cut < 0 else head[:cut]
        last = tail.rfind("%")
        suffix = tail if last < 0 else _after_conversion(tail[last:])
        # ``"ckpt_%03d" % epoch``: a whole-template ``%d``/``%i`` conversion ends the string.
        number_end = text is not None and last >= 0 and not suffix and tail.rstrip("di") != tail and "%%" not in tail[last - 1 :]
        return partial(prefix, suffix, number_end)

    def _call(self, call: cst.Call, site: Site, depth: int) -> Value:
        semantic = self.semantic
        qualified = semantic.qualified(call.func) or (call.func.value if isinstance(call.func, cst.Name) else None)
        args = [a for a in call.args if not a.star]
        if qualified in _JOIN and args and len(args) == len(call.args):
            return _join([self.value_of(a.value, site, depth) for a in args])
        if qualified in _PATH:
            if not args:
                return known(".")
            return _join([self.value_of(a.value, site, depth) for a in args])
        if qualified in _AS_TEXT and len(args) == 1 and len(call.args) == 1:
            inner = self.value_of(args[0].value, site, depth)
            if qualified == "str" and inner.is_int:
                return known(str(inner.value)) if inner.is_known else DIGITS
            return inner if inner.is_string else UNKNOWN
        if qualified in ("int", "float") and len(args) == 1:
            inner = self.value_of(args[0].value, site, depth)
            if qualified == "int" and not inner.is_known:
                return SOME_INT if inner.is_int or inner.is_string else UNKNOWN
            try:
                return known(int(inner.value) if qualified == "int" else float(inner.value)) if inner.is_known else UNKNOWN  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return UNKNOWN
        method = ah.method_call(call)
        if method is not None and qualified is None:
            receiver, name = method
            if name == "format":
                return self._format(self.value_of(receiver, site, depth), call, site, depth)
            if name in ("joinpath",):
                return _join([self.value_of(receiver, site, depth), *(self.value_of(a.value, site, depth) for a in args)])
            if name == "with_suffix" and len(args) == 1:
                base = self.value_of(receiver, site, depth)
                suffix = self.value_of(args[0].value, site, depth)
                if suffix.text is not None:
                    if base.text is not None:
                        stem = base.text.rsplit("/", 1)
                        last = stem[-1]
                        dot = last.rfind(".")
                        if dot > 0:
                            last = last[:dot]
                        stem[-1] = last + suffix.text
                        return known("/".join(stem))
                    return partial(base.head if "." not in base.head.rsplit("/", 1)[-1] else "", suffix.text)
                return UNKNOWN
            if name in ("lower", "upper", "strip") and not args:
                inner = self.value_of(receiver, site, depth)
                if inner.text is not None:
                    return known(getattr(inner.text, name)())
                return UNKNOWN
        function = semantic.function_called(call, site)
        if function is not None:
            returns = semantic.returns_of(function)
            if returns:
                return merge(self.value_of(value, where, depth) for value, where in returns)
        elif not call.args and semantic.project_modules is not None:  # a helper of an imported project module
            func = call.func
            if isinstance(func, cst.Name):
                bindings = semantic.scopes.lookup(func.value, site)
                if len(bindings) == 1 and bindings[0].kind == "import":
                    return self._imported(bindings[0], call)
            elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                module = self._module_binding(func.value, site)
                if module is not None:
                    return self._imported(module, call, func.attr.value)
        return UNKNOWN

    def _changed(self, name: str) -> bool:
        """The container ``name`` holds may change after its display: an item is stored into it
        (``d[k] = v``) or a method other than a read is called on it (``d.update(...)``)."""
        semantic = self.semantic
        if any(stored == name for stored, _, _ in semantic.item_stores):
            return True
        return any(r.instance is not None and r.instance[0] == name and r.instance[1] not in _READS for r in semantic.calls.calls)

    def _module_binding(self, name: cst.Name, site: Site) -> Binding | None:
        """The one ``import`` binding ``name`` sees, if it is that."""
        bindings = self.semantic.scopes.lookup(name.value, site)
        return bindings[0] if len(bindings) == 1 and bindings[0].kind == "import" else None

    def _format(self, template: Value, call: cst.Call, site: Site, depth: int) -> Value:
        text = template.text
        if text is not None and not ah.has_star_args(call):
            positional = [self.value_of(a.value, site, depth) for a in call.args if a.keyword is None]
            named = {a.keyword.value: self.value_of(a.value, site, depth) for a in call.args if a.keyword is not None}
            if all(v.is_known for v in positional) and all(v.is_known for v in named.values()):
                try:
                    return known(text.format(*(v.value for v in positional), **{k: v.value for k, v in named.items()}))
                except (IndexError, KeyError, ValueError, AttributeError, TypeError):
                    return UNKNOWN
        if not template.is_string:
            return UNKNOWN
        number_end = text is not None and self._format_ends_in_numbers(text, call, site, depth)
        return partial(_literal_head(template.head), _literal_tail(template.tail) if text is not None or template.suffix else "", number_end)

    def _format_ends_in_numbers(self, template: str, call: cst.Call, site: Site, depth: int) -> bool:
        """``template.format(...)`` ends with an integer field: an ``d`` format spec, or a plain
        field given an integer."""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            return False
        if not parsed or parsed[-1][1] is None or parsed[-1][3] is not None:
            return False
        field, spec = parsed[-1][1], parsed[-1][2] or ""
        if spec.endswith("d"):
            return True
        if spec or ah.has_star_args(call):
            return False
        if field == "":
            index = sum(1 for item in parsed if item[1] is not None) - 1
            if any(item[1] not in (None, "") for item in parsed):
                return False
        elif field.isdigit():
            index = int(field)
        else:
            given = ah.keyword_value(call, field)
            return given is not None and self.value_of(given, site, depth).is_int
        positional = ah.positional(call)
        return index < len(positional) and self.value_of(positional[index].value, site, depth).is_int

    def _is_path(self, expr: cst.BaseExpression, site: Site) -> bool:
        """``expr`` is a ``pathlib.Path`` (constructed here or bound to one)."""
        if isinstance(expr, cst.Call):
            return self.semantic.qualified(expr.func) in _PATH
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self._is_path(expr.left, site)
        if isinstance(expr, cst.Name):
            return any(
                b.value is not None and b.kind == "assign" and self._is_path(b.value, b.site)
                for b in self.semantic.scopes.lookup(expr.value, site)
            )
        return False


def _split_part(text: Value, separator: Value, index: str | int, whole: bool) -> Value:
    """Part ``index`` of ``text.split(separator)`` (``whole``: no ``maxsplit``); the first part
    of a partly known string holds no separator after its known start."""
    sep = separator.text
    if not sep or not isinstance(index, int) or isinstance(index, bool):
        return UNKNOWN
    if text.text is not None:
        parts = text.text.split(sep) if whole else None
        return known(parts[index]) if parts is not None and -len(parts) <= index < len(parts) else UNKNOWN
    if index != 0 or not text.is_string:
        return UNKNOWN
    if sep in text.prefix:
        return known(text.prefix.split(sep, 1)[0])
    return partial(text.prefix, "", lacks=sep if len(sep) == 1 else "")


def _join(parts: list[Value]) -> Value:
    """``os.path.join`` / ``Path / ...`` of (partial) string values."""
    pieces: list[Value] = []
    for index, part in enumerate(parts):
        if index and part.text is not None and part.text.startswith("/"):
            pieces = [part]  # an absolute component restarts the path
            continue
        if pieces:
            previous = pieces[-1]
            if not (previous.is_known and isinstance(previous.value, str) and previous.value.endswith("/")):
                pieces.append(known("/"))
        if not part.is_string:
            part = partial("", "")
        pieces.append(part)
    return concat(pieces) if pieces else UNKNOWN


def _arithmetic(operator: str, left: Value, right: Value) -> Value:
    if operator == "Add" and (left.is_string or right.is_string):
        if (left.is_known and not left.is_string) or (right.is_known and not right.is_string):
            return UNKNOWN  # ``"a" + 1`` raises
        return concat([left if left.is_string else partial("", ""), right if right.is_string else partial("", "")])
    if not (left.is_known and right.is_known):
        integral = operator in ("Add", "Subtract", "Multiply", "FloorDivide", "Modulo")
        return SOME_INT if integral and left.is_int and right.is_int else UNKNOWN
    a, b = left.value, right.value
    try:
        if operator == "Add":
            return known(a + b)  # type: ignore[operator]
        if operator == "Subtract":
            return known(a - b)  # type: ignore[operator]
        if operator == "Multiply":
            return known(a * b)  # type: ignore[operator]
        if operator == "FloorDivide":
            return known(a // b)  # type: ignore[operator]
        if operator == "Divide":
            return known(a / b)  # type: ignore[operator]
        if operator == "Power" and isinstance(b, int) and abs(b) < 64:
            return known(a**b)  # type: ignore[operator]
    except (TypeError, ZeroDivisionError, OverflowError, ValueError):
        return UNKNOWN
    return UNKNOWN


def _literal_spec(spec: object) -> str | None:
    """The text of an f-string format spec without nested fields (``02d``), else None."""
    if not spec:
        return None
    parts = list(spec)  # type: ignore[call-overload]
    if all(isinstance(p, cst.FormattedStringText) for p in parts):
        return "".join(p.value for p in parts)
    return None


def _literal_head(template: str) -> str:
    """The text of a ``str.format`` template before its first replacement field."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return ""
    return parsed[0][0] if parsed else template


def _literal_tail(template: str) -> str:
    """The text of a ``str.format`` template after its last replacement field."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return ""
    if not parsed:
        return ""
    literal, field_name, _, _ = parsed[-1]
    return literal if field_name is None else ""


def _after_conversion(text: str) -> str:
    """``%(name)02d.h5`` -> ``.h5``: the text after a ``%`` conversion specifier."""
    index = 1
    if index < len(text) and text[index] == "(":
        close = text.find(")", index)
        if close < 0:
            return ""
        index = close + 1
    while index < len(text) and text[index] in "#0- +.*123456789hlL":
        index += 1
    return text[index + 1 :] if index < len(text) else ""
