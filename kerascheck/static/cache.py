"""The result cache: per-file results of the static engine, reused while nothing they depend on
has changed.

Layout: ``<root>/<cache-dir>/<settings key>/<path key>``, one pickle per checked file (measured
against one index file per run: see docs/performance.md). The *settings key* hashes everything
that can change a file's result besides its text: the kerascheck version and the stat of its
own source files (so an editable install never serves stale results), the loaded plugin
distributions, versions and module files, the resolved configuration, the target Keras, the
Python and libcst versions. The *path key* hashes the path as given (results name it). An entry
holds the blake2b digest of the file's bytes and the :class:`FileResult`; it is used only when
the digest of the bytes on disk matches, so a hit never parses anything.

Entries are written atomically (temporary file + ``os.replace``); a corrupt or unreadable entry
counts as a miss and is rewritten; no cache I/O error ever fails a run. Project rules keep
working from cached results because the facts they recorded are part of the cached result.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kerascheck.static.engine import INTERNAL_ERROR, FileResult

#: Bump when the layout or the pickled shape of :class:`FileResult` changes.
FORMAT = 1
_MARKER = "CACHEDIR.TAG"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# kerascheck result cache; 'kerascheck clean' removes it.\n"
_DIGEST_SIZE = 16


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).digest()


def _code_fingerprint(modules: Iterable[str]) -> list[tuple[str, int, int]]:
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
        _code_fingerprint(module for module, _, _ in fingerprint),
        plugin_sources(fingerprint),
        repr(config),  # a frozen dataclass of tuples, strings and enums: repr is deterministic
        config.target_keras,
    )
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def cache_directory(config: Any) -> Path:
    directory = Path(config.cache_dir).expanduser()
    return directory if directory.is_absolute() else Path(config.root) / directory


class ResultCache:
    """Per-file results under one settings key. Picklable (workers receive it)."""

    def __init__(self, directory: Path, key: str) -> None:
        self.base = Path(directory)
        self.directory = self.base / key
        self.hits = 0
        self.misses = 0
        self.write_errors = 0

    @classmethod
    def for_session(cls, session: Any) -> ResultCache | None:
        """The cache of a session's configuration, or ``None`` when caching is off."""
        config = session.config
        if not config.cache:
            return None
        try:
            return cls(cache_directory(config), settings_key(config, session.registry.fingerprint()))
        except Exception:  # the cache is an optimisation: never fail the run for it
            return None

    # -- entries ---------------------------------------------------------------------------

    def _entry(self, path: str) -> Path:
        name = hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_SIZE).hexdigest()
        return self.directory / name[:2] / name[2:]

    @staticmethod
    def _read_digest(path: str) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                return digest(handle.read())
        except (OSError, ValueError):
            return None  # unreadable, a directory, a FIFO...: let the engine say why

    def lookup(self, path: str) -> FileResult | None:
        """The cached result of ``path`` if its text is unchanged, else ``None``."""
        if not os.path.isfile(path):
            return None  # FIFOs, devices, missing files: never block on them, never cache them
        current = self._read_digest(path)
        if current is None:
            return None
        try:
            with open(self._entry(path), "rb") as handle:
                stored, result = pickle.load(handle)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # corrupt, truncated, from another version: a miss, rewritten later
            self.misses += 1
            return None
        if stored != current or not isinstance(result, FileResult) or result.path != path:
            self.misses += 1
            return None
        self.hits += 1
        return result

    def check(self, path: str, check_file: Callable[[str], FileResult]) -> FileResult:
        """Check ``path`` with ``check_file`` and store the result if the file did not change
        while it was being checked."""
        before = self._read_digest(path) if os.path.isfile(path) else None
        result = check_file(path)
        if before is not None and self._cacheable(result) and self._read_digest(path) == before:
            self.store(path, before, result)
        return result

    @staticmethod
    def _cacheable(result: FileResult) -> bool:
        # An internal error should be retried (and seen) on the next run, not replayed.
        return result.source is None and not any(f.code == INTERNAL_ERROR for f in result.findings)

    def store(self, path: str, content_digest: bytes, result: FileResult) -> None:
        target = self._entry(path)
        try:
            data = pickle.dumps((content_digest, result), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                handle = tempfile.NamedTemporaryFile("wb", dir=target.parent, prefix=".tmp-", delete=False)
            except FileNotFoundError:
                self._prepare(target.parent)
                handle = tempfile.NamedTemporaryFile("wb", dir=target.parent, prefix=".tmp-", delete=False)
            with handle:
                handle.write(data)
            os.replace(handle.name, target)
        except Exception:
            self.write_errors += 1
            try:
                os.unlink(handle.name)  # type: ignore[possibly-undefined]
            except Exception:
                pass

    def _prepare(self, directory: Path) -> None:
        """Create the entry directory; the cache root gets a ``.gitignore`` and a CACHEDIR.TAG."""
        fresh = not self.base.exists()
        directory.mkdir(parents=True, exist_ok=True)
        if fresh or not (self.base / ".gitignore").exists():
            _write_small(self.base / ".gitignore", "# created by kerascheck\n*\n")
            _write_small(self.base / _MARKER, _TAG)


def _write_small(path: Path, text: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        pass


# -- kerascheck clean -----------------------------------------------------------------------


def clean(args: argparse.Namespace) -> int:
    """``kerascheck clean [PATHS]``: remove the result cache of each project (default: ``.``)."""
    from kerascheck.config import ConfigError, load_config

    status = 0
    removed_any = False
    for raw in getattr(args, "paths", None) or ["."]:
        start = Path(raw)
        if not start.exists():
            sys.stderr.write(f"kerascheck: error: {raw}: no such file or directory\n")
            status = 2
            continue
        try:
            config = load_config(None, start)
        except ConfigError as exc:
            sys.stderr.write(f"kerascheck: configuration error: {exc}\n")
            status = 2
            continue
        candidates = [cache_directory(config)]
        # Without a config file the cache lives in the working directory; a project directory
        # named on the command line may also hold one from an earlier run there.
        if start.is_dir() and config.path is None:
            candidates.append(start / config.cache_dir)
        for directory in dict.fromkeys(p.resolve() for p in candidates):
            if not directory.is_dir():
                continue
            if not (directory / _MARKER).is_file() and not (directory / ".gitignore").is_file():
                sys.stderr.write(f"kerascheck: not removing {directory}: it does not look like a kerascheck cache\n")
                status = 2
                continue
            try:
                shutil.rmtree(directory)
            except OSError as exc:
                sys.stderr.write(f"kerascheck: error: cannot remove {directory}: {exc.strerror or exc}\n")
                status = 2
                continue
            removed_any = True
            sys.stdout.write(f"removed {directory}\n")
    if not removed_any and status == 0:
        sys.stdout.write("no cache to remove\n")
    return status
