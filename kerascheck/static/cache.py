"""The result cache: per-file results of the static engine, reused while nothing they depend on
has changed.

Layout: ``<cache-dir>/<settings key>/<shard>/<entry>``, one entry per checked file, in a
directory kerascheck created itself (:mod:`kerascheck.static.cache_dir`). The *settings key*
hashes everything that can change a file's result besides its text: the kerascheck version and
the stat of its own source files (so an editable install never serves stale results), the
loaded plugin distributions, versions and module files, the resolved configuration, the target
Keras, the Python and libcst versions. The entry name hashes the path as given (results name it).

An entry is ``KC2 <mac>\n<json>``: the JSON (:mod:`kerascheck.static.cache_format`, a format
with nothing to execute) holds the blake2b digest of the file's bytes and the
:class:`FileResult`; the MAC, made with the per-user key (:mod:`kerascheck.static.cache_key`),
covers the settings key, the path and the JSON. An entry is used only when the MAC verifies
(checked before the JSON is parsed), it names the same path, and the digest of the bytes on disk
matches, so a hit never parses anything and an entry from another machine, user or checkout is a
miss. Entries are opened without following links and without blocking (a FIFO planted as an
entry is a miss, never a hang).

Entries are written atomically (temporary file + ``os.replace``); a corrupt, forged or
unreadable entry counts as a miss and is rewritten; no cache I/O error ever fails a run. Project
rules keep working from cached results because the facts they recorded are part of the cached
result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kerascheck.findings import Location
from kerascheck.static import cache_format, tempfiles
from kerascheck.static.cache_dir import CacheDirUnusable, claim, configured_directory
from kerascheck.static.cache_inputs import code_fingerprint, read_regular
from kerascheck.static.cache_key import DIGEST_SIZE as _DIGEST_SIZE
from kerascheck.static.cache_key import KeyUnavailable, digest, load_or_create_key, sign, verify
from kerascheck.static.engine import INTERNAL_ERROR, FileResult

#: Bump when the layout or the stored shape of :class:`FileResult` changes.
FORMAT = 3  # 3: str enums stored as enums (entries of 2 hold Severity as a plain string)
_MAGIC = b"KC2 "


def settings_key(config: Any, fingerprint: Iterable[tuple[str, str, str]]) -> str:
    """Hash of everything besides the file's text that a cached result depends on."""
    import libcst

    from kerascheck import __version__
    from kerascheck.plugins import source_fingerprint as plugin_sources

    fingerprint = tuple(fingerprint)
    parts = (
        FORMAT,
        __version__,
        sys.version,
        getattr(libcst, "__version__", getattr(libcst, "LIBCST_VERSION", "")),
        fingerprint,
        code_fingerprint(module for module, _, _ in fingerprint),
        plugin_sources(fingerprint),
        repr(config),  # a frozen dataclass of tuples, strings and enums: repr is deterministic
        config.target_keras,
    )
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _warn(message: str) -> None:
    sys.stderr.write(f"kerascheck: warning: result cache off: {message}\n")


class ResultCache:
    """Per-file results under one settings key. Picklable (workers receive it)."""

    def __init__(self, directory: Path, key: str, secret: bytes, packages: Iterable[str] = ()) -> None:
        self.base = Path(directory)
        self.key = key
        self.directory = self.base / key
        self.packages = tuple(packages)  # where cached facts' classes may come from
        self._secret = secret
        self._decoder: cache_format.Decoder | None = None
        self.hits = 0
        self.misses = 0
        self.write_errors = 0
        self.not_cacheable = 0

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_decoder"] = None  # rebuilt on use in the worker
        return state

    @classmethod
    def for_session(cls, session: Any, config: Any = None) -> ResultCache | None:
        """The cache of a session's configuration, or ``None`` when caching is off or the cache
        directory cannot be used (one warning says why). A ``cache-dir`` that names the project,
        the home directory or one of their parents raises :class:`ConfigError`. ``config``: the
        configuration the results are computed with, when not the session's own (the language
        server's engine that runs only the project rules: its results go under their own key, in
        the same directory)."""
        config = session.config if config is None else config
        if not config.cache:
            return None
        directory = configured_directory(config)
        try:
            secret = load_or_create_key()
            claim(directory, secret)
        except KeyUnavailable as exc:
            _warn(str(exc))
            return None
        except CacheDirUnusable as exc:
            where = f"{config.path}: key 'cache-dir'" if config.path else "the default cache directory"
            _warn(f"{where}: {directory}: {exc}; remove it or choose another cache-dir")
            return None
        try:
            key = settings_key(config, session.registry.fingerprint())
        except Exception:  # the cache is an optimisation: never fail the run for it
            return None
        return cls(directory, key, secret, (p.module for p in session.registry.plugins))

    # -- entries ---------------------------------------------------------------------------

    def _entry(self, path: str) -> Path:
        name = hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_SIZE).hexdigest()
        return self.directory / name[:2] / name[2:]

    def _mac(self, path: str, body: bytes) -> str:
        return sign(self._secret, b"entry", self.key.encode(), path.encode("utf-8", "surrogatepass"), body)

    @staticmethod
    def _read_digest(path: str) -> bytes | None:
        data = read_regular(path, follow=True)
        return None if data is None else digest(data)

    def content_digest(self, path: str) -> bytes | None:
        """The digest of ``path``'s bytes that entries are checked against (None: not a regular
        file, or unreadable)."""
        return self._read_digest(path)

    def lookup(self, path: str, *, run_from: str | None = None, content_digest: bytes | None = None) -> FileResult | None:
        """The cached result of ``path`` if its text is unchanged, else ``None``.

        ``run_from``: look for the entry a run in that directory stored, with ``path`` (absolute)
        named relative to it as ``kerascheck check .`` or pre-commit name it there; the result's
        paths are then made absolute. (The language server reads the results of command-line
        runs from the project root this way.) ``content_digest``: :meth:`content_digest` of the
        file, when the caller just read it (several lookups of one file read it once)."""
        current = content_digest if content_digest is not None else self._read_digest(path)
        if current is None:
            return None  # FIFOs, devices, missing files: never block on them, never cache them
        spelled = path if run_from is None else os.path.relpath(path, run_from)
        result = self._load(spelled, current, run_from)
        if result is None:
            self.misses += 1
            return None
        self.hits += 1
        result.digest = current.hex()
        return result

    def _load(self, path: str, current: bytes, run_from: str | None = None) -> FileResult | None:
        data = read_regular(str(self._entry(path)), follow=False)
        if data is None or not data.startswith(_MAGIC):
            return None
        header, _, body = data.partition(b"\n")
        signature = header[len(_MAGIC):].decode("ascii", "replace")
        if not verify(self._secret, signature, b"entry", self.key.encode(), path.encode("utf-8", "surrogatepass"), body):
            return None  # forged, copied from elsewhere, or damaged: never decoded
        if self._decoder is None:
            self._decoder = cache_format.Decoder(self.packages)
        try:
            stored, result = cache_format.loads(body, self._decoder)
        except (cache_format.Undecodable, TypeError, ValueError):
            return None
        if stored != current.hex() or not isinstance(result, FileResult) or result.path != path:
            return None
        if run_from is not None:
            result = relocated(result, run_from)
        _share_equal_facts(result)
        if not self._dependencies_unchanged(result):
            return None
        return result

    @classmethod
    def _dependencies_unchanged(cls, result: FileResult) -> bool:
        """The modules the file's star imports read (``utils.py``) still hold what was read."""
        for dependency, recorded in result.dependencies:
            current = cls._read_digest(dependency)
            if current is None or current.hex() != recorded:
                return False
        return True

    def check(
        self, path: str, check_file: Callable[[str], FileResult], *, content_digest: bytes | None = None, later: list[Any] | None = None
    ) -> FileResult:
        """Check ``path`` with ``check_file`` and store the result if the file did not change
        while it was being checked (``content_digest``: as for :meth:`lookup`). With ``later``,
        what to store is appended to it instead, for :meth:`store_later` (the language server
        stores after publishing: the writes are no part of what the user waits for)."""
        before = content_digest if content_digest is not None else self._read_digest(path)
        result = check_file(path)
        if before is not None and self._read_digest(path) == before:
            if self._cacheable(result):
                if later is None:
                    self.store(path, before, result)
                else:
                    later.append((path, before, result))
            result.digest = before.hex()
        return result

    def store_later(self, later: list[Any]) -> None:
        """Store what :meth:`check` appended to ``later`` (and empty it)."""
        while later:
            self.store(*later.pop())

    @staticmethod
    def _cacheable(result: FileResult) -> bool:
        # An internal error should be retried (and seen) on the next run, not replayed.
        return result.source is None and not any(f.code == INTERNAL_ERROR for f in result.findings)

    def store(self, path: str, content_digest: bytes, result: FileResult) -> None:
        try:
            body = cache_format.dumps((content_digest.hex(), result))
        except (cache_format.Unencodable, RecursionError, ValueError):
            self.not_cacheable += 1  # a plugin fact the format cannot hold: checked every run
            return
        data = _MAGIC + self._mac(path, body).encode("ascii") + b"\n" + body
        try:
            tempfiles.write_atomically(self._entry(path), data, "entry")
        except OSError:
            self.write_errors += 1


def _share_equal_facts(result: FileResult) -> None:
    """Rules of one family record one shared list of facts (:class:`ProgramFacts`), which the
    project phase asks its questions of once (by identity); decoding made a list per rule: equal
    lists become one again."""
    seen: list[list[Any]] = []
    for code, facts in result.facts.items():
        same = next((known for known in seen if known == facts), None)
        if same is None:
            seen.append(facts)
        else:
            result.facts[code] = same


def relocated(result: FileResult, base: str) -> FileResult:
    """``result`` of a run in directory ``base`` with its relative paths made absolute: the
    file's, its dependencies' and every :class:`Location`'s (in findings, suppressions, imports
    and facts: the only place a path is kept in a result)."""

    def absolute(path: str) -> str:
        return path if os.path.isabs(path) or path == "-" else os.path.normpath(os.path.join(base, path))

    def walk(value: Any) -> Any:
        if isinstance(value, Location):
            fixed = absolute(value.path)
            return value if fixed == value.path else dataclasses.replace(value, path=fixed)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(walk(item) for item in value)
        if isinstance(value, (set, frozenset)):
            return type(value)(walk(item) for item in value)
        if isinstance(value, dict):
            return {walk(key): walk(item) for key, item in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for field in dataclasses.fields(value):
                if field.init:
                    old = getattr(value, field.name)
                    new = walk(old)
                    if new is not old:
                        changes[field.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value

    moved = walk(result)
    moved.path = absolute(result.path)
    moved.dependencies = tuple((absolute(path), recorded) for path, recorded in result.dependencies)
    return moved
