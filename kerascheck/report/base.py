"""What every output format receives, and the text every terminal format shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import TextIO

from kerascheck.checkdoc import Documented
from kerascheck.findings import Finding, Severity
from kerascheck.records import record


@record
class RunSummary:
    """Facts about the run reporters may show besides the findings."""

    files: int = 0
    fixed: int = 0
    statistics: bool = False
    show_fixes: bool = False
    tool_version: str = ""
    kind: str = "check"  # "check" | "probe"
    #: ``--unsafe-fixes`` was given: unsafe fixes count as available, never as "hidden".
    unsafe_fixes: bool = False
    #: Source text that is not on disk (stdin), by the path findings report.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: ``-v``: show details such as a crashed plugin's traceback.
    verbose: bool = False
    #: The configured documentation site (``docs-base-url``); None: the default.
    docs_base_url: str | None = None
    #: Models were probed too (``check --probe``): ``--statistics`` says how the halves agreed.
    probed: bool = False


#: The output format when neither ``--output-format`` nor the config names one.
DEFAULT_FORMAT = "text"


class Reporter:
    """Base class of output formats: subclass and implement :meth:`report`."""

    def __init__(self, stream: TextIO, *, checks: Mapping[str, type[Documented]], color: bool = False) -> None:
        self.stream = stream
        self.checks = checks
        self.color = color

    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        raise NotImplementedError


def is_for_people(reporters: Mapping[str, type[Reporter]], output_format: str | None) -> bool:
    """Whether ``output_format`` (None: the default) is a human-readable format (a
    :class:`TerminalReporter`, a plugin's too): it colours on a terminal, and ``--show-fixes``
    text goes to stdout with it instead of to stderr, where it cannot break machine-read output."""
    reporter = reporters.get(output_format or DEFAULT_FORMAT)
    return reporter is not None and issubclass(reporter, TerminalReporter)


def traceback_of(finding: Finding) -> str | None:
    """The plugin traceback an internal-error finding carries, if any."""
    value = dict(finding.extra).get("traceback")
    return value if isinstance(value, str) else None


@record
class CodeStatistics:
    """One row of ``--statistics``."""

    code: str
    name: str
    count: int
    safe_fixes: int
    unsafe_fixes: int


def agreement_counts(findings: Sequence[Finding]) -> tuple[int, int]:
    """(confirmed, contradicted) static findings, from their ``probe_verdict``."""
    verdicts = [f.probe_verdict for f in findings if f.probe_verdict is not None]
    confirmed = sum(1 for v in verdicts if v.confirmed)
    return confirmed, len(verdicts) - confirmed


def statistics(findings: Sequence[Finding]) -> list[CodeStatistics]:
    """Counts per code, most frequent first, with how many have a safe or an unsafe fix."""
    counts = Counter(f.code for f in findings)
    safe = Counter(f.code for f in findings if f.fix is not None and f.fix.is_safe)
    unsafe = Counter(f.code for f in findings if f.fix is not None and not f.fix.is_safe)
    names = {f.code: f.name for f in findings}
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [CodeStatistics(code, names[code], n, safe[code], unsafe[code]) for code, n in ordered]


_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
BOLD, DIM, CYAN, RED, GREEN, RESET = "\033[1m", "\033[2m", "\033[36m", "\033[31m", "\033[32m", "\033[0m"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class TerminalReporter(Reporter):
    """Shared by the human-readable formats: colour, ``--statistics`` and the summary line."""

    def paint(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self.color else text

    def severity_style(self, finding: Finding) -> str:
        return _COLORS[finding.severity]

    @staticmethod
    def fix_marker(finding: Finding, summary: RunSummary) -> str:
        """`` [*]`` when ``--fix`` (with the run's ``--unsafe-fixes`` choice) would apply the fix."""
        if finding.fix is not None and (finding.fix.is_safe or summary.unsafe_fixes):
            return " [*]"
        return ""

    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        if summary.statistics:
            self.write_statistics(findings)
            confirmed, contradicted = agreement_counts(findings)
            if summary.probed or confirmed or contradicted:
                self.stream.write(f"{_plural(confirmed, 'static finding')} confirmed, {contradicted} contradicted by probing\n")
        else:
            self.write_findings(findings, summary)
        self.stream.write(self.summary_line(findings, summary) + "\n")

    def write_findings(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        raise NotImplementedError

    @staticmethod
    def verdict_marker(finding: Finding) -> str:
        """`` (confirmed by running the model: KP101)`` on a static finding a probe confirmed."""
        verdict = finding.probe_verdict
        return f" (confirmed by running the model: {verdict.probe})" if verdict is not None and verdict.confirmed else ""

    def write_verdict(self, finding: Finding, summary: RunSummary, indent: str = "    ") -> None:
        """With ``-v``, what the probe measured, or that it contradicts the finding."""
        verdict = finding.probe_verdict
        if summary.verbose and verdict is not None:
            self.stream.write(f"{indent}{verdict.describe()}\n")

    def write_traceback(self, finding: Finding, summary: RunSummary, indent: str = "    ") -> None:
        """With ``-v``, the traceback a crashed plugin left on its ``KC000`` finding."""
        text = traceback_of(finding)
        if summary.verbose and text:
            self.stream.write("".join(f"{indent}{line}\n" for line in text.rstrip().splitlines()))

    def write_statistics(self, findings: Sequence[Finding]) -> None:
        """``count  code  name  [*] N safe fixes, [-] M unsafe fixes`` per code."""
        for row in statistics(findings):
            fixes = []
            if row.safe_fixes:
                fixes.append(f"[*] {row.safe_fixes} safe fix{'es' if row.safe_fixes != 1 else ''}")
            if row.unsafe_fixes:
                fixes.append(f"[-] {row.unsafe_fixes} unsafe fix{'es' if row.unsafe_fixes != 1 else ''}")
            tail = f"\t{', '.join(fixes)}" if fixes else ""
            self.stream.write(f"{row.count:>6}\t{row.code}\t{row.name}{tail}\n")

    def summary_line(self, findings: Sequence[Finding], summary: RunSummary) -> str:
        noun = "model" if summary.kind == "probe" else "file"
        checked = _plural(summary.files, noun)
        fixed = f", {summary.fixed} fixed" if summary.fixed else ""
        if not findings:
            return self.paint(f"All checks passed ({checked} checked{fixed}).", DIM)
        safe = sum(1 for f in findings if f.fix is not None and f.fix.is_safe)
        unsafe = sum(1 for f in findings if f.fix is not None and not f.fix.is_safe)
        if summary.unsafe_fixes:  # already requested: every fix is available, none is "more"
            hint = f" {safe + unsafe} fixable with --fix." if safe + unsafe else ""
        else:
            hint = f" {safe} fixable with --fix." if safe else ""
            if unsafe:
                hint += f" {unsafe} more with --unsafe-fixes."
        return f"Found {_plural(len(findings), 'problem')} in {checked}{fixed}.{hint}"
