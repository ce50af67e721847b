"""SARIF 2.1.0, as GitHub code scanning accepts it (rules with help text in ``tool.driver``).

Artifact URIs are percent-encoded relative references (``my%20dir/a%23b.py``), results carry
their ``fixes`` (``artifactChanges``/``replacements``) and a line-number-free
``partialFingerprints`` entry so code scanning tracks a finding across edits.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kerascheck.findings import Edit, Finding, Fix, Severity
from kerascheck.report.base import Reporter, RunSummary
from kerascheck.report.source import stable_fingerprints

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    """A valid URI reference: relative to the working directory when possible, percent-encoded
    (spaces, ``#``, ``%``, non-ASCII), ``file://`` for absolute paths elsewhere."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
    return quote(p.as_posix().removeprefix("./"), safe="/")


class SarifReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        codes = sorted({f.code for f in findings} | set(self.checks))
        index = {code: i for i, code in enumerate(codes)}
        rules = [self._rule(code, summary.docs_base_url) for code in codes]
        ids = stable_fingerprints(findings, summary.sources)
        results = [self._result(f, index[f.code], ids[id(f)]) for f in findings]
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

    def _rule(self, code: str, docs_base_url: str | None) -> dict[str, Any]:
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
            "helpUri": check.docs_url(docs_base_url),
            "defaultConfiguration": {"level": _LEVEL[check.severity]},
            "properties": {"tags": [check.plugin or "kerascheck"]},
        }

    def _result(self, finding: Finding, rule_index: int, fingerprint: str) -> dict[str, Any]:
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
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": rule_index,
            "level": _LEVEL[finding.severity],
            "message": {"text": f"{finding.message} [{finding.name}]"},
            "locations": [location],
            "partialFingerprints": {"kerascheckFingerprint/v1": fingerprint},
        }
        if finding.fix is not None:
            result["fixes"] = [_fix(finding.fix, loc.path)]
        if finding.probe_verdict is not None:  # check --probe: what running the model said
            verdict = finding.probe_verdict
            if verdict.confirmed:
                result["message"]["text"] = f"{finding.message} [{finding.name}] ({verdict.describe()})"
            result["properties"] = {"probeVerdict": dataclasses.asdict(verdict)}
        return result


def _fix(fix: Fix, path: str) -> dict[str, Any]:
    """A SARIF ``fix``: the edits as replacements in the finding's artifact."""
    return {
        "description": {"text": f"{fix.message or 'Apply the fix'} ({fix.applicability.value})"},
        "artifactChanges": [
            {"artifactLocation": {"uri": _uri(path)}, "replacements": [_replacement(edit) for edit in fix.edits]}
        ],
    }


def _replacement(edit: Edit) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": edit.line,
        "startColumn": edit.column,
        "endLine": edit.end_line,
        "endColumn": edit.end_column,
    }
    if edit.cell is not None:
        region["properties"] = {"cell": edit.cell}
    return {"deletedRegion": region, "insertedContent": {"text": edit.content}}
