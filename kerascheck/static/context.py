"""What every rule can ask about the file being checked, computed once per file.

The :class:`FileContext` is updated by the engine in the same traversal that runs the rules:
its ``visit_*`` handlers run before every rule's, its ``leave_*`` handlers after, so a rule
always sees the enclosing function/class/``with`` of the node it is looking at.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import Any, TypeVar

import libcst as cst

from kerascheck.findings import Edit, Location
from kerascheck.records import record
from kerascheck.static import python_ast
from kerascheck.static.names import ImportTable
from kerascheck.static.positions import NodePositions, Span
from kerascheck.static.programs import ProgramModel
from kerascheck.static.semantic import SemanticModel
from kerascheck.static.semantic.classes import ClassTable

SharedT = TypeVar("SharedT")

TAPE_NAMES = frozenset({"tensorflow.GradientTape", "tensorflow.autodiff.GradientTape"})
TF_FUNCTION_NAMES = frozenset({"tensorflow.function", "tensorflow.compat.v1.function"})


@record
class CellMap:
    """Maps lines of the joined code of a notebook back to (cell, line in cell)."""

    #: 1-based first line of each code cell in the joined source, with its 1-based cell number.
    starts: tuple[tuple[int, int], ...]

    def locate(self, line: int) -> tuple[int, int]:
        cell, first = 1, 1
        for start, number in self.starts:
            if start > line:
                break
            cell, first = number, start
        return cell, line - first + 1

    def to_joined(self, cell: int, line: int) -> int:
        for start, number in self.starts:
            if number == cell:
                return start + line - 1
        raise KeyError(cell)


class FileContext:
    """Per-file facts shared by all rules of one traversal."""

    def __init__(
        self,
        path: str,
        source: str,
        module: cst.Module,
        *,
        target_keras: str = "3",
        cell_map: CellMap | None = None,
        keras_aliases: Mapping[str, str] | None = None,
        plugin_options: Mapping[str, Mapping[str, Any]] | None = None,
        star_bindings: Mapping[str, str] | None = None,
        tree: ast.Module | None = None,
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.target_keras = target_keras
        self.cell_map = cell_map
        self.imports = ImportTable()
        #: Names the file's ``from project_module import *`` bind (kerascheck.static.star_imports).
        self.imports.bind(star_bindings or {})
        self._class_table = ClassTable(self.imports)  # the semantic model's ``classes``
        self._keras_aliases = dict(keras_aliases or {})
        #: Plugin-wide options by plugin name (``[tool.kerascheck.plugin-options.<name>]``).
        self.plugin_options: Mapping[str, Mapping[str, Any]] = plugin_options or {}
        self._tree = tree  # CPython's AST of ``source``, when the caller has it (positions)
        self._positions: NodePositions | None = None  # built when a finding first needs one
        #: Index in ``module.body`` of the statement being walked (set by the engine's walk).
        self.current_statement: int | None = None
        self._call_statements: dict[int, int | None] = {}  # id(call) -> its statement
        self._qualified_memo: dict[int, tuple[cst.BaseExpression, str | None]] = {}
        # Enclosing constructs, innermost last.
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[cst.ClassDef] = []
        self.loops: list[cst.CSTNode] = []  # For/While anywhere, innermost last
        self._function_loops: list[list[cst.CSTNode]] = [[]]
        self._tape_depth = 0
        #: Inside an import statement (its dotted names are module paths, not expressions).
        self.in_import = False
        self._tape_withs: list[bool] = []
        self._shared: dict[Callable[[FileContext], Any], Any] = {}
        self._prescan()
        #: The semantic model of the file (public API for rules and plugins: docs/plugins.md).
        self.semantic = SemanticModel(module, self.imports, self._class_table, self.qualified, self.code, self.edit, path)

    def shared(self, factory: Callable[[FileContext], SharedT]) -> SharedT:
        """The one ``factory(self)`` of this file: rules that share a collector (the project
        rules of one family record their facts once, in one walk) all get the first one made."""
        found = self._shared.get(factory)
        if found is None:
            found = self._shared[factory] = factory(self)
        made: SharedT = found
        return made

    # -- versions --------------------------------------------------------------------------

    @property
    def keras_major(self) -> int:
        head = self.target_keras.split(".", 1)[0]
        return int(head) if head.isdigit() else 3

    # -- positions -------------------------------------------------------------------------

    def location(self, node: cst.CSTNode) -> Location:
        """Where ``node`` is, as a finding location (1-based columns, notebook cells mapped).

        Positions are computed lazily, only for files that report something and only for the
        top-level statements holding what they report (:mod:`kerascheck.static.positions`).
        """
        span = self._span(node)
        if span is None:
            return Location(self.path)
        return self.make_location(*span)

    def _span(self, node: cst.CSTNode) -> Span | None:
        positions = self._positions
        if positions is None:
            tree = self._tree
            if tree is None:
                compiled = python_ast.compile_tree(self.source, self.path)
                tree = compiled if isinstance(compiled, ast.Module) else None
            positions = self._positions = NodePositions(self.module, self.source, tree)
        positions.current = self.current_statement
        return positions.span(node, self._call_statements.get(id(node)))

    def def_location(self, function: cst.FunctionDef) -> Location:
        """Where ``function`` is named: from ``def`` (or ``async``) to the end of its name,
        without decorators or body (libcst's position of a ``FunctionDef`` starts after them)."""
        start = self.location(function)
        end = self.location(function.name)
        return Location(start.path, start.line, start.column, end.end_line, end.end_column, cell=start.cell)

    def source_range(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        """``(line, column, end_line, end_column)`` of ``node`` in the parsed text (1-based)."""
        span = self._span(node)
        if span is None:
            raise KeyError(f"{type(node).__name__} is not a node of {self.path}")
        return span

    def edit(self, node: cst.CSTNode, text: str) -> Edit:
        """An edit replacing ``node``'s source with ``text`` (cell-relative in notebooks)."""
        return self.edit_span(node, node, text)

    def edit_span(self, first: cst.CSTNode, last: cst.CSTNode, text: str) -> Edit:
        """An edit replacing the source from the start of ``first`` to the end of ``last``."""
        line, column, _, _ = self.source_range(first)
        _, _, end_line, end_column = self.source_range(last)
        if self.cell_map is None:
            return Edit(line, column, end_line, end_column, text)
        cell, cell_line = self.cell_map.locate(line)
        _, cell_end = self.cell_map.locate(end_line)
        return Edit(cell_line, column, cell_end, end_column, text, cell=cell)

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node``."""
        return self.module.code_for_node(node)

    def make_location(self, line: int, column: int, end_line: int, end_column: int) -> Location:
        if self.cell_map is None:
            return Location(self.path, line, column, end_line, end_column)
        cell, cell_line = self.cell_map.locate(line)
        _, cell_end = self.cell_map.locate(end_line)
        return Location(self.path, cell_line, column, cell_end, end_column, cell=cell)

    # -- names -----------------------------------------------------------------------------

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        """Canonical qualified name of ``expr`` (every Keras spelling becomes ``keras.``)."""
        # A dozen rules ask this about the same ``Call.func``: answer each node once. The memo
        # holds the node itself, so an id is never reused while its entry lives, and is
        # emptied whenever an import statement changes what names mean.
        hit = self._qualified_memo.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        name = self._qualified(expr)
        self._qualified_memo[id(expr)] = (expr, name)
        return name

    def _qualified(self, expr: cst.BaseExpression) -> str | None:
        name = self.imports.qualified(expr)
        if name is None or not self._keras_aliases:
            return name
        for module, target in self._keras_aliases.items():
            if name == module or name.startswith(module + "."):
                return target + name[len(module) :]
        return name

    def raw_qualified(self, expr: cst.BaseExpression) -> str | None:
        """Qualified name as imported (keeps ``tensorflow.keras`` vs ``keras``)."""
        return self.imports.raw(expr)

    def is_keras(self, expr: cst.BaseExpression, *names: str) -> bool:
        """``expr`` resolves to one of ``names`` (canonical, e.g. ``"keras.layers.Dense"``)."""
        return self.qualified(expr) in names

    @property
    def uses_keras(self) -> bool:
        """The file imports Keras or TensorFlow under any name."""
        return self.imports.imports_any("keras", "tensorflow", *self._keras_aliases)

    # -- where are we ----------------------------------------------------------------------

    @property
    def function(self) -> cst.FunctionDef | None:
        return self.functions[-1] if self.functions else None

    @property
    def in_gradient_tape(self) -> bool:
        return self._tape_depth > 0

    @property
    def in_loop(self) -> bool:
        return bool(self.loops)

    @property
    def function_loops(self) -> list[cst.CSTNode]:
        """Loops and comprehensions around the current node inside the current function (a
        loop around the enclosing ``def`` does not count), innermost last."""
        return self._function_loops[-1]

    def in_function_named(self, names: frozenset[str] | set[str]) -> bool:
        return any(f.name.value in names for f in self.functions)

    @property
    def in_training_code(self) -> bool:
        """Inside a gradient tape, a ``train_step``-like function, a function named
        ``train*``, a loop or function that applies gradients, or a function called from one
        (as far as the walk has seen: ``semantic.is_training_code`` in ``leave_Module`` is final)."""
        return self.semantic.is_training_code()

    @property
    def in_tf_function(self) -> bool:
        return any(
            self.qualified(d.decorator if not isinstance(d.decorator, cst.Call) else d.decorator.func)
            in TF_FUNCTION_NAMES
            for f in self.functions
            for d in f.decorators
        )

    def enclosing_class_is_layer(self) -> bool:
        return bool(self.classes) and self._class_table.is_layer_class(self.classes[-1].name.value)

    # -- traversal events (called by the engine) ------------------------------------------

    def _prescan(self) -> None:
        """Imports and classes at module level (and inside top-level if/try), so names used
        before their import statement (in functions) and classes used before their definition
        resolve. Nested imports are added during the walk."""
        pending: list[Sequence[cst.CSTNode]] = [self.module.body]
        while pending:
            for stmt in pending.pop():
                if isinstance(stmt, (cst.Import, cst.ImportFrom)):  # ``if x: import y``
                    self.imports.add(stmt)
                elif isinstance(stmt, cst.SimpleStatementLine):
                    for small in stmt.body:
                        if isinstance(small, (cst.Import, cst.ImportFrom)):
                            self.imports.add(small)
                elif isinstance(stmt, cst.ClassDef):
                    self._class_table.add(stmt)
                elif isinstance(stmt, (cst.If, cst.Try, cst.With)):
                    pending.append(stmt.body.body)
                    for extra in _branches(stmt):
                        pending.append(extra)

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.add(node)
        self._qualified_memo.clear()
        self.in_import = True
        self.semantic.on_import(node)

    def leave_Import(self, node: cst.Import) -> None:
        self.in_import = False
        self.semantic.leave_import()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.add(node)
        self._qualified_memo.clear()
        self.in_import = True
        self.semantic.on_import(node)

    def leave_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.in_import = False
        self.semantic.leave_import()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.name.value not in self._class_table:
            self._class_table.add(node)
        self.classes.append(node)
        self.semantic.on_class(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()
        self.semantic.leave_scope()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)
        self._function_loops.append([])
        self.semantic.on_function(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()
        self._function_loops.pop()
        self.semantic.leave_scope()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.semantic.on_lambda(node)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.semantic.leave_scope()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.semantic.on_comp_for(node)

    def visit_If(self, node: cst.If) -> None:
        self.semantic.on_if(node)

    def visit_Try(self, node: cst.Try) -> None:
        self.semantic.on_try(node)

    visit_TryStar = visit_Try

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.semantic.on_except(node)

    def visit_Match(self, node: cst.Match) -> None:
        self.semantic.on_match(node)

    def visit_Global(self, node: cst.Global) -> None:
        self.semantic.on_global(node)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.semantic.on_nonlocal(node)

    # Conditional arms (``if`` bodies, loop bodies, handlers) are blocks the semantic model marks.
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.semantic.enter_block(node)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.semantic.leave_block(node)

    visit_SimpleStatementSuite = visit_IndentedBlock
    leave_SimpleStatementSuite = leave_IndentedBlock

    def leave_Assign(self, node: cst.Assign) -> None:
        # On leave: the value's own names still see the previous binding (``p = f(p)``).
        self.semantic.on_assign(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.semantic.on_ann_assign(node)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self.semantic.on_aug_assign(node)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.semantic.on_walrus(node)

    def leave_Module(self, node: cst.Module) -> None:
        self.semantic.finish()

    # Loops and comprehensions, innermost last; ``function_loops`` restarts in every ``def``.
    def _enter_loop(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.For):
            self.loops.append(node)
            self.semantic.on_for(node)
        elif isinstance(node, cst.While):
            self.loops.append(node)
            self.semantic.on_while(node)
        else:
            self.semantic.on_comprehension(node)
        self._function_loops[-1].append(node)

    def _leave_loop(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.For, cst.While)):
            self.loops.pop()
            self.semantic.leave_loop()
        else:
            self.semantic.leave_scope()
        self._function_loops[-1].pop()

    visit_For = visit_While = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_loop
    leave_For = leave_While = leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_loop

    def visit_With(self, node: cst.With) -> None:
        is_tape = any(
            isinstance(item.item, cst.Call) and self.qualified(item.item.func) in TAPE_NAMES
            for item in node.items
        )
        self._tape_withs.append(is_tape)
        self._tape_depth += is_tape
        self.semantic.on_with(node, is_tape)

    def leave_With(self, node: cst.With) -> None:
        is_tape = self._tape_withs.pop()
        self._tape_depth -= is_tape
        self.semantic.leave_with(is_tape)

    def visit_Call(self, node: cst.Call) -> None:
        self._call_statements[id(node)] = self.current_statement  # rules often report calls after the walk
        self.semantic.on_call(node, self.qualified(node.func))

    def visit_Return(self, node: cst.Return) -> None:
        self.semantic.on_return(node)


def _branches(stmt: cst.If | cst.Try | cst.With) -> list[Sequence[cst.CSTNode]]:
    if isinstance(stmt, cst.If):
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            return [orelse.body.body, *_branches(orelse)]
        return [orelse.body.body] if orelse is not None else []
    if isinstance(stmt, cst.Try):
        bodies: list[Sequence[cst.CSTNode]] = [h.body.body for h in stmt.handlers]
        if stmt.orelse is not None:
            bodies.append(stmt.orelse.body.body)
        if stmt.finalbody is not None:
            bodies.append(stmt.finalbody.body.body)
        return bodies
    return []


@record(frozen=False)
class ProjectContext:
    """Input of :meth:`Rule.finish`: every file's facts for that rule, plus settings."""

    #: path -> facts the rule recorded in that file (files with no facts are absent).
    facts: dict[str, list[Any]]
    target_keras: str
    options: Mapping[str, Any]
    #: path -> the dotted name the file is imported as (its stem when nothing imports it).
    modules: dict[str, str] = field(default_factory=dict)
    #: The programs of the project: :meth:`ProgramModel.programs_of` a file, each
    #: :class:`~kerascheck.static.programs.Program`'s files and entry point (docs/plugins.md).
    programs: ProgramModel = field(default_factory=ProgramModel)

    @property
    def keras_major(self) -> int:
        head = self.target_keras.split(".", 1)[0]
        return int(head) if head.isdigit() else 3


class _ContextOnly(cst.CSTVisitor):
    """Feeds one :class:`FileContext` its events, with libcst's own traversal (no rules)."""

    def __init__(self, context: FileContext) -> None:
        self.context = context

    def on_visit(self, node: cst.CSTNode) -> bool:
        handler = getattr(self.context, "visit_" + type(node).__name__, None)
        if handler is not None:
            handler(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handler = getattr(self.context, "leave_" + type(original_node).__name__, None)
        if handler is not None:
            handler(original_node)


def analyse(source: str, path: str = "<string>", *, target_keras: str = "3") -> FileContext:
    """The context (and semantic model) of ``source`` after a whole walk, without any rule:
    for tests, tools and plugin authors exploring what ``context.semantic`` answers."""
    module = cst.parse_module(source)
    context = FileContext(path, source, module, target_keras=target_keras)
    module.visit(_ContextOnly(context))
    return context
