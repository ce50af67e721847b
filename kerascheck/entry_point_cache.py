"""The installed plugins' entry points, remembered between runs.

Finding the ``kerascheck`` entry points means importing :mod:`importlib.metadata` and reading
the metadata of every installed distribution: about a tenth of a second of each run's start-up,
for an answer that changes only when a distribution is installed, upgraded or removed. The
answer is kept in ``entry-points-<environment>.json`` next to the result cache's key (the per-user cache
directory of :func:`kerascheck.static.cache_key.key_path`, never inside a project), keyed on
what an install changes: the directories of ``sys.path`` that hold distributions, in order, with
the names and modification times of their ``*.dist-info``/``*.egg-info`` entries and of their
``entry_points.txt`` (a directory without distributions, such as the working directory of
``python -m``, does not change the answer and is left out). The entry carries a MAC made with the per-user key, because it names
modules that are then imported: a file that does not verify is ignored (the scan runs).

Any problem (no key, unreadable or unwritable file) falls back to the scan; this module never
fails a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import NamedTuple

_FORMAT = 2  # 2: entries say whether their distribution is an editable install
_FILE_NAME = "entry-points-{environment}.json"
_METADATA_SUFFIXES = (".dist-info", ".egg-info")


class EntryPoint(NamedTuple):
    """What kerascheck needs of one entry point (no :mod:`importlib.metadata` objects). A
    NamedTuple: it is read on every start-up, where a dataclass costs ~0.4 ms to create."""

    name: str
    value: str  # "module" or "module:attribute"
    distribution: str
    version: str
    #: Installed with ``pip install -e`` (its code changes without a new version).
    editable: bool = False

    @property
    def module(self) -> str:
        return self.value.split(":")[0]


def entry_points(group: str, *, secret: bytes | None = None, key: str | None = None) -> tuple[EntryPoint, ...]:
    """The entry points of ``group`` of the installed distributions (cached, see module doc).
    ``secret`` (the per-user key) and ``key`` (:func:`installation_key`): if the caller has them."""
    key = key or installation_key(group)
    secret = secret or _secret()
    if secret is not None:
        cached = _read(cache_path(), key, secret)
        if cached is not None:
            return cached
    found = scan(group)
    if secret is not None:
        _write(cache_path(), key, secret, found)
    return found



def scan(group: str) -> tuple[EntryPoint, ...]:
    """The entry points of ``group``, read from the installed distributions' metadata."""
    from importlib import metadata

    found = []
    for entry_point in metadata.entry_points(group=group):
        dist = entry_point.dist
        distribution = dist.metadata["Name"] if dist is not None else entry_point.value
        version = dist.version if dist is not None else "unknown"
        found.append(EntryPoint(entry_point.name, entry_point.value, distribution, version, _is_editable(dist)))
    return tuple(found)


def _is_editable(dist: object) -> bool:
    """PEP 610 ``direct_url.json`` says ``dir_info.editable``."""
    try:
        text = dist.read_text("direct_url.json")  # type: ignore[attr-defined]
        return bool(json.loads(text or "{}").get("dir_info", {}).get("editable", False))
    except (AttributeError, OSError, ValueError):
        return False


def installation_key(group: str) -> str:
    """Hash of what installing, upgrading or removing a distribution changes."""
    parts: list[object] = [_FORMAT, group, sys.prefix, sys.version]
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = sorted(e.name for e in listing if e.name.endswith(_METADATA_SUFFIXES))
        except OSError:
            parts.append((entry, None))  # not a directory (a zip, a missing path): part of the key as is
            continue
        if not names:
            continue  # no distributions here (the working directory of ``python -m``): not in the key
        directory = entry or "."
        stamps = []
        for name in names:
            stamps.append((name, _mtime(os.path.join(directory, name)), _mtime(os.path.join(directory, name, "entry_points.txt"))))
        parts.append((entry, stamps))
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def cache_path() -> Path:
    """One file per environment (interpreter, prefix and ``sys.path``), so that two
    environments of one user (two venvs, two checkouts on ``PYTHONPATH``) do not keep
    overwriting each other's answer."""
    from kerascheck.static.cache_key import key_path

    described = repr((_FORMAT, sys.executable, sys.prefix, sys.path)).encode("utf-8", "surrogatepass")
    environment = hashlib.blake2b(described, digest_size=8).hexdigest()
    return key_path().parent / _FILE_NAME.format(environment=environment)


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _secret() -> bytes | None:
    from kerascheck.static.cache_key import KeyUnavailable, load_or_create_key

    try:
        return load_or_create_key()
    except KeyUnavailable:
        return None


def _mac(secret: bytes, key: str, body: bytes) -> str:
    from kerascheck.static.cache_key import sign

    return sign(secret, b"entry-points", key.encode("ascii"), body)


def _read(path: Path, key: str, secret: bytes) -> tuple[EntryPoint, ...] | None:
    from kerascheck.static.cache_key import verify

    try:
        with open(path, "rb") as handle:
            data = handle.read(1024 * 1024)
        header, _, body = data.partition(b"\n")
        stored_key, _, signature = header.decode("ascii").partition(" ")
        if stored_key != key or not verify(secret, signature, b"entry-points", key.encode("ascii"), body):
            return None
        rows = json.loads(body)
        return tuple(EntryPoint(str(name), str(value), str(dist), str(version), editable is True) for name, value, dist, version, editable in rows)
    except (OSError, ValueError, TypeError):
        return None


def _write(path: Path, key: str, secret: bytes, found: tuple[EntryPoint, ...]) -> None:
    body = json.dumps([[e.name, e.value, e.distribution, e.version, e.editable] for e in found]).encode("utf-8")
    data = f"{key} {_mac(secret, key, body)}\n".encode("ascii") + body
    temporary = path.with_name(f".{path.name}.{os.getpid()}.kerascheck-tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
