"""Notebook documents in the language server (``notebookDocument/didOpen|didChange|didSave|
didClose``): an editor that opens a ``.ipynb`` through the server gets diagnostics per cell.

The client syncs a notebook as its list of cells, each cell a text document of its own. The
server checks the notebook the way ``kerascheck check`` checks a ``.ipynb`` file (its code
cells joined top to bottom, magics and shell lines neutral, a broken cell reported in that cell
only) from the cells' unsaved text, and publishes each finding on the cell it names, with
positions relative to that cell. Cells without findings get an empty list (so fixed problems
disappear). Code actions (a finding's fix, "Ignore KCxxx on this line") work in the cells as in
any text document, for fixes whose edits stay within one cell.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from kerascheck.findings import Finding

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

logger = logging.getLogger(__name__)

#: What the server asks clients to sync: every notebook, its Python cells.
SYNC_OPTIONS = lsp.NotebookDocumentSyncOptions(
    notebook_selector=[
        lsp.NotebookDocumentFilterWithCells(notebook="*", cells=[lsp.NotebookCellLanguage(language="python")]),
    ],
    save=True,
)


def is_cell(server: LanguageServer, uri: str) -> bool:
    """True if ``uri`` is a cell of an open notebook (linted with its notebook, not alone)."""
    try:
        return server.workspace.get_notebook_document(cell_uri=uri) is not None
    except Exception:  # workspace not initialised yet
        return False


def notebook_json(server: LanguageServer, notebook: lsp.NotebookDocument) -> str:
    """The notebook as ``.ipynb`` JSON (nbformat 4) built from its cells' current text."""
    cells = []
    for cell in notebook.cells:
        document = server.workspace.get_text_document(cell.document)
        kind = "code" if cell.kind == lsp.NotebookCellKind.Code else "markdown"
        language = getattr(document, "language_id", None) or "python"
        if kind == "code" and language != "python":
            kind = "raw"  # a cell in another language (an R cell in a polyglot notebook)
        cells.append({"cell_type": kind, "metadata": {}, "source": document.source})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def as_cell_finding(finding: Finding, number: int) -> Finding:
    """``finding`` as one in the text of cell ``number`` (positions are cell-relative already);
    its fix is kept only when every edit is in that cell."""
    fix = finding.fix
    if fix is not None:
        if all(edit.cell == number for edit in fix.edits):
            fix = replace(fix, edits=tuple(replace(edit, cell=None) for edit in fix.edits))
        else:
            fix = None
    return replace(finding, location=replace(finding.location, cell=None), fix=fix)


class NotebookLinter:
    """Lints open notebooks with the server's :class:`~kerascheck.lsp.Linter`."""

    def __init__(self, server: LanguageServer, state: Any) -> None:
        self.server = server
        self.state = state
        #: notebook uri -> cell uris that were last given diagnostics (to clear them on close).
        self.published: dict[str, list[str]] = {}

    async def lint(self, notebook_uri: str) -> None:
        workspace = self.server.workspace
        notebook = workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return
        version = notebook.version
        path = self._path(notebook_uri)
        text = notebook_json(self.server, notebook)
        try:
            outcome = await asyncio.to_thread(self.state.linter.check, path, text, self.state.open_texts(), wait_for_facts=False)
        except Exception as exc:  # a bug must not kill the editor session
            logger.exception("kerascheck failed on %s", path)
            self.server.window_log_message(
                lsp.LogMessageParams(type=lsp.MessageType.Error, message=f"kerascheck: internal error on {path}: {type(exc).__name__}: {exc}")
            )
            return
        if outcome.facts_pending:
            self.state.collect_facts(path)  # the notebook is checked again once they are collected
        current = workspace.get_notebook_document(notebook_uri=notebook_uri)
        if current is None or current.version != version:
            return  # closed or edited meanwhile: a newer lint publishes
        from kerascheck.lsp import to_diagnostic

        by_cell: dict[str, list[Finding]] = {cell.document: [] for cell in notebook.cells if cell.kind == lsp.NotebookCellKind.Code}
        for finding in outcome.findings:
            number = finding.location.cell
            if number is None or not 1 <= number <= len(notebook.cells):
                continue  # a finding about the whole notebook: no cell to show it on
            by_cell.setdefault(notebook.cells[number - 1].document, []).append(as_cell_finding(finding, number))
        for uri, findings in by_cell.items():
            document = workspace.get_text_document(uri)
            # Remembered like a text document's findings, so the server's code actions (the fix,
            # "Ignore KCxxx on this line") work in the cell too.
            self.state.findings[uri] = (document.version, findings)
            diagnostics = [to_diagnostic(document, document.source.splitlines(), f) for f in findings]
            self.server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
        self.published[notebook_uri] = list(by_cell)

    def close(self, notebook_uri: str, cell_uris: list[str]) -> None:
        self.state.linter.forget(self._path(notebook_uri))
        for uri in dict.fromkeys([*self.published.pop(notebook_uri, []), *cell_uris]):
            self.state.findings.pop(uri, None)
            self.server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @staticmethod
    def _path(uri: str) -> str:
        from pygls.uris import to_fs_path

        path = to_fs_path(uri) or "untitled.ipynb"
        return path if path.endswith(".ipynb") else path + ".ipynb"


def register(server: LanguageServer, state: Any) -> NotebookLinter:
    """Add the ``notebookDocument/*`` handlers to ``server`` (created with :data:`SYNC_OPTIONS`)."""
    linter = NotebookLinter(server, state)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
        state.schedule(params.notebook_document.uri, delay=0)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
        removed = []
        structure = params.change.cells.structure if params.change.cells else None
        if structure is not None and structure.array.delete_count:
            removed = [cell.uri for cell in structure.did_close or []]
        if removed:  # cells deleted from the notebook keep no stale diagnostics
            for uri in removed:
                ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        state.changed(params.notebook_document.uri)  # at once, or debounced in a burst (as text documents)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: lsp.DidSaveNotebookDocumentParams) -> None:
        state.schedule(params.notebook_document.uri, delay=0)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
        state.forget(params.notebook_document.uri)
        linter.close(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])

    return linter
