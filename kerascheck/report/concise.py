"""Concise text, one line per finding: ``path:line:col: KC101 [slug] message [*]``."""

from __future__ import annotations

from collections.abc import Sequence

from kerascheck.findings import Finding
from kerascheck.report.base import BOLD, RunSummary, TerminalReporter


class ConciseReporter(TerminalReporter):
    def write_findings(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        for finding in findings:
            where = self.paint(finding.location.display(), BOLD)
            code = self.paint(finding.code, self.severity_style(finding))
            marks = self.fix_marker(finding, summary) + self.verdict_marker(finding)
            self.stream.write(f"{where}: {code} [{finding.name}] {finding.message}{marks}\n")
            if summary.show_fixes and finding.fix is not None:
                kind = finding.fix.applicability.value
                self.stream.write(f"    fix ({kind}): {finding.fix.message or 'available'}\n")
            self.write_verdict(finding, summary)
            self.write_traceback(finding, summary)
