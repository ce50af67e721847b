"""What every output format receives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from kerascheck.checkdoc import Documented
from kerascheck.findings import Finding


@dataclass(frozen=True)
class RunSummary:
    """Facts about the run reporters may show besides the findings."""

    files: int = 0
    fixed: int = 0
    statistics: bool = False
    show_fixes: bool = False
    tool_version: str = ""
    kind: str = "check"  # "check" | "probe"


class Reporter:
    """Base class of output formats: subclass and implement :meth:`report`."""

    def __init__(self, stream: TextIO, *, checks: Mapping[str, type[Documented]], color: bool = False) -> None:
        self.stream = stream
        self.checks = checks
        self.color = color

    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        raise NotImplementedError


def statistics(findings: Sequence[Finding]) -> list[tuple[str, str, int, int]]:
    """``(code, name, count, fixable)`` per code, most frequent first."""
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.fix is not None)
    names = {f.code: f.name for f in findings}
    return [(code, names[code], n, fixable[code]) for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
