"""Jupyter notebooks as Python programs: the code cells joined in order, IPython syntax made
neutral, and fixed cell sources written back into the notebook's JSON.

A notebook runs its code cells top to bottom in one namespace, so they are checked as one
module whose every cell line keeps its own joined line (cell-relative positions map back
exactly through :class:`CellMap`). What is not Python becomes neutral Python of the same lines:

* line magics, shell and help lines (``%time fit()``, ``!pip install \\`` with its continuation
  lines, ``files = !ls``, ``np.mean?``) become ``pass`` (continuations become comments);
* a cell magic whose body is Python (``%%time``, ``%%capture``, ...) loses only its first line;
  any other cell magic (``%%bash``, ``%%writefile``, ``%%html``, ...) makes the cell a comment;
* a cell that still does not compile becomes a comment and is reported as a :class:`CellError`
  (KC001 in that cell), so one broken cell never hides the findings of the others.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import tokenize
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kerascheck.records import record
from kerascheck.static import python_ast
from kerascheck.static.context import CellMap
from kerascheck.static.files import SourceFile, UnreadableSource, split_lines

#: Lines IPython (not Python) handles, when they start a logical line: ``%magic``, ``!shell``,
#: ``?help``, ``files = !ls``, ``x = %timeit ...``, ``name?``/``name??``.
_MAGIC_CANDIDATE = re.compile(r"^\s*(?:[%!?]|[\w.]+\s*=\s*[%!]|[\w.*]+\?{1,2}\s*$)")
_WHITESPACE = re.compile(r"[ \t\n\r]*")

#: Cell magics whose body is Python run in the kernel (timed, captured, profiled, debugged).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "snakeviz", "tensorflow_version"})


@record
class CellError:
    """A code cell left out of the joined text: where it fails (joined line, 1-based column)."""

    line: int
    column: int
    message: str
    #: True for a real syntax error (KC001); False when the cell cannot be analysed (KC002).
    syntax: bool = True


def _logical_starts(text: str) -> tuple[set[int], int]:
    """1-based lines of ``text`` that begin a new logical line, and the line up to which that is
    known (tokenizing stops at an error; lines after it are unknown)."""
    starts = {1}
    depth = 0
    known = len(split_lines(text)) + 1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(0, depth - 1)
            elif tok.type in (tokenize.NEWLINE, tokenize.NL) and depth == 0:
                starts.add(tok.end[0] + 1)
    except tokenize.TokenError as exc:
        position = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else (1, 0)
        if not str(exc.args[0]).startswith("EOF"):  # e.g. an unterminated string at EOF is fine
            known = position[0]
    except SyntaxError as exc:  # inconsistent dedent: known only up to there
        known = exc.lineno or 1
    return starts, known


def _magic_spans(lines: Sequence[str]) -> dict[int, int]:
    """``{first: last}`` 0-based line spans of one cell that are IPython magics, shell or help
    lines; a span goes on while its lines end with a backslash (IPython joins them).

    A candidate only counts where it starts a logical line: ``% b`` continuing an expression in
    brackets and ``!note`` inside a triple-quoted string are Python. Neutralising a candidate
    never changes what comes before it, so the fixed point is reached quickly.
    """
    spans: dict[int, int] = {}
    index = 0
    while index < len(lines):
        if _MAGIC_CANDIDATE.match(lines[index]):
            last = index
            while last + 1 < len(lines) and lines[last].rstrip().endswith("\\"):
                last += 1
            spans[index] = last
            index = last + 1
        else:
            index += 1
    for _ in range(len(spans) + 1):
        if not spans:
            break
        text = "\n".join(_neutral_lines(lines, spans)) + "\n"
        starts, known = _logical_starts(text)
        inside = [first for first in spans if first + 1 < known and first + 1 not in starts]
        if not inside:
            break
        # Restore only the first: it may open brackets or strings that change what follows.
        del spans[min(inside)]
    return spans


def _neutral_lines(lines: Sequence[str], spans: Mapping[int, int]) -> list[str]:
    """``lines`` with each magic span replaced: its first line by ``pass`` at the same indent
    (it may be the only statement of a block), its continuation lines by comments."""
    out = list(lines)
    for first, last in spans.items():
        line = lines[first]
        out[first] = f"{line[: len(line) - len(line.lstrip())]}pass  # IPython magic"
        for index in range(first + 1, last + 1):
            out[index] = "# " + lines[index]
    return out


def cell_magic(lines: Sequence[str]) -> tuple[int, str] | None:
    """``(index of the line, magic name)`` when the cell starts with a cell magic (``%%time``)."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        stripped = line.lstrip()
        if not stripped.startswith("%%"):
            return None
        name = stripped[2:].split(None, 1)[0] if stripped[2:].strip() else ""
        return index, name
    return None


def cell_text(cell: object, number: int = 0) -> str:
    """The source of one notebook cell as a string (nbformat allows a string or a list of lines;
    nbformat 3 code cells keep it under ``input``). Raises :class:`UnreadableSource` when the
    source is neither."""
    if not isinstance(cell, dict):
        return ""
    key = "input" if "source" not in cell and "input" in cell else "source"
    source = cell.get(key, "")
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise UnreadableSource(f"cell {number}: '{key}' is not a string or a list of strings")


def load_notebook(path: str, text: str) -> dict[str, Any]:
    """The notebook document; raises :class:`UnreadableSource` when it is not one.

    nbformat 3 keeps the cells in ``worksheets``: they are flattened into ``cells`` here (the
    returned document is for reading only).
    """
    try:
        document = json.loads(text)
    except RecursionError:
        raise UnreadableSource(f"{path}: not analysed: the notebook's JSON nests too deeply") from None
    except ValueError:
        raise UnreadableSource(f"{path}: not a valid Jupyter notebook (invalid JSON)") from None
    if not isinstance(document, dict):
        raise UnreadableSource(f"{path}: not a valid Jupyter notebook (not a JSON object)")
    if "cells" not in document and isinstance(document.get("worksheets"), list):
        cells = [
            cell
            for sheet in document["worksheets"]
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list)
            for cell in sheet["cells"]
        ]
        document = {**document, "cells": cells}
    if "cells" not in document:
        raise UnreadableSource(f"{path}: not a valid Jupyter notebook (JSON with 'cells')")
    if not isinstance(document["cells"], list):
        raise UnreadableSource(f"{path}: not a valid Jupyter notebook ('cells' is not a list)")
    return document


def is_python(document: Mapping[str, Any]) -> bool:
    """False for notebooks whose kernel runs another language (R, Julia, Scala, ...)."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(field), str):
            return value[field].lower() in ("python", "python2", "python3", "ipython", "")
    return True


def code_cells(document: Mapping[str, Any]) -> dict[int, str]:
    """``{1-based cell number: source}`` of the code cells (numbers count every cell)."""
    return {
        number: cell_text(cell, number)
        for number, cell in enumerate(document["cells"], start=1)
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    }


def notebook_source(path: str, text: str) -> SourceFile:
    """Join a notebook's code cells into one module (see the module docstring).

    The joined lines that are not the cell's Python are listed in ``SourceFile.skipped_lines``
    (fixes never touch them); cells that do not compile are in ``SourceFile.cell_errors``.
    """
    document = load_notebook(path, text)
    cells = code_cells(document) if is_python(document) else {}
    lines: list[str] = []
    skipped: set[int] = set()
    starts: list[tuple[int, int]] = []
    errors: list[CellError] = []
    for number, source in cells.items():
        first = len(lines) + 1
        starts.append((first, number))
        cell_lines, neutral = _cell_python(split_lines(source))
        error = _compile_error(cell_lines) if len(neutral) < len(cell_lines) else None
        if error is not None:
            line, column, message, syntax = error
            line = max(1, min(line, len(cell_lines)))  # "unexpected EOF" points past the cell
            errors.append(CellError(first + line - 1, column, message, syntax))
            cell_lines = ["# " + line for line in split_lines(source)]
            neutral = set(range(len(cell_lines)))
        lines.extend(cell_lines or [""])
        skipped.update(first + index for index in neutral)
    return SourceFile(path, "\n".join(lines) + "\n", CellMap(tuple(starts)), frozenset(skipped), tuple(errors))


def _cell_python(lines: list[str]) -> tuple[list[str], set[int]]:
    """The cell as Python lines (same count) and the 0-based indexes of neutralised lines."""
    magic = cell_magic(lines)
    if magic is not None:
        index, name = magic
        if name not in PYTHON_CELL_MAGICS:  # %%bash, %%writefile, %%html ...: not Python
            return ["# " + line for line in lines], set(range(len(lines)))
        body = list(lines)
        body[index] = "pass  # cell magic"
        spans = _magic_spans(body)
        neutral = {index} | {i for first, last in spans.items() for i in range(first, last + 1)}
        return _neutral_lines(body, spans), neutral
    spans = _magic_spans(lines)
    return _neutral_lines(lines, spans), {i for first, last in spans.items() for i in range(first, last + 1)}


def _compile_error(lines: Sequence[str]) -> tuple[int, int, str, bool] | None:
    """Where one cell's Python fails to compile (1-based line in the cell), or None, judged as
    IPython runs a cell (:func:`python_ast.compiler_error`)."""
    refused = python_ast.refusal("\n".join(lines) + "\n", "<cell>", ipython_cell=True)
    if refused is None:
        return None
    if isinstance(refused, SyntaxError):
        return refused.lineno or 1, refused.offset or 1, f"syntax error: {refused.msg}", True
    return 1, 1, f"not analysed: {type(refused).__name__}: {refused}", False


# -- writing cells back -----------------------------------------------------------------------


def _source_spans(text: str) -> dict[int, tuple[int, int]]:
    """``{1-based cell number: (start, end)}`` offsets of each cell's ``"source"`` value in the
    notebook's JSON text, so that a fix can replace just that value and leave every other byte
    (outputs, metadata, other cells, the file's indentation) as it was."""
    decoder = json.JSONDecoder()
    scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
    spans: dict[int, tuple[int, int]] = {}

    def skip(index: int) -> int:
        return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]

    def value_end(index: int) -> int:
        return decoder.raw_decode(text, index)[1]

    def walk_object(index: int, on_value: Callable[[str, int], int]) -> int:
        """Walk the object at ``index``; ``on_value(key, start)`` returns where each value ends."""
        if text[index] != "{":
            raise ValueError(f"expected an object at offset {index}")
        index = skip(index + 1)
        while text[index] != "}":
            if text[index] != '"':
                raise ValueError(f"expected a key at offset {index}")
            key, index = scanstring(text, index + 1)
            index = skip(index)
            if text[index] != ":":
                raise ValueError(f"expected ':' at offset {index}")
            index = skip(on_value(key, skip(index + 1)))
            if text[index] == ",":
                index = skip(index + 1)
        return index + 1

    def walk_cells(index: int) -> int:
        if text[index] != "[":
            return value_end(index)
        index = skip(index + 1)
        number = 0
        while text[index] != "]":
            number += 1

            def cell_value(key: str, start: int, number: int = number) -> int:
                end = value_end(start)
                if key == "source":
                    spans[number] = (start, end)
                return end

            index = walk_object(index, cell_value) if text[index] == "{" else value_end(index)
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
        return index + 1

    walk_object(skip(0), lambda key, start: walk_cells(start) if key == "cells" else value_end(start))
    return spans


def _render_source(text: str, span: tuple[int, int], new_source: str) -> str:
    """The JSON for ``new_source`` in the style of the value at ``span`` (a string, or a list of
    lines with the same layout; unchanged lines keep their exact original JSON)."""
    decoder = json.JSONDecoder()
    raw = text[span[0] : span[1]]
    old = json.loads(raw)
    ensure_ascii = not any(ord(char) > 127 for char in text) and "\\u" in text
    if not isinstance(old, list):
        return json.dumps(new_source, ensure_ascii=ensure_ascii)
    # The raw JSON of each old element, to reuse for unchanged lines.
    elements: list[tuple[int, int]] = []
    index = _WHITESPACE.match(raw, 1).end()  # type: ignore[union-attr]
    while raw[index] != "]":
        end = decoder.raw_decode(raw, index)[1]
        elements.append((index, end))
        index = _WHITESPACE.match(raw, end).end()  # type: ignore[union-attr]
        if raw[index] == ",":
            index = _WHITESPACE.match(raw, index + 1).end()  # type: ignore[union-attr]
    reuse: dict[str, str] = {}
    for value, (start, end) in zip(old, elements, strict=True):  # both read from the same JSON list
        if isinstance(value, str):
            reuse.setdefault(value, raw[start:end])
    items = [reuse.get(line) or json.dumps(line, ensure_ascii=ensure_ascii) for line in split_lines(new_source, keepends=True)]
    if not elements:
        return "[" + ", ".join(items) + "]"
    prefix = raw[: elements[0][0]]
    suffix = raw[elements[-1][1] :]
    # The original separators, gap by gap (a hand-wrapped list keeps its wrapping).
    separators = [raw[a[1] : b[0]] for a, b in itertools.pairwise(elements)]
    default = separators[-1] if separators else ("," + prefix[1:] if "\n" in prefix else ", ")
    if not items:
        return "[]"
    out = [prefix, items[0]]
    for gap, item in enumerate(items[1:]):
        out += [separators[gap] if gap < len(separators) else default, item]
    return "".join(out) + suffix


def replace_cell_sources(text: str, sources: dict[int, str]) -> str:
    """The notebook JSON ``text`` with the sources of some cells (by 1-based number) replaced.

    Only those cells' ``"source"`` values change; raises ``ValueError`` if the text is not a
    notebook whose cells can be located.
    """
    if not sources:
        return text
    spans = _source_spans(text)
    missing = set(sources) - set(spans)
    if missing:
        raise ValueError(f"cell {min(missing)} has no 'source' to replace")
    result = text
    for number in sorted(sources, key=lambda n: spans[n][0], reverse=True):
        start, end = spans[number]
        result = result[:start] + _render_source(text, spans[number], sources[number]) + result[end:]
    return result
