"""Small, shared libcst helpers every rule uses (one place, no copies in rules)."""

from __future__ import annotations

import libcst as cst


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """The ``name=`` keyword argument of ``call``, if given."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def keyword_value(call: cst.Call, name: str) -> cst.BaseExpression | None:
    arg = keyword(call, name)
    return arg.value if arg is not None else None


def positional(call: cst.Call) -> list[cst.Arg]:
    """Positional arguments (no keyword, no ``*``/``**`` unpacking)."""
    return [a for a in call.args if a.keyword is None and not a.star]


def argument(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
    """An argument given either positionally at ``index`` or as ``name=``."""
    value = keyword_value(call, name)
    if value is not None:
        return value
    args = positional(call)
    return args[index].value if index < len(args) else None


def has_star_args(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def string_value(expr: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non f-) string literal, including implicit concatenation."""
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.ConcatenatedString):
        left = string_value(expr.left)
        right = string_value(expr.right)
        return None if left is None or right is None else left + right
    return None


def is_true(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def int_value(expr: cst.BaseExpression | None) -> int | None:
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


def method_call(call: cst.Call) -> tuple[cst.BaseExpression, str] | None:
    """``(receiver, method)`` for ``receiver.method(...)``, else None."""
    if isinstance(call.func, cst.Attribute):
        return call.func.value, call.func.attr.value
    return None


def target_names(target: cst.BaseExpression) -> list[str]:
    """Plain names bound by an assignment target (``a``, ``a, b``, ``[a, b]``)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            names.extend(target_names(element.value))
        return names
    return []


def assigned_name(node: cst.Assign | cst.AnnAssign) -> str | None:
    """The single plain name an assignment binds (``x = ...``), else None."""
    if isinstance(node, cst.AnnAssign):
        return node.target.value if isinstance(node.target, cst.Name) else None
    if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
        return node.targets[0].target.value
    return None


def function_param(func: cst.FunctionDef, name: str) -> cst.Param | None:
    params = func.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def with_keyword(call: cst.Call, keyword: str, value: str) -> cst.Call | None:
    """``call`` with ``keyword=value`` appended, keeping its layout (one line, or one argument
    per line with a trailing comma); None when ``call`` has ``*``/``**`` arguments, whose
    contents could already hold the keyword."""
    if has_star_args(call):
        return None
    args = list(call.args)
    new_arg = cst.Arg(
        value=cst.parse_expression(value),
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if not args:
        return call.with_changes(args=[new_arg])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new argument on its own line
        previous = args[-2].comma if len(args) > 1 else None
        separator = previous if isinstance(previous, cst.Comma) else cst.Comma(whitespace_after=call.whitespace_before_args)
        args[-1] = last.with_changes(comma=separator)
        args.append(new_arg.with_changes(comma=last.comma))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(new_arg)
    return call.with_changes(args=args)
