"""Parse successive versions of one edited document, re-parsing only the top-level statements an
edit touched (the language server, on every change).

The previous version's tree and the text span of each of its top-level statements are kept. For
a new text, the part that changed (between the common prefix and the common suffix) is widened to
whole top-level statements; that chunk alone is parsed with ``libcst.parse_module`` and its
statements are spliced into the previous ``Module`` in place of the old ones. The rest of the tree
is reused as it is (libcst nodes are immutable).

Why the splice equals a full parse (each condition is checked; when one fails the chunk is
widened by a statement on each side, and after a few tries the whole text is parsed):

* The chunk starts at offset 0 (it then holds the module header, and is parsed exactly as the
  start of the whole text is), or where a top-level statement (with its leading comment and blank
  lines) started in the previous version, after an unchanged prefix: the tokenizer is at the top
  level there (no open bracket or string, indentation 0), so the prefix's tokens are unchanged.
  The chunk's leading lines are then blank or ``#`` comments at column 0 and its first code line
  starts at column 0, so nothing in the chunk joins the previous statement (an indented line
  would continue its block; an indented comment would join its block's footer).
* The chunk ends, unless it runs to the end of the text, on a line break, without a backslash
  continuation, where the next top-level statement started in the previous version; that
  statement's leading lines are flush left too, so none of them joins the chunk's last block; and
  the chunk parsed alone has no footer (every line of it belongs to its statements).
* libcst stores a node's line break and indentation only when they differ from the module's
  defaults, which it detects from the whole text (the first line break; the first indented
  block). The chunk's detected line break equals the module's; if the chunk has an indented
  block, its detected indentation equals the module's; if the module's first indented block was
  in the chunk and the new chunk has none, the whole text is parsed.
* Its statements' generated code covers the chunk exactly (lengths add up); the previous
  version's did too (a text that libcst does not write back exactly is never spliced).

``tests/test_lsp_incremental_parse.py`` checks the result against a full parse (``deep_equals``
and the code) on many random edits of real files, and the findings against a fresh check.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import libcst as cst

from kerascheck.records import record
from kerascheck.static.cst_children import descendants

#: From a line start: blank lines and ``#`` comment lines at column 0, then a character that
#: starts code at column 0. A top-level statement whose leading lines match this shares none of
#: them with the statement before it, whatever that statement is.
_FLUSH_LEFT = re.compile(r"(?:#[^\r\n]*(?:\r\n?|\n)|\r\n?|\n)*[^\s#\\]")
#: A chunk must not end in a backslash continuation (it would join the next line).
_CONTINUED = re.compile(r"\\(?:\r\n?|\n)\Z")
#: How many times a chunk is widened (one statement each side) before the whole text is parsed.
_WIDENINGS = 2


@record
class _Parse:
    """One parsed version: its text, tree, and where each top-level statement starts."""

    text: str
    module: cst.Module
    #: Offset of each statement of ``module.body`` (its leading lines included), then of the
    #: footer, in :func:`_full_text` of ``text``; None until an edit first needs them.
    starts: tuple[int, ...] | None
    #: Index of the first statement holding an indented block (the one that decides the
    #: module's ``default_indent``), or None.
    first_block: int | None


class IncrementalParser:
    """The parser of one document. Not thread-safe: one caller at a time."""

    def __init__(self) -> None:
        self._last: _Parse | None = None
        #: How the last :meth:`parse` went: "same", "spliced" or "full" (tests and benchmarks),
        #: and for "full" after a refused splice, why.
        self.last_kind = ""
        self.last_reason = ""

    def parse(self, text: str) -> cst.Module:
        """The tree of ``text``, equal to ``libcst.parse_module(text)`` (which raises the same
        errors: a text libcst cannot parse is always parsed in full)."""
        last = self._last
        if last is not None and last.text == text:
            self.last_kind = "same"
            return last.module
        self.last_reason = ""
        spliced = self._splice(last, text) if last is not None and last.module.body else None
        if spliced is not None:
            self._last = spliced
            self.last_kind = "spliced"
            return spliced.module
        module = cst.parse_module(text)
        self._last = _Parse(text, module, None, _first_block(module.body))
        self.last_kind = "full"
        return module

    def _splice(self, last: _Parse, text: str) -> _Parse | None:
        """``text`` parsed by re-parsing only the changed statements of ``last``, or None."""
        module = last.module
        if last.starts is None:
            starts = _starts(module)
            if starts[-1] + _lines_length(module, module.footer) != len(_full_text(last.text, module)):
                self.last_reason = "statement lengths do not add up"
                return None
            last = _Parse(last.text, module, starts, last.first_block)
        assert last.starts is not None
        old = _full_text(last.text, module)
        new = text if text.endswith(("\n", "\r")) else text + module.default_newline
        prefix = _common_prefix(old, new)
        suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
        # The statements holding the first and the last changed character of the old text.
        count = len(module.body)
        first = bisect.bisect_right(last.starts, prefix, 0, count) - 1
        first = max(first, 0)
        changed_end = len(old) - suffix
        final = min(bisect.bisect_left(last.starts, changed_end, first + 1, count + 1) - 1, count - 1)
        final = max(final, first)
        for _ in range(_WIDENINGS + 1):
            spliced = _Chunk(last, old, new, text, first, final).splice()
            if isinstance(spliced, _Parse):
                return spliced
            self.last_reason = spliced
            if first == 0 and final == count - 1:
                break
            first, final = max(first - 1, 0), min(final + 1, count - 1)
        return None


def _first_block(body: Sequence[cst.BaseStatement]) -> int | None:
    return next((index for index, statement in enumerate(body) if _has_block(statement)), None)


def _has_block(statement: cst.BaseStatement) -> bool:
    """Whether ``statement`` holds an indented block (an INDENT token)."""
    if isinstance(statement, cst.SimpleStatementLine):
        return False
    if isinstance(getattr(statement, "body", None), cst.IndentedBlock) or isinstance(statement, cst.Match):
        return True
    return any(isinstance(node, (cst.IndentedBlock, cst.Match)) for node in descendants(statement))  # "if a: b" + "else:" block


def _full_text(text: str, module: cst.Module) -> str:
    """``text`` as libcst's code generation writes it: with a final line break."""
    return text if module.has_trailing_newline else text + module.default_newline


def _lines_length(module: cst.Module, lines: Sequence[cst.EmptyLine]) -> int:
    return sum(len(module.code_for_node(line)) for line in lines)


def _starts(module: cst.Module) -> tuple[int, ...]:
    """Statement and footer offsets of ``module``, from the statements' generated code."""
    offset = _lines_length(module, module.header)
    starts = []
    for statement in module.body:
        starts.append(offset)
        offset += len(module.code_for_node(statement))
    starts.append(offset)
    return tuple(starts)


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (binary search on slices: memory compares)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, min(len(a), len(b), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


@record
class _Chunk:
    """Statements ``first..final`` of ``last`` as they read in the new text ``new``
    (``text`` with a final line break), to be parsed alone and spliced in."""

    last: _Parse
    old: str
    new: str
    text: str
    first: int
    final: int

    def splice(self) -> _Parse | str:
        """The new version, or why this chunk cannot be spliced."""
        last, new, first = self.last, self.new, self.first
        module = last.module
        starts = last.starts
        assert starts is not None
        count = len(module.body)
        delta = len(new) - len(self.old)
        begin = starts[first] if first > 0 else 0  # a chunk from the first statement holds the header
        # A chunk holding the last statement runs to the end: it takes the footer's place.
        to_end = self.final == count - 1
        end = len(new) if to_end else starts[self.final + 1] + delta
        if not to_end:
            if end <= begin or new[end - 1] not in "\r\n" or (new[end - 1] == "\r" and new[end] == "\n"):
                return "the chunk does not end on a line break"
            if _FLUSH_LEFT.match(new, end) is None:
                return "the next statement's leading lines are indented"
            if _CONTINUED.search(new, begin, end):
                return "the chunk ends in a backslash continuation"
        if first > 0 and _FLUSH_LEFT.match(new, begin) is None:
            return "the chunk's leading lines are indented"
        try:
            part = cst.parse_module(self.text[begin:] if to_end else new[begin:end])
        except Exception:  # not valid alone (e.g. an "else:" whose "if" is outside the chunk)
            return "the chunk does not parse alone"
        if not part.body:
            return "the chunk has no statement"
        if part.default_newline != module.default_newline or part.encoding != module.encoding:
            return "the chunk's line break differs from the module's"
        if not to_end and (part.footer or not part.has_trailing_newline):
            return "the chunk has trailing lines of its own"
        blocks_before = last.first_block is not None and last.first_block < first
        chunk_block = _first_block(part.body)
        first_block = last.first_block
        if not blocks_before:
            if chunk_block is not None:
                first_block = first + chunk_block
            elif last.first_block is not None and last.first_block <= self.final:
                return "the module's first indented block is gone: its indentation is decided again"
            elif last.first_block is not None:
                first_block = last.first_block + len(part.body) - (self.final - first + 1)
        if chunk_block is not None and part.default_indent != module.default_indent:
            return "the chunk's indentation differs from the module's"
        body = list(part.body)
        header = module.header
        if first == 0:
            header = part.header
        elif part.header:  # parsed alone, the first statement's leading lines became the header
            body[0] = body[0].with_changes(leading_lines=(*part.header, *body[0].leading_lines))
        new_starts = list(starts[:first])
        offset = begin + (_lines_length(part, part.header) if first == 0 else 0)
        for statement in body:
            new_starts.append(offset)
            offset += len(part.code_for_node(statement))
        if to_end:
            footer = part.footer
            new_starts.append(offset)
            offset += _lines_length(part, footer)
            if offset != len(new):
                return "the chunk's statements do not cover it"
        else:
            footer = module.footer
            if offset != end:
                return "the chunk's statements do not cover it"
            new_starts.extend(start + delta for start in starts[self.final + 1 :])
        spliced = module.with_changes(
            header=header,
            body=(*module.body[:first], *body, *module.body[self.final + 1 :]),
            footer=footer,
            has_trailing_newline=part.has_trailing_newline if to_end else module.has_trailing_newline,
        )
        return _Parse(self.text, spliced, tuple(new_starts), first_block)
