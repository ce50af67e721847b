"""Full text: each finding with its source line, a caret span under the code, and its fix as a
unified diff (ruff's ``full`` layout)::

    bad.py:4:10: KC101 [removed-predict-classes] `predict_classes` was removed ...
      |
    3 | model = keras.Sequential([...])
    4 | labels = model.predict_classes(x_test)
      |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ KC101
      |
      = fix (unsafe): use np.argmax(model.predict(x), axis=-1)
"""

from __future__ import annotations

from collections.abc import Sequence

from kerascheck.findings import Finding
from kerascheck.report.base import BOLD, CYAN, GREEN, RED, RunSummary, TerminalReporter
from kerascheck.report.source import SourceText, fix_diff

#: Lines of context shown above and below the finding's line.
CONTEXT = 1
_DIFF_STYLES = {"+": GREEN, "-": RED}


class FullReporter(TerminalReporter):
    def write_findings(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        sources = SourceText(summary.sources)
        for finding in findings:
            where = self.paint(finding.location.display(), BOLD)
            code = self.paint(finding.code, self.severity_style(finding))
            marks = self.fix_marker(finding, summary) + self.verdict_marker(finding)
            self.stream.write(f"{where}: {code} [{finding.name}] {finding.message}{marks}\n")
            self.write_verdict(finding, summary, indent="  ")
            self._snippet(finding, sources)
            self._fix(finding, sources)
            self.write_traceback(finding, summary, indent="  ")
            self.stream.write("\n")

    def _snippet(self, finding: Finding, sources: SourceText) -> None:
        loc = finding.location
        if sources.line(finding, loc.line) is None:
            return
        numbers = [n for n in range(loc.line - CONTEXT, loc.line + CONTEXT + 1) if sources.line(finding, n) is not None]
        width = len(str(numbers[-1]))
        gutter = self.paint(f"{'':>{width}} |", CYAN)
        self.stream.write(f"{gutter}\n")
        for number in numbers:
            text = (sources.line(finding, number) or "").expandtabs(1)
            self.stream.write(f"{self.paint(f'{number:>{width}} |', CYAN)} {text}\n".rstrip() + "\n")
            if number == loc.line:
                start = max(loc.column, 1)
                end = loc.end_column if loc.end_line == loc.line and loc.end_column else len(text) + 1
                carets = "^" * max(end - start, 1)
                self.stream.write(f"{gutter} {' ' * (start - 1)}{self.paint(carets + ' ' + finding.code, self.severity_style(finding))}\n")
        self.stream.write(f"{gutter}\n")

    def _fix(self, finding: Finding, sources: SourceText) -> None:
        if finding.fix is None:
            return
        indent = " " * (len(str(finding.location.line + CONTEXT)) + 1)
        kind = finding.fix.applicability.value
        self.stream.write(f"{indent}= fix ({kind}): {finding.fix.message or 'available'}\n")
        text = sources.unit(finding)
        loc = finding.location
        label = f"{loc.path} (cell {loc.cell})" if loc.cell is not None else loc.path
        diff = fix_diff(finding, text, label) if text is not None else None
        for line in (diff or "").splitlines():
            style = _DIFF_STYLES.get(line[:1], "") if not line.startswith(("+++", "---")) else ""
            self.stream.write(f"{indent}  {self.paint(line, style) if style else line}".rstrip() + "\n")
