"""The source text behind findings, for formats that show code (``full``) or need stable ids.

A finding's lines are relative to its file or, in a notebook, to its code cell; this module
hands out exactly that text, read once per file, and renders a finding's fix as a unified diff.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence

from kerascheck.findings import Finding
from kerascheck.static import baseline, files, notebooks
from kerascheck.static.text_edits import apply_fixes


class SourceText:
    """Text of the files findings point into (``overrides``: text not on disk, e.g. stdin)."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._units: dict[tuple[str, int | None], str | None] = {}

    def unit(self, finding: Finding) -> str | None:
        """The text the finding's positions refer to (the file, or its notebook cell)."""
        loc = finding.location
        if loc.logical:
            return None
        key = (loc.path, loc.cell)
        if key not in self._units:
            self._units[key] = self._read(loc.path, loc.cell)
        return self._units[key]

    def _read(self, path: str, cell: int | None) -> str | None:
        try:
            if path in self._overrides:
                text = self._overrides[path]
            else:
                with open(path, "rb") as handle:
                    data = handle.read()
                text = data.decode("utf-8", "replace") if path.endswith(".ipynb") else files.decode(data, path)
            if path.endswith(".ipynb"):
                return notebooks.code_cells(notebooks.load_notebook(path, text)).get(cell or 0)
            return text
        except (OSError, files.UnreadableSource):
            return None

    def line(self, finding: Finding, number: int) -> str | None:
        """Line ``number`` (1-based) of the finding's text, without its line end."""
        text = self.unit(finding)
        if text is None:
            return None
        lines = files.split_lines(text)
        return lines[number - 1] if 0 < number <= len(lines) else None


def fix_diff(finding: Finding, text: str, path: str) -> str | None:
    """The finding's fix applied alone to ``text``, as a unified diff (None: no fix, or empty)."""
    if finding.fix is None:
        return None
    fixed = apply_fixes(text, [finding], unsafe=True).source
    if fixed == text:
        return None
    diff = difflib.unified_diff(
        files.split_lines(text, keepends=True),
        files.split_lines(fixed, keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
        n=1,
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in diff)


def stable_fingerprints(findings: Sequence[Finding], overrides: Mapping[str, str] | None = None) -> dict[int, str]:
    """``{id(finding): hex digest}`` that survives edits elsewhere in the file: the baseline's
    fingerprint (path relative to the working directory, code, normalised line text and
    occurrence; never line numbers), so CI systems tracking findings across commits keep
    recognising them."""
    anchor = os.path.join(os.getcwd(), "kerascheck-report")  # paths relative to the working directory
    return {id(finding): fp.digest() for finding, fp in baseline.fingerprints(findings, anchor, overrides)}
