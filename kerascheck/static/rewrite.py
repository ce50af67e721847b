"""Reading a file to change it, and writing the change back without losing anything.

``--fix`` and ``--add-noqa`` read a file, work on its text for a while, then replace it. The
replacement (a temporary file in the same directory, fsync, ``os.replace``) never leaves a
half-written file, and it changes nothing but the text:

* **Edits made meanwhile are kept.** The file's identity and content digest are taken when it
  is read; right before the replace they are compared again (device, inode, size, mtime and a
  digest of the bytes), and the file is left alone if anything changed. After the replace, the
  old file is watched briefly: if a write reached it (a writer that opened it just before the
  replace), that text is put back and the fix is reported as not applied.
* **Owner, group and mode are kept** (the temporary file gets them before it takes the file's
  place). If the owner cannot be kept (a file of another user, when not running as root), the
  file is not rewritten rather than handed to the runner.
* **Read-only files are not rewritten** (no write bit, or no write permission for the runner),
  although the directory would allow replacing them.
* **Hard links are not split.** A file with several names cannot be replaced without the other
  names keeping the old text, and rewriting it in place can leave it half-written if the
  process is killed, losing data. kerascheck refuses instead: the file is reported and left
  unchanged (``--diff`` prints the change to apply by hand).
* **Symbolic links**: a link whose target is inside the checked tree (the project root, i.e.
  the configuration file's directory or else the working directory, and the directories named
  on the command line) has its target rewritten and stays a link; a link that leads outside it
  is not followed for writing (the file is reported and left unchanged), so checking a tree
  never modifies files outside it.
* **Temporary files** (``.<name>.<pid>.<random>.kerascheck-tmp``) are removed on every path
  of a live process; those of killed processes are removed by the next run that writes into the
  directory (:mod:`kerascheck.static.tempfiles`).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tokenize
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path

from kerascheck.records import record
from kerascheck.static import tempfiles

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class FixError(Exception):
    """The file cannot be fixed (unreadable, unwritable, changed, or the fix would not parse);
    the message says why and what to do."""


@record
class FileState:
    """What a file was when it was read, to tell whether it changed since."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    digest: bytes

    @classmethod
    def of(cls, info: os.stat_result, data: bytes) -> FileState:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, _digest(data))

    def matches(self, info: os.stat_result, data: bytes) -> bool:
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) == (
            self.device, self.inode, self.size, self.mtime_ns
        ) and _digest(data) == self.digest


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


@record
class Document:
    """A file's text and how to write it back (``encoding`` None: stdin, never written)."""

    path: str
    text: str
    encoding: str | None = "utf-8"
    state: FileState | None = field(default=None, compare=False)  # when it was read

    @property
    def is_notebook(self) -> bool:
        return self.path.endswith(".ipynb")


def read_document(path: str) -> Document:
    """Read ``path`` for fixing: Python by its PEP 263 encoding (kept on write), notebooks as
    strict UTF-8 (a notebook that is not valid UTF-8 is never rewritten)."""
    try:
        info, data = _read_regular(path)
    except OSError as exc:
        raise FixError(f"cannot read: {exc.strerror or exc}") from None
    if path.endswith(".ipynb"):
        encoding = "utf-8"
    else:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise FixError(f"cannot decode: {exc}") from None
    try:
        return Document(path, data.decode(encoding), encoding, FileState.of(info, data))
    except (UnicodeDecodeError, LookupError) as exc:
        raise FixError(f"cannot decode: {exc}") from None


def _read_regular(path: str, *, follow: bool = True) -> tuple[os.stat_result, bytes]:
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | (0 if follow else _NOFOLLOW))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return info, handle.read()
    finally:
        os.close(fd)


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives (Windows)
        return False


def write_back(document: Document, *, trees: Sequence[str | Path] = ()) -> None:
    """Replace the file with the document's text, keeping everything else (see the module doc);
    :class:`FixError` when it must be left unchanged. ``trees``: the checked tree, which links
    may lead into (empty: links are followed anywhere, as for a file named explicitly)."""
    assert document.encoding is not None
    try:
        data = document.text.encode(document.encoding)
    except UnicodeEncodeError as exc:
        raise FixError(f"the fixed text cannot be encoded as {document.encoding}: {exc.reason}") from None
    target = _target(document.path, trees)
    try:
        fd = os.open(target, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        raise FixError(f"cannot open: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "rb", closefd=False) as original:
            info = os.fstat(fd)
            _check_writable(target, info)
            if document.state is not None and not document.state.matches(info, original.read()):
                raise FixError("it changed on disk while kerascheck was fixing it; left as it is now (run again to fix it)")
            _replace(target, data, info, fd)
    finally:
        os.close(fd)


def _target(path: str, trees: Sequence[str | Path]) -> str:
    """The file to write: ``path`` itself, or the target of the link(s) it goes through if that
    is inside one of ``trees``."""
    absolute = os.path.abspath(path)
    real = os.path.realpath(path)
    if real != absolute and trees:
        real_trees = [os.path.realpath(tree) for tree in trees]
        if not any(_inside(real, tree) for tree in real_trees):
            raise FixError(
                f"it is a symbolic link to {real}, outside the checked tree ({', '.join(dict.fromkeys(real_trees))}); "
                "kerascheck does not rewrite files outside it (fix the target itself)"
            )
    return real


def _check_writable(target: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise FixError("it is not a regular file")
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise FixError(f"it is read-only (mode {stat.S_IMODE(info.st_mode):04o}); kerascheck does not rewrite read-only files")
    if not os.access(target, os.W_OK):
        raise FixError("you have no write permission for it; kerascheck does not replace files you cannot write")
    if info.st_nlink > 1:
        raise FixError(
            f"it has {info.st_nlink} hard links; replacing it would leave the other names with the old "
            "text and rewriting it in place could leave it half-written, so it is left unchanged "
            "(apply the output of --diff to it instead)"
        )


def _replace(target: str, data: bytes, info: os.stat_result, original_fd: int) -> None:
    """Replace the original by a temporary file holding ``data`` with the original's owner and
    mode, unless the original changed meanwhile."""
    temporary = _write_temporary(target, data, info)
    replaced = False
    try:
        now = os.fstat(original_fd)
        if (now.st_size, now.st_mtime_ns) != (info.st_size, info.st_mtime_ns) or not _same_file(target, info):
            raise FixError("it changed on disk while kerascheck was fixing it; left as it is now (run again to fix it)")
        os.replace(temporary, target)
        replaced = True
    except OSError as exc:
        raise FixError(f"cannot write: {exc.strerror or exc}") from None
    finally:
        if not replaced:
            tempfiles.remove_quietly(temporary)
    after = _settled(original_fd, info)
    if after is not None:
        # Someone wrote to the file in the instant between the last check and the replace: put
        # their text back rather than lose it.
        with os.fdopen(os.dup(original_fd), "rb") as handle:
            handle.seek(0)
            current = handle.read()
        restored = _write_temporary(target, current, after)
        try:
            os.replace(restored, target)
        except OSError as exc:
            tempfiles.remove_quietly(restored)
            reason = exc.strerror or exc
            raise FixError(f"it changed on disk while kerascheck was writing it and its changed text could not be put back: {reason}") from None
        raise FixError("it changed on disk while kerascheck was writing it; the changed text was kept and the fix not applied (run again)")


#: After the replace, the old file is watched this many times, this many seconds apart: a
#: writer that opened it just before the rename (an appender preempted between ``open`` and
#: ``write``) lands there, and its text must be put back. A rename-based write cannot close
#: this window entirely (editors that save by renaming share it); watching shrinks it from
#: microseconds to the point where a preempted writer is still caught.
_SETTLE_CHECKS = 3
_SETTLE_PAUSE = 0.005


def _settled(original_fd: int, info: os.stat_result) -> os.stat_result | None:
    """The old file's state if a write reached it after the replace, else None."""
    import time

    for attempt in range(_SETTLE_CHECKS):
        if attempt:
            time.sleep(_SETTLE_PAUSE)
        after = os.fstat(original_fd)
        if (after.st_size, after.st_mtime_ns) != (info.st_size, info.st_mtime_ns):
            return after
    return None


def _write_temporary(target: str, data: bytes, info: os.stat_result) -> str:
    """A new temporary file beside ``target`` holding ``data``, with ``info``'s owner and mode."""
    directory = os.path.dirname(target) or "."
    name = os.path.basename(target)
    tempfiles.remove_stale(directory, name)
    try:
        fd, temporary = tempfiles.create_exclusive(directory, name)
    except OSError as exc:
        raise FixError(f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            _copy_owner_and_mode(stream.fileno(), info)
            os.fsync(stream.fileno())
    except BaseException as exc:
        tempfiles.remove_quietly(temporary)
        if isinstance(exc, OSError):
            raise FixError(f"cannot write: {exc.strerror or exc}") from None
        raise
    return temporary


def _same_file(path: str, info: os.stat_result) -> bool:
    try:
        now = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


def _copy_owner_and_mode(fd: int, info: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        mine = os.fstat(fd)
        if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
            try:
                os.fchown(fd, info.st_uid, info.st_gid)
            except OSError:
                raise FixError(
                    f"it belongs to uid {info.st_uid} gid {info.st_gid} and kerascheck cannot give the "
                    "rewritten file the same owner; left unchanged rather than change its owner"
                ) from None
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(info.st_mode))  # after chown, which clears set-id bits
