"""Where the language server gets the facts of a project's other files: the result cache first.

Project rules need every file's facts. ``kerascheck check`` keeps each file's result, facts
included, in the result cache (:mod:`kerascheck.static.cache`); the server reads the same
directory, so a project already checked on the command line (pre-commit, CI, a terminal) or in an
earlier editor session opens without checking its files again. For each file, in order:

1. the server's own entries: results of the engine running only the project rules (their own
   settings key, beside the command line's, in the same directory), named by absolute path;
2. the command line's entries (the key of the full configuration), named as a run from the
   project root or the workspace root names them (``pkg/a.py``, as ``kerascheck check .`` and
   pre-commit do), then by absolute path; their paths are made absolute
   (:func:`kerascheck.static.cache.relocated`) and their findings dropped (only facts matter);
3. otherwise the file is checked with the project rules (the engine's pre-filter: a file no
   project rule wants is read and compiled, never parsed by libcst) and the result stored (1.).

Every entry is used only under the cache's own conditions (the file's content digest, the
settings key: kerascheck, plugins, configuration, Python and libcst versions). An open
document's unsaved text is always checked, never read from the cache.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kerascheck.static.engine import Engine, FileResult

if TYPE_CHECKING:
    from kerascheck.static.cache import ResultCache


class FactsSource:
    """One configuration's way to another file's facts (thread-safe enough for the server: a
    lookup or a check of one file shares nothing with another's but counters)."""

    def __init__(self, session: Any, engine: Engine, run_from: Sequence[str] = (), *, cache: bool = True) -> None:
        self.engine = engine
        #: Directories a command-line run stored results from (the project root, the workspace root).
        self.run_from = tuple(dict.fromkeys(os.path.abspath(base) for base in run_from))
        #: The cache of ``engine``'s results, and that of the command line's (None: not used).
        self.own: ResultCache | None
        self.command_line: ResultCache | None
        self.own, self.command_line = _caches(session, engine) if cache else (None, None)
        self.from_cache = 0
        self.checked = 0
        #: Results checked but not stored yet (:meth:`store`).
        self._unstored: list[Any] = []

    def result(self, path: str, text: str | None = None, *, store: bool = True) -> FileResult:
        """The result (facts, imports, left-out rules; no findings) of ``path`` (absolute), whose
        text is ``text`` when it is an open document. Without ``store``, a checked file's
        result is stored in the cache by the next :meth:`store` only."""
        content = None if text is not None or self.own is None else self.own.content_digest(path)
        found = None if content is None else self._cached(path, content)
        if found is not None:
            self.from_cache += 1
        else:
            self.checked += 1
            if content is not None and self.own is not None:  # stored for the next session
                found = self.own.check(path, self.engine.check_file, content_digest=content, later=None if store else self._unstored)
            else:
                found = self.engine.check_file(path, stdin_text=text)
        found.findings = []  # only the facts matter here
        return found

    def store(self) -> int:
        """Store the results :meth:`result` left unstored; how many there were."""
        count = len(self._unstored)
        if self.own is not None:
            self.own.store_later(self._unstored)
        return count

    def _cached(self, path: str, content: bytes) -> FileResult | None:
        assert self.own is not None
        found = self.own.lookup(path, content_digest=content)
        if found is not None or self.command_line is None:
            return found
        for base in self.run_from:
            if _is_inside(path, base):
                found = self.command_line.lookup(path, run_from=base, content_digest=content)
                if found is not None:
                    return found
        return self.command_line.lookup(path, content_digest=content)


def _caches(session: Any, engine: Engine) -> tuple[ResultCache | None, ResultCache | None]:
    """(the cache of ``engine``'s results, the cache of the command line's), each None when
    caching is off or the directory cannot be used."""
    from kerascheck.config import ConfigError
    from kerascheck.static.cache import ResultCache

    try:
        own = ResultCache.for_session(session, config=engine.config)
        command_line = ResultCache.for_session(session) if own is not None else None
    except (ConfigError, OSError):  # the session was validated: only a directory gone bad
        return None, None
    return own, command_line


def _is_inside(path: str, base: str) -> bool:
    return path.startswith(base.rstrip(os.sep) + os.sep)
