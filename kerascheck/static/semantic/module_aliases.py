"""Module aliases made by assignment: ``K = keras.backend``, ``layers = tf.keras.layers``.

A module that says ``K = keras.backend`` once, at module level, means ``K`` as much as
``from keras import backend as K`` would: every rule resolving ``K.function`` must see
``keras.backend.function``. Such an assignment binds its name in the file's import table when

* it is a plain ``name = dotted.name`` (one target, the value a ``Name``/``Attribute`` chain);
* the value resolves, through the bindings made before it, to a Keras or TensorFlow *module*
  (a module some Keras release had, :func:`kerascheck.keras_api.module_names`' data, in any
  spelling; or ``tensorflow`` and its ``compat`` modules), not to a class or a function;
* nothing else binds that name at module level (an import, another assignment, a ``def``): a
  name bound twice may hold either.

Module level includes the bodies of top-level ``if``/``try``/``with`` blocks (``try: import
tensorflow as tf; K = tf.keras.backend`` is how packages make TensorFlow optional), and a
fallback in an ``except ImportError`` handler (``K = None``) does not count as a second binding
of a name the ``try`` body bound: it only runs when the import failed, and then nothing Keras
runs anyway.

This module holds the rules of that decision, one for both trees kerascheck reads: libcst's
(the file being checked, :func:`bind_aliases`) and CPython's (a project module read for its star
exports, :mod:`kerascheck.static.star_imports`). Each tree gives its top-level statements as
:class:`TopLevel` events; :func:`settled` applies the bound-once rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import libcst as cst

from kerascheck.records import record
from kerascheck.static.names import ImportTable, canonical, dotted

#: Exceptions whose handler runs when an import failed (its assignments are fallbacks).
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})

#: TensorFlow modules an alias may name besides the Keras ones (``tf1 = tf.compat.v1``).
_TENSORFLOW_MODULES = frozenset({"tensorflow", "tensorflow.compat", "tensorflow.compat.v1", "tensorflow.compat.v2"})

Kind = Literal["import", "alias", "rebind", "star"]


@record
class TopLevel:
    """One thing a module-level statement does to a name, in statement order.

    ``import``: ``name`` bound to the dotted path ``target``; ``alias``: ``name = target`` (a
    dotted name, resolved later); ``rebind``: ``name`` bound to something else (a ``def``, an
    assignment of another value); ``star``: ``from target import *`` (``name`` empty; relative
    modules keep their dots)."""

    kind: Kind
    name: str
    target: str = ""


def is_keras_module(qualified: str) -> bool:
    """``qualified`` (any spelling) names a Keras or TensorFlow module, not a class or function."""
    name = canonical(qualified)
    if name in _TENSORFLOW_MODULES:
        return True
    if name != "keras" and not name.startswith("keras."):
        return False
    from kerascheck.keras_api import load  # the data loads on first use only

    return name in load().exports


def catches_import_error(exception_names: Iterable[str | None]) -> bool:
    """A handler for these exception types (``except ImportError``, ``except (ImportError,
    OSError)``) runs when an import failed; ``None`` stands for a name that is not a plain one."""
    return any(name in IMPORT_ERRORS for name in exception_names)


def without_fallbacks(tried: Sequence[TopLevel], handler: Sequence[TopLevel]) -> list[TopLevel]:
    """``handler``'s events (an ``except ImportError`` handler) without those rebinding a name the
    ``try`` body (``tried``) bound: ``keras = None`` must not erase ``from tensorflow import keras``."""
    bound = {event.name for event in tried if event.kind != "star"}
    return [event for event in handler if event.kind == "star" or event.name not in bound]


def settled(events: Sequence[TopLevel]) -> tuple[TopLevel, ...]:
    """``events`` with each alias of a name bound more than once at module level turned into a
    rebinding (which of the values it holds where cannot be told)."""
    counts = Counter(event.name for event in events if event.kind != "star")
    return tuple(
        TopLevel("rebind", event.name) if event.kind == "alias" and counts[event.name] > 1 else event
        for event in events
    )


# -- libcst: the file being checked ----------------------------------------------------------


def bind_aliases(module: cst.Module, imports: ImportTable) -> bool:
    """Bind in ``imports`` (already holding the module's imports and star bindings) every
    module alias ``module`` makes by assignment (see the module docstring); True if any."""
    if not _has_candidate(module.body, imports.aliases):
        return False  # most modules: nothing to settle (no record is made for them)
    bound = False
    for event in settled(_events(module.body)):
        if event.kind != "alias":
            continue
        root, _, rest = event.target.partition(".")
        target = imports.aliases.get(root)
        if target is None:
            continue
        resolved = f"{target}.{rest}" if rest else target
        if is_keras_module(resolved):
            imports.aliases[event.name] = resolved
            imports.modules.add(resolved)
            bound = True
    return bound


def _has_candidate(body: Sequence[cst.CSTNode], imported: Mapping[str, str]) -> bool:
    """Some module-level ``name = a.b`` assigns a dotted name rooted at an imported name."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    root: cst.BaseExpression = small.value
                    while isinstance(root, cst.Attribute):
                        root = root.value
                    if isinstance(root, cst.Name) and root.value in imported:
                        return True
        elif isinstance(statement, (cst.If, cst.Try, cst.With)) and any(_has_candidate(block, imported) for block in _blocks(statement)):
            return True
    return False


def _blocks(statement: cst.If | cst.Try | cst.With) -> list[Sequence[cst.CSTNode]]:
    """The statement lists directly inside a top-level ``if``/``try``/``with``."""
    blocks = [_block(statement.body)]
    if isinstance(statement, cst.Try):
        blocks.extend(_block(handler.body) for handler in statement.handlers)
        blocks.extend(_block(extra.body) for extra in (statement.orelse, statement.finalbody) if extra is not None)
    elif isinstance(statement, cst.If) and statement.orelse is not None:
        orelse = statement.orelse
        blocks.append([orelse] if isinstance(orelse, cst.If) else _block(orelse.body))
    return blocks


def _events(body: Sequence[cst.CSTNode]) -> list[TopLevel]:
    events: list[TopLevel] = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                events.extend(_small_events(small))
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            events.append(TopLevel("rebind", statement.name.value))
        elif isinstance(statement, (cst.If, cst.With)):
            for block in _blocks(statement):
                events.extend(_events(block))
        elif isinstance(statement, cst.Try):
            tried = _events(_block(statement.body))
            events.extend(tried)
            for handler in statement.handlers:
                caught = _events(_block(handler.body))
                events.extend(without_fallbacks(tried, caught) if catches_import_error(_exception_names(handler.type)) else caught)
            for extra in (statement.orelse, statement.finalbody):
                if extra is not None:
                    events.extend(_events(_block(extra.body)))
    return events


def _block(body: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()


def _small_events(small: cst.BaseSmallStatement) -> list[TopLevel]:
    if isinstance(small, cst.Import):
        return [TopLevel("import", _import_local(alias)) for alias in small.names]
    if isinstance(small, cst.ImportFrom):
        if isinstance(small.names, cst.ImportStar):
            return [TopLevel("star", "")]
        return [TopLevel("import", _import_local(alias)) for alias in small.names]
    if isinstance(small, cst.Assign):
        value = dotted(small.value)
        if len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) and value is not None:
            return [TopLevel("alias", small.targets[0].target.value, value)]
        return [TopLevel("rebind", name) for target in small.targets for name in _target_names(target.target)]
    if isinstance(small, (cst.AnnAssign, cst.AugAssign)):
        return [TopLevel("rebind", name) for name in _target_names(small.target)]
    return []


def _import_local(alias: cst.ImportAlias) -> str:
    """The name an import alias binds (``import a.b`` binds ``a``); the table knows the target."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return (dotted(alias.name) or "").partition(".")[0]


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _exception_names(kind: cst.BaseExpression | None) -> list[str | None]:
    """The exception names an ``except`` clause lists (``None`` for a bare ``except:``)."""
    if kind is None:
        return [None]
    if isinstance(kind, cst.Tuple):
        return [dotted(element.value) for element in kind.elements]
    return [dotted(kind)]
