"""Finding the files to check and reading them (encodings, notebooks)."""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kerascheck.static.context import CellMap

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")

#: Never descended into (unless named on the command line), like ruff's defaults.
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".ipynb_checkpoints",
    ".kerascheck_cache",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "__pycache__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class UnreadableSource(Exception):
    """The file cannot be read or decoded; the message says why."""


@dataclass(frozen=True)
class SourceFile:
    """Python text to check. Notebooks are their code cells joined, with a cell map."""

    path: str
    text: str
    cell_map: CellMap | None = None
    #: Notebooks: joined lines that stand in for non-Python (magics, shell, cell magics).
    skipped_lines: frozenset[int] = frozenset()


def _matches(rel: str, name: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(rel, pattern):
            return True
        if fnmatch.fnmatch(rel, pattern + "/*"):
            return True
    return False


class _GitIgnore:
    """``.gitignore`` files met while walking, matched with pathspec (loaded only if needed)."""

    def __init__(self) -> None:
        self._specs: list[tuple[Path, object]] = []

    def load(self, directory: Path) -> None:
        path = directory / ".gitignore"
        try:
            if not path.is_file():
                return
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return  # an unreadable .gitignore ignores nothing (as git does)
        self._specs.append((directory, _gitignore_spec(lines)))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self._specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):  # type: ignore[attr-defined]
                return True
        return False


def _gitignore_spec(lines: list[str]) -> object:
    """The spec of a ``.gitignore``'s lines. Git silently ignores a line it cannot use (a lone
    ``\\`` or ``!``, a range like ``[b-a]``); pathspec raises on them, so such lines are
    dropped one by one and the rest of the file still applies."""
    import pathspec  # deferred: most runs never need it

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # noqa: BLE001 - pathspec raises several types for a bad pattern
        usable = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except Exception:  # noqa: BLE001
                continue
            usable.append(line)
        return pathspec.GitIgnoreSpec.from_lines(usable)


def resolved(path: Path) -> Path:
    """``path.resolve()``, or the absolute path when it cannot be resolved (a symlink loop
    raises RuntimeError before Python 3.13; an unreadable parent raises OSError)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def discover(
    paths: Sequence[str],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> Iterator[str]:
    """Yield the files to check, in a stable order.

    Files named explicitly are always checked; directories are walked, skipping the default
    and configured excludes, ``.gitignore``d entries and symlinked directories (no loops).
    """
    patterns = (*DEFAULT_EXCLUDE, *exclude)
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            if raw not in seen:
                seen.add(raw)
                yield raw
            continue
        gitignore = _GitIgnore()
        if respect_gitignore:
            for ancestor in _repository_ancestors(resolved(path)):
                gitignore.load(ancestor)
            if gitignore.ignored(resolved(path), is_dir=True):
                # The user named an ignored directory explicitly: check it, minus its own ignores.
                gitignore = _GitIgnore()
                gitignore.load(resolved(path))
        yield from _walk(path, root, patterns, gitignore, respect_gitignore, seen)


def _repository_ancestors(directory: Path) -> list[Path]:
    """``directory`` and its parents up to the enclosing git work tree's root, outermost first
    (their ``.gitignore`` files apply); just ``directory`` outside a repository."""
    chain = [directory]
    for parent in [directory, *directory.parents]:
        if parent != directory:
            chain.append(parent)
        try:
            if (parent / ".git").exists():
                return list(reversed(chain))
        except OSError:  # an unreadable parent: no repository found through it
            break
    return [directory]


def _walk(
    directory: Path,
    root: Path,
    patterns: Sequence[str],
    gitignore: _GitIgnore,
    respect_gitignore: bool,
    seen: set[str],
) -> Iterator[str]:
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        # Not silently skipped: the directory itself is yielded, and reading it says why it
        # could not be searched (a KC002 finding for it alone).
        yield os.path.normpath(directory)
        return
    for entry in entries:
        entry_path = Path(entry.path)
        rel = _relative(entry_path, root)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if _matches(rel, entry.name, patterns):
            continue
        if respect_gitignore and gitignore.ignored(resolved(entry_path), is_dir):
            continue
        if is_dir:
            if respect_gitignore:
                gitignore.load(resolved(entry_path))
            yield from _walk(entry_path, root, patterns, gitignore, respect_gitignore, seen)
        elif entry.name.endswith(SOURCE_SUFFIXES):
            shown = os.path.normpath(entry.path)  # "./a.py" and "a.py" are one file
            if shown not in seen:
                seen.add(shown)
                yield shown


def _relative(path: Path, root: Path) -> str:
    try:
        return resolved(path).relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def decode(data: bytes, path: str) -> str:
    """Decode Python source bytes by PEP 263 rules (BOM, coding cookie, else UTF-8)."""
    import io

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise UnreadableSource(f"cannot decode {path}: {exc}") from None


def _directory_problem(path: str) -> str:
    try:
        with os.scandir(path):
            pass
    except OSError as exc:
        return f"{path}: directory not searched: {exc.strerror or exc}"
    return f"{path}: is a directory"


def read(path: str, stdin_text: str | None = None) -> SourceFile:
    """Read a file to check; raises :class:`UnreadableSource` with a reason."""
    if stdin_text is not None:
        text = stdin_text
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise UnreadableSource(f"{path}: no such file") from None
        except IsADirectoryError:
            raise UnreadableSource(_directory_problem(path)) from None
        except OSError as exc:
            if os.path.isdir(path):
                raise UnreadableSource(_directory_problem(path)) from None
            raise UnreadableSource(f"{path}: cannot read: {exc.strerror or exc}") from None
        if b"\0" in data and not path.endswith(".ipynb"):  # anywhere: memchr scans fast
            raise UnreadableSource(f"{path}: binary file (contains NUL bytes)")
        text = decode(data, path) if not path.endswith(".ipynb") else data.decode("utf-8", "replace")
    if path.endswith(".ipynb"):
        return notebook_source(path, text)
    return SourceFile(path, text)


# -- notebooks --------------------------------------------------------------------------------

#: Lines IPython (not Python) handles, when they start a logical line: ``%magic``, ``!shell``,
#: ``?help``, ``files = !ls``, ``x = %timeit ...``, ``name?``/``name??``.
_MAGIC_CANDIDATE = re.compile(r"^\s*(?:[%!?]|[\w.]+\s*=\s*[%!]|[\w.*]+\?{1,2}\s*$)")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """Split at ``\\n``, ``\\r\\n`` and ``\\r`` only, the line ends Python itself knows
    (``str.splitlines`` also splits at form feeds and U+2028, which can sit inside code)."""
    lines = _LINE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]


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


def _magic_lines(lines: Sequence[str]) -> set[int]:
    """0-based indexes of the lines of one cell that are IPython magics, shell or help lines.

    A candidate only counts where it starts a logical line: ``% b`` continuing an expression in
    brackets and ``!note`` inside a triple-quoted string are Python. Replacing a candidate by
    ``pass`` never changes what comes before it, so the fixed point is reached quickly.
    """
    magic = {i for i, line in enumerate(lines) if _MAGIC_CANDIDATE.match(line)}
    for _ in range(len(magic) + 1):
        if not magic:
            break
        text = "\n".join(_pass_for(line) if i in magic else line for i, line in enumerate(lines)) + "\n"
        starts, known = _logical_starts(text)
        inside = {i for i in magic if i + 1 < known and i + 1 not in starts}
        if not inside:
            break
        # Restore only the first: it may open brackets or strings that change what follows.
        magic.discard(min(inside))
    return magic


def _pass_for(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}pass  # IPython magic"


def cell_text(cell: object) -> str:
    """The source of one notebook cell as a string (nbformat allows a string or a list of lines)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def load_notebook(path: str, text: str) -> dict:
    """The notebook document; raises :class:`UnreadableSource` when it is not one."""
    try:
        document = json.loads(text)
        cells = document["cells"]
    except (ValueError, KeyError, TypeError):
        raise UnreadableSource(f"{path}: not a valid Jupyter notebook (JSON with 'cells')") from None
    if not isinstance(cells, list):
        raise UnreadableSource(f"{path}: not a valid Jupyter notebook ('cells' is not a list)")
    return document


def code_cells(document: dict) -> dict[int, str]:
    """``{1-based cell number: source}`` of the code cells (numbers count every cell)."""
    return {
        number: cell_text(cell)
        for number, cell in enumerate(document["cells"], start=1)
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    }


def notebook_source(path: str, text: str) -> SourceFile:
    """Join a notebook's code cells; IPython magics and shell lines become ``pass``.

    Every cell line keeps its own joined line (so cell-relative positions map back exactly);
    the joined lines that are not the cell's Python are listed in ``SourceFile.skipped_lines``.
    """
    document = load_notebook(path, text)
    lines: list[str] = []
    skipped: set[int] = set()
    starts: list[tuple[int, int]] = []
    for number, source in code_cells(document).items():
        cell_lines = split_lines(source)
        first = len(lines) + 1
        starts.append((first, number))
        head = next((line for line in cell_lines if line.strip()), "")
        if head.lstrip().startswith("%%"):
            # A cell magic makes the whole cell non-Python (%%bash, %%writefile, ...).
            lines.append("pass  # cell magic")
            lines.extend("# " + line for line in cell_lines[1:])
            skipped.update(range(first, first + max(1, len(cell_lines))))
        else:
            magic = _magic_lines(cell_lines)
            for index, line in enumerate(cell_lines):
                lines.append(_pass_for(line) if index in magic else line)
            skipped.update(first + index for index in magic)
        if not cell_lines:
            lines.append("")
    return SourceFile(path, "\n".join(lines) + "\n", CellMap(tuple(starts)), frozenset(skipped))


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
    for value, (start, end) in zip(old, elements):
        if isinstance(value, str):
            reuse.setdefault(value, raw[start:end])
    items = [reuse.get(line) or json.dumps(line, ensure_ascii=ensure_ascii) for line in split_lines(new_source, keepends=True)]
    if not elements:
        return "[" + ", ".join(items) + "]"
    prefix = raw[: elements[0][0]]
    suffix = raw[elements[-1][1] :]
    # The original separators, gap by gap (a hand-wrapped list keeps its wrapping).
    separators = [raw[a[1] : b[0]] for a, b in zip(elements, elements[1:])]
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
