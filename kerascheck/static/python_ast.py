"""CPython's own AST of a file, compiled once, and the cheap questions asked of it.

The engine compiles every file with CPython's parser before anything else (about 10x faster
than libcst's): that compile is KC001's verdict, and the same tree answers the questions that
decide whether libcst ever has to parse the file (its imports, the names they bind).
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator

from kerascheck.records import record

_PyCF_ONLY_AST = 0x400
#: IPython runs ``await`` at the top level of a notebook cell.
_PyCF_ALLOW_TOP_LEVEL_AWAIT = 0x2000

#: The last :func:`compile_tree` answer: ``(text, path, tree or why not)``. The engine asks
#: several times per file (its syntax verdict, the import scan, the pre-filter), the text being
#: the same object.
_last_compiled: tuple[str, str, ast.Module | BaseException] | None = None


def compile_tree(text: str, path: str) -> ast.Module | BaseException:
    """CPython's AST of ``text``, or why it refuses it (a SyntaxError, or ValueError /
    RecursionError / MemoryError for what it cannot even build). Compiled once per file: the
    answer for the same text object is reused. Only the AST is built, so ``await`` at the top
    level (notebook cells) is accepted, as IPython does."""
    global _last_compiled
    last = _last_compiled
    if last is not None and last[0] is text and last[1] == path:
        return last[2]
    import warnings

    outcome: ast.Module | BaseException
    # An AST holds no reference cycles, so the cyclic collector has nothing to find while one is
    # built: left on, it walks the young objects every few thousand nodes (10 % of the compile).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" is not ours to report
            warnings.simplefilter("ignore")
            outcome = compile(text, path, "exec", flags=_PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        outcome = exc
    finally:
        if collecting:
            gc.enable()
    # A recursion failure may depend on the thread's stack (the engine parses deep files on a
    # thread with a larger one): not reused.
    _last_compiled = None if isinstance(outcome, RecursionError) else (text, path, outcome)
    return outcome


def compiler_error(tree: ast.Module, path: str, *, ipython_cell: bool = False) -> SyntaxError | None:
    """What CPython's compiler, after its parser, refuses in ``tree``: ``return``/``yield``/
    ``await`` outside a function, ``break`` outside a loop, ``nonlocal`` at module level,
    duplicate arguments, a late ``from __future__`` import... Python will not run such a file
    either, and the parser alone (:func:`compile_tree`) accepts all of them. Costs about 0.7x
    the building of the AST on the stdlib (symbol table and code generation, no second parse).

    ``ipython_cell``: judged as IPython runs a notebook cell, each top-level statement compiled
    as a module of its own (``InteractiveShell.run_ast_nodes``: a ``from __future__`` import
    after other statements is fine there) with top-level ``await`` allowed."""
    import warnings

    modules = [ast.Module(body=[node], type_ignores=[]) for node in tree.body] if ipython_cell else [tree]
    flags = _PyCF_ALLOW_TOP_LEVEL_AWAIT if ipython_cell else 0
    try:
        with warnings.catch_warnings():  # SyntaxWarnings about user code are not ours to print
            warnings.simplefilter("ignore")
            for module in modules:
                compile(module, path, "exec", flags=flags, dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError):
        return None  # the parser accepted it; what the code generator cannot build is not a syntax error
    return None


def refusal(text: str, path: str, *, compiler: bool = True, ipython_cell: bool = False) -> BaseException | None:
    """Why CPython refuses ``text`` (a SyntaxError from its parser or, with ``compiler``, its
    compiler; or RecursionError/MemoryError/ValueError for what it cannot even build), or None.
    ``compiler=False`` for a notebook's joined cells, whose cells are judged one by one
    (``ipython_cell``, see :func:`compiler_error`)."""
    outcome = compile_tree(text, path)
    if isinstance(outcome, BaseException):
        return outcome
    return compiler_error(outcome, path, ipython_cell=ipython_cell) if compiler else None


def refusal_message(refused: BaseException) -> str:
    """:func:`refusal`'s answer in a sentence: ``line N: message`` for a syntax error, else the
    exception's type and text."""
    if isinstance(refused, SyntaxError):
        return f"line {refused.lineno}: {refused.msg}"
    return f"{type(refused).__name__}: {refused}"


#: The fields of a node that hold statements (or the handlers and cases holding them): walking
#: only these finds every import without visiting a single expression.
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
#: Statements that hold no statements: not walked into (``True`` for any other node).
_BLOCKS_OF = {
    kind: False for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, ast.stmt) and not set(_BLOCKS) & set(kind._fields)
}


def import_nodes(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every ``import`` / ``from ... import`` statement of ``tree``, also inside functions,
    classes, ``try`` and ``if`` blocks (they run when reached), in no particular order."""
    pending: list[ast.AST] = [tree]
    while pending:  # statements only: imports are never inside expressions
        node = pending.pop()
        for name in _BLOCKS:
            for child in getattr(node, name, ()):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    yield child
                elif _BLOCKS_OF.get(type(child), True):
                    pending.append(child)


def import_binds(tree: ast.Module, name: str) -> bool:
    """Whether an import of ``tree`` binds the local ``name`` (``import x as name``, ``from m
    import name``, ``import name.sub``); star imports bind nothing here."""
    for node in import_nodes(tree):
        for alias in node.names:
            if alias.asname is not None:
                bound = alias.asname
            elif isinstance(node, ast.Import):
                bound = alias.name.split(".", 1)[0]
            else:
                bound = alias.name
            if bound == name:
                return True
    return False


@record
class CallNames:
    """The names a file's calls use, read from CPython's AST (a superset of what a libcst walk
    records of them: aliases are not resolved, so both spellings are kept)."""

    #: Called names (``f`` of ``f()``, ``g`` of ``m.g()``), names passed as whole arguments
    #: (``run(main)``, ``target=main``, ``*jobs``), and the imported name behind each alias
    #: (``train`` of ``from m import train as t``).
    referenced: frozenset[str]
    #: Every identifier inside the arguments of the calls :func:`call_names` was asked about:
    #: names, attribute names, keyword and lambda parameter names (``scaler`` of
    #: ``dump({"s": self.scaler}, f)``; a libcst ``Name`` is all of them).
    in_arguments: frozenset[str]


def identifier(name: str) -> str:
    """``name`` as CPython's AST spells it: NFKC-normalised (PEP 3131; ``ｔｈ`` is ``th``), while
    libcst keeps the source's spelling."""
    if name.isascii():
        return name
    import unicodedata

    return unicodedata.normalize("NFKC", name)


def call_names(tree: ast.Module, argument_calls: frozenset[str]) -> CallNames:
    """:class:`CallNames` of ``tree``; ``in_arguments`` of the calls named one of
    ``argument_calls`` (``dump`` for ``pickle.dump(...)``, ``x.dump(...)``, and ``jd(...)`` after
    ``from joblib import dump as jd``)."""
    imported: dict[str, str] = {}  # local name -> the last part of the name it imports
    for statement in import_nodes(tree):
        for alias in statement.names:
            last = alias.name.rsplit(".", 1)[-1]
            imported[alias.asname or last] = last
    referenced: set[str] = set(imported.values())
    inside: set[str] = set()
    for node in ast.walk(tree):
        if type(node) is not ast.Call:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if called is not None:
            referenced.add(called)
        values = [arg.value if type(arg) is ast.Starred else arg for arg in node.args]
        values.extend(keyword.value for keyword in node.keywords)
        referenced.update(value.id for value in values if isinstance(value, ast.Name))
        if called is not None and (called in argument_calls or imported.get(called) in argument_calls):
            for value in values:
                inside.update(_identifiers(value))
    return CallNames(frozenset(referenced), frozenset(inside))


def _identifiers(expr: ast.expr) -> Iterator[str]:
    for node in ast.walk(expr):
        kind = type(node)
        if kind is ast.Name:
            yield node.id  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            yield node.attr  # type: ignore[attr-defined]
        elif kind is ast.keyword or kind is ast.arg:
            name = node.arg  # type: ignore[attr-defined]
            if name is not None:
                yield name
