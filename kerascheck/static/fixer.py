"""``--fix``, ``--diff`` and ``--add-noqa``: changing files on disk, safely.

Fixing a file is a loop: apply every non-overlapping fix (:func:`kerascheck.static.text_edits.apply_fixes`),
check the new text again, and repeat until no fix applies (fixes that overlapped another one get
their turn on a later pass, against fresh positions). The result is written only if it still
parses, through :func:`kerascheck.static.rewrite.write_back` (atomic; only if the file did not
change since it was read; owner, mode, links and encoding kept, or the file is left unchanged
with a message). Notebooks are fixed cell by cell: only the ``source`` of the
changed code cells is rewritten in the JSON text, every other byte stays as it was.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any, TextIO

from kerascheck.findings import Edit, Finding, Fix
from kerascheck.records import record
from kerascheck.report.base import is_for_people
from kerascheck.static import files, notebooks, python_ast, tempfiles
from kerascheck.static.engine import (
    INTERNAL_ERROR,
    NOT_ANALYSED,
    SYNTAX_ERROR,
    UNUSED_SUPPRESSION,
    Engine,
    FileResult,
)
from kerascheck.static.rewrite import Document, FixError, read_document, write_back
from kerascheck.static.suppress import SuppressionMap
from kerascheck.static.text_edits import apply_fixes, selectable

#: A fix that keeps producing new fixes is stopped after this many passes (never corrupted).
MAX_PASSES = 10

#: Findings ``--add-noqa`` does not suppress: they are about the file or about suppressions.
_NO_NOQA = frozenset({INTERNAL_ERROR, SYNTAX_ERROR, NOT_ANALYSED, UNUSED_SUPPRESSION})

_NOQA_CODES = re.compile(r"#\s*noqa(?P<colon>:\s*(?P<codes>[A-Za-z0-9_\-]+(?:[\s,]+[A-Za-z0-9_\-]+)*))?", re.I)


# -- documents: the text of a file as it is on disk (see kerascheck.static.rewrite) --------------


def checked_source(document: Document) -> files.SourceFile:
    """The Python text kerascheck checks for this document (notebooks: the joined cells)."""
    return files.read(document.path, document.text)


def syntax_problem(document: Document, before: Document | None = None) -> str | None:
    """Why the document's Python does not parse, or None if it does.

    A notebook cell that does not compile is left out of the joined text (as a comment), so
    the joined text parsing proves nothing about a fixed cell: with ``before``, a cell that
    compiled there and fails here is the problem.
    """
    try:
        source = checked_source(document)
    except files.UnreadableSource as exc:
        return str(exc)
    if before is not None and source.cell_map is not None:
        broken = _failing_cells(source)
        try:
            was_broken = _failing_cells(checked_source(before))
        except files.UnreadableSource:
            was_broken = {}
        for cell in sorted(set(broken) - set(was_broken)):
            return f"cell {cell}, {broken[cell]}"
    # A notebook's cells were judged one by one above; its joined text only by the parser.
    refused = python_ast.refusal(source.text, document.path, compiler=not document.is_notebook)
    return None if refused is None else python_ast.refusal_message(refused)


def _failing_cells(source: files.SourceFile) -> dict[int, str]:
    """``{cell number: why}`` for the notebook cells that do not compile."""
    assert source.cell_map is not None
    failing: dict[int, str] = {}
    for error in source.cell_errors:
        cell, line = source.cell_map.locate(error.line)
        failing.setdefault(cell, f"line {line}: {error.message}")
    return failing


def apply_to_document(document: Document, findings: Sequence[Finding], *, unsafe: bool) -> tuple[Document, list[Finding]]:
    """Apply the non-overlapping fixes of ``findings`` (the caller loops for the others)."""
    chosen = selectable([f for f in findings if f.location.path == document.path], unsafe=unsafe)
    if not chosen:
        return document, []
    if document.is_notebook:
        return _apply_to_notebook(document, chosen)
    newline = _newline_of(document.text)
    if newline != "\n":
        chosen = [_with_newline(f, newline) for f in chosen]
    result = apply_fixes(document.text, chosen, unsafe=True)
    return replace(document, text=result.source), list(result.applied)


def _apply_to_notebook(document: Document, findings: Sequence[Finding]) -> tuple[Document, list[Finding]]:
    """Apply fixes cell by cell to the cells' own text, then splice the changed cells back."""
    try:
        notebook = notebooks.load_notebook(document.path, document.text)
        joined = notebooks.notebook_source(document.path, document.text)
    except files.UnreadableSource:
        return document, []
    cells = notebooks.code_cells(notebook)
    cell_map = joined.cell_map
    by_cell: dict[int, list[Finding]] = {}
    for finding in findings:
        assert finding.fix is not None
        numbers = {edit.cell for edit in finding.fix.edits}
        if len(numbers) != 1:
            continue  # a fix across cells (or without one) cannot be applied cell by cell
        (number,) = numbers
        if number not in cells or cell_map is None:
            continue
        touched = {cell_map.to_joined(number, line) for e in finding.fix.edits for line in range(e.line, e.end_line + 1)}
        if touched & joined.skipped_lines:
            continue  # never edit a line that stands in for a magic
        by_cell.setdefault(number, []).append(finding)
    new_sources: dict[int, str] = {}
    applied: list[Finding] = []
    for number, group in sorted(by_cell.items()):
        result = apply_fixes(cells[number], group, unsafe=True)
        if result.applied and result.source != cells[number]:
            new_sources[number] = result.source
            applied.extend(result.applied)
    if not new_sources:
        return document, []
    try:
        text = notebooks.replace_cell_sources(document.text, new_sources)
    except (ValueError, IndexError):
        return document, []
    return replace(document, text=text), applied


def _newline_of(text: str) -> str:
    """The file's line ending (its first one), so fixes do not mix line endings."""
    match = re.search(r"\r\n|\r|\n", text)
    return match.group() if match else "\n"


def _with_newline(finding: Finding, newline: str) -> Finding:
    assert finding.fix is not None
    edits = tuple(replace(e, content=re.sub(r"\r\n|\r|\n", newline, e.content)) for e in finding.fix.edits)
    return replace(finding, fix=replace(finding.fix, edits=edits))


# -- the fix loop --------------------------------------------------------------------------------


@record(frozen=False)
class FileFix:
    """What fixing one file did (or would do)."""

    before: Document
    after: Document
    applied: list[Finding] = field(default_factory=list)
    error: str | None = None  # why the file was left unchanged
    result: FileResult | None = None  # the check of ``after``

    @property
    def path(self) -> str:
        return self.before.path

    @property
    def changed(self) -> bool:
        return self.error is None and self.after.text != self.before.text


class Fixer:
    """Fixes files of one run, re-checking them with the run's rules, settings and project facts."""

    def __init__(self, engine: Engine, results: Sequence[FileResult], *, unsafe: bool, root: Path | None = None) -> None:
        self.engine = engine
        self.unsafe = unsafe
        self.root = root
        self.results = {r.path: r for r in results}

    def findings_for(self, document: Document) -> tuple[list[Finding], FileResult]:
        """Check the document's text as the run would (suppressions, project facts of the
        other files, per-file ignores) and return its findings."""
        result = self.engine.check_file(document.path, stdin_text=document.text)
        others = [  # with their imports: the program model needs every file, even without facts
            FileResult(r.path, [], r.facts, SuppressionMap(), r.joined_lines, imports=r.imports)
            for path, r in self.results.items()
            if path != document.path
        ]
        findings = self.engine.finish([*others, result], root=self.root)
        return [f for f in findings if f.location.path == document.path], result

    def fix(self, document: Document) -> FileFix:
        """Apply fixes until none applies (at most :data:`MAX_PASSES` passes)."""
        current = document
        applied: list[Finding] = []
        result: FileResult | None = None
        for _ in range(MAX_PASSES):
            findings, result = self.findings_for(current)
            new, done = apply_to_document(current, findings, unsafe=self.unsafe)
            if not done or new.text == current.text:
                break
            problem = syntax_problem(new, before=current)
            if problem is not None:
                kinds = ", ".join(sorted({f.code for f in done}))
                return FileFix(document, document, [], f"fixing {kinds} would produce invalid Python ({problem}); file left unchanged")
            current, result = new, None
            applied.extend(done)
        if result is None:
            _, result = self.findings_for(current)
        return FileFix(document, current, applied, result=result)


# -- --add-noqa ----------------------------------------------------------------------------------


def _logical_lines(text: str) -> tuple[dict[int, int], dict[int, tokenize.TokenInfo]]:
    """``{line: last line of its logical line}`` and ``{line: its comment token}``."""
    last_of: dict[int, int] = {}
    comments: dict[int, tokenize.TokenInfo] = {}
    first: int | None = None
    ignorable = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok
        elif tok.type == tokenize.NEWLINE:
            start = first if first is not None else tok.start[0]
            for line in range(start, tok.start[0] + 1):
                last_of[line] = tok.start[0]
            first = None
        elif tok.type not in ignorable and first is None:
            first = tok.start[0]
    return last_of, comments


def noqa_fixes(document: Document, findings: Iterable[Finding]) -> list[Finding]:
    """Findings whose "fix" inserts ``# noqa: <codes>`` comments for ``findings``.

    The comment goes on the last line of the finding's logical line (the statement), where the
    suppression logic covers the whole statement and never inside a multi-line string; an
    existing ``# noqa: X`` there is extended instead.
    """
    source = checked_source(document)
    try:
        last_of, comments = _logical_lines(source.text)
    except (tokenize.TokenError, SyntaxError):
        return []
    lines = files.split_lines(source.text)
    wanted: dict[int, set[str]] = {}
    for finding in findings:
        loc = finding.location
        if finding.code in _NO_NOQA or loc.logical or loc.path != document.path:
            continue
        line = loc.line
        if source.cell_map is not None:
            if loc.cell is None:
                continue
            line = source.cell_map.to_joined(loc.cell, loc.line)
        wanted.setdefault(last_of.get(line, line), set()).add(finding.code)
    made: list[Finding] = []
    for line, codes in sorted(wanted.items()):
        if line > len(lines) or line in source.skipped_lines:
            continue
        text = lines[line - 1]
        comment = comments.get(line)
        match = _NOQA_CODES.search(comment.string) if comment is not None else None
        if comment is not None and match is not None:
            if not match.group("codes"):
                continue  # a blanket noqa already covers everything
            present = {c.upper() for c in re.split(r"[\s,]+", match.group("codes"))}
            codes = {c for c in codes if c.upper() not in present}
            if not codes:
                continue
            column = comment.start[1] + match.end("codes") + 1
            edit = (line, column, line, column, ", " + ", ".join(sorted(codes)))
        else:
            content_end = len(text.rstrip()) + 1
            edit = (line, content_end, line, len(text) + 1, "  # noqa: " + ", ".join(sorted(codes)))
        made.append(_noqa_finding(document.path, source, edit))
    return made


def _noqa_finding(path: str, source: files.SourceFile, edit: tuple[int, int, int, int, str]) -> Finding:
    from kerascheck.findings import Location, Severity

    line, column, end_line, end_column, content = edit
    cell = None
    if source.cell_map is not None:
        cell, line = source.cell_map.locate(line)
        end_line = line
    the_edit = Edit(line, column, end_line, end_column, content, cell=cell)
    return Finding("noqa", "noqa", content, Severity.INFO, Location(path, line, column, cell=cell), Fix((the_edit,), message="add noqa"))


# -- reporting helpers ---------------------------------------------------------------------------


def unified_diff(fix: FileFix) -> str:
    """A unified diff of the change (for notebooks, one per changed cell)."""
    before, after = fix.before, fix.after
    if not before.is_notebook:
        return _diff(before.text, after.text, before.path, before.path)
    old = notebooks.code_cells(notebooks.load_notebook(before.path, before.text))
    new = notebooks.code_cells(notebooks.load_notebook(after.path, after.text))
    parts = []
    for number in sorted(set(old) | set(new)):
        if old.get(number) != new.get(number):
            name = f"{before.path}:cell {number}"
            parts.append(_diff(old.get(number, ""), new.get(number, ""), name, name))
    return "".join(parts)


def _diff(old: str, new: str, old_name: str, new_name: str) -> str:
    out = []
    for line in difflib.unified_diff(files.split_lines(old, True), files.split_lines(new, True), old_name, new_name):
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def describe_fixes(fixes: Sequence[FileFix]) -> str:
    """``--show-fixes``: the applied fixes per file and code."""
    from collections import Counter

    total = sum(len(f.applied) for f in fixes)
    out = [f"Fixed {total} problem{'s' if total != 1 else ''}:"]
    for fix in fixes:
        if not fix.applied or not fix.changed:
            continue
        out.append(f"- {fix.path}:")
        names = {f.code: f.name for f in fix.applied}
        for code, count in sorted(Counter(f.code for f in fix.applied).items()):
            out.append(f"    {count} \u00d7 {code} ({names[code]})")
    return "\n".join(out) + "\n"


# -- the command line's flow ---------------------------------------------------------------------


@record(frozen=False)
class Outcome:
    """What ``kerascheck check`` reports after the fix/noqa/baseline options ran."""

    findings: list[Finding]
    fixed: int = 0
    exit_code: int | None = None  # set when the command is complete (``--diff``, ``--add-noqa``, ...)
    fixes: list[FileFix] = field(default_factory=list)


def run_cli(
    args: Any,
    session: Any,
    findings: list[Finding],
    results: list[FileResult],
    *,
    stdin_text: str | None,
    out: TextIO,
    err: TextIO,
) -> Outcome:
    """``--fix``/``--unsafe-fixes``/``--diff``/``--add-noqa``/``--baseline``/``--write-baseline``."""
    from kerascheck.static import baseline

    engine = Engine(session.registry.rules, session.config)
    root = Path(session.config.root)
    # Links may lead anywhere inside the project or the directories the command line names.
    trees = [root, *(p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in (getattr(args, "paths", None) or []) if p != "-")]
    sources: dict[str, str] = {}  # stdin's text, for the baseline's fingerprints

    def document_of(path: str) -> Document:
        if stdin_text is not None:
            return Document(path, stdin_text, None)
        return read_document(path)

    if stdin_text is not None and results:
        sources[results[0].path] = stdin_text
    known = baseline.load(args.baseline) if args.baseline and not args.write_baseline else None
    new_findings = findings if known is None else baseline.new_findings(findings, known, args.baseline, sources)

    if (args.fix or args.add_noqa) and stdin_text is None:
        # Temporary files a killed run left behind (their process is gone) go first.
        for directory in {os.path.dirname(os.path.realpath(r.path)) for r in results}:
            tempfiles.remove_stale(directory)
    if args.add_noqa:
        return _add_noqa(new_findings, results, document_of, out, err, stdin=stdin_text is not None, trees=trees)

    outcome = Outcome(findings)
    if args.fix or args.diff:
        fixer = Fixer(engine, results, unsafe=args.unsafe_fixes, root=root)
        fixable = {f.location.path for f in selectable(findings, unsafe=args.unsafe_fixes)}
        updated = {r.path: r for r in results}
        for path in sorted(fixable):
            if path not in updated:
                continue
            try:
                fix = fixer.fix(document_of(path))
            except FixError as exc:
                err.write(f"kerascheck: {path}: not fixed: {exc}\n")
                continue
            if fix.error is None and fix.changed and args.fix and stdin_text is None and not args.diff:
                try:
                    write_back(fix.after, trees=trees)
                except FixError as exc:
                    fix.error = str(exc)
            if fix.error is not None:
                err.write(f"kerascheck: {path}: not fixed: {fix.error}\n")
                continue
            outcome.fixes.append(fix)
            if fix.result is not None:
                updated[path] = fix.result
            if stdin_text is not None:
                sources[path] = fix.after.text
        changed = [f for f in outcome.fixes if f.changed]
        outcome.fixed = sum(len(f.applied) for f in changed)
        outcome.findings = engine.finish(list(updated.values()), root=root)
        if args.diff:
            for fix in changed:
                out.write(unified_diff(fix))
            remaining = len(outcome.findings)
            err.write(f"Would fix {outcome.fixed} problem{'s' if outcome.fixed != 1 else ''} ({remaining} remaining).\n")
            outcome.exit_code = 1 if changed else 0
            return outcome
        if stdin_text is not None:
            out.write(changed[0].after.text if changed else stdin_text)
        if args.show_fixes and changed:
            beside_report = stdin_text is None and not args.output_file and is_for_people(session.registry.reporters, args.output_format)
            (out if beside_report else err).write(describe_fixes(changed))

    if args.write_baseline:
        count = baseline.write(args.write_baseline, outcome.findings, sources)
        err.write(f"kerascheck: wrote {count} finding{'s' if count != 1 else ''} to baseline {args.write_baseline}\n")
        outcome.exit_code = 0
        return outcome
    if known is not None:
        outcome.findings = baseline.new_findings(outcome.findings, known, args.baseline, sources)
    return outcome


def _add_noqa(
    findings: list[Finding], results: list[FileResult], document_of: Any, out: TextIO, err: TextIO, *, stdin: bool, trees: list[Any]
) -> Outcome:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    added = 0
    touched = 0
    for result in results:
        wanted = by_path.get(result.path)
        document = None
        try:
            document = document_of(result.path)
            if wanted:
                new, applied = apply_to_document(document, noqa_fixes(document, wanted), unsafe=True)
                problem = syntax_problem(new, before=document) if applied else None
                if problem is not None:
                    raise FixError(f"adding noqa comments would produce invalid Python ({problem})")
                if applied and not stdin:
                    write_back(new, trees=trees)
                if applied:
                    added += len(applied)
                    touched += 1
                    document = new
        except FixError as exc:
            err.write(f"kerascheck: {result.path}: noqa comments not added: {exc}\n")
        if stdin and document is not None:
            out.write(document.text)
    where = f" in {touched} file{'s' if touched != 1 else ''}" if not stdin else ""
    err.write(f"Added {added} noqa comment{'s' if added != 1 else ''}{where}.\n")
    return Outcome([], exit_code=0)
