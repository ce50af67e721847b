"""Suppression comments: ``# noqa: KC101``, ``# kerascheck: ignore[KC101]``, ``ignore-file[...]``.

A line comment applies to the whole logical line (statement) it stands on, so a suppression on
any line of a call spread over several lines covers findings anywhere in that call. Comments are
found with :mod:`tokenize` (never inside strings), and only for files that contain a marker.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import field

from kerascheck.findings import Finding
from kerascheck.records import record

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_\-]+(?:[\s,]+[A-Za-z0-9_\-]+)*))?", re.I)
_IGNORE = re.compile(r"#\s*kerascheck:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[^\]]*)\])?")
_SPLIT = re.compile(r"[\s,]+")
_CODES_WITHOUT_COLON = re.compile(r"\s+[A-Z]+[0-9]+\b")


@record
class Suppression:
    """One suppression comment. ``codes`` empty means "everything"."""

    line: int  # where the comment is
    column: int
    first_line: int  # the logical line it covers
    last_line: int
    codes: tuple[str, ...]
    kind: str  # "noqa" | "ignore" | "ignore-file"
    #: codes after "noqa" with no colon between: read (like flake8) as a blanket noqa.
    without_colon: bool = False


@record(frozen=False)
class SuppressionMap:
    """The suppressions of one file (picklable, so the project phase can apply them too)."""

    items: list[Suppression] = field(default_factory=list)

    def covering(self, line: int) -> Iterable[Suppression]:
        for item in self.items:
            if item.kind == "ignore-file" or item.first_line <= line <= item.last_line:
                yield item


def scan(source: str) -> SuppressionMap:
    """Find the suppression comments of ``source``."""
    if "noqa" not in source.lower() and "kerascheck:" not in source:
        return SuppressionMap()
    result = SuppressionMap()
    logical_start: int | None = None  # first line of the statement being read
    pending: list[tuple[int, int, str]] = []
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                pending.append((tok.start[0], tok.start[1] + 1, tok.string))
            elif tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and logical_start is None):
                first = logical_start if logical_start is not None else tok.start[0]
                for line, column, text in pending:
                    # A comment on a line of its own covers only that line.
                    start = first if tok.type == tokenize.NEWLINE else line
                    result.items.extend(_parse(text, line, column, start, tok.start[0]))
                pending = []
                logical_start = None
            elif tok.type not in skip and tok.type != tokenize.ENDMARKER and logical_start is None:
                logical_start = tok.start[0]
        for line, column, text in pending:
            result.items.extend(_parse(text, line, column, line, line))
    except (tokenize.TokenError, SyntaxError):
        # Unparsable files get KC001 anyway; fall back to line-by-line comments.
        result = SuppressionMap()
        for number, text in enumerate(source.splitlines(), start=1):
            if "#" in text:
                index = text.index("#")
                result.items.extend(_parse(text[index:], number, index + 1, number, number))
    return result


def _parse(text: str, line: int, column: int, first: int, last: int) -> list[Suppression]:
    found = []
    match = _IGNORE.search(text)
    if match:
        codes = _codes(match.group("codes"))
        kind = "ignore-file" if match.group("file") else "ignore"
        found.append(Suppression(line, column, first, last, codes, kind))
    match = _NOQA.search(text)
    if match:
        codes = _codes(match.group("codes"))
        without_colon = not codes and bool(_CODES_WITHOUT_COLON.match(text, match.end()))
        found.append(Suppression(line, column, first, last, codes, "noqa", without_colon))
    return found


def _codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(code for code in _SPLIT.split(text.strip()) if code)


def matches(selector: str, finding: Finding) -> bool:
    """``KC101``, a prefix ``KC1``, or a slug ``removed-predict-classes`` matches the finding."""
    return finding.code.startswith(selector.upper()) or selector == finding.name


def apply(
    findings: Sequence[Finding],
    suppressions: SuppressionMap,
    *,
    known_prefixes: Sequence[str],
    enabled_codes: Callable[[str], bool],
    make_unused: Callable[[Suppression, str], Finding] | None,
    line_of: Callable[[Finding], int] = lambda finding: finding.location.line,
) -> list[Finding]:
    """Drop suppressed findings; report suppression codes that suppressed nothing.

    Only codes that belong to a loaded plugin's prefix and an enabled rule are reported as
    unused: ``# noqa: E501`` is flake8's business, and a disabled rule cannot prove its
    suppression unused. Blanket ``# noqa`` is never reported (it usually serves other tools).
    """
    if not suppressions.items:
        return list(findings)
    used: set[tuple[Suppression, str]] = set()
    kept = []
    for finding in findings:
        suppressed = False
        for item in suppressions.covering(line_of(finding)):
            if not item.codes:
                suppressed = True
                used.add((item, ""))
                continue
            for code in item.codes:
                if matches(code, finding):
                    suppressed = True
                    used.add((item, code))
        if not suppressed:
            kept.append(finding)
    if make_unused is not None:
        for item in suppressions.items:
            for code in item.codes:
                if (item, code) in used or not code.upper().startswith(tuple(known_prefixes)):
                    continue
                if enabled_codes(code):
                    kept.append(make_unused(item, code))
    return kept
