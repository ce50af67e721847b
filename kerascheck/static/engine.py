"""The static engine: parse each file once, run every enabled rule in one traversal.

Per file (in a worker process when there are many files): read -> parse -> one walk with the
shared :class:`FileContext` and all rules -> raw findings, suppression comments and the facts
project rules recorded. In the parent: the project phase (``Rule.finish`` over all facts),
suppressions, per-file ignores and severity overrides, then sorting.

One file never sinks the run: a file over ``max-file-size`` is not parsed; CPython's
``compile()`` sees every file before libcst does (syntax errors, and the nesting that makes
libcst's native parser blow up); the parse and walk run on a thread with a large stack and an
iterative walk; and worker processes (:mod:`kerascheck.static.workers`) are replaced when one
dies, its file alone getting a KC002. Each of these ends as a finding for that file.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

import libcst as cst

from kerascheck import config as configuration
from kerascheck.checkdoc import version_matches
from kerascheck.config import Config
from kerascheck.findings import Finding, Location, Severity
from kerascheck.records import record
from kerascheck.rule import Rule
from kerascheck.static import files, programs, python_ast, recheck, star_imports, suppress
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.cst_children import children
from kerascheck.static.files import SourceFile, UnreadableSource
from kerascheck.static.files import iter_targets as iter_targets  # re-exported: callers name it here

INTERNAL_ERROR = "KC000"
SYNTAX_ERROR = "KC001"
NOT_ANALYSED = "KC002"
UNUSED_SUPPRESSION = "KC003"

#: A file that mentions none of these (nor a configured Keras module, nor a ``tf`` its imports
#: bind) cannot use Keras; Keras rules skip it (the pre-filter).
_KERAS_NAMES = ("keras", "tensorflow")
_TF_WORD = re.compile(recheck.word_pattern("tf"))


def _mentions_keras(source: SourceFile, aliases: re.Pattern[str] | None) -> bool:
    """Whether ``source`` mentions Keras or TensorFlow (``aliases``: the configured Keras modules).

    Names resolve through imports only (:mod:`kerascheck.static.names`), so a ``tf`` no import
    binds (``for tf in tests``, ``with TarFile.open(p) as tf``) cannot be TensorFlow: the word
    counts only when an import binds it (``from .deps import tf``; a module spelt
    ``tensorflow`` is already caught by its name). Asked of CPython's AST, compiled anyway.
    """
    text = source.text
    if any(name in text for name in _KERAS_NAMES):
        return True
    if aliases is not None and aliases.search(text) is not None:
        return True
    if _TF_WORD.search(text) is None:
        return False
    tree = python_ast.compile_tree(text, source.path)
    return not isinstance(tree, ast.Module) or python_ast.import_binds(tree, "tf")


#: The pre-filters on. Off (``bench/mixed_tree.py``, tests), every file is parsed and walked and
#: rules' ``text_filter`` are ignored: the findings must be the same, only slower. (Whether a
#: file uses Keras is not a pre-filter: Keras rules never look at a file that does not.)
PREFILTER = True


@record(frozen=False)
class FileResult:
    """What checking one file produced (picklable: it crosses process boundaries)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, list[Any]] = field(default_factory=dict)
    suppressions: suppress.SuppressionMap = field(default_factory=suppress.SuppressionMap)
    joined_lines: dict[int, int] | None = None  # notebooks: cell number -> first joined line
    source: str | None = None  # kept only when asked (fixes, LSP)
    #: The file's import statements, for the program model of the project phase.
    imports: programs.ModuleImports = field(default_factory=programs.ModuleImports)
    #: ``(path, content digest hex)`` of the project modules the file's star imports read: the
    #: result is valid only while they are unchanged (the result cache checks them).
    dependencies: tuple[tuple[str, str], ...] = ()
    #: Content digest (hex) of the bytes this result is for, when the result cache read them
    #: (a hit, or a miss whose file did not change while it was checked); the run cache
    #: (:mod:`kerascheck.static.cache_run`) records a run only when every file has one.
    digest: str | None = field(default=None, compare=False)
    #: Project rules whose ``text_filter`` left this file unparsed: the project phase checks it
    #: again with them if another file's facts name something it mentions (:meth:`Rule.recheck_names`).
    left_out: tuple[str, ...] = ()


@record(frozen=False)
class RunResult:
    findings: list[Finding]
    files: int
    file_results: list[FileResult]


class _Dispatcher(cst.CSTVisitor):
    """Calls the handlers of the context and of every rule, by node type, in one walk."""

    def __init__(self, context: FileContext, rules: Sequence[Rule], report_crash: Callable[[Rule, BaseException, cst.CSTNode], None]) -> None:
        self._visit: dict[str, list[tuple[Any, Callable[[Any], Any]]]] = {}
        self._leave: dict[str, list[tuple[Any, Callable[[Any], Any]]]] = {}
        self._failed: set[int] = set()
        self._report_crash = report_crash
        self._context = context
        owners: list[tuple[Any, tuple[str, ...]]] = [(context, _CONTEXT_HANDLERS)]
        owners.extend((rule, type(rule).handler_names()) for rule in rules)
        for owner, names in owners:
            for name in names:
                kind, _, node_type = name.partition("_")
                table = self._visit if kind == "visit" else self._leave
                table.setdefault(node_type, []).append((owner, getattr(owner, name)))
        # The context must see a node before the rules and leave it after them.
        for handlers in self._leave.values():
            handlers.sort(key=lambda pair: pair[0] is context)

    def _run(self, handlers: list[tuple[Any, Callable[[Any], Any]]], node: cst.CSTNode) -> None:
        failed = self._failed  # empty but for a broken rule: one falsy test per handler
        for owner, handler in handlers:
            if failed and id(owner) in failed:
                continue
            try:
                handler(node)
            except RecursionError:
                raise
            except Exception as exc:
                if owner is self._context:
                    raise  # context errors are engine errors
                failed.add(id(owner))  # a broken rule must not take other findings with it
                self._report_crash(owner, exc, node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        handlers = self._visit.get(type(node).__name__)
        if handlers:
            self._run(handlers, node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handlers = self._leave.get(type(original_node).__name__)
        if handlers:
            self._run(handlers, original_node)

    # libcst looks up ``visit_<Node>_<attribute>`` for every attribute of every node by default;
    # no rule uses those, so skipping the lookups makes the walk cheaper than a no-op visitor.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def walk(self, root: cst.CSTNode) -> None:
        """The same visit/leave events, in the same order, as ``root.visit(self)``, at a
        fraction of the cost: libcst's ``visit`` rebuilds (and re-validates) every node of the
        tree even for a read-only visitor; this walk only reads the children.

        Iterative (an explicit stack), so a valid file of any depth (a 1,000-term ``a + b``
        chain, 1,000 ``elif``s, long implicit string concatenations) is walked, not refused
        with a RecursionError. A node is pushed again, as ``(node, handlers)``, to be left,
        but only when some handler wants to leave it."""
        visit_table, leave_table, run = self._visit, self._leave, self._run
        children_of = children
        module_type = cst.Module
        context = self._context
        stack: list[Any] = [root]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            if type(node) is tuple:
                if node[0] is None:  # (None, index): the walk enters that statement of the module
                    context.current_statement = node[1]
                else:  # (node, its leave handlers): its children are done
                    run(node[1], node[0])
                continue
            kind = type(node)
            name = kind.__name__
            handlers = visit_table.get(name)
            if handlers:
                run(handlers, node)
            handlers = leave_table.get(name)
            if handlers:
                push((node, handlers))
            found: list[Any] = children_of(node)
            if found:
                if kind is module_type:  # the context learns which statement is walked (positions)
                    found = _marking_statements(node)
                found.reverse()
                stack.extend(found)


def _marking_statements(module: cst.Module) -> list[Any]:
    """The children of ``module`` in walk order (libcst visits header, body, footer), each
    statement of the body preceded by a ``(None, index)`` mark, and ``(None, None)`` after it."""
    marked: list[Any] = list(module.header)
    for index, statement in enumerate(module.body):
        marked.append((None, index))
        marked.append(statement)
    marked.append((None, None))
    marked.extend(module.footer)
    return marked


_CONTEXT_HANDLERS = tuple(n for n in dir(FileContext) if n.startswith(("visit_", "leave_")))


class Engine:
    """Checks files with a fixed set of rules and settings (one per run, one per worker)."""

    #: Worker processes for the files the project phase checks again (set by :func:`check_paths`).
    recheck_jobs = 1

    def __init__(
        self,
        rules: Mapping[str, type[Rule]],
        config: Config,
        plugin_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.config = config
        self.all_rules = dict(rules)
        self.enabled = {code: rule for code, rule in rules.items() if configuration.is_enabled(config, rule)}
        self.file_rules = [
            r
            for r in self.enabled.values()
            if r.code not in _ENGINE_CODES and version_matches(r.keras_versions, config.target_keras)
        ]
        self.options = {code: config.options_for(rule) for code, rule in self.enabled.items()}
        self.keras_aliases = dict(config.keras_modules)
        self._prefixes = sorted({rule.prefix() for rule in rules.values()})  # of every loaded plugin
        #: ``kerascheck_add_config_options`` defaults merged with ``[tool.kerascheck.plugin-options]``.
        self.plugin_options = {name: dict(values) for name, values in (plugin_defaults or {}).items()}
        for name, values in config.plugin_options:
            self.plugin_options.setdefault(name, {}).update(dict(values))
        roots = "|".join(re.escape(m) for m in self.keras_aliases)
        self._keras_aliases = re.compile(roots) if roots else None

    # -- one file ------------------------------------------------------------------------

    def check_file(self, path: str, stdin_text: str | None = None, *, keep_source: bool = False, include: frozenset[str] = frozenset()) -> FileResult:
        """Check one file. Whatever the file holds, the answer is a :class:`FileResult`: a file
        that cannot be analysed gets a KC002 finding saying why, never an exception.
        ``include``: rule codes that see the file whatever their text filter says."""
        result = FileResult(path)
        special = _special_file(path) if stdin_text is None else None
        if special is not None:  # reading a FIFO would block the run forever
            result.findings.append(self._engine_finding(NOT_ANALYSED, f"{path}: {special}", Location(path)))
            return result
        limit = self.config.max_file_size
        size = _size(path) if stdin_text is None and not path.endswith(".ipynb") else 0
        if size > limit:
            result.findings.append(self._too_large(path, size))  # not even read
            return result
        try:
            source = files.read(path, stdin_text)
        except UnreadableSource as exc:
            result.findings.append(self._engine_finding(NOT_ANALYSED, str(exc), Location(path)))
            return result
        if len(source.text) > limit:  # stdin, or a notebook's code cells
            result.findings.append(self._too_large(path, len(source.text.encode("utf-8", "surrogatepass"))))
            return result
        if keep_source:
            result.source = source.text
        if source.cell_map is not None:
            result.joined_lines = {cell: start for start, cell in source.cell_map.starts}
        result.suppressions = suppress.scan(source.text)
        # CPython's own parser first, here (no thread; ``programs.compile_tree`` compiles once for
        # the verdict and the import scan, see _check_source); a file too deep for this thread
        # is decided again on the deep one.
        verdict = _compile_verdict(source)
        if not path.endswith(".pyi"):  # stubs never run
            result.imports = programs.scan_imports(source.text, path, lambda line, column: self._line_location(source, line, column))
        for error in source.cell_errors:  # notebook cells left out of the check: the others go on
            code = SYNTAX_ERROR if error.syntax else NOT_ANALYSED
            result.findings.append(self._engine_finding(code, error.message, self._line_location(source, error.line, error.column)))
        problem: str | None = None
        try:
            self._check_source(source, result, include, verdict)
        except RecursionError:
            problem = "not analysed: the file nests expressions too deeply for the parser (recursion limit)"
        except MemoryError:
            problem = "not analysed: the parser ran out of memory on this file"
        if problem is not None:
            result.findings = [f for f in result.findings if f.code != INTERNAL_ERROR]
            result.findings.append(self._engine_finding(NOT_ANALYSED, problem, Location(path)))
        return result

    def crashed(self, path: str, reason: str) -> FileResult:
        """The result of a file whose check killed its worker process (or was stopped);
        ``reason`` says which, as :mod:`kerascheck.static.workers` words it."""
        message = f"not analysed: {reason}; other files are unaffected"
        return FileResult(path, findings=[self._engine_finding(NOT_ANALYSED, message, Location(path))])

    def _too_large(self, path: str, size: int) -> Finding:
        limit = self.config.max_file_size
        message = (
            f"not analysed: {_megabytes(size)} is over the max-file-size limit ({_megabytes(limit)}): "
            "the parser needs several hundred times a file's size in memory"
        )
        return self._engine_finding(NOT_ANALYSED, message, Location(path))

    def _check_source(self, source: SourceFile, result: FileResult, include: frozenset[str], verdict: BaseException | None) -> None:
        """The pre-filter and CPython's ``verdict`` on ``source``, then (on a thread with a large
        stack, for all but tiny texts) the libcst parse and the walk, only if a rule wants it."""
        path = source.path
        # CPython's own parser first (about 10x faster than libcst's): it reports the syntax
        # errors (KC001 is CPython's verdict), and it refuses the shapes that make libcst's
        # native parser blow up (brackets nested past 200 levels: gigabytes of memory; ASTs
        # nested past its recursion limit) before libcst ever sees them. A file too deep for
        # this thread is decided on the deep one first: its AST then answers the pre-filter's
        # questions too (python_ast keeps the last tree), instead of failing once more here.
        if isinstance(verdict, RecursionError) and len(source.text) > _DEEP_TEXT:
            verdict = _run_deep(_compile_verdict, source)  # decided with the deep thread's limits
        star = star_imports.bindings(path, source.text) if path != "-" else star_imports.StarBindings()
        result.dependencies = star.dependencies
        uses_keras = star.uses_keras or _mentions_keras(source, self._keras_aliases)
        rule_classes = [r for r in self.file_rules if uses_keras or r.code in include or _wants_without_keras(r, source.text)]
        if verdict is not None:
            result.findings.append(self._verdict_finding(source, verdict))
            return
        result.left_out = tuple(r.code for r in self.file_rules if r not in rule_classes and r.is_project_rule())
        if not rule_classes and PREFILTER:
            return  # the pre-filter: no rule would look at this file (and no thread is started)
        if len(source.text) > _DEEP_TEXT:
            _run_deep(self._parse_and_walk, source, result, star, rule_classes)
        else:
            self._parse_and_walk(source, result, star, rule_classes)

    def parse_module(self, source: SourceFile) -> cst.Module:
        """The libcst tree of ``source`` (the language server's engine re-parses only what an
        edit of an open document changed: :mod:`kerascheck.static.incremental_parse`)."""
        return cst.parse_module(source.text)

    def _parse_and_walk(self, source: SourceFile, result: FileResult, star: star_imports.StarBindings, rule_classes: list[type[Rule]]) -> None:
        path = source.path
        try:
            module = self.parse_module(source)
        except cst.ParserSyntaxError as exc:
            location = self._line_location(source, exc.raw_line, exc.raw_column + 1)
            message = f"not analysed: valid Python that libcst {getattr(cst, '__version__', '')} cannot parse ({exc.message})".replace("  ", " ")
            result.findings.append(self._engine_finding(NOT_ANALYSED, message, location))
            return
        except (KeyboardInterrupt, SystemExit, RecursionError, MemoryError):
            raise
        except BaseException as exc:
            message = f"not analysed: the parser failed on this file ({type(exc).__name__}: {exc})"
            result.findings.append(self._engine_finding(NOT_ANALYSED, message, Location(path)))
            return
        tree = python_ast.compile_tree(source.text, path)  # the verdict's AST, compiled once
        context = FileContext(
            path,
            source.text,
            module,
            tree=tree if isinstance(tree, ast.Module) else None,
            target_keras=self.config.target_keras,
            cell_map=source.cell_map,
            keras_aliases=self.keras_aliases,
            plugin_options=self.plugin_options,
            star_bindings=star.names,
        )
        rules = [rule_class(context, self.options[rule_class.code]) for rule_class in rule_classes]

        def report_crash(rule: Rule, exc: BaseException, node: cst.CSTNode) -> None:
            try:
                where = context.location(node)
            except Exception:
                where = Location(path)
            message = (
                f"internal error in rule {rule.code} ({type(rule).__module__}): "
                f"{type(exc).__name__}: {exc}; other rules' findings are unaffected"
            )
            result.findings.append(with_traceback(self._engine_finding(INTERNAL_ERROR, message, where), exc))

        _Dispatcher(context, rules, report_crash).walk(module)
        result.dependencies = tuple(sorted({*star.dependencies, *context.semantic.modules_read()}))  # star-imported and evaluated modules
        for rule in rules:
            result.findings.extend(rule.findings)
            if rule.facts:
                result.facts[rule.code] = rule.facts

    def _verdict_finding(self, source: SourceFile, verdict: BaseException) -> Finding:
        if isinstance(verdict, SyntaxError):
            location = self._line_location(source, verdict.lineno or 1, verdict.offset or 1)
            return self._engine_finding(SYNTAX_ERROR, f"syntax error: {verdict.msg}", location)
        return self._engine_finding(NOT_ANALYSED, f"not analysed: {type(verdict).__name__}: {verdict}", Location(source.path))

    @staticmethod
    def _line_location(source: SourceFile, line: int, column: int) -> Location:
        if source.cell_map is None:
            return Location(source.path, line, column)
        cell, cell_line = source.cell_map.locate(line)
        return Location(source.path, cell_line, column, cell=cell)

    def _engine_finding(self, code: str, message: str, location: Location) -> Finding:
        rule = self.all_rules.get(code)
        severity = {INTERNAL_ERROR: Severity.ERROR, SYNTAX_ERROR: Severity.ERROR}.get(code, Severity.INFO)
        if rule is None:
            return Finding(code, code.lower(), message, severity, location)
        return rule.finding_at(location, message)

    # -- the whole project ---------------------------------------------------------------

    def finish(self, results: Sequence[FileResult], *, root: Path | None = None) -> list[Finding]:
        """Project phase, then suppressions, per-file ignores and severity overrides."""
        with _FewerCollections():
            return self._finish(results, root)

    def _finish(self, results: Sequence[FileResult], root: Path | None) -> list[Finding]:
        project_findings: dict[str, list[Finding]] = {}
        project_rules = [rule for rule in self.enabled.values() if rule.is_project_rule()]
        model = self.program_model(results, root=root) if project_rules else programs.ProgramModel()
        results = self.recheck_left_out(results, model)
        modules = {r.path: model.module_name(r.path) for r in results}
        for rule in project_rules:
            facts = {r.path: r.facts[rule.code] for r in results if rule.code in r.facts}
            context = ProjectContext(facts, self.config.target_keras, self.options[rule.code], modules, model)
            try:
                produced = list(rule.finish(context))
            except Exception as exc:
                produced = [
                    with_traceback(
                        self._engine_finding(
                            INTERNAL_ERROR,
                            f"internal error in the project phase of rule {rule.code}: {type(exc).__name__}: {exc}",
                            Location(results[0].path if results else "."),
                        ),
                        exc,
                    )
                ]
            for finding in produced:
                project_findings.setdefault(finding.location.path, []).append(finding)

        final: list[Finding] = []
        for result in results:
            findings = result.findings + project_findings.pop(result.path, [])
            final.extend(self._postprocess(result, findings))
        for leftovers in project_findings.values():  # findings in files that were not checked
            final.extend(leftovers)
        final.sort(key=Finding.sort_key)
        return final

    def recheck_left_out(self, results: Sequence[FileResult], model: programs.ProgramModel) -> list[FileResult]:
        """``results``, where a file a project rule's text filter left out is checked again
        with that rule when the facts of its program make it relevant (:mod:`recheck`), as if
        it had never been left out; repeated until no file is added (a file checked again may
        record a helper a third file calls)."""
        current = {r.path: r for r in results}
        decide = self.recheck_decider()
        while True:
            include = decide.wanted(current, model)
            if not include:
                return [current[r.path] for r in results]
            wanted = {path: frozenset(found) | self._project_codes_run(current[path]) for path, found in include.items()}
            for path, fresh in self._recheck(wanted).items():
                fresh.digest = current[path].digest
                current[path] = fresh

    def recheck_decider(self) -> recheck.Recheck:
        """The decider of one project phase (a new one per run; the language server keeps one
        between the checks of its documents: what it read of unchanged files is still true)."""
        return recheck.Recheck(list(self.enabled.values()))

    def _recheck(self, wanted: Mapping[str, frozenset[str]]) -> dict[str, FileResult]:
        """``check_file(path, include=codes)`` for each file of ``wanted``, on worker processes
        when the run had several (:attr:`recheck_jobs`) and there are enough files: the project
        phase would otherwise parse them one after the other while the other cores are idle."""
        items = sorted(wanted.items())
        if self.recheck_jobs <= 1 or len(items) < _PARALLEL_RECHECK or not sys.platform.startswith("linux"):
            return {path: self.check_file(path, include=codes) for path, codes in items}
        import multiprocessing

        from kerascheck.static import workers as worker_pool

        context = multiprocessing.get_context("fork")  # the workers inherit this engine
        done: dict[str, FileResult] = {}
        for position, outcome in worker_pool.run(
            items, workers=self.recheck_jobs, context=context, initializer=_init_worker, initargs=(self, None, None), task=_worker_recheck
        ):
            path = items[position][0]
            done[path] = self.crashed(path, outcome.reason) if isinstance(outcome, worker_pool.Crash) else outcome
        return {path: done[path] for path, _ in items}

    def _project_codes_run(self, result: FileResult) -> frozenset[str]:
        """The project rules that saw the file of ``result`` (all that were not left out)."""
        return frozenset(r.code for r in self.file_rules if r.is_project_rule() and r.code not in result.left_out)

    def program_model(self, results: Sequence[FileResult], *, root: Path | None = None) -> programs.ProgramModel:
        """How the checked files group into programs (built once per run, from their imports)."""
        return programs.ProgramModel.build({r.path: r.imports for r in results}, root or Path(self.config.root))

    def _postprocess(self, result: FileResult, findings: list[Finding]) -> list[Finding]:
        joined = result.joined_lines

        def line_of(finding: Finding) -> int:
            if joined and finding.location.cell is not None:
                return joined.get(finding.location.cell, 1) + finding.location.line - 1
            return finding.location.line

        unused_rule = self.enabled.get(UNUSED_SUPPRESSION)

        def make_unused(item: suppress.Suppression, code: str) -> Finding:
            assert unused_rule is not None
            location = Location(result.path, item.line, item.column)
            if joined:
                cell = max((c for c, start in joined.items() if start <= item.line), default=1)
                location = Location(result.path, item.line - joined[cell] + 1, item.column, cell=cell)
            kind = "ignore-file" if item.kind == "ignore-file" else item.kind
            return unused_rule.finding_at(location, f"unused suppression: {kind} comment for {code} matches no finding")

        def enabled_code(selector: str) -> bool:
            return any(configuration.selector_matches(selector, rule) for rule in self.file_rules)

        kept = suppress.apply(
            findings,
            result.suppressions,
            known_prefixes=self._prefixes,
            enabled_codes=enabled_code,
            make_unused=make_unused if unused_rule is not None else None,
            line_of=line_of,
        )
        ignores = configuration.per_file_ignores_for(self.config, result.path)
        output = []
        for finding in kept:
            rule = self.all_rules.get(finding.code)
            if ignores and any(suppress.matches(sel, finding) for sel in ignores):
                continue
            if rule is not None and finding.code not in (INTERNAL_ERROR,):
                if finding.code in _ENGINE_CODES and finding.code not in self.enabled:
                    continue
                severity = configuration.severity_for(self.config, rule)
                if severity is not finding.severity and self.config.severity:
                    finding = _with_severity(finding, severity)
            output.append(finding)
        return output


_ENGINE_CODES = frozenset({INTERNAL_ERROR, SYNTAX_ERROR, NOT_ANALYSED, UNUSED_SUPPRESSION})


def with_traceback(finding: Finding, exc: BaseException) -> Finding:
    """``finding`` carrying the plugin's traceback (``extra["traceback"]``) for -v, JSON and tests."""
    import traceback
    from dataclasses import replace

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return replace(finding, extra=(*finding.extra, ("traceback", text)))


def _special_file(path: str) -> str | None:
    """Why ``path`` must not be read (a FIFO, socket or device), or None."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None  # missing or unreadable: files.read says which
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"not a regular file ({kind}): not read"


def _wants_without_keras(rule: type[Rule], text: str) -> bool:
    """Whether ``rule`` looks at a file that does not mention Keras (its ``text_filter``)."""
    if rule.requires_keras:
        return False
    return not PREFILTER or rule.text_filter is None or rule.text_filter.search(text) is not None


def _compile_verdict(source: SourceFile) -> BaseException | None:
    """Why CPython refuses ``source``, or None when it compiles. A notebook's cells were judged
    one by one when it was read (``SourceFile.cell_errors``); its joined text only by the parser."""
    # compiled once: scan_imports shares the AST
    return python_ast.refusal(source.text, source.path, compiler=source.cell_map is None)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


#: Texts longer than this are analysed on a thread with a large stack (`_run_deep`): a few
#: hundred bytes can already nest deeply enough for libcst's recursive code generation (used
#: for positions) to pass the default recursion limit, and a few kilobytes to overflow a normal
#: stack in its native parser (a segfault). Starting the thread costs about 0.1 ms.
_DEEP_TEXT = 256
#: The stack of that thread (address space reserved, used only as deep as the parse goes): a
#: 2 MB chain of ``a or a or ...`` (400,000 levels) parses in under 1 GiB.
_DEEP_STACK = 1 << 30
#: The recursion limit while on that thread (Python helpers that recurse over the tree).
_DEEP_RECURSION = 60_000


def _run_deep(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` on a fresh thread with a large stack and recursion limit (exceptions
    are re-raised here). Falls back to the current thread if no such thread can be started."""
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, _DEEP_RECURSION))
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            sys.setrecursionlimit(previous_limit)

    previous = threading.stack_size()
    try:
        threading.stack_size(_DEEP_STACK)
        thread = threading.Thread(target=target, name="kerascheck-deep-parse", daemon=True)
        thread.start()
    except (RuntimeError, ValueError, MemoryError):
        return function(*args)
    finally:
        threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _with_severity(finding: Finding, severity: Severity) -> Finding:
    from dataclasses import replace

    return replace(finding, severity=severity)


# -- running many files ----------------------------------------------------------------------

_WORKER_ENGINE: Engine | None = None
_WORKER_CACHE: Any = None  # a kerascheck.static.cache.ResultCache, or None


def _init_worker(
    engine: Engine | None,
    spec: tuple[Sequence[str], Sequence[str], Config] | None,
    cache: Any = None,
) -> None:
    global _WORKER_ENGINE, _WORKER_CACHE
    _WORKER_CACHE = cache
    if engine is not None:
        _WORKER_ENGINE = engine
        return
    assert spec is not None
    from kerascheck.plugins import load_plugins

    extra, blocked, config = spec
    registry = load_plugins(extra, blocked=blocked)
    _WORKER_ENGINE = Engine(registry.rules, config, registry.config_options)


def _worker_recheck(item: tuple[str, frozenset[str]]) -> FileResult:
    path, codes = item
    assert _WORKER_ENGINE is not None
    try:
        return _WORKER_ENGINE.check_file(path, include=codes)
    except Exception as exc:  # as _worker_check
        message = f"internal error while checking this file: {type(exc).__name__}: {exc}"
        return FileResult(path, findings=[_WORKER_ENGINE._engine_finding(INTERNAL_ERROR, message, Location(path))])


def _worker_check(path: str) -> FileResult:
    assert _WORKER_ENGINE is not None
    try:
        if _WORKER_CACHE is not None:
            return _WORKER_CACHE.check(path, _WORKER_ENGINE.check_file)
        return _WORKER_ENGINE.check_file(path)
    except Exception as exc:  # a bug on one file: reported for that file, the worker goes on
        message = f"internal error while checking this file: {type(exc).__name__}: {exc}"
        return FileResult(path, findings=[_WORKER_ENGINE._engine_finding(INTERNAL_ERROR, message, Location(path))])


class _FewerCollections:
    """The cyclic garbage collector runs after every 700 allocations by default, and each pass
    of its oldest generation walks every live object: checking a large tree (ASTs and syntax
    trees built and dropped, results accumulating) spent a quarter of its time there. A batch
    check collects after 10,000 (worker processes forked meanwhile inherit it); the previous
    thresholds come back afterwards."""

    _YOUNG = 10_000

    def __enter__(self) -> None:
        import gc

        self._previous = gc.get_threshold()
        gc.set_threshold(max(self._previous[0], self._YOUNG), *self._previous[1:])

    def __exit__(self, *exc: object) -> None:
        import gc

        gc.set_threshold(*self._previous)


#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
#: Files the project phase checks again (:meth:`Engine.recheck_left_out`) go to worker processes
#: from this many on (each is a file a rule's text filter had left out: usually a large one).
_PARALLEL_RECHECK = 4


def check_paths(
    engine: Engine,
    paths: Sequence[str],
    *,
    jobs: int | None = None,
    plugin_spec: tuple[Sequence[str], Sequence[str]] = ((), ()),
    on_result: Callable[[FileResult], None] | None = None,
    check_one: Callable[[str], FileResult] | None = None,
    cache: Any = None,
) -> list[FileResult]:
    """Check ``paths`` (files), in parallel when there are enough of them.

    With a ``cache`` (:class:`kerascheck.static.cache.ResultCache`), unchanged files are
    answered from it without being parsed, and only the others are checked (and stored).
    """
    with _FewerCollections():
        if check_one is None:  # a batch run (not an editor's or the fixer's single-process one)
            engine.recheck_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        if cache is not None and check_one is None:
            done: dict[int, FileResult] = {}
            for index, path in enumerate(paths):
                hit = cache.lookup(path)
                if hit is not None:
                    done[index] = hit
                    if on_result:
                        on_result(hit)
            todo = [path for index, path in enumerate(paths) if index not in done]
            fresh = iter(_check_paths(engine, todo, jobs, plugin_spec, on_result, None, cache))
            return [done[index] if index in done else next(fresh) for index in range(len(paths))]
        return _check_paths(engine, paths, jobs, plugin_spec, on_result, check_one, None)


def _check_paths(
    engine: Engine,
    paths: Sequence[str],
    jobs: int | None,
    plugin_spec: tuple[Sequence[str], Sequence[str]],
    on_result: Callable[[FileResult], None] | None,
    check_one: Callable[[str], FileResult] | None,
    cache: Any,
) -> list[FileResult]:
    check = check_one or engine.check_file
    if cache is not None:
        from functools import partial

        check = partial(cache.check, check_file=engine.check_file)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    results: list[FileResult] = []
    if workers <= 1 or len(paths) < PARALLEL_THRESHOLD or check_one is not None:
        for path in paths:
            result = check(path)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    import multiprocessing

    from kerascheck.static import workers as worker_pool

    if sys.platform.startswith("linux"):
        # Forked workers inherit the loaded plugins and engine: no per-worker start-up.
        context = multiprocessing.get_context("fork")
        initargs: tuple[Any, ...] = (engine, None, cache)
    else:
        context = multiprocessing.get_context("spawn")
        initargs = (None, (*plugin_spec, engine.config), cache)
    # Largest files first, so no worker is left with a big file while the others are idle at
    # the end (results go back to the given order below).
    order = sorted(range(len(paths)), key=lambda i: -_size(paths[i]))
    ordered = [paths[i] for i in order]
    by_index: dict[int, FileResult] = {}
    for position, outcome in worker_pool.run(
        ordered, workers=workers, context=context, initializer=_init_worker, initargs=initargs, task=_worker_check
    ):
        if isinstance(outcome, worker_pool.Crash):
            outcome = engine.crashed(outcome.path, outcome.reason)
        by_index[order[position]] = outcome
        if on_result:
            on_result(outcome)
    return [by_index[i] for i in range(len(paths))]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0
