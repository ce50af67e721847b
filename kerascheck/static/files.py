"""Finding the files to check and reading them (encodings; notebooks via :mod:`.notebooks`)."""

from __future__ import annotations

import fnmatch
import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kerascheck.static.context import CellMap

if TYPE_CHECKING:
    from kerascheck.static.notebooks import CellError

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
    #: Notebooks: cells left out of the joined text because they do not compile (each a KC001).
    cell_errors: tuple[CellError, ...] = ()


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
        if not path.is_file():
            return
        import pathspec  # deferred: most runs never need it

        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self._specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):  # type: ignore[attr-defined]
                return True
        return False


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
            for ancestor in _repository_ancestors(path.resolve()):
                gitignore.load(ancestor)
            if gitignore.ignored(path.resolve(), is_dir=True):
                # The user named an ignored directory explicitly: check it, minus its own ignores.
                gitignore = _GitIgnore()
                gitignore.load(path.resolve())
        yield from _walk(path, root, patterns, gitignore, respect_gitignore, seen)


def _repository_ancestors(directory: Path) -> list[Path]:
    """``directory`` and its parents up to the enclosing git work tree's root, outermost first
    (their ``.gitignore`` files apply); just ``directory`` outside a repository."""
    chain = [directory]
    for parent in [directory, *directory.parents]:
        if parent != directory:
            chain.append(parent)
        if (parent / ".git").exists():
            return list(reversed(chain))
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
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
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
        if respect_gitignore and gitignore.ignored(entry_path.resolve(), is_dir):
            continue
        if is_dir:
            if respect_gitignore:
                gitignore.load(entry_path.resolve())
            yield from _walk(entry_path, root, patterns, gitignore, respect_gitignore, seen)
        elif entry.name.endswith(SOURCE_SUFFIXES):
            shown = os.path.normpath(entry.path)  # "./a.py" and "a.py" are one file
            if shown not in seen:
                seen.add(shown)
                yield shown


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
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
            raise UnreadableSource(f"{path}: is a directory") from None
        except OSError as exc:
            raise UnreadableSource(f"{path}: cannot read: {exc.strerror or exc}") from None
        if b"\0" in data[:8192] and not path.endswith(".ipynb"):
            raise UnreadableSource(f"{path}: binary file (contains NUL bytes)")
        text = decode(data, path) if not path.endswith(".ipynb") else data.decode("utf-8", "replace")
    if path.endswith(".ipynb"):
        from kerascheck.static.notebooks import notebook_source  # notebooks import this module

        return notebook_source(path, text)
    return SourceFile(path, text)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """Split at ``\\n``, ``\\r\\n`` and ``\\r`` only, the line ends Python itself knows
    (``str.splitlines`` also splits at form feeds and U+2028, which can sit inside code)."""
    lines = _LINE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]
