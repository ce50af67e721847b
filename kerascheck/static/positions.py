"""Where libcst nodes are in the source text, computed lazily, one top-level statement at a time.

libcst only knows positions by generating the code again (its ``PositionProvider``): a second
pass over the whole tree that costs about as much as the parse. Most files that report
something report a few nodes of a few statements, so :class:`NodePositions` generates only the
top-level statement that holds the node asked for, starting at the line CPython's AST (already
built for the syntax verdict) gives for that statement. Every statement generated this way is
checked against the next one's start line; if anything disagrees, the whole module is
generated once, as before, so the answer is always exactly libcst's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState

from kerascheck.static.cst_children import contains

#: ``(line, column, end_line, end_column)``, 1-based columns, end exclusive (libcst's ranges).
Span = tuple[int, int, int, int]

_NEWLINES = re.compile(r"\r\n?|\n")


def syntactic_positions(module: cst.Module) -> dict[int, Span]:
    """``id(node) -> span`` for every node of ``module``: exactly libcst's ``PositionProvider``
    ranges, at about a third of the cost of resolving it through a ``MetadataWrapper``. The
    module must stay alive while ids are used."""
    state = _PositionState(module.default_indent, module.default_newline)
    module._codegen(state)
    return state.spans


class NodePositions:
    """Spans of the nodes of one parsed module, computed on demand.

    ``tree`` is CPython's AST of the same text (or None when there is none: then the first
    question generates the whole module). The walker sets :attr:`current` to the index of the
    top-level statement it is in, so a rule reporting the node it is looking at costs one
    statement's code generation; a node of another statement is found by identity first."""

    def __init__(self, module: cst.Module, text: str, tree: ast.Module | None) -> None:
        self._module = module
        self._text = text
        self._spans: dict[int, Span] = {}
        self._starts: list[int] | None = _statement_starts(module, tree) if tree is not None else None
        self._done = [False] * len(module.body)
        self._whole_done = False
        #: Index in ``module.body`` of the statement being walked (None: outside the body).
        self.current: int | None = None

    def span(self, node: cst.CSTNode, hint: int | None = None) -> Span | None:
        """The span of ``node``, or None when it is not part of the module. ``hint``: the index
        of the top-level statement that probably holds it (else :attr:`current` is tried)."""
        key = id(node)
        found = self._spans.get(key)
        if found is not None or self._whole_done:
            return found
        if self._starts is not None:
            for index in (hint, self.current):
                if index is not None and not self._done[index]:
                    self._generate(index)
                    found = self._spans.get(key)
                    if found is not None or self._whole_done:
                        return found
            # Finding the statement by identity is a few times cheaper than generating code.
            body = self._module.body
            index = next((i for i, done in enumerate(self._done) if not done and contains(body[i], node)), None)
            if index is not None:
                self._generate(index)
                return self._spans.get(key)
        if not self._whole_done:  # the module itself, its header or footer, or another tree's node
            self._generate_whole()
        return self._spans.get(key)

    def _generate(self, index: int) -> None:
        assert self._starts is not None
        module = self._module
        state = _PositionState(module.default_indent, module.default_newline, spans=self._spans)
        state.line = self._starts[index]
        module.body[index]._codegen(state)
        self._done[index] = True
        if state.column != 0 or state.line != self._expected_end(index):
            self._generate_whole()  # the AST and libcst disagree on where something starts

    def _generate_whole(self) -> None:
        self._spans = syntactic_positions(self._module)
        self._whole_done = True

    def _expected_end(self, index: int) -> int:
        assert self._starts is not None
        if index + 1 < len(self._starts):
            return self._starts[index + 1]
        module = self._module
        lines = len(_NEWLINES.findall(self._text)) + 1 + (not module.has_trailing_newline)
        return lines - len(module.footer)


def _statement_starts(module: cst.Module, tree: ast.Module) -> list[int] | None:
    """The line where the code of each statement of ``module.body`` starts (its leading blank
    and comment lines included), from the first-token lines of CPython's ``tree``; None when
    the two do not pair up statement for statement."""
    starts: list[int] = []
    statements = tree.body
    position = 0
    for statement in module.body:
        if position >= len(statements):
            return None
        first = statements[position]
        line = first.lineno
        before = len(statement.leading_lines)
        if isinstance(statement, cst.SimpleStatementLine):
            position += len(statement.body)
        else:
            position += 1
            decorators: Sequence[cst.Decorator] = getattr(statement, "decorators", ())
            listed: Sequence[ast.expr] = getattr(first, "decorator_list", ())
            if decorators and listed:
                line = listed[0].lineno
                before += len(decorators[0].leading_lines)
        starts.append(line - before)
    if position != len(statements):
        return None
    return starts


class _PositionState(CodegenState):
    """libcst's ``PositionProvidingCodegenState`` without the string building, position
    objects and generator-based context managers; same arithmetic, same override rules."""

    def __init__(self, default_indent: str, default_newline: str, spans: dict[int, Span] | None = None) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.line = 1
        self.column = 0  # 0-based while generating
        self.spans: dict[int, Span] = {} if spans is None else spans
        self.stack: list[tuple[int, int]] = []

    def _advance(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINES.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.tokens.append(token)
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self.stack.pop()
        key = id(node)
        if key not in self.spans:  # a syntactic position recorded inside wins
            self.spans[key] = (line, column + 1, self.line, self.column + 1)

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _SyntacticSpan:
        return _SyntacticSpan(self, node, start_node, end_node)


class _SyntacticSpan:
    __slots__ = ("column", "end_node", "line", "node", "start_node", "state")

    def __init__(self, state: _PositionState, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node
        self.line, self.column = state.line, state.column

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        state = self.state
        spans = state.spans
        if self.start_node is not None:
            line, column = spans[id(self.start_node)][:2]
        else:
            line, column = self.line, self.column + 1
        if self.end_node is not None:
            end_line, end_column = spans[id(self.end_node)][2:]
        else:
            end_line, end_column = state.line, state.column + 1
        spans[id(self.node)] = (line, column, end_line, end_column)
