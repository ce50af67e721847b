"""What every CLI command shares: exit codes, the session from arguments, emitting findings.

Public so that commands living beside their subsystem (``kerascheck.probes.command``) use the
same code as ``kerascheck.cli`` instead of reaching into its private names.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def plugin_lists(values: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split ``-p`` values into plugins to load and ``no:NAME`` plugins to block."""
    load, blocked = [], []
    for value in values:
        if value.startswith("no:"):
            blocked.append(value[3:])
        else:
            load.append(value)
    return load, blocked


def open_session_from_args(args: argparse.Namespace, start: Path, overrides: dict[str, Any] | None = None) -> Any:
    """The :class:`kerascheck.python_api.Session` for parsed arguments (config, plugins, selection)."""
    from kerascheck.config import split_selectors
    from kerascheck.python_api import open_session

    load, blocked = plugin_lists(getattr(args, "plugins", []) or [])
    overrides = dict(overrides or {})
    if getattr(args, "select", None):
        overrides["select"] = split_selectors(args.select)
    if getattr(args, "target_keras", None):
        overrides["target_keras"] = args.target_keras  # validated by open_session, like the config key
    session = open_session(
        config_path=getattr(args, "config", None),
        start=start,
        plugins=load,
        blocked=blocked,
        overrides=overrides,
        extend_select=getattr(args, "extend_select", None) or (),
        extend_ignore=getattr(args, "ignore", None) or (),
        allow_config_plugins=getattr(args, "allow_config_plugins", False),
        plugin_search=os.getcwd(),
    )
    for name in session.registry.unknown_blocked:
        loaded = ", ".join(sorted({p.distribution for p in session.registry.plugins}))
        warn(f"'-p no:{name}' matches no plugin (loaded: {loaded}; 'kerascheck plugins' lists their names)")
    if getattr(args, "verbose", False):
        sys.stderr.write(f"kerascheck: configuration: {session.config.path or 'none found, defaults'}\n")
    return session


def warn(message: str) -> None:
    """A warning on stderr (the run goes on)."""
    sys.stderr.write(f"kerascheck: warning: {message}\n")


def use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def emit_findings(args: argparse.Namespace, session: Any, findings: list[Any], summary: Any) -> int:
    """Report ``findings`` with the chosen reporter and return the exit code."""
    from dataclasses import replace

    from kerascheck.checkdoc import with_docs_urls
    from kerascheck.report.base import DEFAULT_FORMAT, is_for_people

    fmt = args.output_format or DEFAULT_FORMAT
    reporters = session.registry.reporters
    if fmt not in reporters:
        sys.stderr.write(f"kerascheck: error: unknown output format {fmt!r} (available: {', '.join(sorted(reporters))})\n")
        return EXIT_ERROR
    stream: TextIO
    if args.output_file:
        try:
            stream = open(args.output_file, "w", encoding="utf-8")  # closed below
        except OSError as exc:
            sys.stderr.write(f"kerascheck: error: cannot write {args.output_file}: {exc.strerror or exc}\n")
            return EXIT_ERROR
    else:
        stream = sys.stdout
    findings = with_docs_urls(findings, session.registry.checks, session.config.docs_base_url)
    summary = replace(summary, docs_base_url=session.config.docs_base_url)
    try:
        color = is_for_people(reporters, fmt) and not args.output_file and use_color(args, stream)
        reporter = reporters[fmt](stream, checks=session.registry.checks, color=color)
        reporter.report(findings, summary)
    finally:
        if stream is not sys.stdout:
            stream.close()
    if any(f.code == "KC000" for f in findings):
        return EXIT_ERROR if not args.exit_zero else EXIT_CLEAN
    return EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN
