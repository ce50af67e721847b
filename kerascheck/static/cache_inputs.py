"""What cached results depend on, read cheaply and without importing the engine: files' bytes
(never blocking on a FIFO) and the stat of kerascheck's own sources. Used by the result cache
(:mod:`kerascheck.static.cache`) and by the run cache (:mod:`kerascheck.static.cache_run`),
which must answer before libcst is imported."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

#: A cache entry larger than this is not read (results are a few kilobytes).
MAX_ENTRY_BYTES = 32 * 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def code_fingerprint(modules: Iterable[str]) -> list[tuple[str, int, int]]:
    """``(file, mtime_ns, size)`` of kerascheck's own sources and of each plugin module, so a
    changed rule (an editable install, a ``-p`` module being written) invalidates the cache."""
    stats: list[tuple[str, int, int]] = []
    package = Path(__file__).resolve().parent.parent
    for directory, _, names in os.walk(package):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                stats.append((os.path.relpath(path, package), st.st_mtime_ns, st.st_size))
    for module in modules:
        loaded = sys.modules.get(module)
        file = getattr(loaded, "__file__", None)
        if file and not os.path.abspath(file).startswith(str(package)):
            try:
                st = os.stat(file)
            except OSError:
                continue
            stats.append((file, st.st_mtime_ns, st.st_size))
    stats.sort()
    return stats


def read_regular(path: str, *, follow: bool, limit: int = MAX_ENTRY_BYTES) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (never blocks: FIFOs and devices are
    opened non-blocking and refused), else None. Without ``follow`` (cache entries, where a
    link is refused) a file over ``limit`` bytes is not read either."""
    flags = os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0) | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (not follow and info.st_size > limit):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except (OSError, MemoryError):
        return None
    finally:
        os.close(fd)
