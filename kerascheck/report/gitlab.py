"""GitLab Code Quality report (a JSON array; ``artifacts: reports: codequality``).

Each issue has ``description``, ``check_name``, ``fingerprint`` (stable across unrelated edits,
so GitLab can tell new findings from old ones in merge requests), ``severity`` and
``location.path``/``location.lines.begin``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerascheck.findings import Finding, Severity
from kerascheck.report.base import Reporter, RunSummary
from kerascheck.report.source import stable_fingerprints

#: GitLab's scale is info, minor, major, critical, blocker.
_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _relative(path: str) -> str:
    """GitLab matches paths relative to the repository root (the job's working directory)."""
    p = Path(path)
    if p.is_absolute():
        try:
            return p.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix().removeprefix("./")


class GitlabReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        ids = stable_fingerprints(findings, summary.sources)
        issues = [self._issue(f, ids[id(f)]) for f in findings]
        json.dump(issues, self.stream, indent=2)
        self.stream.write("\n")

    @staticmethod
    def _issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
        loc = finding.location
        lines = {"begin": max(loc.line, 1)}
        if loc.end_line is not None and loc.end_line > loc.line:
            lines["end"] = loc.end_line
        where = f" (cell {loc.cell})" if loc.cell is not None else f" ({loc.logical})" if loc.logical else ""
        return {
            "type": "issue",
            "description": f"{finding.code} [{finding.name}] {finding.message}{where}",
            "check_name": finding.code,
            "fingerprint": fingerprint,
            "severity": _SEVERITY[finding.severity],
            "categories": ["Bug Risk"],
            "location": {"path": _relative(loc.path), "lines": lines},
        }
