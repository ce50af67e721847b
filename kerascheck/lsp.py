"""The language server: ``kerascheck lsp`` speaks LSP over stdio (pygls, the ``lsp`` extra).

What an editor gets:

* diagnostics on open, change and save, computed by the static engine on the in-memory text
  (code, severity, ``source = "kerascheck"`` and a link to the rule's documentation);
* code actions: the finding's fix (preferred when it is safe) and "Ignore KCxxx on this line",
  which adds or extends a ``# noqa:`` comment;
* hover on a code inside ``# noqa: KCxxx`` / ``# kerascheck: ignore[KCxxx]``: the rule's docs.

Configuration is discovered from each document's directory, exactly as ``kerascheck check``
discovers it, and cached per configuration file. The cache entry is re-read when the file's
mtime or size changes (checked before every lint) and when the client reports a change to a
``pyproject.toml`` or ``kerascheck.toml`` (``workspace/didChangeWatchedFiles``). A broken
configuration is shown with ``window/showMessage`` (naming the file and the key), never a crash.

Project rules (``Rule.finish``) need facts from every file of the program; the server collects
them from the other files of the project (open documents use their unsaved text) so a single
open file is not judged without the rest of its program. What is on disk is learnt from the
client when it can watch files (pyright and ruff's server do the same): at start-up the server
registers file watchers (``workspace/didChangeWatchedFiles``); the project's files are listed
once, re-listed only after a source file, a directory or a ``.gitignore`` is created or deleted,
and another file's facts are recomputed only when the client reports it changed, so a keystroke
costs no walk of the tree and no ``stat`` of every file. A client that cannot watch gets the
other files checked by mtime and size before every check, and the listing renewed after a save
or every ``UNWATCHED_RELIST_SECONDS``.

The other files' facts come from the result cache first (the command line's entries and the
server's own, :mod:`kerascheck.lsp_facts`). When many are missing (a project's first check), a
document's check does not wait: its diagnostics are published without the project rules', the
facts are collected in a worker thread (:meth:`Linter.collect`), then every open document is
checked again, and what was checked is stored in the cache for the next session.

Checks are debounced per document (``DEBOUNCE_SECONDS``): a change that arrives while a check of
the document is running or waiting is part of a burst, and a burst costs one check of its final
text once no change has come for that long; any other change is checked at once (no added
delay). Results for outdated text are never published. Re-checking a document recomputes only
its own facts: the other files' (on disk by mtime, open ones by their text's digest) are reused;
and its parse is incremental: only the top-level statements an edit touched are parsed again
(:mod:`kerascheck.static.incremental_parse`), the rest of the previous tree is reused. Documents are checked in
the server's process, behind the engine's guards (size limit, ``compile()`` pre-check, parsing
on a large stack), which keep the known crash shapes from libcst's native parser.

Notebook documents (``notebookDocument/*``) are linted as whole notebooks, scheduled (and
debounced) like text documents, with diagnostics published per cell (:mod:`kerascheck.lsp_notebooks`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import logging
import os
import re
import sys
import threading
import tokenize
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from libcst import Module

from kerascheck.checkdoc import with_docs_urls
from kerascheck.editor_probes import EditorProbes
from kerascheck.findings import Edit, Finding, Severity
from kerascheck.records import record
from kerascheck.static.engine import Engine
from kerascheck.static.files import SOURCE_SUFFIXES, SourceFile
from kerascheck.static.incremental_parse import IncrementalParser
from kerascheck.static.recheck import Recheck

if TYPE_CHECKING:
    from kerascheck.lsp_notebooks import NotebookLinter

try:
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer
    from pygls.workspace import TextDocument
    from pygls.workspace.position_codec import ServerTextPosition

    _MISSING: ImportError | None = None
except ImportError as _exc:  # the 'lsp' extra is not installed; run() says how to get it
    _MISSING = _exc

INSTALL_HINT = 'kerascheck: the language server needs the "lsp" extra: pip install "kerascheck[lsp]"'
SOURCE = "kerascheck"
CONFIG_NAMES = ("pyproject.toml", "kerascheck.toml")
#: Above this many files, project rules are not evaluated in the editor (their facts would
#: take too long to collect), and their findings are dropped rather than guessed.
MAX_PROJECT_FILES = 2000
#: Seconds a listing of the project's files is reused when the client cannot watch files (a
#: file created outside the editor joins the project after this delay, or at the next save). A
#: client that watches files tells of creations and deletions: its listing is renewed only then.
UNWATCHED_RELIST_SECONDS = 30.0
#: The files whose every event the server asks the client to report (``workspace/didChangeWatchedFiles``);
#: of anything else, creations and deletions (a directory created by ``git checkout``, or deleted
#: with its files, changes the project too).
SOURCE_GLOBS = (*(f"**/*{suffix}" for suffix in SOURCE_SUFFIXES), "**/.gitignore")
#: Seconds without a further change before a document changed during a burst (changes arriving
#: while its check runs or waits) is checked again: a burst costs one check, not one per change
#: (which once left the server 85 s behind). Longer than the gap between changes of a paste, a
#: macro or key repeat (~20-30 ms); an isolated change does not wait at all.
DEBOUNCE_SECONDS = 0.05
#: When more other files than this lack facts (the first check of a project, a ``git checkout``),
#: a document's check does not wait for them: its diagnostics are published without the project
#: rules', and the facts are collected in the background (:meth:`Linter.collect`), after which
#: every open document is checked again. Fewer are collected by the check itself.
BACKGROUND_FACTS = 16
#: Logged (``window/logMessage``) when a background collection of facts is done.
FACTS_READY = "project facts collected"
#: Logged when the facts a collection checked are stored in the result cache (after the checks).
FACTS_STORED = "project facts stored in the result cache"

logger = logging.getLogger(__name__)


def run(args: argparse.Namespace | None = None) -> int:
    """``kerascheck lsp``: serve on stdin/stdout until the client says ``exit``."""
    if _MISSING is not None:
        sys.stderr.write(f"{INSTALL_HINT}\n  ({type(_MISSING).__name__}: {_MISSING})\n")
        return 2
    plugins = [p for p in getattr(args, "plugins", None) or [] if not p.startswith("no:")]
    blocked = [p[3:] for p in getattr(args, "plugins", None) or [] if p.startswith("no:")]
    server = create_server(
        LintSettings(
            config_path=getattr(args, "config", None), plugins=tuple(plugins), blocked=tuple(blocked),
            allow_config_plugins=getattr(args, "allow_config_plugins", False),
        )
    )
    server.start_io()
    return 0


@record
class LintSettings:
    """``kerascheck lsp`` command-line choices that apply to every document."""

    config_path: str | None = None
    plugins: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    allow_config_plugins: bool = False  # --allow-config-plugins: import the config's plugins


# -- linting, independent of the protocol --------------------------------------------------------


@record(frozen=False)
class Loaded:
    """A configuration file and what was built from it (or the error it caused)."""

    key: str  # the config file path, or "" for the defaults
    signature: tuple[Any, ...]  # (path, mtime_ns, size): changes when the file does
    session: Any = None  # kerascheck.python_api.Session
    engine: Any = None  # kerascheck.static.engine.Engine
    facts_engine: Any = None  # an engine running only the project rules (for other files)
    source: Any = None  # kerascheck.lsp_facts.FactsSource: the other files' facts, from the result cache first
    error: str | None = None
    #: path -> (signature, FileResult) of other project files, for project rules; the
    #: signature is ``(mtime_ns, size)`` on disk, ``("open", digest)`` for an open document.
    facts: dict[str, tuple[tuple[Any, ...], Any]] = field(default_factory=dict)
    #: project root -> (when listed, its files or None if too many).
    targets: dict[str, tuple[float, list[str] | None]] = field(default_factory=dict)
    #: The next check compares every other file with the disk (mtime and size), even while the
    #: client watches files: the first check, the first after the watching began, and the first
    #: after a background collection (a file may have changed while it was read).
    verify_disk: bool = True
    #: A background collection of facts failed: checks collect what they need themselves (and
    #: report the error as any check's).
    collect_failed: bool = False


@record
class CheckOutcome:
    findings: list[Finding]
    loaded: Loaded
    new_error: str | None = None  # a config error not shown to the user yet
    #: The project rules' findings are left out: the other files' facts are being collected
    #: (:meth:`Linter.collect`); the document is checked again once they are.
    facts_pending: bool = False


@record
class Collected:
    """What :meth:`Linter.collect` did."""

    files: int  # facts of this many other files were missing
    from_cache: int  # of which read from the result cache
    seconds: float


def _signature(path: Path | None) -> tuple[Any, ...]:
    if path is None:
        return ("",)
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None, None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


class Linter:
    """Configuration cache and checking; thread-safe (checks run in a worker thread)."""

    def __init__(self, workspace_root: Callable[[], str | None] = lambda: None, settings: LintSettings | None = None) -> None:
        self._workspace_root = workspace_root
        self._settings = settings or LintSettings()
        self._loaded: dict[str, Loaded] = {}
        self._shown_errors: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()
        #: path -> the incremental parser of that open document (its last parse, reused by the
        #: next check: only the top-level statements an edit touched are parsed again).
        self._parsers: dict[str, IncrementalParser] = {}
        #: True once the client reports every change on disk (:meth:`watch`): the other files are
        #: then neither re-listed nor stat'ed by each check, only when an event says so.
        self.watching = False
        self._disk = DiskEvents()
        #: Held by the one background collection of facts (:meth:`collect`) that may run.
        self._collecting = threading.Lock()

    def watch(self) -> None:
        """The client now reports file events: the files read before are compared with the disk
        once more (an event may have been missed before the watching began)."""
        self.watching = True
        self._disk.report(everything=True)

    def disk_changed(self, changed: Iterable[str] = (), relist: bool = False) -> None:
        """Files changed on disk (``changed``: their facts are read again) and, with ``relist``,
        files or directories created or deleted (the project is listed again); applied by the
        next check. Thread-safe and never waits for a running check."""
        self._disk.report(changed, relist)

    def listed(self) -> set[str]:
        """Every project file of the current listings (a snapshot; for telling whether a deleted
        path held project files)."""
        return {target for loaded in list(self._loaded.values()) for _, found in list(loaded.targets.values()) for target in found or ()}

    def _apply_disk_events(self) -> None:
        changed, relist, everything = self._disk.drain()
        for loaded in self._loaded.values():
            loaded.verify_disk = loaded.verify_disk or everything
            for path in changed:
                loaded.facts.pop(path, None)
            if relist or everything:
                loaded.targets.clear()
            if loaded.engine is not None:
                loaded.engine.forget_files(changed, everything=everything)

    def forget(self, path: str) -> None:
        """``path`` was closed: its last parse is dropped."""
        with self._lock:
            self._parsers.pop(path, None)

    def invalidate(self) -> None:
        """Forget every loaded configuration (a config file changed)."""
        with self._lock:
            self._loaded.clear()
            self._shown_errors.clear()

    def load_for(self, path: Path) -> Loaded:
        with self._lock:
            return self._load_for(path)

    def _load_for(self, path: Path) -> Loaded:
        from kerascheck.config import ConfigError, find_config_file
        from kerascheck.plugins import PluginError
        from kerascheck.python_api import open_session

        directory = self._start_directory(path)
        try:
            explicit = self._settings.config_path
            config_path = Path(explicit) if explicit else find_config_file(directory)
        except ConfigError as exc:  # a pyproject.toml that is not valid TOML
            source = Path(exc.source)
            return self._error_entry(str(source), _signature(source), str(exc))
        key = str(config_path) if config_path is not None else ""
        signature = _signature(config_path)
        cached = self._loaded.get(key)
        if cached is not None and cached.signature == signature:
            return cached
        try:
            session = open_session(
                config_path=self._settings.config_path,
                start=directory,
                plugins=self._settings.plugins,
                blocked=self._settings.blocked,
                allow_config_plugins=self._settings.allow_config_plugins,
                plugin_search=os.getcwd(),  # -p modules load from the server's directory, as in the CLI
            )
        except (ConfigError, PluginError) as exc:
            return self._error_entry(key, signature, str(exc))
        engine = EditorEngine(session.registry.rules, session.config, session.registry.config_options, parsers=self._parsers)
        project_codes = tuple(code for code, rule in engine.enabled.items() if rule.is_project_rule())
        facts_engine: Engine | None = None
        facts_source: Any = None
        if project_codes:
            from kerascheck.lsp_facts import FactsSource

            facts_config = session.config.with_overrides(
                select=project_codes, extend_select=(), ignore=(), per_file_ignores=()
            )
            facts_engine = Engine(session.registry.rules, facts_config, session.registry.config_options)
            workspace = self._workspace_root()
            # The cache lives in the project's root: that of its configuration file, or without
            # one the working directory (as for ``kerascheck check``), only when it is the
            # workspace's (an editor started elsewhere does not write a cache there).
            use_cache = session.config.path is not None or (workspace is not None and _same_directory(session.config.root, workspace))
            run_from = [session.config.root, *([workspace] if workspace else [])]
            facts_source = FactsSource(session, facts_engine, run_from, cache=use_cache)
        loaded = Loaded(key, signature, session, engine, facts_engine, facts_source)
        self._loaded[key] = loaded
        return loaded

    def _error_entry(self, key: str, signature: tuple[Any, ...], message: str) -> Loaded:
        loaded = Loaded(key, signature, error=message)
        self._loaded[key] = loaded
        return loaded

    def _start_directory(self, path: Path) -> Path:
        directory = path.parent
        if directory.is_dir():
            return directory
        root = self._workspace_root()
        return Path(root) if root and Path(root).is_dir() else Path.cwd()

    def check(self, path: str, text: str, open_documents: Mapping[str, str] | None = None, *, wait_for_facts: bool = True) -> CheckOutcome:
        """Findings for ``path`` whose current text is ``text`` (an open document: its parse is
        kept for the next check). Without ``wait_for_facts``, when the facts of more than
        ``BACKGROUND_FACTS`` other files are missing, the project rules' findings are left out
        (``facts_pending``; :meth:`collect` gets the facts) instead of waiting for them."""
        with self._lock, _collector_paused():
            self._parsers.setdefault(path, IncrementalParser())
            loaded = self._load_for(Path(path))
            if loaded.error is not None:
                new = loaded.signature not in self._shown_errors
                self._shown_errors.add(loaded.signature)
                return CheckOutcome([], loaded, loaded.error if new else None)
            self._apply_disk_events()
            engine = loaded.engine
            result = engine.check_file(path, stdin_text=text)
            root = Path(loaded.session.config.root)
            pending = not wait_for_facts and self._facts_pending(loaded, path)
            others, complete = ([], False) if pending else self._project_results(loaded, path, open_documents or {})
            findings = engine.finish([result, *others], root=root)
            own = os.path.abspath(path)
            kept = [f for f in findings if os.path.abspath(f.location.path) == own]
            kept = with_docs_urls(kept, loaded.session.registry.checks, loaded.session.config.docs_base_url)
            if not complete:
                kept = [f for f in kept if not _is_project_rule(engine, f.code)]
            return CheckOutcome(kept, loaded, facts_pending=pending)

    def store_facts(self) -> int:
        """Store in the result cache the facts :meth:`collect` checked (for the next session);
        how many files' results were stored."""
        with _collector_paused():
            return sum(loaded.source.store() for loaded in list(self._loaded.values()) if loaded.source is not None)

    def _facts_pending(self, loaded: Loaded, path: str) -> bool:
        """Whether more than ``BACKGROUND_FACTS`` other files of the project lack facts (or the
        project was not listed yet), so that :meth:`collect` should get them."""
        if loaded.facts_engine is None or loaded.collect_failed:
            return False
        root = self._project_root(loaded, path)
        listed = loaded.targets.get(str(root))
        if listed is None:  # not listed yet: a project of a few files is listed (and collected) now
            return len(self._discover(loaded, root, BACKGROUND_FACTS + 2)) > BACKGROUND_FACTS + 1
        if listed[1] is None:
            return False  # too many files: the project rules are not evaluated at all
        own = os.path.abspath(path)
        missing = 0
        for target in listed[1]:
            if target not in loaded.facts and target != own:
                missing += 1
                if missing > BACKGROUND_FACTS:
                    return True
        return False

    def collect(self, path: str, open_documents: Mapping[str, str] | None = None) -> Collected | None:
        """Get the facts of every other file of ``path``'s project that lacks them, from the
        result cache or by checking it (:class:`kerascheck.lsp_facts.FactsSource`), without
        holding up the checks of documents meanwhile (they leave the project rules out, see
        :meth:`check`). One collection at a time; None when there is nothing to collect."""
        import time

        began = time.perf_counter()
        open_documents = open_documents or {}
        with self._collecting:
            with self._lock:
                loaded = self._load_for(Path(path))
                if loaded.error is not None or loaded.facts_engine is None:
                    return None
                self._apply_disk_events()
                targets = self._targets(loaded, self._project_root(loaded, path))
                own = os.path.abspath(path)
                todo = [t for t in targets or () if t not in loaded.facts and t != own]
                cached_before = loaded.source.from_cache
            try:
                with _collector_paused():  # as during a check: a cold collection is the bulk of a first check
                    for target in todo:
                        if self._loaded.get(loaded.key) is not loaded:
                            break  # the configuration changed: what was collected for it is gone
                        text = open_documents.get(target)
                        # The signature is taken before the file is read: one changed meanwhile is
                        # read again by the next check, which compares them all with the disk.
                        signature = ("open", _text_digest(text)) if text is not None else _disk_signature(target)
                        if signature is None:
                            continue
                        result = loaded.source.result(target, text, store=False)  # stored after the publication (store_facts)
                        with self._lock:
                            loaded.facts.setdefault(target, (signature, result))
            except Exception:
                loaded.collect_failed = True  # the checks collect (and report the error) themselves
                raise
            finally:
                with self._lock:
                    loaded.verify_disk = True
        return Collected(len(todo), loaded.source.from_cache - cached_before, time.perf_counter() - began)

    def _project_root(self, loaded: Loaded, path: str) -> Path:
        if loaded.session.config.path is not None:
            return Path(loaded.session.config.root)
        root = self._workspace_root()
        if root and _is_under(path, root):
            return Path(root)
        return Path(path).parent

    def _project_results(self, loaded: Loaded, path: str, open_documents: Mapping[str, str]) -> tuple[list[Any], bool]:
        """The other files' results for the project rules, and whether they are complete."""
        if loaded.facts_engine is None:
            return [], True
        root = self._project_root(loaded, path)
        targets = self._targets(loaded, root)
        if targets is None:
            return [], False
        own = os.path.abspath(path)
        targets = [t for t in targets if os.path.abspath(t) != own]
        trusted = self.watching and not loaded.verify_disk  # no stat: the client reports changes
        results = []
        for target in targets:
            absolute = os.path.abspath(target)
            text = open_documents.get(absolute)
            cached = loaded.facts.get(absolute)
            signature: tuple[Any, ...]
            if text is not None:  # unsaved editor text wins over the file on disk
                signature = ("open", _text_digest(text))
            elif trusted and cached is not None and cached[0][0] != "open":
                results.append(cached[1])  # unchanged: no event reported a change (disk_changed)
                continue
            else:
                on_disk = _disk_signature(absolute)
                if on_disk is None:
                    continue
                signature = on_disk
            if cached is not None and cached[0] == signature:
                results.append(cached[1])
                continue
            if cached is not None:
                loaded.engine.forget_files([absolute])  # what the project phase read of it is outdated
            result = loaded.source.result(absolute, text)
            loaded.facts[absolute] = (signature, result)
            results.append(result)
        loaded.verify_disk = not self.watching
        return results, True


    @staticmethod
    def _discover(loaded: Loaded, root: Path, limit: int) -> list[str]:
        """The first ``limit`` source files under ``root``, as ``kerascheck check`` finds them."""
        import itertools

        from kerascheck.static import files

        config = loaded.session.config
        try:
            return list(
                itertools.islice(
                    files.discover(
                        [str(root)], root=Path(config.root).resolve(), exclude=config.all_excludes, respect_gitignore=config.respect_gitignore
                    ),
                    limit,
                )
            )
        except OSError:
            return []

    def _targets(self, loaded: Loaded, root: Path) -> list[str] | None:
        """The project's files (None when there are too many): listed once while the client
        watches files (events clear the listing), else re-listed at most every
        ``UNWATCHED_RELIST_SECONDS``: walking the tree on every keystroke costs more than a check."""
        import time

        key = str(root)
        cached = loaded.targets.get(key)
        now = time.monotonic()
        if cached is not None and (self.watching or now - cached[0] < UNWATCHED_RELIST_SECONDS):
            return cached[1]
        found = self._discover(loaded, root, MAX_PROJECT_FILES + 2)  # the open file itself may be among them
        targets = None if len(found) > MAX_PROJECT_FILES + 1 else [os.path.abspath(t) for t in found]
        loaded.targets[key] = (now, targets)
        return targets


class DiskEvents:
    """What changed on disk since the last check, as the client (or a save) reported it;
    reported from the event loop, drained by the check in its worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed: set[str] = set()
        self._relist = False
        self._everything = False

    def report(self, changed: Iterable[str] = (), relist: bool = False, everything: bool = False) -> None:
        with self._lock:
            self._changed.update(os.path.abspath(path) for path in changed)
            self._relist = self._relist or relist
            self._everything = self._everything or everything

    def drain(self) -> tuple[set[str], bool, bool]:
        """(changed paths, re-list, forget everything read from disk), and forget them."""
        with self._lock:
            drained = (self._changed, self._relist, self._everything)
            self._changed, self._relist, self._everything = set(), False, False
        return drained


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one check. A check allocates a few hundred
    thousand objects that live until it ends (libcst trees have no cycles: reference counting
    frees them); collections during it only move them into the oldest generation, whose full
    collections (tens of milliseconds with the kept parses) then run every few checks."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class EditorEngine(Engine):
    """The engine of open documents: it parses a document incrementally when ``parsers`` maps
    its path to an :class:`~kerascheck.static.incremental_parse.IncrementalParser` (which holds
    its last parse), and as the plain engine does otherwise.

    Each check of a document runs the project phase again, over the same other files; what it
    derives from them alone is kept while they are unchanged: the program model (a function of
    every file's imports) and the results of files the phase checks again with a project rule
    their text filter left out (a function of the file and of the modules it read, compared by
    mtime and size, as the other files' facts are)."""

    def __init__(self, *args: Any, parsers: Mapping[str, IncrementalParser], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parsers = parsers
        self._model: tuple[Any, list[tuple[str, Any]], Any] | None = None  # (root, imports, model)
        #: The project phase's decider, kept between checks (:meth:`recheck_decider`).
        self._decider: Recheck | None = None
        #: (path, rule codes) -> (disk signatures of the file and what it read, its result).
        self._rechecked: dict[tuple[str, frozenset[str]], tuple[tuple[Any, ...], Any]] = {}

    def parse_module(self, source: SourceFile) -> Module:
        parser = self.parsers.get(source.path)
        return super().parse_module(source) if parser is None else parser.parse(source.text)

    def program_model(self, results: Sequence[Any], *, root: Path | None = None) -> Any:
        imports = [(r.path, r.imports) for r in results]
        if self._model is not None and self._model[0] == root and self._model[1] == imports:
            return self._model[2]
        model = super().program_model(results, root=root)
        self._model = (root, imports, model)
        return model

    def recheck_decider(self) -> Recheck:
        """One decider for every check of the session: the texts, ASTs and names it read of the
        left-out files stay true until those files change (:meth:`forget_files`); without it,
        each keystroke compiled and walked them again (0.7 s per change on a 1,900-file project)."""
        if self._decider is None:
            self._decider = super().recheck_decider()
        else:
            self._decider.new_run()
        return self._decider

    def forget_files(self, paths: Iterable[str], *, everything: bool = False) -> None:
        """``paths`` changed on disk (``everything``: any file may have)."""
        if everything:
            self._decider = None
        elif self._decider is not None:
            self._decider.forget(paths)

    def check_file(self, path: str, stdin_text: str | None = None, *, keep_source: bool = False, include: frozenset[str] = frozenset()) -> Any:
        if not include or stdin_text is not None or keep_source or path in self.parsers:
            return super().check_file(path, stdin_text, keep_source=keep_source, include=include)
        key = (path, include)
        known = self._rechecked.get(key)
        if known is not None and known[0] == _disk_signatures([path, *(d for d, _ in known[1].dependencies)]):
            return known[1]
        before = _disk_signature(path)
        result = super().check_file(path, include=include)
        signatures = _disk_signatures([path, *(d for d, _ in result.dependencies)])
        if before is not None and signatures[0] == before and None not in signatures:
            self._rechecked[key] = (signatures, result)  # the file did not change while it was checked
        return result


def _disk_signature(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _disk_signatures(paths: Sequence[str]) -> tuple[tuple[int, int] | None, ...]:
    return tuple(_disk_signature(path) for path in paths)


def _text_digest(text: str) -> bytes:
    import hashlib

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _is_project_rule(engine: Any, code: str) -> bool:
    rule = engine.enabled.get(code)
    return rule is not None and rule.is_project_rule()


def _same_directory(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _is_under(path: str, root: str) -> bool:
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
    except (ValueError, OSError):
        return False
    return True


# -- suppression comments (plain text functions, 0-based lines, code-point columns) -------------

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_\-]+(?:[\s,]+[A-Za-z0-9_\-]+)*))?", re.I)
_IGNORE = re.compile(r"#\s*kerascheck:\s*ignore(?:-file)?\[(?P<codes>[^\]]*)\]")
_CODE_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


@record
class TextEditSpec:
    """Replace ``[line:column, line:end_column)`` (0-based line, code-point columns)."""

    line: int
    column: int
    end_column: int
    text: str


def _statement_lines(source: str, line: int) -> tuple[int, int, list[tuple[int, int, str]]]:
    """First and last 1-based line of the statement containing ``line``, with its comments
    as ``(line, column, text)``. Falls back to the line itself when tokenizing fails."""
    first: int | None = None
    comments: list[tuple[int, int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments.append((tok.start[0], tok.start[1], tok.string))
            elif tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and first is None):
                start = first if first is not None else tok.start[0]
                if start <= line <= tok.start[0]:
                    return start, tok.start[0], [c for c in comments if start <= c[0] <= tok.start[0]]
                first = None
                comments = []
            elif tok.type not in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER) and first is None:
                first = tok.start[0]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return line, line, []


def noqa_edit(source: str, line: int, code: str) -> TextEditSpec | None:
    """The edit that suppresses ``code`` on the statement containing 1-based ``line``.

    An existing ``# noqa: A, B`` comment on the statement gets ``, code`` appended; otherwise
    ``  # noqa: code`` goes at the end of the statement's last line (a comment there covers the
    whole statement, and it is never inside a string). None when already suppressed.
    """
    lines = source.splitlines()
    _, last, comments = _statement_lines(source, line)
    for comment_line, comment_column, text in comments:
        match = _NOQA.search(text)
        if match is None:
            continue
        codes = match.group("codes")
        if not codes:
            return None  # a blanket noqa already suppresses everything
        if code in _CODE_TOKEN.findall(codes):
            return None
        end = comment_column + match.end("codes")
        return TextEditSpec(comment_line - 1, end, end, f", {code}")
    target = last if last - 1 < len(lines) else line
    text = lines[target - 1] if 0 < target <= len(lines) else ""
    stripped = text.rstrip()
    separator = "  " if stripped else ""
    return TextEditSpec(target - 1, len(stripped), len(text), f"{separator}# noqa: {code}")


def suppression_code_at(line_text: str, column: int) -> str | None:
    """The code under ``column`` (0-based) inside a ``# noqa:`` or ``# kerascheck: ignore[...]``."""
    for pattern in (_NOQA, _IGNORE):
        for match in pattern.finditer(line_text):
            codes = match.group("codes")
            if not codes:
                continue
            base = match.start("codes")
            for token in _CODE_TOKEN.finditer(codes):
                if base + token.start() <= column <= base + token.end():
                    return token.group()
    return None


def rule_markdown(check: Any, docs_base_url: str | None = None) -> str:
    """Hover text for a rule or probe: title, summary, documentation and link."""
    head = f"**{check.code}** `{check.name}` ({check.severity.value})"
    parts = [head, "", f"{check.summary}.", "", check.docs()]
    url = check.docs_url(docs_base_url)
    if url:
        parts += ["", f"[Documentation]({url})"]
    return "\n".join(parts)


# -- the protocol glue -----------------------------------------------------------------------------

_SEVERITY = {
    Severity.ERROR: "Error",
    Severity.WARNING: "Warning",
    Severity.INFO: "Information",
}


def _lines(doc: TextDocument) -> list[str]:
    return doc.source.splitlines()


def _position(doc: TextDocument, lines: Sequence[str], line: int, column: int) -> lsp.Position:
    """A 0-based code-point position -> client units (UTF-16 by default)."""
    if line >= len(lines):
        return lsp.Position(line=max(len(lines), 0), character=0)
    column = max(0, min(column, len(lines[line])))
    return doc.position_codec.position_to_client_units(lines, ServerTextPosition(line, column))


def _finding_range(doc: TextDocument, lines: Sequence[str], finding: Finding) -> lsp.Range:
    loc = finding.location
    line = max(loc.line - 1, 0)
    column = max(loc.column - 1, 0)
    if loc.end_line is not None and loc.end_column is not None:
        end_line, end_column = loc.end_line - 1, loc.end_column - 1
    else:  # a finding without an extent underlines the rest of its line
        end_line = line
        end_column = len(lines[line].rstrip()) if line < len(lines) else column
        end_column = max(end_column, column)
    return lsp.Range(start=_position(doc, lines, line, column), end=_position(doc, lines, end_line, end_column))


def _edit_range(doc: TextDocument, lines: Sequence[str], edit: Edit) -> lsp.Range:
    return lsp.Range(
        start=_position(doc, lines, edit.line - 1, edit.column - 1),
        end=_position(doc, lines, edit.end_line - 1, edit.end_column - 1),
    )


def to_diagnostic(doc: TextDocument, lines: Sequence[str], finding: Finding) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=_finding_range(doc, lines, finding),
        message=finding.message,
        severity=getattr(lsp.DiagnosticSeverity, _SEVERITY[finding.severity]),
        code=finding.code,
        code_description=lsp.CodeDescription(href=finding.docs_url) if finding.docs_url else None,
        source=SOURCE,
    )


def _is_python(doc: TextDocument) -> bool:
    if doc.language_id is not None:
        return doc.language_id == "python"
    return str(doc.path).endswith((".py", ".pyi"))


def _is_notebook_cell(server: LanguageServer, uri: str) -> bool:
    from kerascheck.lsp_notebooks import is_cell

    return is_cell(server, uri)


class _State:
    """What the server remembers between requests."""

    def __init__(self, server: LanguageServer, settings: LintSettings | None = None) -> None:
        self.server = server
        #: Probe results as diagnostics, when the client opts in (it runs the project's code).
        self.probes = EditorProbes()
        self.linter = Linter(self._workspace_root, settings)
        #: uri -> (document version, findings) of the last published diagnostics.
        self.findings: dict[str, tuple[int | None, list[Finding]]] = {}
        #: uri -> the check waiting to run (cancelled and replaced by every newer change).
        self._waiting: dict[str, asyncio.Task[None]] = {}
        #: uri -> held while that document is being checked (one check per document at a time).
        self._checking: dict[str, asyncio.Lock] = {}
        #: Checks notebook documents (scheduled like text documents, by their notebook uri).
        self.notebooks: NotebookLinter | None = None
        #: The background collection of project facts (:meth:`Linter.collect`), while one runs.
        self._collection: asyncio.Task[None] | None = None

    def changed(self, uri: str) -> None:
        """A change of ``uri``: checked at once when no check of it is running or waiting (an
        isolated change, or typing slower than checking), debounced when one is (a burst: the
        changes arrive faster than they are checked, and the burst costs one more check, of its
        final text, ``DEBOUNCE_SECONDS`` after its last change)."""
        lock = self._checking.get(uri)
        busy = uri in self._waiting or (lock is not None and lock.locked())
        self.schedule(uri, delay=DEBOUNCE_SECONDS if busy else 0)

    def schedule(self, uri: str, delay: float = DEBOUNCE_SECONDS) -> None:
        """Check ``uri`` once no newer change has arrived for ``delay`` seconds.

        Latest version wins: a newer change cancels the waiting check (never one already
        running, whose result is then stale and not published, see :meth:`lint`), so after the
        last change exactly one check of the final text runs, at most one check later.
        """
        waiting = self._waiting.get(uri)
        if waiting is not None:
            waiting.cancel()
        self._waiting[uri] = asyncio.get_running_loop().create_task(self._lint_when_quiet(uri, delay))

    def forget(self, uri: str) -> None:
        waiting = self._waiting.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.findings.pop(uri, None)
        from pygls.uris import to_fs_path

        self.linter.forget(to_fs_path(uri) or "untitled.py")

    async def _lint_when_quiet(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        lock = self._checking.setdefault(uri, asyncio.Lock())
        async with lock:  # cancellable while waiting: a newer change replaces this check
            if self._waiting.get(uri) is not asyncio.current_task():
                return
            del self._waiting[uri]  # from here on, this check runs to the end
            await self.lint(uri)

    def _workspace_root(self) -> str | None:
        try:
            return self.server.workspace.root_path
        except Exception:  # not initialized yet
            return None

    def open_texts(self) -> dict[str, str]:
        texts = {}
        for uri, doc in self.server.workspace.text_documents.items():
            if _is_python(doc) and doc.path and not _is_notebook_cell(self.server, uri):
                texts[os.path.abspath(doc.path)] = doc.source
        return texts

    async def lint(self, uri: str) -> None:
        if self.notebooks is not None and self.server.workspace.get_notebook_document(notebook_uri=uri) is not None:
            await self.notebooks.lint(uri)
            return
        doc = self.server.workspace.get_text_document(uri)
        if not _is_python(doc) or _is_notebook_cell(self.server, uri):  # cells: lsp_notebooks
            return
        version, text, path = doc.version, doc.source, doc.path or "untitled.py"
        try:
            outcome = await asyncio.to_thread(self.linter.check, path, text, self.open_texts(), wait_for_facts=False)
        except Exception as exc:  # a bug must not kill the editor session
            logger.exception("kerascheck failed on %s", path)
            self.server.window_log_message(
                lsp.LogMessageParams(type=lsp.MessageType.Error, message=f"kerascheck: internal error on {path}: {type(exc).__name__}: {exc}")
            )
            return
        if outcome.new_error is not None:
            self.server.window_show_message(
                lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"kerascheck: configuration error: {outcome.new_error}")
            )
        if outcome.facts_pending:
            self.collect_facts(path)
        current = self.server.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # closed or edited meanwhile: a newer lint publishes
        lines = _lines(doc)
        findings = [f for f in outcome.findings if f.location.cell is None and f.location.logical is None]
        # Opt-in probe mode (initializationOptions {"probe": true}): kerascheck.editor_probes.
        findings = self.probes.diagnostics(path, text, findings, outcome.loaded.session, lambda: self.schedule(uri, delay=0))
        self.findings[uri] = (version, findings)
        self.server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=[to_diagnostic(doc, lines, f) for f in findings])
        )

    def collect_facts(self, path: str) -> None:
        """Start collecting the project facts ``path``'s check lacked, unless a collection runs
        (every open document is checked again when it ends: one lacking others is then seen)."""
        if self._collection is None:
            self._collection = asyncio.get_running_loop().create_task(self._collect(path))

    async def _collect(self, path: str) -> None:
        """Collect the project facts ``path``'s check lacked, in a worker thread (checks of
        documents go on meanwhile, without the project rules), then check every open document
        again with them."""
        try:
            collected = await asyncio.to_thread(self.linter.collect, path, self.open_texts())
        except Exception as exc:  # a bug must not kill the editor session; checks collect themselves
            logger.exception("kerascheck failed collecting project facts for %s", path)
            self.server.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Error, message=f"kerascheck: internal error collecting project facts: {type(exc).__name__}: {exc}"
                )
            )
            collected = None
        finally:
            self._collection = None
        if collected is not None:
            self.server.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Log,
                    message=f"kerascheck: {FACTS_READY}: {collected.files} files in {collected.seconds:.1f} s "
                    f"({collected.from_cache} from the result cache, {collected.files - collected.from_cache} checked)",
                )
            )
        self.lint_all()
        # The collected facts go to the result cache once the documents are checked with them.
        await asyncio.gather(*list(self._waiting.values()), return_exceptions=True)
        try:
            stored = await asyncio.to_thread(self.linter.store_facts)
        except Exception:  # the cache is an optimisation: never fail the session for it
            logger.exception("kerascheck failed storing project facts")
            return
        self.server.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Log, message=f"kerascheck: {FACTS_STORED}: {stored} files"))

    def lint_all(self) -> None:
        for uri in self._open_uris():
            self.schedule(uri, delay=0)

    def _open_uris(self) -> list[str]:
        workspace = self.server.workspace
        return [*workspace.text_documents, *(notebook.uri for notebook in workspace.notebook_documents.values())]

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        only = params.context.only
        if only and not any(getattr(kind, "value", kind) in ("", "quickfix") for kind in only):
            return []
        version, findings = self.findings.get(uri, (None, []))
        doc = self.server.workspace.get_text_document(uri)
        if version != doc.version:
            return []  # stale: diagnostics for the new text are on their way
        lines = _lines(doc)
        first, last = params.range.start.line, params.range.end.line
        actions: list[lsp.CodeAction] = []
        ignores: list[lsp.CodeAction] = []
        seen_ignores: set[tuple[str, int]] = set()
        for finding in findings:
            diagnostic = to_diagnostic(doc, lines, finding)
            if diagnostic.range.end.line < first or diagnostic.range.start.line > last:
                continue
            fix = finding.fix
            if fix is not None and fix.edits and all(e.cell is None for e in fix.edits):
                edits = [lsp.TextEdit(range=_edit_range(doc, lines, e), new_text=e.content) for e in fix.edits]
                title = fix.message or f"Fix {finding.code}"
                if not fix.is_safe:
                    title += " (unsafe)"
                actions.append(
                    lsp.CodeAction(
                        title=f"{title} ({finding.code})" if finding.code not in title else title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=fix.is_safe,
                        edit=lsp.WorkspaceEdit(changes={uri: edits}),
                    )
                )
            key = (finding.code, finding.location.line)
            if key in seen_ignores or finding.code == "KC000":
                continue
            seen_ignores.add(key)
            spec = noqa_edit(doc.source, finding.location.line, finding.code)
            if spec is None:
                continue
            edit_range = lsp.Range(
                start=_position(doc, lines, spec.line, spec.column),
                end=_position(doc, lines, spec.line, spec.end_column),
            )
            ignores.append(
                lsp.CodeAction(
                    title=f"Ignore {finding.code} on this line",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=edit_range, new_text=spec.text)]}),
                )
            )
        return actions + ignores

    def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        doc = self.server.workspace.get_text_document(params.text_document.uri)
        lines = _lines(doc)
        if params.position.line >= len(lines):
            return None
        server_position = doc.position_from_client_units(params.position)
        line_text = lines[server_position.line]
        code = suppression_code_at(line_text, server_position.character)
        if code is None:
            return None
        loaded = self.linter.load_for(Path(doc.path or "untitled.py"))
        if loaded.session is None:
            return None
        check = loaded.session.registry.find(code)
        if check is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=rule_markdown(check, loaded.session.config.docs_base_url)))

    async def register_watchers(self) -> None:
        """Ask the client to report changes of configuration files and of the project's files;
        once it accepts, the linter relies on its events (:meth:`Linter.watch`)."""
        capabilities = self.server.client_capabilities
        watched = capabilities.workspace.did_change_watched_files if capabilities.workspace else None
        if not (watched and watched.dynamic_registration):
            return  # the per-lint mtime checks still notice changed files, the periodic listing new ones
        config = lsp.DidChangeWatchedFilesRegistrationOptions(
            watchers=[lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]
        )
        created_or_deleted = lsp.WatchKind.Create | lsp.WatchKind.Delete
        project = lsp.DidChangeWatchedFilesRegistrationOptions(
            watchers=[
                *(lsp.FileSystemWatcher(glob_pattern=glob) for glob in SOURCE_GLOBS),
                lsp.FileSystemWatcher(glob_pattern="**/*", kind=created_or_deleted),
            ]
        )
        registrations = [
            lsp.Registration(id="kerascheck-config-watcher", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=config),
            lsp.Registration(id="kerascheck-project-watcher", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=project),
        ]
        try:
            await self.server.client_register_capability_async(lsp.RegistrationParams(registrations=registrations))
        except Exception as exc:  # a client refusing the registration is not an error
            logger.debug("client refused file watching: %s", exc)
            return
        self.linter.watch()

    def files_changed(self, changes: Sequence[lsp.FileEvent]) -> None:
        """Events of the client's file watchers: configuration files are read again, and when a
        project file changed (not an open document: its editor text is what counts), the linter
        learns it and every open document is checked again."""
        from pygls.uris import to_fs_path

        if any(change.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for change in changes):
            self.linter.invalidate()
            self.lint_all()
            return
        opened = self.open_texts()
        listed = self.linter.listed()
        changed: list[str] = []
        relist = False
        for change in changes:
            path = to_fs_path(change.uri)
            if path is None:
                continue
            path = os.path.abspath(path)
            name = os.path.basename(path)
            if name == ".gitignore":
                relist = True
            elif change.type == lsp.FileChangeType.Changed:
                if path in listed and path not in opened:  # an open document's editor text counts
                    changed.append(path)
            elif change.type == lsp.FileChangeType.Created:
                if self._never_listed(path):
                    continue  # e.g. __pycache__ or a file in .venv
                if name.endswith(SOURCE_SUFFIXES):
                    changed.append(path)  # an editor's "atomic save" deletes and creates a known file
                    relist = relist or path not in listed
                else:
                    relist = relist or os.path.isdir(path)
            else:  # deleted: a listed file, or a directory that held some
                prefix = path + os.sep
                relist = relist or path in listed or any(target.startswith(prefix) for target in listed)
        if not (changed or relist):
            return
        self.linter.disk_changed(changed, relist)
        for uri in self._open_uris():
            self.schedule(uri, delay=DEBOUNCE_SECONDS)

    def _never_listed(self, path: str) -> bool:
        """``path`` is inside a directory the project's listing never enters (``__pycache__``,
        ``.venv``, ...: :data:`kerascheck.static.files.DEFAULT_EXCLUDE`), below the workspace root."""
        from kerascheck.static.files import DEFAULT_EXCLUDE

        root = self._workspace_root()
        if not root:
            return False
        relative = os.path.relpath(path, os.path.abspath(root))
        return not relative.startswith(os.pardir) and any(part in DEFAULT_EXCLUDE for part in Path(relative).parts)

    def saved(self, uri: str) -> None:
        """A document was saved: checked again; a client that cannot watch files learns of new
        files at saves too (a "save as" creates one)."""
        from pygls.uris import to_fs_path

        path = to_fs_path(uri)
        if path is not None:
            self.linter.disk_changed([path], relist=not self.linter.watching)
        self.schedule(uri, delay=0)


def create_server(settings: LintSettings | None = None) -> LanguageServer:
    """The pygls server with every feature registered (not started)."""
    if _MISSING is not None:
        raise ImportError(INSTALL_HINT) from _MISSING
    from kerascheck import __version__, lsp_notebooks

    server = LanguageServer(
        SOURCE,
        __version__,
        text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        notebook_document_sync=lsp_notebooks.SYNC_OPTIONS,
    )
    state = _State(server, settings)
    server.kerascheck_state = state  # type: ignore[attr-defined]  # for tests and debugging
    state.notebooks = lsp_notebooks.register(server, state)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: LanguageServer, params: lsp.InitializeParams) -> None:
        state.probes.configure(params.initialization_options)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: LanguageServer, params: lsp.InitializedParams) -> None:
        await state.register_watchers()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        state.schedule(params.text_document.uri, delay=0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        state.changed(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: LanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        state.saved(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        state.forget(params.text_document.uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: LanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        state.files_changed(params.changes)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: LanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return state.code_actions(params)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return state.hover(params)

    return server

