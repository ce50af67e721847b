"""Matchers shared by several rule families (one definition, no copies in rules)."""

from __future__ import annotations

import re

import libcst as cst

from kerascheck.findings import Applicability, Edit, Fix
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.names import dotted

_MODELISH = re.compile(r"(?:^|_)(?:model|net|network|classifier|regressor|autoencoder|encoder|decoder|generator|discriminator)s?(?:_|$|\d)", re.I)

#: Methods only Keras models have (no sklearn/torch/etc. namesake). Calls of these on a receiver
#: whose origin is unknown are Keras calls unless the file defines a method of that name.
KERAS_ONLY_METHODS = frozenset(
    {"predict_classes", "fit_generator", "predict_generator", "evaluate_generator", "train_on_batch",
     "predict_on_batch", "test_on_batch", "save_weights", "load_weights", "reset_states"}
)


def receiver_is_model(context: FileContext, receiver: cst.BaseExpression, method: str) -> bool:
    """``receiver.method(...)`` is (very likely) a call on a Keras model.

    True when the receiver visibly holds a Keras model (``Sequential``, ``Model``, ``load_model``,
    a ``keras.Model`` subclass, a function returning one), or when ``method`` exists only on
    Keras models and no class in this file defines it (so it cannot be a user's own method), or
    when the receiver is named like a model (``model``, ``self.model``, ``clf_model``) in a file
    that uses Keras and no class of the file defines ``method``.
    """
    if context.models.is_model(receiver):
        return True
    if context.models.defines_method(method):
        return False
    if isinstance(receiver, cst.Call):
        return False
    if method in KERAS_ONLY_METHODS and context.uses_keras:
        return True
    name = dotted(receiver)
    if name is None or context.qualified(receiver) is not None:
        return False
    return context.uses_keras and bool(_MODELISH.search(name.rsplit(".", 1)[-1]))


def path_literal(expr: cst.BaseExpression | None) -> str | None:
    """The statically known *ending* of a file path expression.

    ``"m.h5"`` -> ``"m.h5"``; ``f"{out}/model_{epoch}.h5"`` -> ``"/model_{}.h5"`` (the text after
    the last placeholder is reliable, the rest is not); ``os.path.join(d, "m.h5")`` -> ``"m.h5"``;
    ``d + "/m.h5"`` -> ``"/m.h5"``; a ``Path(...) / "m.h5"`` -> ``"m.h5"``. None if unknown.
    """
    if expr is None:
        return None
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


def is_complete_path(expr: cst.BaseExpression | None) -> bool:
    """The whole path is a literal (not only its ending)."""
    return ah.string_value(expr) is not None


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
