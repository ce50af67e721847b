"""Concise text: ``path:line:col: KC101 [slug] message``, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from kerascheck.findings import Finding, Severity
from kerascheck.report.base import Reporter, RunSummary, statistics

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


class TextReporter(Reporter):
    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        write = self.stream.write
        if summary.statistics:
            for code, name, count, fixable in statistics(findings):
                marker = " [*]" if fixable else ""
                write(f"{count:>6}\t{code}\t{name}{marker}\n")
        else:
            for finding in findings:
                where = self._paint(finding.location.display(), _BOLD)
                code = self._paint(finding.code, _COLORS[finding.severity])
                fixable = " [*]" if finding.fix is not None and finding.fix.is_safe else ""
                write(f"{where}: {code} [{finding.name}] {finding.message}{fixable}\n")
                if summary.show_fixes and finding.fix is not None:
                    kind = finding.fix.applicability.value
                    write(f"    fix ({kind}): {finding.fix.message or 'available'}\n")
        write(self._summary_line(findings, summary) + "\n")

    def _summary_line(self, findings: Sequence[Finding], summary: RunSummary) -> str:
        noun = "model" if summary.kind == "probe" else "file"
        files = f"{summary.files} {noun}{'s' if summary.files != 1 else ''}"
        fixed = f", {summary.fixed} fixed" if summary.fixed else ""
        if not findings:
            return self._paint(f"All checks passed ({files} checked{fixed}).", _DIM)
        safe = sum(1 for f in findings if f.fix is not None and f.fix.is_safe)
        unsafe = sum(1 for f in findings if f.fix is not None and not f.fix.is_safe)
        hint = ""
        if safe:
            hint += f" {safe} fixable with --fix."
        if unsafe:
            hint += f" {unsafe} more with --unsafe-fixes."
        count = len(findings)
        return f"Found {count} problem{'s' if count != 1 else ''} in {files}{fixed}.{hint}"
