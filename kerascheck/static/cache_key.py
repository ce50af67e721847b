"""The per-user secret that signs the result cache, kept outside every repository.

A cache entry or a cache directory is trusted only when it carries a MAC made with this key, so
a ``.kerascheck_cache`` committed to a repository, copied from another machine or planted by
someone else can neither inject results nor make ``kerascheck clean`` delete anything.

The key lives in ``$XDG_CACHE_HOME/kerascheck/key`` (``~/.cache/kerascheck/key``; on Windows
``%LOCALAPPDATA%\\kerascheck\\key``): 32 random bytes, hex, in a file only its owner may read. It
is created atomically (written under a temporary name, then hard-linked into place, so two
processes never see half a key). A key file that is not a regular file of ours with mode 0600
is not used (the cache is then off).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import sys
from pathlib import Path

KEY_BYTES = 32
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

#: Bytes of a content digest (blake2b): files' texts in cache entries, star-imported modules.
DIGEST_SIZE = 16


def digest(data: bytes) -> bytes:
    """The content digest of ``data``."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


class KeyUnavailable(Exception):
    """The key cannot be read or created; the message says why (the cache is then off)."""


def key_path() -> Path:
    """Where the per-user cache key lives (never inside a project)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kerascheck" / "key"


def load_or_create_key(path: Path | None = None) -> bytes:
    """The user's key, created on first use."""
    path = path or key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        import secrets  # only here: loading the key must stay cheap (the cached fast path)

        temporary = path.parent / f".key.{os.getpid()}.{secrets.token_hex(4)}.kerascheck-tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(KEY_BYTES) + "\n")
            try:
                os.link(temporary, path)  # fails if another process created the key first
            except FileExistsError:
                pass
        finally:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    except OSError as exc:
        raise KeyUnavailable(f"cannot create the cache key {path}: {exc.strerror or exc}") from None
    try:
        return _read_key(path)
    except FileNotFoundError:
        raise KeyUnavailable(f"cannot create the cache key {path}") from None


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise KeyUnavailable(f"cannot read the cache key {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyUnavailable(f"the cache key {path} is not a regular file")
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            raise KeyUnavailable(f"the cache key {path} must belong to you with mode 0600")
        text = os.read(fd, 4 * KEY_BYTES).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyUnavailable(f"the cache key {path} is damaged; delete it to get a new one") from None
    if len(key) != KEY_BYTES:
        raise KeyUnavailable(f"the cache key {path} is damaged; delete it to get a new one")
    return key


def sign(key: bytes, *parts: bytes) -> str:
    """A MAC over ``parts`` (length-prefixed, so no two part lists sign alike)."""
    mac = hmac.new(key, digestmod=hashlib.blake2b)
    for part in parts:
        mac.update(len(part).to_bytes(8, "big"))
        mac.update(part)
    return mac.hexdigest()


def verify(key: bytes, signature: str, *parts: bytes) -> bool:
    return hmac.compare_digest(sign(key, *parts), signature)
