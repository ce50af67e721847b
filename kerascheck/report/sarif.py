"""SARIF 2.1.0, as GitHub code scanning accepts it (rules with help text in ``tool.driver``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerascheck.findings import Finding, Severity
from kerascheck.report.base import Reporter, RunSummary

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return p.as_uri()
    return p.as_posix()


class SarifReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        codes = sorted({f.code for f in findings} | set(self.checks))
        index = {code: i for i, code in enumerate(codes)}
        rules = [self._rule(code) for code in codes]
        results = [self._result(f, index[f.code]) for f in findings]
        log = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "kerascheck",
                            "version": summary.tool_version,
                            "informationUri": "https://pypi.org/project/kerascheck/",
                            "rules": rules,
                        }
                    },
                    "results": results,
                }
            ],
        }
        json.dump(log, self.stream, indent=2)
        self.stream.write("\n")

    def _rule(self, code: str) -> dict[str, Any]:
        check = self.checks.get(code)
        if check is None:
            return {"id": code, "name": code.lower(), "shortDescription": {"text": code}}
        docs = check.docs()
        return {
            "id": code,
            "name": check.name,
            "shortDescription": {"text": check.summary},
            "fullDescription": {"text": check.sections().get("What it does", check.summary)},
            "help": {"text": docs, "markdown": docs},
            "helpUri": check.docs_url(),
            "defaultConfiguration": {"level": _LEVEL[check.severity]},
            "properties": {"tags": [check.plugin or "kerascheck"]},
        }

    def _result(self, finding: Finding, rule_index: int) -> dict[str, Any]:
        loc = finding.location
        region: dict[str, Any] = {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1)}
        if loc.end_line is not None:
            region["endLine"] = max(loc.end_line, region["startLine"])
        if loc.end_column is not None:
            region["endColumn"] = max(loc.end_column, 1)
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": _uri(loc.path)}, "region": region}
        }
        if loc.logical:
            location["logicalLocations"] = [{"fullyQualifiedName": f"{Path(loc.path).name}::{loc.logical}", "name": loc.logical, "kind": "member"}]
        if loc.cell is not None:
            location["physicalLocation"]["region"]["properties"] = {"cell": loc.cell}
        return {
            "ruleId": finding.code,
            "ruleIndex": rule_index,
            "level": _LEVEL[finding.severity],
            "message": {"text": f"{finding.message} [{finding.name}]"},
            "locations": [location],
        }
