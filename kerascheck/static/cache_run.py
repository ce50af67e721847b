"""The run cache: a repeated ``kerascheck check`` answered before plugins, rules or libcst load.

The per-file result cache (:mod:`kerascheck.static.cache`) saves the parse of unchanged files,
but a run that uses it still pays kerascheck's whole start-up: plugins, every rule module and
libcst, several times the cost of the check itself on a small tree. This module records what a
completed run printed, keyed on everything the output can depend on, and replays it when a
later run has the same key and finds every file unchanged:

* the **run key** hashes the format, the kerascheck version and the stat of its own source
  files, the Python build and ``sys.path``, the installed distributions
  (:func:`kerascheck.entry_point_cache.installation_key`: names, versions and modification
  times of every ``*.dist-info``, so installing, upgrading or removing anything, libcst or a
  plugin included, changes it), the stat of the installed plugins' source files (editable
  installs), the parsed command line (selection, target, format, paths), the working
  directory, the resolved configuration (its file, and every value in it), the environment
  variables that change the output, and whether stdout and stderr are terminals;
* the **record** holds the files the run checked, in order, with the content digest each
  result was computed from, the files their star imports read (with theirs), and the run's
  stdout, stderr, ``--output-file`` text and exit code.

A run replays a record only when discovery (with the configuration's excludes and
``.gitignore`` files) yields the same files in the same order and every digest matches, so an
added, removed, renamed or edited file, like any change to a key input, is a miss and the run
goes the normal way (and records again). The project phase needs nothing else: it is a function
of the checked files (each unchanged) and the configuration (in the key).

Only plain check runs are recorded: not stdin, fixes, diffs, baselines, ``--add-noqa``,
``--show-programs``, ``-v`` (timings), ``-p`` or configuration plugins (local code with no
version), ``--no-cache`` or ``cache = false``; and only runs that ended with exit 0 or 1, no
internal error, and every file read by the result cache. Records live in the result cache's
directory, under ``runs/`` (``kerascheck clean`` removes them), signed with the per-user key like its entries: a
record that does not verify is a miss.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from kerascheck.static.cache_key import KeyUnavailable, digest, load_or_create_key, sign, verify

#: Bump when the record's shape changes.
FORMAT = 1
_MAGIC = b"KCR1 "
#: Options whose run is never recorded (they write files, need the parse, or print timings).
#: ``probe``: ``check --probe`` (another branch) loads model files, which are no input of the key.
_NOT_RECORDED = (
    "fix", "diff", "add_noqa", "baseline", "write_baseline", "show_programs", "no_cache", "verbose", "plugins", "allow_config_plugins", "probe",
)
#: Environment variables that change what a run prints (besides ``KERASCHECK_*``).
_OUTPUT_ENVIRONMENT = ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES")
#: The entry-point group of plugins (:data:`kerascheck.plugins.ENTRY_POINT_GROUP`, which imports
#: pluggy: not needed to replay a run).
_ENTRY_POINT_GROUP = "kerascheck"
#: Records larger than this are not read (a run's report is rarely more than a few megabytes).
MAX_RECORD_BYTES = 64 * 1024 * 1024


class _Tee:
    """A text stream that also keeps what was written to it (the run being recorded)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self._stream.write(text)

    def writelines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # isatty, flush, encoding, fileno...
        return getattr(self._stream, name)

    def text(self) -> str:
        return "".join(self.parts)


class RunCache:
    """The record of one run key: replay it, or record the run that is about to happen."""

    def __init__(
        self, args: argparse.Namespace, config: Any, directory: Path, key: str, secret: bytes, start: Path, overrides: dict[str, Any]
    ) -> None:
        self.args = args
        self.config = config
        self._start, self._overrides = start, overrides
        self.directory = directory
        self.key = key
        self._secret = secret
        self._stdout: _Tee | None = None
        self._stderr: _Tee | None = None
        self._results: list[Any] | None = None
        self._findings: list[Any] = []

    # -- the key -------------------------------------------------------------------------------

    @classmethod
    def for_args(cls, args: argparse.Namespace, start: Path, overrides: dict[str, Any]) -> RunCache | None:
        """The run cache of a ``check`` command line (``start``: where its configuration is
        looked for; ``overrides``: the configuration values the command line replaces), or
        ``None`` when the run is not one that is recorded (or the cache cannot be used: then
        the normal run says why)."""
        if any(getattr(args, name, None) for name in _NOT_RECORDED) or "-" in (args.paths or []):
            return None
        from kerascheck.config import ConfigError
        from kerascheck.static.cache_dir import configured_directory, is_ours

        try:
            config = _configuration(args, start, overrides)
            if not config.cache or config.plugins:
                return None
            directory = configured_directory(config)
            secret = load_or_create_key()
        except (ConfigError, KeyUnavailable, OSError):
            return None  # the normal run reports it
        if not is_ours(directory, secret) and os.path.lexists(directory):
            return None  # not a cache directory of ours: the normal run warns
        key = run_key(args, config, secret)
        return None if key is None else cls(args, config, directory, key, secret, start, overrides)

    def _record_path(self) -> Path:
        # ``<cache-dir>/runs/<2 hex>/<50 hex>`` (``kerascheck clean`` knows the names).
        from kerascheck.static.cache_dir import RUNS

        return self.directory / RUNS / self.key[:2] / self.key[2:]

    # -- replaying -----------------------------------------------------------------------------

    def replay(self, out: TextIO, err: TextIO) -> int | None:
        """Print the recorded run and return its exit code, or ``None`` on a miss."""
        record = self._load()
        if record is None or not self._unchanged(record):
            return None
        output_file = self.args.output_file
        if output_file:
            if record["output_file"] is None:
                return None
            try:
                with open(output_file, "w", encoding="utf-8") as handle:
                    handle.write(record["output_file"])
            except OSError:
                return None  # the normal run reports it
        err.write(record["stderr"])
        out.write(record["stdout"])
        return int(record["exit_code"])

    def _load(self) -> dict[str, Any] | None:
        from kerascheck.static.cache_inputs import read_regular

        data = read_regular(str(self._record_path()), follow=False, limit=MAX_RECORD_BYTES)
        if data is None or not data.startswith(_MAGIC):
            return None
        header, _, body = data.partition(b"\n")
        if not verify(self._secret, header[len(_MAGIC):].decode("ascii", "replace"), b"run", self.key.encode(), body):
            return None
        try:
            record = json.loads(body)
        except ValueError:
            return None
        return record if isinstance(record, dict) and record.get("key") == self.key else None

    def _unchanged(self, record: dict[str, Any]) -> bool:
        from kerascheck.static.files import iter_targets

        files = [path for path, _ in record["files"]]
        if iter_targets(self.config, self.args.paths or ["."]) != files:
            return False  # a file added, removed, renamed or newly (un)ignored
        return all(_digest_of(path) == recorded for path, recorded in (*record["files"], *record["dependencies"]))

    # -- recording -----------------------------------------------------------------------------

    def start_recording(self) -> None:
        """Keep what the run prints from here on (it still goes to the terminal)."""
        self._stdout, self._stderr = _Tee(sys.stdout), _Tee(sys.stderr)
        sys.stdout, sys.stderr = self._stdout, self._stderr

    def stop_recording(self) -> None:
        if self._stdout is not None and sys.stdout is self._stdout:
            sys.stdout = self._stdout._stream
        if self._stderr is not None and sys.stderr is self._stderr:
            sys.stderr = self._stderr._stream

    def observe(self, results: Sequence[Any], findings: Sequence[Any]) -> None:
        """The run's per-file results and findings (before they are reported)."""
        self._results, self._findings = list(results), list(findings)

    def save(self, exit_code: int) -> None:
        """Store the run just made (``stop_recording`` first), if it can be replayed."""
        from kerascheck.static.engine import INTERNAL_ERROR

        results, findings = self._results, self._findings
        if self._stdout is None or self._stderr is None or results is None or exit_code not in (0, 1):
            return
        if any(r.digest is None for r in results) or any(f.code == INTERNAL_ERROR for f in findings):
            return  # not every file read through the result cache, or something to retry
        output = _output_file_text(self.args.output_file) if self.args.output_file else ""
        if self.args.output_file and output is None:
            return
        from kerascheck.config import ConfigError

        try:
            unchanged = run_key(self.args, _configuration(self.args, self._start, self._overrides), self._secret) == self.key
        except (ConfigError, OSError):
            unchanged = False
        if not unchanged:
            return  # the configuration, kerascheck or a plugin changed while the run ran
        dependencies = sorted({(path, recorded) for r in results for path, recorded in r.dependencies})
        record = {
            "key": self.key,
            "files": [[r.path, r.digest] for r in results],
            "dependencies": [list(d) for d in dependencies],
            "stdout": self._stdout.text(),
            "stderr": self._stderr.text(),
            "output_file": output if self.args.output_file else None,
            "exit_code": exit_code,
        }
        body = json.dumps(record, ensure_ascii=True).encode("ascii")
        data = _MAGIC + sign(self._secret, b"run", self.key.encode(), body).encode("ascii") + b"\n" + body
        _write_atomically(self._record_path(), data)


def _configuration(args: argparse.Namespace, start: Path, overrides: dict[str, Any]) -> Any:
    """The configuration the run uses, as far as the key and discovery need it."""
    from kerascheck.config import load_config

    config = load_config(args.config, start)
    return config.with_overrides(**overrides) if overrides else config


def run_key(args: argparse.Namespace, config: Any, secret: bytes) -> str | None:
    """The hash of every input of a run's output except the checked files' contents (module
    doc), or ``None`` without a working directory."""
    from kerascheck import __version__
    from kerascheck.entry_point_cache import entry_points as plugin_entry_points
    from kerascheck.entry_point_cache import installation_key
    from kerascheck.static.cache_inputs import code_fingerprint

    installation = installation_key(_ENTRY_POINT_GROUP)
    entry_points = plugin_entry_points(_ENTRY_POINT_GROUP, secret=secret, key=installation)  # remembered: no metadata scan
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    options = sorted((name, repr(value)) for name, value in vars(args).items())
    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("KERASCHECK") or k in _OUTPUT_ENVIRONMENT)
    parts = (
        FORMAT,
        __version__,
        sys.version,
        sys.executable,
        tuple(sys.path),
        code_fingerprint(()),
        installation,
        entry_points,
        _plugin_sources(entry_points),
        options,
        cwd,
        repr(config),
        environment,
        _isatty(sys.stdout),
        _isatty(sys.stderr),
    )
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=26).hexdigest()


def _plugin_sources(entry_points: Sequence[Any]) -> list[tuple[str, int, int]]:
    """``(file, mtime_ns, size)`` of the source files of every installed plugin's top-level
    package, found without importing it (an editable plugin changes without a new version)."""
    from importlib.util import find_spec

    stats: list[tuple[str, int, int]] = []
    for top in sorted({e.module.split(".")[0] for e in entry_points} - {"kerascheck"}):  # ours: in code_fingerprint
        try:
            spec = find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            stats.append((top, -1, -1))
            continue
        roots = list(spec.submodule_search_locations or ())
        files = [spec.origin] if not roots and spec.origin else []
        for root in roots:
            for folder, _, names in os.walk(root):
                files.extend(os.path.join(folder, n) for n in names if n.endswith(".py"))
        for file in sorted(files):
            try:
                st = os.stat(file)
            except OSError:
                continue
            stats.append((file, st.st_mtime_ns, st.st_size))
    return stats


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _digest_of(path: str) -> str | None:
    from kerascheck.static.cache_inputs import read_regular

    data = read_regular(path, follow=True)
    return None if data is None else digest(data).hex()


def _output_file_text(path: str) -> str | None:
    """What the run wrote to ``--output-file`` (``""`` for the null device), or ``None`` when
    it cannot be read back (a FIFO, a terminal): such a run is not recorded."""
    try:
        if os.path.samefile(path, os.devnull):
            return ""
    except OSError:
        return None
    from kerascheck.static.cache_inputs import read_regular

    data = read_regular(path, follow=True)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _write_atomically(target: Path, data: bytes) -> None:
    from kerascheck.static import tempfiles

    try:
        tempfiles.write_atomically(target, data, "run")
    except OSError:
        pass  # the run cache is an optimisation: never fail the run for it
