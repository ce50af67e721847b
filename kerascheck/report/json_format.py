"""JSON: a list of finding objects (``code``, ``name``, ``message``, ``location``, ``fix``, ``url``...);
an internal error (``KC000``) also has the crashed plugin's ``traceback``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kerascheck.findings import Finding
from kerascheck.report.base import Reporter, RunSummary, traceback_of


def _as_json(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    text = traceback_of(finding)
    if text is not None:
        data["traceback"] = text
    return data


class JsonReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        json.dump([_as_json(f) for f in findings], self.stream, indent=2)
        self.stream.write("\n")
