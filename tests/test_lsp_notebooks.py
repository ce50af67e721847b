"""Notebook documents over LSP: a real client (pytest-lsp) opens a notebook cell by cell, as VS
Code does, and gets diagnostics on the cells that hold the problems."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402
from test_lsp import TIMEOUT, _apply, client, project  # noqa: E402,F401  (the shared session fixtures)

pytestmark = pytest.mark.slow

IMPORTS = "from tensorflow import keras\nmodel = keras.models.load_model('m.keras')\n"


async def _until(condition) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), TIMEOUT)


def _cell_uri(notebook: Path, index: int) -> str:
    return f"vscode-notebook-cell:{notebook.as_posix()}#W{index}sZmlsZQ%3D%3D"


def _open(client: LanguageClient, notebook: Path, cells: list[tuple[types.NotebookCellKind, str]]) -> list[str]:
    uris = [_cell_uri(notebook, i) for i in range(len(cells))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=notebook.as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[types.NotebookCell(kind=kind, document=uri) for uri, (kind, _) in zip(uris, cells, strict=True)],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri=uri, language_id="python" if kind == types.NotebookCellKind.Code else "markdown", version=1, text=text)
                for uri, (kind, text) in zip(uris, cells, strict=True)
            ],
        )
    )
    return uris


def _codes(client: LanguageClient, uri: str) -> list[tuple[str, int]]:
    return [(str(d.code), d.range.start.line) for d in client.diagnostics.get(uri, [])]


@pytest.mark.asyncio
async def test_notebook_diagnostics_land_on_their_cells(client: LanguageClient, project: Path) -> None:
    notebook = project / "explore.ipynb"
    code, markdown = types.NotebookCellKind.Code, types.NotebookCellKind.Markup
    uris = _open(
        client,
        notebook,
        [
            (code, "%matplotlib inline\n!pip install keras \\\n    --quiet\n" + IMPORTS),
            (markdown, "# Predictions"),
            (code, "x = 1\nprobs = model.predict_proba(x)\n"),
            (code, "def broken(:\n    pass\n"),
        ],
    )
    await _until(lambda: all(uri in client.diagnostics for uri in (uris[0], uris[2], uris[3])))
    assert _codes(client, uris[0]) == []  # magics and a shell continuation are not errors
    assert _codes(client, uris[2]) == [("KC102", 1)]  # cell-relative: line 2 of its cell
    assert _codes(client, uris[3]) == [("KC001", 0)]  # the broken cell, and only it
    assert uris[1] not in client.diagnostics or client.diagnostics[uris[1]] == []

    # The fix is offered in the cell, as an edit of the cell's own text.
    diagnostic = client.diagnostics[uris[2]][0]
    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uris[2]),
                range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic]),
            )
        ),
        TIMEOUT,
    )
    titles = [action.title for action in actions or []]
    assert any("KC102" in title and "Ignore" not in title for title in titles), titles
    fix = next(a for a in actions if "Ignore" not in a.title)
    (edits,) = fix.edit.changes.values()
    assert list(fix.edit.changes) == [uris[2]]
    assert _apply("x = 1\nprobs = model.predict_proba(x)\n", edits) == "x = 1\nprobs = model.predict(x)\n"
    assert "Ignore KC102 on this line" in titles

    # Editing the third cell (the unsaved text counts) clears its diagnostic.
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(), version=2),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(uri=uris[2], version=2),
                            changes=[types.TextDocumentContentChangeWholeDocument(text="probs = model.predict(x)\n")],
                        )
                    ]
                )
            ),
        )
    )
    await _until(lambda: _codes(client, uris[2]) == [])
    assert _codes(client, uris[3]) == [("KC001", 0)]

    client.notebook_document_did_close(
        types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=notebook.as_uri()),
            cell_text_documents=[types.TextDocumentIdentifier(uri=uri) for uri in uris],
        )
    )
    await _until(lambda: _codes(client, uris[3]) == [])


@pytest.mark.asyncio
async def test_a_burst_of_cell_edits_ends_with_the_final_texts_diagnostics(client: LanguageClient, project: Path) -> None:
    """Typing in a cell sends a notebook change per keystroke (checked at once when isolated,
    debounced in a burst, as text documents are, and parsed incrementally from the notebook's
    previous version): the last diagnostics are those of the final text, nothing stale follows
    them, and stale checks are not published."""
    notebook = project / "typing.ipynb"
    code = types.NotebookCellKind.Code
    uris = _open(client, notebook, [(code, IMPORTS + "\n\ndef helper(x):\n    return x\n"), (code, "y = 1\n")])
    await _until(lambda: uris[1] in client.diagnostics)
    published: list[int] = []
    original = client.diagnostics

    class Counting(dict):
        def __setitem__(self, key: str, value: list[types.Diagnostic]) -> None:
            published.append(1)
            super().__setitem__(key, value)

    client.diagnostics = Counting(original)
    text = "y = 1\n"
    versions = 200
    for version in range(2, versions + 2):
        text = text + "z = 2\n" if version < versions + 1 else text + "probs = model.predict_proba(y)\n"
        client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(), version=version),
                change=types.NotebookDocumentChangeEvent(
                    cells=types.NotebookDocumentCellChanges(
                        text_content=[
                            types.NotebookDocumentCellContentChanges(
                                document=types.VersionedTextDocumentIdentifier(uri=uris[1], version=version),
                                changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                            )
                        ]
                    )
                ),
            )
        )
    final_line = text.count("\n") - 1
    await _until(lambda: _codes(client, uris[1]) == [("KC102", final_line)])
    await asyncio.sleep(0.5)  # nothing stale may follow
    assert _codes(client, uris[1]) == [("KC102", final_line)]
    assert len(published) < versions / 4  # two cells per published check: few were published
