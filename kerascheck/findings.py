"""The data every rule, probe, reporter, fixer and editor integration shares.

Everything here is a frozen dataclass so findings can cross process boundaries (pickled from
worker processes and probe subprocesses), be cached, and be compared in tests.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, field
from typing import Any

from kerascheck.records import record


class Severity(str, enum.Enum):
    """How serious a finding is; the order is error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Applicability(str, enum.Enum):
    """Whether a fix preserves behaviour (safe) or may change it (unsafe)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@record(order=True)
class Location:
    """Where a finding is.

    ``line`` is 1-based and ``column`` is 1-based (as editors and ``path:line:col`` show them).
    ``cell`` is the 1-based notebook cell for ``.ipynb`` files; ``logical`` names a thing that has
    no source line, such as a layer path inside a saved model (``model.keras::lstm_1``).
    """

    path: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    cell: int | None = None
    logical: str | None = None

    def display(self) -> str:
        """The ``path:line:col`` (or ``path::layer``) form used by text reporters."""
        if self.logical:
            return f"{self.path}::{self.logical}"
        cell = f":cell {self.cell}" if self.cell is not None else ""
        return f"{self.path}{cell}:{self.line}:{self.column}"

    def cite(self, seen_from: str | None = None) -> str:
        """How a message names this place: ``line 4``, ``cell 3, line 4`` in a notebook, with
        the file first (``lib/loop.py, line 12``) unless it is ``seen_from``."""
        where = f"cell {self.cell}, line {self.line}" if self.cell is not None else f"line {self.line}"
        return where if seen_from == self.path else f"{self.path}, {where}"


@record(order=True)
class Edit:
    """Replace the text between two positions (1-based lines, 1-based columns, end exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    cell: int | None = None  # notebooks: positions are relative to this code cell


@record
class Fix:
    """A set of edits that together repair one finding."""

    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    message: str = ""

    @property
    def is_safe(self) -> bool:
        return self.applicability is Applicability.SAFE


@record
class ProbeVerdict:
    """What running the model said about a static finding (``kerascheck.agreement``).

    ``verdict`` is ``"confirmed"`` (a probe measured the same cause at the same place) or
    ``"contradicted"`` (the probe ran on the model that holds the cause and measured nothing);
    ``probe`` is the probe's code, ``detail`` what it measured, ``target`` the probed factory.
    """

    verdict: str
    probe: str
    detail: str
    target: str = ""

    @property
    def confirmed(self) -> bool:
        return self.verdict == "confirmed"

    def describe(self) -> str:
        """One sentence for reporters: ``confirmed by running the model (KP101: ...)``."""
        where = f" {self.target}" if self.target else ""
        if self.confirmed:
            return f"confirmed by running the model{where} ({self.probe}: {self.detail})"
        return f"contradicted by probing{where}: {self.probe} {self.detail}"


@record
class Finding:
    """One problem found by a static rule or a dynamic probe."""

    code: str
    name: str
    message: str
    severity: Severity
    location: Location
    fix: Fix | None = None
    docs_url: str | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    #: Set when a probe run confirmed or contradicted this static finding (``kerascheck.agreement``).
    probe_verdict: ProbeVerdict | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (loc.path, loc.cell or 0, loc.line, loc.column, loc.logical or "", self.code)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the shape of the JSON reporter)."""
        loc = self.location
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "severity": self.severity.value,
            "filename": loc.path,
            "location": {"row": loc.line, "column": loc.column},
            "end_location": {
                "row": loc.end_line if loc.end_line is not None else loc.line,
                "column": loc.end_column if loc.end_column is not None else loc.column,
            },
            "cell": loc.cell,
            "logical_location": loc.logical,
            "fix": None
            if self.fix is None
            else {
                "applicability": self.fix.applicability.value,
                "message": self.fix.message,
                "edits": [asdict(edit) for edit in self.fix.edits],
            },
            "url": self.docs_url,
            **({} if self.probe_verdict is None else {"probe_verdict": asdict(self.probe_verdict)}),
        }


def findings_by_path(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """``findings`` grouped by ``Location.path``, paths in the order they first appear."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.location.path, []).append(finding)
    return groups


#: Where the documentation site (built by ``mkdocs build``) is published; the ``docs-base-url``
#: configuration key replaces it, e.g. for a company-internal copy of the site.
DEFAULT_DOCS_BASE_URL = "https://kerascheck.readthedocs.io/en/latest/"


def docs_url_for(code: str, base: str | None = None) -> str:
    """Where the documentation page of a rule or probe is on the site at ``base``."""
    return f"{(base or DEFAULT_DOCS_BASE_URL).rstrip('/')}/rules/{code}/"
