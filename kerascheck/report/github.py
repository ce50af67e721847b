"""GitHub Actions workflow commands: inline annotations on pull requests."""

from __future__ import annotations

from collections.abc import Sequence

from kerascheck.findings import Finding, Severity
from kerascheck.report.base import Reporter, RunSummary

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        for f in findings:
            loc = f.location
            props = [f"file={_escape_property(loc.path)}", f"line={loc.line}", f"col={loc.column}"]
            if loc.end_line is not None:
                props.append(f"endLine={loc.end_line}")
            if loc.end_column is not None and loc.end_line == loc.line:
                props.append(f"endColumn={loc.end_column}")
            props.append(f"title={_escape_property(f'kerascheck ({f.code})')}")
            where = f"{loc.logical}: " if loc.logical else ""
            self.stream.write(f"::{_LEVEL[f.severity]} {','.join(props)}::{_escape_data(f'{f.code} [{f.name}] {where}{f.message}')}\n")
