"""The cache directory: a directory kerascheck created itself, and ``kerascheck clean``.

``cache-dir`` comes from a configuration file, and a configuration file may come with a cloned
repository, so it is never trusted to name a directory to write into or delete:

* values that can only be mistakes or attacks are configuration errors (naming the file and the
  key): an empty string, the project directory or any directory above it (``.``, ``..``, ``/``),
  the home directory or any directory above it (``~``);
* kerascheck uses a directory only if it created it. It creates the directory whole (marker,
  ``CACHEDIR.TAG`` and ``.gitignore`` written into a temporary directory that is then renamed
  into place), so the ``.gitignore`` (``*``) and ``CACHEDIR.TAG`` are never written into a
  directory someone else made. The marker file ``KERASCHECK-CACHE`` holds a random nonce and its
  MAC under the per-user key (:mod:`kerascheck.static.cache_key`): a marker copied from a
  repository or another machine does not verify. An existing directory without a valid marker
  (``src``, an empty directory, a committed ``.kerascheck_cache``) or a symbolic link is not
  used: the run goes on without the cache, with one warning;
* ``kerascheck clean`` removes only what kerascheck created inside a directory with a valid
  marker (settings directories and entries by their names, then the three housekeeping files
  and the directory if nothing else is left), never follows a symbolic link, and leaves
  anything else where it is.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

from kerascheck.static import tempfiles
from kerascheck.static.cache_key import KeyUnavailable, load_or_create_key, sign, verify

MARKER = "KERASCHECK-CACHE"
_MARKER_HEADER = "kerascheck result cache"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This directory is kerascheck's result cache; 'kerascheck clean' removes it.\n"
)
_GITIGNORE = "# created by kerascheck\n*\n"
HOUSEKEEPING = frozenset({MARKER, "CACHEDIR.TAG", ".gitignore"})
#: Names kerascheck gives what it stores (see :mod:`kerascheck.static.cache`).
SETTINGS_NAME = re.compile(r"^[0-9a-f]{20}$")
SHARD_NAME = re.compile(r"^[0-9a-f]{2}$")
ENTRY_NAME = re.compile(r"^[0-9a-f]{30}$")
#: The run cache's records (:mod:`kerascheck.static.cache_run`): ``runs/<shard>/<record>``.
RUNS = "runs"
RECORD_NAME = re.compile(r"^[0-9a-f]{50}$")
_ENTRY_NAMES = re.compile(f"{ENTRY_NAME.pattern}|{RECORD_NAME.pattern}")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class CacheDirUnusable(Exception):
    """The cache directory exists but is not kerascheck's, or cannot be created."""


# -- where: validating cache-dir ----------------------------------------------------------------


def configured_directory(config: Any) -> Path:
    """The absolute cache directory of ``config``; :class:`ConfigError` for values that name the
    project, its parents, the home directory or its parents."""
    from kerascheck.config import ConfigError

    source = config.path or "configuration"
    raw = config.cache_dir
    if not raw.strip():
        raise ConfigError(source, "cache-dir", "must name a directory of its own, not an empty string")
    expanded = Path(os.path.expanduser(raw))
    directory = Path(os.path.abspath(expanded if expanded.is_absolute() else Path(config.root) / expanded))
    real = Path(os.path.realpath(directory))
    root = Path(os.path.realpath(config.root))
    try:
        home: Path | None = Path(os.path.realpath(Path.home()))
    except (RuntimeError, KeyError, OSError):  # no home directory (a bare container user)
        home = None
    if real == root or real in root.parents:
        what = "the project directory" if real == root else "a parent of the project directory"
        raise ConfigError(source, "cache-dir", f"{raw!r} is {what} ({real}); the cache needs a directory of its own, such as '.kerascheck_cache'")
    if home is not None and (real == home or real in home.parents):
        what = "your home directory" if real == home else "a parent of your home directory"
        raise ConfigError(source, "cache-dir", f"{raw!r} is {what} ({real}); the cache needs a directory of its own, such as '.kerascheck_cache'")
    return directory


# -- ownership ----------------------------------------------------------------------------------


def _marker_text(key: bytes) -> str:
    import secrets

    nonce = secrets.token_hex(16)
    return f"{_MARKER_HEADER}\n{nonce}\n{sign(key, b'cache-directory', nonce.encode())}\n"


def is_ours(directory: Path, key: bytes) -> bool:
    """Whether ``directory`` (not a link) holds a marker made with this user's key."""
    try:
        if not stat.S_ISDIR(os.lstat(directory).st_mode):
            return False
        fd = os.open(directory / MARKER, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        lines = os.read(fd, 1024).decode("ascii", "replace").splitlines()
    except OSError:
        return False
    finally:
        os.close(fd)
    return len(lines) == 3 and lines[0] == _MARKER_HEADER and verify(key, lines[2], b"cache-directory", lines[1].encode())


def claim(directory: Path, key: bytes) -> None:
    """Make sure ``directory`` is a cache directory of ours, creating it if it does not exist;
    :class:`CacheDirUnusable` says why not."""
    for _ in range(3):
        try:
            info = os.lstat(directory)
        except FileNotFoundError:
            if _create(directory, key):
                return
            continue  # another process created it meanwhile: look again
        except OSError as exc:
            raise CacheDirUnusable(f"cannot read it: {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise CacheDirUnusable("it is a symbolic link (kerascheck only uses a directory it created)")
        if not stat.S_ISDIR(info.st_mode):
            raise CacheDirUnusable("it exists and is not a directory")
        if is_ours(directory, key):
            return
        raise CacheDirUnusable(f"it exists and was not created by kerascheck for you (no valid {MARKER} marker)")
    raise CacheDirUnusable("it keeps changing while kerascheck creates it")


def _create(directory: Path, key: bytes) -> bool:
    """Create the cache directory whole: False if something else appeared there first."""
    import shutil

    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tempfiles.remove_stale(str(parent), directory.name, directories=HOUSEKEEPING)
        temporary = parent / tempfiles.temp_name(directory.name)
        os.mkdir(temporary)
    except OSError as exc:
        raise CacheDirUnusable(f"cannot create it: {exc.strerror or exc}") from None
    try:
        for name, text in ((MARKER, _marker_text(key)), ("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", _GITIGNORE)):
            fd = os.open(temporary / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        try:
            # Fails if the name exists, unless it is an empty directory (which is then replaced:
            # nothing is lost, and nothing is written into a directory kerascheck did not make).
            os.rename(temporary, directory)
        except OSError:
            return False
        return True
    except OSError as exc:
        raise CacheDirUnusable(f"cannot create it: {exc.strerror or exc}") from None
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


# -- kerascheck clean ---------------------------------------------------------------------------


def remove_cache(directory: Path) -> tuple[int, list[str]]:
    """Remove what kerascheck stored in its (verified) cache directory: ``(removed, kept)``,
    ``kept`` naming what was left because kerascheck did not create it."""
    removed = 0
    kept: list[str] = []
    for entry in _scan(directory):
        if entry.name in HOUSEKEEPING:
            continue
        if (SETTINGS_NAME.match(entry.name) or entry.name == RUNS) and _is_real_dir(entry):
            count, left = _remove_tree(Path(entry.path), depth=2)
            removed += count
            kept.extend(left)
        elif tempfiles.owner_pid(entry.name) is not None and _is_regular(entry):
            tempfiles.remove_quietly(entry.path)
            removed += 1
        else:
            kept.append(entry.path)
    if not kept:
        for name in sorted(HOUSEKEEPING):
            path = directory / name
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(directory)
    return removed, kept


def _remove_tree(directory: Path, depth: int) -> tuple[int, list[str]]:
    """A settings directory (or ``runs``) holds shard directories, which hold entries (or run
    records) and temporary files."""
    removed = 0
    kept: list[str] = []
    for entry in _scan(directory):
        if depth == 2 and SHARD_NAME.match(entry.name) and _is_real_dir(entry):
            count, left = _remove_tree(Path(entry.path), depth=1)
            removed += count
            kept.extend(left)
        elif depth == 1 and _is_regular(entry) and (_ENTRY_NAMES.match(entry.name) or tempfiles.owner_pid(entry.name) is not None):
            tempfiles.remove_quietly(entry.path)
            removed += 1
        else:
            kept.append(entry.path)
    if not kept:
        with contextlib.suppress(OSError):
            os.rmdir(directory)
    return removed, kept


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except OSError:
        return []


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    return entry.is_dir(follow_symlinks=False)


def _is_regular(entry: os.DirEntry[str]) -> bool:
    return entry.is_file(follow_symlinks=False)


def clean(args: argparse.Namespace) -> int:
    """``kerascheck clean [PATHS]``: remove the result cache of each project (default: ``.``)."""
    from kerascheck.config import ConfigError, load_config

    status = 0
    removed_any = False
    try:
        key: bytes | None = load_or_create_key()
    except KeyUnavailable as exc:
        key = None
        key_problem = str(exc)
    for raw in getattr(args, "paths", None) or ["."]:
        start = Path(raw)
        if not start.exists():
            sys.stderr.write(f"kerascheck: error: {raw}: no such file or directory\n")
            status = 2
            continue
        try:
            config = load_config(None, start)
            candidates = [configured_directory(config)]
            # Without a config file the cache lives in the working directory; a project directory
            # named on the command line may also hold one from an earlier run there.
            if start.is_dir() and config.path is None:
                candidates.append(configured_directory(config.with_overrides(root=str(start.resolve()))))
        except ConfigError as exc:
            sys.stderr.write(f"kerascheck: configuration error: {exc}\n")
            status = 2
            continue
        for directory in dict.fromkeys(candidates):
            try:
                info = os.lstat(directory)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
                what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a directory"
                sys.stderr.write(f"kerascheck: not removing {directory}: it is {what}, not a cache kerascheck created\n")
                status = 2
                continue
            if key is None:
                sys.stderr.write(f"kerascheck: not removing {directory}: cannot verify it ({key_problem})\n")
                status = 2
                continue
            if not is_ours(directory, key):
                sys.stderr.write(
                    f"kerascheck: not removing {directory}: it was not created by kerascheck for you "
                    f"(no valid {MARKER} marker); remove it yourself if it is an old cache\n"
                )
                status = 2
                continue
            count, kept = remove_cache(directory)
            removed_any = True
            if kept:
                sys.stdout.write(f"removed {count} cache entries from {directory}; kept {len(kept)} file(s) kerascheck did not create there\n")
            else:
                sys.stdout.write(f"removed {directory}\n")
    if not removed_any and status == 0:
        sys.stdout.write("no cache to remove\n")
    return status
