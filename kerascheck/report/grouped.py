"""Findings grouped by file: the path once, then ``line:col CODE [slug] message`` under it."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from kerascheck.findings import Finding
from kerascheck.report.base import BOLD, RunSummary, TerminalReporter


def _position(finding: Finding) -> str:
    loc = finding.location
    if loc.logical:
        return f"::{loc.logical}"
    cell = f"cell {loc.cell}:" if loc.cell is not None else ""
    return f"{cell}{loc.line}:{loc.column}"


class GroupedReporter(TerminalReporter):
    def write_findings(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        ordered = sorted(findings, key=Finding.sort_key)
        for path, group in groupby(ordered, key=lambda f: f.location.path):
            items = list(group)
            width = max(len(_position(f)) for f in items)
            self.stream.write(self.paint(f"{path}:", BOLD) + "\n")
            for finding in items:
                code = self.paint(finding.code, self.severity_style(finding))
                marker = self.fix_marker(finding, summary)
                self.stream.write(f"  {_position(finding):<{width}} {code} [{finding.name}] {finding.message}{marker}\n")
                self.write_traceback(finding, summary, indent="      ")
            self.stream.write("\n")
