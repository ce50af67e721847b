"""Finding the files to check and reading them (encodings; notebooks via :mod:`.notebooks`)."""

from __future__ import annotations

import fnmatch
import os
import re
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kerascheck.records import record

if TYPE_CHECKING:  # context imports libcst: file discovery (the cached fast path) must not
    from kerascheck.config import Config
    from kerascheck.static.context import CellMap
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


@record
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
    except Exception:
        usable = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except Exception:
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


def iter_targets(config: Config, paths: Iterable[str]) -> list[str]:
    """The files a run with ``config`` checks for ``paths``."""
    return list(discover(list(paths), root=resolved(Path(config.root)), exclude=config.all_excludes, respect_gitignore=config.respect_gitignore))


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
        from kerascheck.static.notebooks import notebook_source  # notebooks import this module

        return notebook_source(path, text)
    return SourceFile(path, text)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """Split at ``\\n``, ``\\r\\n`` and ``\\r`` only, the line ends Python itself knows
    (``str.splitlines`` also splits at form feeds and U+2028, which can sit inside code)."""
    lines = _LINE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]
