"""Applying text edits to a string: non-overlapping edits of fixes, first come first served."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kerascheck.findings import Edit, Finding, Fix
from kerascheck.records import record


@record
class FixResult:
    source: str
    applied: tuple[Finding, ...]
    skipped: tuple[Finding, ...]  # overlapping another fix; applied on a later pass


def _offsets(source: str) -> list[int]:
    """Offset of the start of each line (index 0 is line 1).

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``, as for Python and libcst's positions.
    """
    starts = [0]
    for index, char in enumerate(source):
        if char == "\n" or (char == "\r" and source[index + 1 : index + 2] != "\n"):
            starts.append(index + 1)
    return starts


def _span(edit: Edit, starts: Sequence[int], length: int) -> tuple[int, int]:
    def offset(line: int, column: int) -> int:
        if line - 1 >= len(starts):
            return length
        return min(starts[line - 1] + column - 1, length)

    return offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)


def selectable(findings: Iterable[Finding], *, unsafe: bool) -> list[Finding]:
    """Findings whose fix may be applied under the chosen safety."""
    return [f for f in findings if f.fix is not None and (unsafe or f.fix.is_safe)]


def apply_fixes(source: str, findings: Sequence[Finding], *, unsafe: bool = False) -> FixResult:
    """Apply the fixes of ``findings`` that do not overlap (first come, first served).

    Edits of one fix are applied together or not at all. The caller re-checks the result to
    pick up fixes skipped for overlap, and refuses results that do not parse.
    """
    starts = _offsets(source)
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[int, int, str]] = []
    applied: list[Finding] = []
    skipped: list[Finding] = []
    for finding in sorted(selectable(findings, unsafe=unsafe), key=Finding.sort_key):
        fix: Fix = finding.fix  # type: ignore[assignment]
        spans = [(*_span(e, starts, len(source)), e.content) for e in fix.edits]
        if any(_overlaps(a, b, x, y) for a, b, _ in spans for x, y in taken) or any(
            a > b for a, b, _ in spans
        ):
            skipped.append(finding)
            continue
        taken.extend((a, b) for a, b, _ in spans)
        chosen.extend(spans)
        applied.append(finding)
    result = source
    for start, end, text in sorted(chosen, key=lambda s: (s[0], s[1]), reverse=True):
        result = result[:start] + text + result[end:]
    return FixResult(result, tuple(applied), tuple(skipped))


def _overlaps(a: int, b: int, x: int, y: int) -> bool:
    # Touching spans are fine unless both are insertions at the same point.
    return (a < y and x < b) or (a == b == x == y)
