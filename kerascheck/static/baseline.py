"""Baselines: accept today's findings of a legacy code base, fail only on new ones.

``--write-baseline FILE`` records every current finding; ``--baseline FILE`` then reports only
findings that are not in it. A finding is identified without its line number, so that editing
code above it does not make it "new": by its file (relative to the baseline file), its code, the
text of its source line (whitespace-normalised) and its occurrence index among findings with the
same file, code and text. Messages are stored for people reading the file, never compared.

A finding whose line text changed (``--fix`` rewrote another finding on the same line, or the
line was reformatted) is still recognised: a finding no entry matches exactly takes, one to one,
a remaining entry of the same file and code whose line text is similar (``SIMILARITY``).
Exact matches are made first, so a copy of a known line next to the original is still new.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence

from kerascheck.config import ConfigError
from kerascheck.findings import Finding
from kerascheck.records import record
from kerascheck.static import files

FORMAT_KEY = "kerascheck-baseline"
FORMAT_VERSION = 1
#: How alike (difflib ratio, 0..1) a changed line must be to its baseline entry's line.
SIMILARITY = 0.75


class BaselineError(ConfigError):
    """The baseline file is missing or not one kerascheck wrote."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"baseline {path}", None, problem)


@record(order=True)
class Fingerprint:
    """How a finding is recognised across unrelated edits."""

    path: str
    code: str
    text: str
    occurrence: int

    def digest(self) -> str:
        """A hex id of the fingerprint (SARIF ``partialFingerprints``, GitLab ``fingerprint``)."""
        return hashlib.sha256("\0".join((self.path, self.code, self.text, str(self.occurrence))).encode("utf-8")).hexdigest()


class _Lines:
    """Source lines of checked files, read once each (notebooks: the joined cells)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._cache: dict[str, tuple[list[str], files.SourceFile | None]] = {}

    def text(self, finding: Finding) -> str:
        loc = finding.location
        if loc.logical:
            return f"::{loc.logical}"
        if loc.path not in self._cache:
            try:
                source: files.SourceFile | None = files.read(loc.path, self._sources.get(loc.path))
            except files.UnreadableSource:
                source = None
            self._cache[loc.path] = (files.split_lines(source.text) if source else [], source)
        lines, source = self._cache[loc.path]
        line = loc.line
        if source is not None and source.cell_map is not None and loc.cell is not None:
            try:
                line = source.cell_map.to_joined(loc.cell, loc.line)
            except KeyError:
                return ""
        return " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""


def fingerprints(findings: Iterable[Finding], baseline_path: str, sources: Mapping[str, str] | None = None) -> list[tuple[Finding, Fingerprint]]:
    """Each finding with its fingerprint (paths relative to the baseline file's directory)."""
    base = os.path.dirname(os.path.abspath(baseline_path))
    lines = _Lines(sources or {})
    seen: dict[tuple[str, str, str], int] = {}
    result = []
    for finding in sorted(findings, key=Finding.sort_key):
        path = _relative(finding.location.path, base)
        text = lines.text(finding)
        key = (path, finding.code, text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        result.append((finding, Fingerprint(path, finding.code, text, occurrence)))
    return result


def _relative(path: str, base: str) -> str:
    if path in ("-", ""):
        return path
    try:
        return os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return os.path.abspath(path).replace(os.sep, "/")


def write(baseline_path: str, findings: Sequence[Finding], sources: Mapping[str, str] | None = None) -> int:
    """Record ``findings`` in ``baseline_path`` (JSON, stable order); returns how many."""
    entries = [
        {"path": fp.path, "code": fp.code, "line_text": fp.text, "occurrence": fp.occurrence, "message": finding.message}
        for finding, fp in sorted(fingerprints(findings, baseline_path, sources), key=lambda pair: pair[1])
    ]
    document = {FORMAT_KEY: FORMAT_VERSION, "findings": entries}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        with open(baseline_path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise BaselineError(baseline_path, f"cannot write: {exc.strerror or exc}") from None
    return len(entries)


def load(baseline_path: str) -> frozenset[Fingerprint]:
    """The fingerprints recorded in ``baseline_path`` (``BaselineError`` if it is not one)."""
    try:
        with open(baseline_path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(baseline_path, "no such file (create it with --write-baseline)") from None
    except OSError as exc:
        raise BaselineError(baseline_path, f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(baseline_path, f"not valid JSON: {exc}") from None
    except RecursionError:  # JSON nested thousands of levels deep: no baseline kerascheck wrote
        raise BaselineError(baseline_path, "not a kerascheck baseline (JSON nested too deeply)") from None
    if not isinstance(document, dict) or document.get(FORMAT_KEY) != FORMAT_VERSION or not isinstance(document.get("findings"), list):
        raise BaselineError(baseline_path, f"not a kerascheck baseline (expected {{\"{FORMAT_KEY}\": {FORMAT_VERSION}, \"findings\": [...]}})")
    known = set()
    for index, entry in enumerate(document["findings"]):
        try:
            known.add(Fingerprint(str(entry["path"]), str(entry["code"]), str(entry["line_text"]), int(entry["occurrence"])))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(baseline_path, f"entry {index} needs path, code, line_text and occurrence") from None
    return frozenset(known)


def new_findings(
    findings: Sequence[Finding], known: frozenset[Fingerprint], baseline_path: str, sources: Mapping[str, str] | None = None
) -> list[Finding]:
    """The findings that are not in the baseline, in their original order."""
    pairs = fingerprints(findings, baseline_path, sources)
    old = {id(finding) for finding, fp in pairs if fp in known}
    unused = sorted(known - {fp for _, fp in pairs})
    for finding, fp in pairs:
        if id(finding) in old:
            continue
        similar = _most_similar(fp, unused)
        if similar is not None:
            unused.remove(similar)
            old.add(id(finding))
    return [finding for finding in findings if id(finding) not in old]


def _most_similar(fp: Fingerprint, candidates: Sequence[Fingerprint]) -> Fingerprint | None:
    """The entry of the same file and code whose line text is most like ``fp``'s, if alike enough."""
    best, best_ratio = None, SIMILARITY
    for candidate in candidates:
        if candidate.path != fp.path or candidate.code != fp.code:
            continue
        ratio = difflib.SequenceMatcher(None, candidate.text, fp.text).ratio()
        if ratio >= best_ratio:
            best, best_ratio = candidate, ratio
    return best
