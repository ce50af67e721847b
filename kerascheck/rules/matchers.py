"""Matchers shared by several rule families (one definition, no copies in rules)."""

from __future__ import annotations

import bisect
import re
import weakref

import libcst as cst

from kerascheck.findings import Applicability, Edit, Fix, Location
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.cst_children import descendants
from kerascheck.static.names import dotted
from kerascheck.static.semantic import Site
from kerascheck.static.semantic.keras_models import LOAD_FUNCTIONS, LOAD_METHODS

_MODELISH = re.compile(
    r"(?:^|_)(?:model|net|network|classifier|regressor|autoencoder|encoder|decoder|generator|discriminator)s?(?:_|$|\d)", re.IGNORECASE
)

#: Methods only Keras models have (no sklearn/torch/etc. namesake). Calls of these on a receiver
#: whose origin is unknown are Keras calls unless the file defines a method of that name.
KERAS_ONLY_METHODS = frozenset(
    {"predict_classes", "fit_generator", "predict_generator", "evaluate_generator", "train_on_batch",
     "predict_on_batch", "test_on_batch", "save_weights", "load_weights", "reset_states"}
)
#: ``model.<method>(...)`` calls that train a model over a data set (``fit_generator`` is the
#: removed Keras 2 spelling of ``fit``, KC103; code that calls it still trains when it runs).
MODEL_FIT_METHODS = frozenset({"fit", "fit_generator"})


def receiver_is_model(context: FileContext, receiver: cst.BaseExpression, method: str) -> bool:
    """``receiver.method(...)`` is (very likely) a call on a Keras model.

    True when the receiver visibly holds a Keras model (``Sequential``, ``Model``, ``load_model``,
    a ``keras.Model`` subclass, a function returning one; through the bindings the use sees),
    or when ``method`` exists only on Keras models and no class in this file defines it (so it
    cannot be a user's own method), or when the receiver is named like a model (``model``,
    ``self.model``, ``clf_model``) in a file that uses Keras and no class of the file defines
    ``method``. A wrapper class's ``self.model`` is a model even when the wrapper defines its own
    ``fit``/``predict``, unless ``self.model`` holds an instance of a class of this file.
    """
    if context.semantic.is_model(receiver):
        return True
    if isinstance(receiver, cst.Call):
        return False
    if context.semantic.defines_method(method) and not _wrapped_model(context, receiver):
        return False
    if method in KERAS_ONLY_METHODS and context.uses_keras:
        return True
    name = dotted(receiver)
    if name is None or context.qualified(receiver) is not None:
        return False
    return context.uses_keras and bool(_MODELISH.search(name.rsplit(".", 1)[-1]))


def _wrapped_model(context: FileContext, receiver: cst.BaseExpression) -> bool:
    """``self.<attr>`` whose bindings are not instances of a class of this file."""
    if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and receiver.value.value == "self"):
        return False
    semantic = context.semantic
    for binding in semantic.scopes.lookup_attribute(receiver.attr.value, semantic.here()):
        value = binding.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in semantic.classes:
            return False
    return True


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def names_in(expr: cst.BaseExpression) -> set[str]:
    """Every plain name an expression mentions (``f(a.b, c[d])`` -> f, a, c, d)."""
    collector = _NameCollector()
    expr.visit(collector)
    return collector.names


def path_literal(expr: cst.BaseExpression | None, context: FileContext | None = None) -> str | None:
    """The statically known *ending* of a file path expression, None if unknown.

    With ``context``, through the semantic model's ``value_of`` (names, parameters, helpers,
    ``+``, f-strings, ``%``, ``.format``, ``os.path.join``, ``Path`` and ``/``): the whole
    path when it is known, else its known suffix (``out + "/best.h5"`` -> ``"/best.h5"``).
    Without, only the literal text of the expression is read (``f"{d}/m_{e}.h5"`` -> ``"/m_{}.h5"``).
    """
    if expr is None:
        return None
    if context is not None:
        value = context.semantic.value_of(expr)
        return value.tail if value.is_string and value.tail else None
    text = ah.string_value(expr)
    if text is not None:
        return text
    if isinstance(expr, cst.FormattedString):
        tail = []
        for part in reversed(expr.parts):
            if isinstance(part, cst.FormattedStringText):
                tail.append(part.value)
            else:
                tail.append("{}")
                break
        return "".join(reversed(tail)) if tail and tail[0] != "{}" else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Divide)):
        return path_literal(expr.right)
    if isinstance(expr, cst.Call):
        name = dotted(expr.func) or ""
        if name.endswith(("path.join", "os.path.join")) and expr.args:
            return path_literal(expr.args[-1].value)
    return None


def path_ends_in_number(expr: cst.BaseExpression | None, context: FileContext) -> bool:
    """The path certainly ends with the text of an integer (``ckpt + "." + str(epoch)``,
    ``"model_{:d}".format(i)``): no file extension Keras 3 accepts."""
    return expr is not None and context.semantic.value_of(expr).ends_in_number


def is_complete_path(expr: cst.BaseExpression | None, context: FileContext | None = None) -> bool:
    """The path's file name is known: a literal; with ``context``, a fully known value or one
    whose known ending includes a ``/`` (``save + "/warmup/chkpt"``)."""
    if context is not None and expr is not None:
        value = context.semantic.value_of(expr)
        return value.text is not None or (value.is_string and "/" in value.tail)
    return ah.string_value(expr) is not None


def suffix_source(context: FileContext, expr: cst.BaseExpression | None, depth: int = 0) -> cst.BaseExpression | None:
    """The string literal that writes the ending of a path expression (``"m.h5"`` in
    ``os.path.join(out, "m.h5")``, in ``path = out + "/m.h5"`` for ``path``...), or None."""
    if expr is None or depth > 8:
        return None
    if isinstance(expr, cst.SimpleString):
        return expr
    if isinstance(expr, cst.ConcatenatedString):
        return suffix_source(context, expr.right, depth + 1)
    if isinstance(expr, cst.FormattedString):
        return expr if expr.parts and isinstance(expr.parts[-1], cst.FormattedStringText) else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Divide)):
        return suffix_source(context, expr.right, depth + 1)
    if isinstance(expr, cst.Call):
        qualified = context.qualified(expr.func) or ""
        if qualified in ("os.path.join", "pathlib.Path", "str", "os.fspath") and expr.args and not ah.has_star_args(expr):
            return suffix_source(context, expr.args[-1].value, depth + 1)
        return None
    if isinstance(expr, cst.Name):
        bindings = context.semantic.lookup(expr.value)
        if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
            return suffix_source(context, bindings[0].value, depth + 1)
    return None


_StringsAndLoads = tuple[list[cst.SimpleString | cst.FormattedString], list[cst.Call]]
#: One whole-file look per file, however many saves a file renames.
_STRINGS_AND_LOADS: weakref.WeakKeyDictionary[FileContext, _StringsAndLoads] = weakref.WeakKeyDictionary()


def _strings_and_loads(context: FileContext) -> _StringsAndLoads:
    """String literals and load calls (``load_model``, ``load_weights``...) of the whole file."""
    known = _STRINGS_AND_LOADS.get(context)
    if known is not None:
        return known
    strings: list[cst.SimpleString | cst.FormattedString] = []
    loads: list[cst.Call] = []
    for node in descendants(context.module):
        if isinstance(node, (cst.SimpleString, cst.FormattedString)):
            strings.append(node)
        elif isinstance(node, cst.Call):
            qualified = context.qualified(node.func)
            method = ah.method_call(node)
            if qualified in LOAD_FUNCTIONS or (qualified is None and method is not None and method[1] in LOAD_METHODS):
                loads.append(node)
    _STRINGS_AND_LOADS[context] = (strings, loads)
    return strings, loads


def _literal_tail(node: cst.SimpleString | cst.FormattedString) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    last = node.parts[-1] if node.parts else None
    return last.value if isinstance(last, cst.FormattedStringText) else None


def rename_path_fix(context: FileContext, call: cst.Call, path: cst.BaseExpression, old: str, new: str, message: str) -> Fix | None:
    """An unsafe fix renaming a saved file's extension everywhere the file names it.

    Every string literal of the file ending with the same file name (the save, the
    ``load_model`` reading it back, a ``ModelCheckpoint``...) gets the new suffix, and a
    ``save_format="h5"`` beside the path is removed (Keras 3 takes the format from the
    extension). None when the path's literal cannot be found, when another load or save of the
    file builds a possibly equal path the fix cannot rewrite, or when ``save_format`` is not a
    literal: a rename that misses a use breaks the program.
    """
    source = suffix_source(context, path)
    tail = _literal_tail(source) if source is not None else None  # type: ignore[arg-type]
    if source is None or tail is None or not tail.endswith(old):
        return None
    file_name = tail.rsplit("/", 1)[-1]
    strings, loads = _strings_and_loads(context)
    literals = [node for node in strings if (_literal_tail(node) or "").endswith(file_name)]
    if not any(node is source for node in literals):
        literals.append(source)  # type: ignore[arg-type]
    edits: list[Edit] = []
    renamed: set[int] = set()
    for node in literals:
        edit = replace_string_suffix(context, node, old, new)
        if edit is None:
            return None
        edits.append(edit)
        renamed.add(id(node))
    # A load of the file through a value this fix does not rewrite (``load_model(f"{d}/{n}.h5")``).
    for load in loads:
        argument = ah.argument(load, 0, "filepath")
        if argument is None:
            continue
        inner = suffix_source(context, argument)
        if inner is not None and id(inner) in renamed:
            continue
        value = context.semantic.value_of(argument)
        if (value.is_string and value.tail.endswith(file_name)) or (inner is None and old in context.code(argument)) or (
            inner is not None and (_literal_tail(inner) or "").endswith(old)  # type: ignore[arg-type]
        ):
            return None
    save_format = ah.keyword(call, "save_format")
    if save_format is not None:
        fmt = ah.string_value(save_format.value)
        if fmt is None:
            return None
        if fmt.lower() in ("h5", "hdf5"):
            index = next(i for i, a in enumerate(call.args) if a is save_format)
            previous = call.args[index - 1] if index else None
            if previous is None or not isinstance(previous.comma, cst.Comma):
                return None
            edits.append(context.edit_span(previous.comma, save_format, ""))
    return fix(edits, safe=False, message=message)


def fix(edits: list[Edit] | Edit, *, safe: bool, message: str) -> Fix:
    edits_tuple = tuple(edits) if isinstance(edits, list) else (edits,)
    return Fix(edits_tuple, Applicability.SAFE if safe else Applicability.UNSAFE, message)


def replace_string_suffix(context: FileContext, string: cst.BaseExpression, old: str, new: str) -> Edit | None:
    """Edit a path literal's suffix (``"m.h5"`` -> ``"m.keras"``), keeping its quotes/prefix."""
    if isinstance(string, cst.SimpleString):
        raw = string.value
        quote_end = len(raw) - len(string.quote)
        body = raw[:quote_end]
        if body.endswith(old):
            return replace_in_source(context, string, body[: len(body) - len(old)] + new + raw[quote_end:])
    if isinstance(string, cst.FormattedString) and string.parts:
        last = string.parts[-1]
        if isinstance(last, cst.FormattedStringText) and last.value.endswith(old):
            return replace_in_source(context, last, last.value[: len(last.value) - len(old)] + new)
    return None


def replace_in_source(context: FileContext, node: cst.CSTNode, text: str) -> Edit:
    """An edit replacing ``node``'s source text with ``text``."""
    return context.edit(node, text)


def add_keyword_edit(context: FileContext, call: cst.Call, keyword: str, value: str) -> Edit | None:
    """An edit appending ``keyword=value`` to ``call``'s arguments, keeping its layout (one line
    or one argument per line with a trailing comma). None when ``call`` has ``*``/``**`` args."""
    changed = ah.with_keyword(call, keyword, value)
    return None if changed is None else context.edit(call, context.code(changed))


# -- prediction, samples, modes (KC2xx, KC5xx, KC7xx) ----------------------------------------

PREDICT_METHODS = frozenset({"predict", "predict_on_batch"})
_EXPAND_DIMS = frozenset({"numpy.expand_dims", "tensorflow.expand_dims", "keras.ops.expand_dims", "keras.backend.expand_dims"})
_FROM_LIST = frozenset(
    {"numpy.array", "numpy.asarray", "numpy.stack", "tensorflow.constant", "tensorflow.convert_to_tensor",
     "tensorflow.stack", "keras.ops.convert_to_tensor", "keras.ops.stack"}
)
_RESHAPE = frozenset({"numpy.reshape", "tensorflow.reshape", "keras.ops.reshape"})
_FILLED = frozenset({"numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full", "tensorflow.zeros", "tensorflow.ones",
                     "keras.ops.zeros", "keras.ops.ones"})
_NEW_AXIS = frozenset({"numpy.newaxis", "tensorflow.newaxis"})
_MC_NAME = re.compile(r"(?:^|_)mc(?:_|$)|^MC[A-Z_]|MonteCarlo|monte_?carlo|uncertaint|bayes", re.IGNORECASE)
_MC_COMMENT = re.compile(r"#.*(?:monte.?carlo|mc.?dropout|\bmc\b|uncertaint|bayesian)", re.IGNORECASE)


def predict_receiver(context: FileContext, call: cst.Call, methods: frozenset[str] = PREDICT_METHODS) -> cst.BaseExpression | None:
    """The model of ``model.predict(...)``/``model.predict_on_batch(...)``, else None."""
    method = ah.method_call(call)
    if method is None or method[1] not in methods or context.qualified(call.func) is not None:
        return None
    return method[0] if receiver_is_model(context, method[0], method[1]) else None


def _leading_one(shape: cst.BaseExpression | None) -> bool:
    """A shape literal whose first dimension is 1: ``(1, 28, 28)``, ``[1, -1]``, ``(1,) + s``."""
    if isinstance(shape, cst.BinaryOperation) and isinstance(shape.operator, cst.Add):
        return _leading_one(shape.left)
    if isinstance(shape, (cst.Tuple, cst.List)) and shape.elements:
        return ah.int_value(shape.elements[0].value) == 1
    return False


def is_single_sample(
    context: FileContext,
    expr: cst.BaseExpression | None,
    names: frozenset[str] | set[str] = frozenset(),
    items: frozenset[str] | set[str] = frozenset(),
    site: Site | None = None,
    depth: int = 0,
) -> bool:
    """``expr`` is a batch of exactly one sample, built visibly from one item.

    ``x[i:i+1]``, ``x[:1]``, ``x[None]``, ``x[np.newaxis, ...]``, ``x[np.array([i])]``, ``np.expand_dims(x, 0)``,
    ``np.array([x])``, ``x.reshape(1, ...)``, ``np.reshape(x, (1, ...))``, ``np.zeros((1, ...))``,
    ``["one sentence"]``. ``names`` are names bound to such an expression (they count bare);
    ``items`` are loop variables, which count only wrapped as ``[item]`` (``for batch in ds:
    predict(batch)`` predicts whole batches).
    """
    if expr is None or depth > 6:
        return False
    if isinstance(expr, cst.Name):
        return expr.value in names or _bound_to_single_sample(context, expr, site, depth)
    if isinstance(expr, cst.Subscript) and expr.slice:
        first = expr.slice[0].slice
        if isinstance(first, cst.Index):
            value = first.value
            if isinstance(value, cst.Call) and context.qualified(value.func) == "numpy.array" and len(expr.slice) == 1:
                # ``x[np.array([i])]``: NumPy fancy indexing with one index, a batch of one row.
                listed = ah.argument(value, 0, "object")
                return isinstance(listed, cst.List) and len(listed.elements) == 1 and not isinstance(listed.elements[0], cst.StarredElement)
            return (isinstance(value, cst.Name) and value.value == "None") or context.qualified(value) in _NEW_AXIS
        if isinstance(first, cst.Slice) and first.step is None and first.upper is not None:
            if first.lower is None:
                return ah.int_value(first.upper) == 1
            upper = first.upper
            return (
                isinstance(upper, cst.BinaryOperation)
                and isinstance(upper.operator, cst.Add)
                and ah.int_value(upper.right) == 1
                and context.code(upper.left).strip() == context.code(first.lower).strip()
            )
        return False
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add) and isinstance(expr.left, cst.List):
        # ``[target_seq] + states``: a model's inputs, the first of them a batch of one.
        return _first_input_single(context, expr.left, site, depth)
    if isinstance(expr, cst.List):
        if len(expr.elements) > 1:
            return _first_input_single(context, expr, site, depth)
        if len(expr.elements) != 1:
            return False
        element = expr.elements[0].value
        return (
            isinstance(element, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.List))
            or (
                isinstance(element, cst.Name)
                and (element.value in names or element.value in items or _bound_to_single_sample(context, element, site, depth))
            )
        )
    if not isinstance(expr, cst.Call):
        return False
    qualified = context.qualified(expr.func)
    if qualified in _EXPAND_DIMS:
        return ah.int_value(ah.argument(expr, 1, "axis")) == 0
    if qualified in _FROM_LIST:
        listed = ah.argument(expr, 0, "value" if qualified.startswith(("tensorflow.", "keras.")) else "object")
        if qualified in ("numpy.stack", "tensorflow.stack", "keras.ops.stack"):
            listed = ah.argument(expr, 0, "arrays" if qualified == "numpy.stack" else "values")
        return isinstance(listed, (cst.List, cst.Tuple)) and len(listed.elements) == 1 and not isinstance(listed.elements[0], cst.StarredElement)
    if qualified in _RESHAPE:
        return _leading_one(ah.argument(expr, 1, "shape" if not qualified.startswith("numpy") else "newshape"))
    if qualified in _FILLED:
        return _leading_one(ah.argument(expr, 0, "shape"))
    method = ah.method_call(expr)
    if qualified is None and method is not None and method[1] == "reshape":
        args = ah.positional(expr)
        if len(args) > 1:
            return ah.int_value(args[0].value) == 1
        return len(args) == 1 and _leading_one(args[0].value)
    return False


def _first_input_single(context: FileContext, inputs: cst.List, site: Site | None, depth: int) -> bool:
    """A list of a multi-input model's inputs whose first is itself a batch of one
    (``[x[None], mask[None]]``): every input has that batch size."""
    if not inputs.elements or isinstance(inputs.elements[0], cst.StarredElement):
        return False
    first = inputs.elements[0].value
    return not isinstance(first, cst.List) and is_single_sample(context, first, site=site, depth=depth + 1)


def _bound_to_single_sample(context: FileContext, name: cst.Name, site: Site | None = None, depth: int = 0) -> bool:
    """The last binding the use of ``name`` sees holds a one-sample expression (``x = img[None]``,
    also under ``if x.ndim < 4:``; loop variables alone do not count), or ``name`` is a
    parameter that every call of the file passes one sample (``act(self.preprocess(s))`` with
    ``preprocess`` returning ``np.reshape(s, [1, 4])``), or a loop variable whose every value is
    one sample (``for s, a in memory`` with ``memory.append((np.reshape(s, [1, 4]), a))``)."""
    semantic = context.semantic
    bindings = semantic.lookup(name.value, site)
    if not bindings:
        return False
    last = bindings[-1]
    if last.kind == "param":
        passed = semantic.arguments_for(last)
        return passed is not None and bool(passed) and all(is_single_sample(context, value, site=where, depth=depth + 1) for value, where in passed)
    if last.kind in ("loop", "unpack"):
        # ``for state, action in memory`` where every element of ``memory`` holds one sample there;
        # ``image, ratio = prepare(x)`` where ``prepare`` returns ``(x[None], r)``.
        items = semantic.loop_items(last) if isinstance(last.node, cst.For) else semantic.unpacked_values(last)
        return bool(items) and all(is_single_sample(context, value, site=where, depth=depth + 1) for value, where in items or ())
    if last.kind != "assign" or last.value is None:
        return False
    value = last.value
    if isinstance(value, cst.Name):
        return _bound_to_single_sample(context, value, last.site, depth + 1)
    if isinstance(value, cst.Call) and context.qualified(value.func) is None:
        function = semantic.function_called(value, last.site)
        if function is not None:
            returns = semantic.returns_of(function)
            return bool(returns) and all(is_single_sample(context, r, site=w, depth=depth + 1) for r, w in returns)
    return is_single_sample(context, value, site=last.site, depth=depth + 1)


def declares_mc_dropout(context: FileContext, node: cst.CSTNode) -> bool:
    """The author says ``training=True`` at inference is deliberate (Monte-Carlo dropout,
    uncertainty estimation): an enclosing class or function is named so (``MCDropout``,
    ``mc_predict``, ``predict_with_uncertainty``), or a comment on the call's lines or the line
    above says so."""
    return mc_dropout_named(context) or mc_dropout_commented(context, node)


def mc_dropout_named(context: FileContext) -> bool:
    """An enclosing class or function of the current node is named for Monte-Carlo dropout."""
    names = [c.name.value for c in context.classes] + [f.name.value for f in context.functions]
    return any(_MC_NAME.search(name) for name in names)


def mc_dropout_commented(context: FileContext, node: cst.CSTNode) -> bool:
    """A comment on ``node``'s lines or the line above mentions Monte-Carlo dropout (needs the
    file's positions: ask only before reporting)."""
    line, _, end_line, _ = context.source_range(node)
    lines = context.source.splitlines()
    return any(_MC_COMMENT.search(text) for text in lines[max(line - 2, 0) : end_line])


def literal_bool(expr: cst.BaseExpression | None) -> bool | None:
    """``True``/``False`` for those literals, else None."""
    if ah.is_true(expr):
        return True
    if ah.is_false(expr):
        return False
    return None


def in_layer_method(context: FileContext, name: str) -> bool:
    """The innermost function is method ``name`` (e.g. ``call``) of the innermost class, and
    that class is a Keras Layer/Model subclass defined in this file."""
    function = context.function
    if function is None or function.name.value != name or not context.classes:
        return False
    return function in context.classes[-1].body.body and context.enclosing_class_is_layer()


class FastLocator:
    """Locations of calls and classes without libcst positions, for facts recorded during the
    walk of files that may report nothing.

    libcst positions cost a codegen of the whole file. Here a call is found in the source text
    instead: the *n*-th call of a dotted callee (``model.fit``) in walk order is the *n*-th
    ``model.fit(`` outside strings and comments, and the position is only used if the call's
    own source text (libcst round-trips it exactly) is found there; otherwise, and for anything
    else, ``context.location`` is used. The owner must :meth:`count` every call it visits, in
    walk order, and keep :attr:`fstring_depth` (calls inside f-strings are not searched for:
    the text search skips string literals).
    """

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.fstring_depth = 0
        self._seen: dict[str, int] = {}
        self._ranks: dict[int, tuple[str, int]] = {}
        self._hits: dict[str, list[int]] | None = None
        self._line_starts: list[int] | None = None

    def count(self, node: cst.Call) -> None:
        key = dotted(node.func)
        if key is not None and not self.fstring_depth:
            rank = self._seen.get(key, 0)
            self._seen[key] = rank + 1
            self._ranks[id(node)] = (key, rank)

    def call_range(self, node: cst.Call) -> tuple[int, int, int, int] | None:
        """``(line, column, end_line, end_column)`` (1-based columns) of a counted call."""
        ranked = self._ranks.get(id(node))
        if ranked is None:
            return None
        key, rank = ranked
        hits = self._scan().get(key, ())
        if rank >= len(hits):
            return None
        offset = hits[rank]
        source = self.context.source
        code = self.context.code(node)
        if source.startswith(code, offset):
            return (*self._position(offset), *self._position(offset + len(code)))
        # Continuation lines of a call inside a block: libcst prints them without the block's
        # indentation, so compare line by line, ignoring leading whitespace.
        lines = code.split("\n")
        if not source.startswith(lines[0], offset):
            return None
        line, column = self._position(offset)
        starts = self._line_starts or []
        if line + len(lines) - 1 > len(starts):
            return None
        end_column = 0
        for index, text in enumerate(lines[1:], start=line + 1):
            begin = starts[index - 1]
            finish = starts[index] if index < len(starts) else len(source)
            actual = source[begin:finish].rstrip("\r\n")
            wanted = text.lstrip()
            if not actual.lstrip().startswith(wanted):
                return None
            end_column = len(actual) - len(actual.lstrip()) + len(wanted) + 1
        return line, column, line + len(lines) - 1, end_column

    def location(self, node: cst.Call) -> Location:
        span = self.call_range(node)
        return self.context.make_location(*span) if span else self.context.location(node)

    def edit(self, node: cst.Call, text: str) -> Edit:
        span = self.call_range(node)
        if span is None:
            return self.context.edit(node, text)
        line, column, end_line, end_column = span
        cell_map = self.context.cell_map
        if cell_map is None:
            return Edit(line, column, end_line, end_column, text)
        cell, cell_line = cell_map.locate(line)
        _, cell_end = cell_map.locate(end_line)
        return Edit(cell_line, column, cell_end, end_column, text, cell=cell)

    def class_name_location(self, node: cst.ClassDef) -> Location:
        """Where the name of a class statement is (found by text when the name is defined once)."""
        name = node.name.value
        hits = self._scan().get("class " + name, ())
        if len(hits) != 1:  # redefined (or not found): let libcst say which one this is
            return self.context.location(node.name)
        line, column = self._position(hits[0])
        return self.context.make_location(line, column, line, column + len(name))

    def _scan(self) -> dict[str, list[int]]:
        """Offsets of every ``dotted.name(`` and ``class Name`` outside strings and comments
        (one pass over the source, on the first request)."""
        if self._hits is None:
            self._hits = {}
            for match in _CODE_SCANNER.finditer(self.context.source):
                call = match.group("call")
                if call is not None:
                    key = call if call.isidentifier() else re.sub(r"\s+", "", call)
                    self._hits.setdefault(key, []).append(match.start("call"))
                elif match.group("cls") is not None:
                    self._hits.setdefault("class " + match.group("cls"), []).append(match.start("cls"))
        return self._hits

    def _position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n?|\n", self.context.source)]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


#: ``def name(`` (and ``class Name(``) is not a call of ``name``.
_DEFINITION = r"(?<![\w.])def\s+\w+"
#: Comments and string literals (any prefix, single or triple quoted): skipped when searching code.
_SKIP = (
    r"(?:#[^\r\n]*|[rRbBuUfF]{0,2}(?:"
    + r"\'\'\'[\s\S]*?\'\'\'|" + r'\"\"\"[\s\S]*?\"\"\"|'
    + r"\'(?:\\.|[^\'\\\r\n])*\'|" + r'\"(?:\\.|[^\"\\\r\n])*\"'
    + r"))"
)
_CODE_SCANNER = re.compile(
    f"{_SKIP}|{_DEFINITION}"
    r"|(?<![\w.])class\s+(?P<cls>\w+)"
    r"|(?P<call>(?<![\w.])[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)\s*\("
)
