"""``--fix`` on a notebook never writes a cell that no longer compiles.

A notebook cell that does not compile is left out of the joined text kerascheck checks, so the
joined text still parses after a fix broke a cell: the fixer must compare cell by cell. (An
earlier KC109 fix turned a real fast.ai notebook cell into invalid Python and was written.)
"""

from __future__ import annotations

import json
from pathlib import Path

from kerascheck.findings import Edit, Finding, Fix, Location, Severity
from kerascheck.static.fixer import apply_to_document, syntax_problem
from kerascheck.static.rewrite import Document


def _notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def _edit_cell(path: str, cell: int, line: int, column: int, end_column: int, content: str) -> Finding:
    edit = Edit(line, column, line, end_column, content, cell=cell)
    return Finding("KC999", "test", "t", Severity.WARNING, Location(path, line, column, cell=cell), Fix((edit,)))


def test_a_fix_that_breaks_a_cell_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "nb.ipynb")
    before = Document(path, _notebook("import keras\n", "layer = keras.layers.Conv2D(8, 3, 3, padding='same')\n"))
    # Conv2D(8, 3, 3, ...) -> Conv2D(filters=8, 3, 3, ...): a positional argument after a keyword
    broken = _edit_cell(path, 2, 1, 29, 33, "filters=8, 3")
    after, applied = apply_to_document(before, [broken], unsafe=True)
    assert applied and after.text != before.text
    problem = syntax_problem(after, before=before)
    assert problem is not None and problem.startswith("cell 2, line 1")
    assert syntax_problem(after) is None  # the joined text alone hides it: why ``before`` is needed


def test_a_cell_that_was_already_broken_does_not_block_fixes_elsewhere(tmp_path: Path) -> None:
    path = str(tmp_path / "nb.ipynb")
    before = Document(path, _notebook("x = (\n", "import keras\nopt = keras.optimizers.Adam(lr=0.1)\n"))
    rename = _edit_cell(path, 2, 2, 29, 31, "learning_rate")
    after, applied = apply_to_document(before, [rename], unsafe=True)
    assert applied and "learning_rate=0.1" in after.text
    assert syntax_problem(after, before=before) is None


def test_the_broken_cell_text_is_what_the_fix_would_write(tmp_path: Path) -> None:
    path = str(tmp_path / "nb.ipynb")
    before = Document(path, _notebook("import keras\n", "layer = keras.layers.Conv2D(8, 3, 3, padding='same')\n"))
    after, _ = apply_to_document(before, [_edit_cell(path, 2, 1, 29, 33, "filters=8, 3")], unsafe=True)
    assert "Conv2D(filters=8, 3, 3, padding='same')" in json.loads(after.text)["cells"][1]["source"]
