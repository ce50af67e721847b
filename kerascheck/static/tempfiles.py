"""Temporary files kerascheck writes beside the files it replaces, and their cleanup.

Every temporary file or directory is named ``.<stem>.<pid>.<random>.kerascheck-tmp``: it is
created exclusively (``O_EXCL``), removed in a ``finally`` on every path a live process takes,
and a process killed with ``kill -9`` (which runs no cleanup) leaves a name that says which
process owned it, so a later run removes it once that process is gone. Discovery never lints
them: the name does not end in ``.py`` or ``.ipynb``.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

SUFFIX = ".kerascheck-tmp"
_NAME = re.compile(r"^\.(?P<stem>.*)\.(?P<pid>\d+)\.[0-9a-f]{8}" + re.escape(SUFFIX) + "$", re.S)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def temp_name(stem: str) -> str:
    """A fresh temporary name for a file or directory standing in for ``stem``."""
    import secrets  # imported when first needed: the cached fast path never writes

    return f".{stem}.{os.getpid()}.{secrets.token_hex(4)}{SUFFIX}"


def create_exclusive(directory: str, stem: str, mode: int = 0o600) -> tuple[int, str]:
    """Create a new temporary file in ``directory``: ``(fd, path)``. Never follows links."""
    for _ in range(16):
        path = os.path.join(directory, temp_name(stem))
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode), path
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {directory}")


def write_atomically(target: Path, data: bytes, stem: str) -> None:
    """Write ``data`` to ``target`` through a new temporary file in its directory and a rename,
    so readers see the old bytes or the new ones, never a part; the temporary file never
    outlives a failure. Raises ``OSError``."""
    temporary: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = create_exclusive(str(target.parent), stem)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
        temporary = None
    finally:
        if temporary is not None:
            remove_quietly(temporary)


def owner_pid(name: str) -> int | None:
    """The pid in a kerascheck temporary name, or None if ``name`` is not one."""
    match = _NAME.match(name)
    return int(match.group("pid")) if match else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else: not ours to judge
    return True


def remove_stale(directory: str, stem: str | None = None, *, directories: frozenset[str] = frozenset()) -> int:
    """Remove temporary files (of ``stem``, or any) whose owning process is gone.

    Only regular files are removed, and directories whose entries are all in ``directories``
    (the few names kerascheck itself puts in a temporary directory). Returns how many.
    """
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or (stem is not None and match.group("stem") != stem):
            continue
        if _alive(int(match.group("pid"))):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                os.unlink(entry.path)
                removed += 1
            elif stat.S_ISDIR(info.st_mode) and set(os.listdir(entry.path)) <= directories:
                import shutil

                shutil.rmtree(entry.path)
                removed += 1
    return removed


def remove_quietly(path: str | Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
