"""Command line: a thin layer that parses arguments, builds the session, runs, reports, exits.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration, plugin or internal error.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from kerascheck.cli_common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS  # noqa: F401 - re-exported
from kerascheck.cli_common import emit_findings as _emit
from kerascheck.cli_common import open_session_from_args as _open_session
from kerascheck.cli_common import warn as _warn

_EPILOG = """\
examples:
  kerascheck check .                        check a project (recurses, honours .gitignore)
  kerascheck check train.py --select KC3    only the seeding rules
  kerascheck check - --stdin-filename x.py  read source from stdin
  kerascheck rule KC601                     explain a rule
  kerascheck probe model.keras              load a saved model in a subprocess and probe it

configuration: [tool.kerascheck] in pyproject.toml, or kerascheck.toml (see README).
exit codes: 0 clean, 1 findings, 2 usage/config/internal error.
"""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *, formatter_class: Any = argparse.HelpFormatter, **kwargs: Any) -> None:
        # argparse builds a help formatter for every add_argument (to check metavars), and the
        # formatter's default width comes from shutil, which imports zlib, bz2 and lzma: the
        # width given here is the same number, found without them.
        super().__init__(formatter_class=functools.partial(formatter_class, width=_terminal_columns() - 2), **kwargs)

    def error(self, message: str) -> NoReturn:  # exit 2 with usage, like argparse, but no traceback ever
        self.print_usage(sys.stderr)
        sys.stderr.write(f"kerascheck: error: {message}\n")
        raise SystemExit(EXIT_ERROR)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``COLUMNS``, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _add_plugin_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p", "--plugin", dest="plugins", action="append", default=[], metavar="MODULE",
        help="load a plugin module (repeatable); '-p no:NAME' disables an installed plugin",
    )
    parser.add_argument("--config", metavar="FILE", help="use this pyproject.toml/kerascheck.toml instead of discovering one")
    parser.add_argument(
        "--allow-config-plugins", action="store_true",
        help="import the plugin modules the configuration's 'plugins' names (code from the project: "
        "only for a project you trust; without this flag a configuration file never runs code)",
    )


def _add_selection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--select", action="append", metavar="CODES", help="only these codes/prefixes/slugs (comma-separated; replaces the config's select)"
    )
    parser.add_argument("--extend-select", action="append", metavar="CODES", help="enable these in addition")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="disable these codes/prefixes/slugs")
    parser.add_argument("--target-keras", metavar="VERSION", help='Keras version the code targets ("3", "2.15"); default from config, else 3')


def _add_output_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-format",
        default=None,
        metavar="FORMAT",
        help="concise (default; alias text), full (source line, caret, fix diff), grouped, json, sarif, github, gitlab, junit, or a plugin's format",
    )
    parser.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--statistics", action="store_true", help="show counts per rule instead of each finding")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output (auto: only on a terminal)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output on stderr")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detail on stderr (timings)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``command`` (the one :func:`main` is about to run), only
    that command's options are defined: the other commands are listed (``--help`` shows them) but
    not built, so ``check`` never imports the probe side to define ``probe``'s options."""
    from kerascheck import __version__

    parser = _Parser(
        prog="kerascheck",
        description="Find the bugs that make Keras models behave differently from what you believe.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="show the version and the loaded plugins")
    # ``prog`` given (what argparse would compute): otherwise it builds a help formatter just to
    # find it, which imports shutil (and zlib, bz2, lzma) on every run.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog=parser.prog)
    build_all = command not in _SUBCOMMANDS
    for name, (options, define) in _SUBCOMMANDS.items():
        subparser = sub.add_parser(name, **options)
        if build_all or name == command:
            define(subparser)
    parser.set_defaults(version_string=__version__)
    return parser


def _define_check(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .); '-' reads stdin")
    _add_selection_args(check)
    _add_output_args(check)
    _add_plugin_args(check)
    check.add_argument("--stdin-filename", metavar="NAME", help="the file name to report (and configure) stdin input as")
    check.add_argument("-j", "--jobs", type=int, metavar="N", help="worker processes (default: all cores; small runs stay in-process)")
    check.add_argument("--exclude", action="append", metavar="GLOB", help="exclude these paths (replaces the config's exclude)")
    check.add_argument("--extend-exclude", action="append", metavar="GLOB", help="exclude these paths in addition")
    check.add_argument("--no-respect-gitignore", action="store_true", help="also check files .gitignore excludes")
    check.add_argument("--show-fixes", action="store_true", help="describe the available fix under each finding")
    check.add_argument(
        "--show-programs", action="store_true", help="print how the files group into programs (entry points and what they import), then exit"
    )
    _add_fix_args(check)
    _add_check_probe_args(check)


def _define_probe(probe: argparse.ArgumentParser) -> None:
    _add_probe_args(probe)
    _add_selection_args(probe)
    _add_output_args(probe)
    _add_plugin_args(probe)


def _define_rule(rule: argparse.ArgumentParser) -> None:
    rule.add_argument("code", metavar="CODE", help="a code (KC101) or slug (removed-predict-classes)")
    _add_plugin_args(rule)


def _define_rules(rules: argparse.ArgumentParser) -> None:
    rules.add_argument("--format", choices=("text", "json"), default="text")
    _add_plugin_args(rules)


def _define_clean(clean: argparse.ArgumentParser) -> None:
    clean.add_argument("paths", nargs="*", metavar="PATH", help="project directories (default: .)")


#: Each command: the keywords of its sub-parser, and the function that defines its options.
_SUBCOMMANDS: dict[str, tuple[dict[str, Any], Callable[[argparse.ArgumentParser], None]]] = {
    "check": (
        {
            "help": "statically check Python files, directories and notebooks",
            "formatter_class": argparse.RawDescriptionHelpFormatter,
            "epilog": _EPILOG,
        },
        _define_check,
    ),
    "probe": ({"help": "load saved models in a subprocess and probe how they behave"}, _define_probe),
    "rule": ({"help": "show a rule's or probe's documentation"}, _define_rule),
    "rules": ({"help": "list every rule and probe"}, _define_rules),
    "plugins": ({"help": "list loaded plugins with versions and rule prefixes"}, _add_plugin_args),
    "lsp": ({"help": "run the language server on stdio (needs the 'lsp' extra)"}, _add_plugin_args),
    "clean": (
        {
            "help": "remove the result cache (only what kerascheck created; never follows links)",
            "description": "Remove the result cache of each project: the entries kerascheck stored in its "
            "own cache directory (one with a valid KERASCHECK-CACHE marker), then the directory if nothing "
            "else is left. Directories kerascheck did not create are never touched.",
        },
        _define_clean,
    ),
}


def _command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (its first word that is not an option), if any: the top-level
    parser has no option that takes a value, so that word is the command."""
    return next((word for word in argv if not word.startswith("-")), None)


def _add_fix_args(parser: argparse.ArgumentParser) -> None:
    """Options of the fixer, cache and adoption aids (see kerascheck.static.fixer)."""
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    parser.add_argument(
        "--fix", action="store_true",
        help="apply the safe fixes; a file is rewritten only if the result parses and the file did not "
        "change meanwhile, keeping owner and mode (read-only, hard-linked files and links out of the "
        "project are left unchanged, see docs/fixing.md); stdin: print the fixed source",
    )
    parser.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, also apply the fixes marked unsafe")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff instead of writing them (exit 1 if there are any)")
    parser.add_argument("--add-noqa", action="store_true", help="add '# noqa: CODE' comments that suppress every current finding")
    parser.add_argument("--baseline", metavar="FILE", help="report only findings that are not recorded in this baseline file")
    parser.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE (JSON) and exit 0")


def _add_check_probe_args(parser: argparse.ArgumentParser) -> None:
    """``check --probe`` and its options (defined beside it, in kerascheck.probes.check_probe)."""
    from kerascheck.probes.check_probe import add_arguments

    add_arguments(parser)


def _add_probe_args(parser: argparse.ArgumentParser) -> None:
    """Options of ``kerascheck probe`` (defined beside the command, in kerascheck.probes.command)."""
    from kerascheck.probes.command import add_arguments

    add_arguments(parser)


# -- garbage collection during start-up --------------------------------------------------------
#
# Start-up (libcst, the rule modules, the plugins) creates some hundred thousand objects that live
# as long as the process, and none of them is garbage. The collector would scan them again and
# again while they are created, and all of them once more at exit: about a tenth of a one-file
# run. So a ``check`` that owns its process pauses the collector until its session is open, then
# freezes what start-up built (``gc.freeze``: never scanned again, also not by forked workers,
# which then share those pages) and collects normally from there on. A caller that passes
# ``argv`` to :func:`main` (tests, embedding) keeps its own collector as it is.

_collection_paused = False


def _pause_collection() -> None:
    import gc

    global _collection_paused
    if gc.isenabled():
        gc.disable()
        _collection_paused = True


def _end_of_startup() -> None:
    """Freeze what start-up built and collect again (only if :func:`_pause_collection` paused)."""
    import gc

    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.enable()


# -- commands ---------------------------------------------------------------------------------


def _cmd_check_recorded(args: argparse.Namespace) -> int:
    """``check``, replayed from the run cache when nothing it depends on changed (before any
    plugin, rule module or libcst is imported), else run and recorded for the next time."""
    from kerascheck.static.cache_run import RunCache

    run_cache = RunCache.for_args(args, _check_start(args), _check_overrides(args))
    if run_cache is None:
        return _cmd_check(args)
    replayed = run_cache.replay(sys.stdout, sys.stderr)
    if replayed is not None:
        return replayed
    run_cache.start_recording()
    try:
        code = _cmd_check(args, observe=run_cache.observe)
    finally:
        run_cache.stop_recording()
    run_cache.save(code)
    return code


def _check_start(args: argparse.Namespace) -> Path:
    """Where ``check`` looks for its configuration."""
    paths = args.paths or ["."]
    stdin = paths == ["-"]
    start = Path(args.stdin_filename).parent if stdin and args.stdin_filename else Path(paths[0] if not stdin else ".")
    return start if start.exists() else Path(".")


def _check_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration values ``check``'s options replace."""
    overrides: dict[str, Any] = {}
    if args.exclude:
        overrides["exclude"] = tuple(args.exclude)
    if args.extend_exclude:
        overrides["extend_exclude"] = tuple(args.extend_exclude)
    if args.no_respect_gitignore:
        overrides["respect_gitignore"] = False
    if getattr(args, "no_cache", False):
        overrides["cache"] = False
    return overrides


def _cmd_check(args: argparse.Namespace, observe: Any = None) -> int:
    import time

    from kerascheck import __version__
    from kerascheck.python_api import run_check
    from kerascheck.report.base import RunSummary

    paths = args.paths or ["."]
    stdin = paths == ["-"]
    if "-" in paths and not stdin:
        raise _UsageError("'-' (stdin) cannot be combined with other paths")
    if args.probe:  # before the static run: a missing extra must not cost a whole check first
        _check_probe_usage(args, stdin)
    session = _open_session(args, _check_start(args), _check_overrides(args))
    _end_of_startup()
    for path in paths:
        if not stdin and not os.path.exists(path):
            raise _UsageError(f"{path}: no such file or directory")
    began = time.perf_counter()
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty() and not stdin)
    if stdin:
        source = sys.stdin.read()
        findings, results = run_check(session, [], source=source, filename=args.stdin_filename or "-", jobs=args.jobs)
    else:
        findings, results = run_check(session, paths, jobs=args.jobs, on_file=progress.tick)
    progress.done()
    if observe is not None:  # the run cache records this run (see _cmd_check_recorded)
        observe(results, findings)
    if args.verbose:
        for result in results:
            sys.stderr.write(f"kerascheck: checked {result.path}\n")
        sys.stderr.write(f"kerascheck: checked {len(results)} file{'s' if len(results) != 1 else ''} in {time.perf_counter() - began:.2f}s\n")
    if not results and not args.quiet:
        _warn(f"no Python files or notebooks found to check under {', '.join(paths)}")
    _suppression_warnings(results, session.registry)
    if args.show_programs:
        from kerascheck.static.programs import ProgramModel, describe

        model = ProgramModel.build({r.path: r.imports for r in results}, Path(session.config.root))
        sys.stdout.write("".join(line + "\n" for line in describe(model, relative_to=Path.cwd())))
        return 0
    if args.probe:  # the static findings merged with what probing the code's model factories found
        from kerascheck.probes.check_probe import probe_factories

        findings = probe_factories(args, session, findings, results)
    fixed = 0
    if args.fix or args.diff or args.add_noqa or args.baseline or args.write_baseline:
        from kerascheck.static.fixer import run_cli as fix_flow

        if args.add_noqa and (args.fix or args.diff):
            raise _UsageError("--add-noqa cannot be combined with --fix or --diff")
        outcome = fix_flow(args, session, findings, results, stdin_text=source if stdin else None, out=sys.stdout, err=sys.stderr)
        if outcome.exit_code is not None:
            return outcome.exit_code
        findings, fixed = outcome.findings, outcome.fixed
        if stdin and outcome.fixes:
            source = outcome.fixes[0].after.text
    summary = RunSummary(
        files=len(results),
        fixed=fixed,
        statistics=args.statistics,
        show_fixes=args.show_fixes,
        tool_version=__version__,
        unsafe_fixes=args.unsafe_fixes,
        verbose=args.verbose,
        sources={results[0].path: source} if stdin and results else {},
        probed=args.probe,
    )
    if stdin and args.fix:  # stdout carries the fixed source; the report goes to stderr
        import contextlib

        with contextlib.redirect_stdout(sys.stderr):
            return _emit(args, session, findings, summary)
    return _emit(args, session, findings, summary)


def _check_probe_usage(args: argparse.Namespace, stdin: bool) -> None:
    """``--probe`` needs TensorFlow (the 'probe' extra) and files it can import."""
    from kerascheck.probes.check_probe import missing_requirements

    problem = missing_requirements()
    if problem is not None:
        raise _UsageError(problem)
    if stdin:
        raise _UsageError("--probe imports the checked files, so it cannot check stdin ('-')")
    if args.fix or args.diff or args.add_noqa:
        raise _UsageError("--probe cannot be combined with --fix, --diff or --add-noqa: fix first, then probe")


def _suppression_warnings(results: Sequence[Any], registry: Any) -> None:
    """Warn about ``# noqa`` comments that cannot do what their author meant."""
    prefixes = registry.prefixes()
    for result in results:
        for item in result.suppressions.items:
            where = _suppression_place(result, item.line)
            if item.kind == "noqa" and item.without_colon:
                _warn(f"{where}: '# noqa' without a colon suppresses every finding on the line; write '# noqa: CODE'")
            for code in item.codes:
                if code.upper().startswith(prefixes) and not _names_a_check(code, registry):
                    _warn(f"{where}: '{code}' in a suppression comment names no known rule (see 'kerascheck rules')")


def _names_a_check(selector: str, registry: Any) -> bool:
    from kerascheck.config import selector_matches

    return any(selector_matches(selector, check) for check in registry.checks.values())


def _suppression_place(result: Any, line: int) -> str:
    """``path:line``, or ``path:cell N:line`` in a notebook (suppression lines are joined lines)."""
    joined = result.joined_lines
    if joined:
        cell = max((c for c, start in joined.items() if start <= line), default=min(joined))
        return f"{result.path}:cell {cell}:{line - joined[cell] + 1}"
    return f"{result.path}:{line}"


class _Progress:
    """A single self-overwriting line on a terminal for long runs; silent otherwise."""

    def __init__(self, enabled: bool, noun: str = "files") -> None:
        self.enabled, self.count, self.noun = enabled, 0, noun

    def tick(self, _result: Any = None) -> None:
        self.count += 1
        if self.enabled and self.count % 50 == 0:
            sys.stderr.write(f"\rkerascheck: {self.count} {self.noun} checked...")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.count >= 50:
            sys.stderr.write("\r\033[K")


def _cmd_rule(args: argparse.Namespace) -> int:
    session = _open_session(args, Path("."))
    check = session.registry.find(args.code)
    if check is None:
        sys.stderr.write(f"kerascheck: error: no rule or probe named {args.code!r} (see 'kerascheck rules')\n")
        return EXIT_ERROR
    kind = "probe" if check.code in session.registry.probes else "rule"
    state = "on by default" if check.default_enabled else "off by default (enable with select)"
    facts = f"Kind: {kind}; severity: {check.severity.value}; {state}; plugin: {check.plugin}."
    lines = [f"# {check.name} ({check.code})", "", f"{check.summary}.", "", facts]
    versions = getattr(check, "keras_versions", None)
    if versions:
        lines.append(f"Applies to Keras {versions}.")
    if check.options:
        lines.append("Options: " + ", ".join(f"{k} = {v!r}" for k, v in check.options.items()))
    lines.append(f"Documentation: {check.docs_url(session.config.docs_base_url)}")
    lines += ["", check.docs(), ""]
    sys.stdout.write("\n".join(lines))
    return EXIT_CLEAN


def _cmd_rules(args: argparse.Namespace) -> int:
    import json

    session = _open_session(args, Path("."))
    checks = sorted(session.registry.checks.values(), key=lambda c: c.code)
    if args.format == "json":
        data = [
            {
                "code": c.code,
                "name": c.name,
                "summary": c.summary,
                "kind": "probe" if c.code in session.registry.probes else "rule",
                "severity": c.severity.value,
                "default_enabled": c.default_enabled,
                "plugin": c.plugin,
                "options": {k: v for k, v in c.options.items()},
                "fixable": bool(c.sections().get("Fix safety")),
                "url": c.docs_url(session.config.docs_base_url),
            }
            for c in checks
        ]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_CLEAN
    for c in checks:
        off = "" if c.default_enabled else "  (off by default)"
        sys.stdout.write(f"{c.code}  {c.name:<36} {c.summary}{off}\n")
    return EXIT_CLEAN


def _cmd_plugins(args: argparse.Namespace) -> int:
    session = _open_session(args, Path("."))
    by_distribution: dict[tuple[str, str], list[str]] = {}
    for info in session.registry.plugins:
        by_distribution.setdefault((info.distribution, info.version), []).extend(info.prefixes)
    for (distribution, version), prefixes in sorted(by_distribution.items()):
        modules = [p.module for p in session.registry.plugins if p.distribution == distribution]
        shown = ", ".join(sorted(set(prefixes))) or "-"
        sys.stdout.write(f"{distribution} {version}  prefixes: {shown}  modules: {', '.join(modules)}\n")
    return EXIT_CLEAN


def _cmd_version(args: argparse.Namespace) -> int:
    from kerascheck import __version__

    sys.stdout.write(f"kerascheck {__version__}\n")
    try:
        from kerascheck.plugins import load_plugins

        registry = load_plugins()
    except Exception as exc:  # --version must still answer with a broken plugin installed
        sys.stdout.write(f"  (plugins not loaded: {exc})\n")
        return EXIT_CLEAN
    seen = set()
    for info in registry.plugins:
        if info.distribution != "kerascheck" and info.distribution not in seen:
            seen.add(info.distribution)
            sys.stdout.write(f"  plugin {info.distribution} {info.version} ({', '.join(info.prefixes) or 'no rules'})\n")
    return EXIT_CLEAN


class _UsageError(Exception):
    pass


COMMANDS = {
    "check": _cmd_check_recorded,
    "rule": _cmd_rule,
    "rules": _cmd_rules,
    "plugins": _cmd_plugins,
}


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command_of(words))
    args = parser.parse_args(words)
    if args.version:
        return _cmd_version(args)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    handler = COMMANDS.get(args.command)
    if handler is None:
        handler = _late_command(args.command)
    owns_process = argv is None and args.command == "check"  # this process's own command line
    if owns_process:
        _pause_collection()
    try:
        code = _run(handler, args)
    finally:
        _end_of_startup()  # a replayed run, or one that failed before its session was open
    if owns_process:
        _exit_now(code)
    return code


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """The command's exit code; mistakes and failures become a message on stderr, never a traceback."""
    from kerascheck.config import ConfigError
    from kerascheck.plugins import PluginError

    try:
        return handler(args)
    except ConfigError as exc:
        sys.stderr.write(f"kerascheck: configuration error: {exc}\n")
    except PluginError as exc:
        sys.stderr.write(f"kerascheck: plugin error: {exc}\n")
    except _UsageError as exc:
        sys.stderr.write(f"kerascheck: error: {exc}\n")
    except KeyboardInterrupt:
        sys.stderr.write("kerascheck: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # a bug in kerascheck: say so plainly, traceback only on request
        sys.stderr.write(f"kerascheck: internal error: {type(exc).__name__}: {exc}\n")
        if os.environ.get("KERASCHECK_DEBUG"):
            import traceback

            traceback.print_exc()
        else:
            sys.stderr.write("(set KERASCHECK_DEBUG=1 for the traceback, and please report it)\n")
    return EXIT_ERROR


def _exit_now(code: int) -> None:
    """End a ``check`` process as soon as its output is out, like mypy's fast exit: tearing the
    interpreter down (every module, class and libcst node freed one by one) costs a few percent
    of a one-file run and does nothing for the user. Not when anything could still need that
    teardown: a tracer or profiler (coverage, cProfile) that writes its data at exit, an
    ``atexit`` handler (a plugin's, or multiprocessing's once workers ran), a thread or child
    process still running, or output that cannot be flushed."""
    import atexit
    import threading

    if sys.gettrace() is not None or sys.getprofile() is not None or threading.active_count() > 1:
        return
    handlers = getattr(atexit, "_ncallbacks", None)  # CPython's count; elsewhere assume there are some
    if handlers is None or handlers():
        return
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.active_children():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # a closed pipe: the normal exit reports it as Python does
        return
    os._exit(code)


def _late_command(name: str) -> Any:
    """Commands implemented in their own modules (imported only when used)."""
    if name == "probe":
        from kerascheck.probes.command import run as probe_run

        return probe_run
    if name == "lsp":
        from kerascheck.lsp import run as lsp_run

        return lsp_run
    if name == "clean":
        from kerascheck.static.cache_dir import clean

        return clean
    raise _UsageError(f"unknown command {name!r}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
