"""JSON: a list of finding objects (``code``, ``name``, ``message``, ``location``, ``fix``, ``url``...)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from kerascheck.findings import Finding
from kerascheck.report.base import Reporter, RunSummary


class JsonReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        json.dump([f.to_dict() for f in findings], self.stream, indent=2)
        self.stream.write("\n")
