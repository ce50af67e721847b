"""Jupyter notebooks: real ``.ipynb`` files (nbformat 4) checked, located by cell, and fixed.

Fixes rewrite only the ``source`` of the changed code cells: outputs, metadata, other cells and
the file's JSON layout stay byte for byte as they were.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerascheck.findings import Edit, Finding, Fix, Location, Severity
from kerascheck.static import files, fixer

from test_fix import FIXABLE, STATEMENTS, run

IMPORTS = ["import numpy as np\n", "from tensorflow import keras\n"]
MODEL = "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"


def code_cell(source: list[str] | str, outputs: list | None = None, count: int | None = 1) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {"tags": ["t\u00e9st"]}, "outputs": outputs or [], "source": source}


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": [text]}


def notebook(*cells: dict) -> dict:
    return {
        "cells": list(cells),
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["Epoch 1/10\n", "\u2588\u2588\u2588 loss: 0.5\n"]}


def write(path: Path, document: dict, **style) -> str:
    style = style or {"indent": 1, "ensure_ascii": False}  # what Jupyter writes
    text = json.dumps(document, **style) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def findings(tmp_path: Path, name: str = "nb.ipynb", *extra: str) -> list[dict]:
    code, out, err = run(name, "--output-format", "json", *extra, cwd=tmp_path)
    assert code in (0, 1), err
    return json.loads(out)


# -- magics and shell lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        ["%matplotlib inline\n"],
        ["!pip install tensorflow\n"],
        ["files = !ls data/\n"],
        ["t = %timeit -o model.predict(x)\n"],
        ["np.mean?\n"],
        ["?np.mean\n"],
        ["np.*load*?\n"],
        ["%load_ext autoreload\n", "%autoreload 2\n"],
        ["for i in range(3):\n", "    !echo {i}\n"],
        ["if True:\n", "    %time model.fit(x, y)\n"],
    ],
)
def test_magic_and_shell_lines_are_skipped(tmp_path, lines):
    write(tmp_path / "nb.ipynb", notebook(code_cell(IMPORTS + [MODEL]), code_cell(lines + ["labels = model.predict_classes(x)\n"])))
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC101", 2, len(lines) + 1)]


@pytest.mark.parametrize("head", [["%%bash\n"], ["\n", "%%writefile train.py\n"], ["%%time\n"]])
def test_cell_magic_cells_are_not_python(tmp_path, head):
    body = ["model.predict_classes(x)\n", "echo $HOME (not python\n"]
    write(tmp_path / "nb.ipynb", notebook(code_cell(IMPORTS + [MODEL]), code_cell(head + body)))
    assert findings(tmp_path) == []


def test_magic_lookalikes_that_are_python_are_checked(tmp_path):
    cell = [
        "x = (3\n",
        "     % 2)\n",  # modulo continuing an expression, not a line magic
        "doc = '''\n",
        "!important: not a shell line inside a string\n",
        "'''\n",
        "if x:  # really?\n",  # a comment ending in '?' is not help syntax
        "    labels = model.predict_classes(x)  # why?\n",
    ]
    write(tmp_path / "nb.ipynb", notebook(code_cell(IMPORTS + [MODEL]), code_cell(cell)))
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC101", 2, 7)]
    source = files.read(str(tmp_path / "nb.ipynb"))
    assert "% 2)" in source.text and "!important" in source.text


def test_syntax_error_is_located_in_its_cell(tmp_path):
    write(tmp_path / "nb.ipynb", notebook(markdown("# intro"), code_cell(["x = 1\n"]), code_cell(["y = 2\n", "def broken(:\n"])))
    found = findings(tmp_path)
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC001", 3, 2)]


def test_text_output_names_cell_and_line(tmp_path):
    write(tmp_path / "nb.ipynb", notebook(markdown("# Training"), code_cell(IMPORTS), code_cell([MODEL, "opt = keras.optimizers.Adam(lr=0.01)\n"])))
    _, out, _ = run("nb.ipynb", "--select", "KC106", cwd=tmp_path)
    assert out.splitlines()[0] == "nb.ipynb:cell 3:2:29: KC106 [removed-argument] `lr=` was removed; use `learning_rate=` [*]"


# -- fixes written back ------------------------------------------------------------------------


def _buggy_notebook(source_as_string: bool = False) -> dict:
    fixed_cell = [MODEL, "opt = keras.optimizers.Adam(lr=0.01)\n", "labels = model.predict_classes(x)"]
    return notebook(
        markdown("# Tr\u00e4ining"),
        code_cell(["%matplotlib inline\n", *IMPORTS, "!nvidia-smi\n"], outputs=[OUTPUT]),
        code_cell("".join(fixed_cell) if source_as_string else fixed_cell, outputs=[OUTPUT], count=7),
        code_cell(["model.save('m.keras')\n"], count=None),
    )


def _expected(document: dict, cell: int, source: list[str] | str) -> dict:
    expected = json.loads(json.dumps(document))
    expected["cells"][cell]["source"] = source
    return expected


@pytest.mark.parametrize(
    "style",
    [
        {"indent": 1, "ensure_ascii": False},  # Jupyter / nbformat
        {"indent": 2, "ensure_ascii": False},
        {"indent": 4, "ensure_ascii": True, "sort_keys": True},
        {"indent": None, "ensure_ascii": False},  # compact, one line
        {"indent": "\t", "ensure_ascii": False, "separators": (", ", ": ")},
    ],
    ids=["nbformat", "indent2", "indent4-ascii-sorted", "compact", "tabs"],
)
def test_fix_rewrites_only_the_cell_source(tmp_path, style):
    document = _buggy_notebook()
    write(tmp_path / "nb.ipynb", document, **style)
    code, out, err = run("nb.ipynb", "--select", "KC1", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert code == 0, out + err
    fixed = [MODEL, "opt = keras.optimizers.Adam(learning_rate=0.01)\n", "labels = np.argmax(model.predict(x), axis=-1)"]
    expected = json.dumps(_expected(document, 2, fixed), **style) + "\n"
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == expected


def test_fix_keeps_a_string_source_a_string(tmp_path):
    document = _buggy_notebook(source_as_string=True)
    write(tmp_path / "nb.ipynb", document)
    run("nb.ipynb", "--select", "KC106", "--fix", cwd=tmp_path)
    source = _expected(document, 2, document["cells"][2]["source"].replace("lr=", "learning_rate="))
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == json.dumps(source, indent=1, ensure_ascii=False) + "\n"


def test_unchanged_lines_keep_their_exact_json(tmp_path):
    # Hand-written JSON: escaped non-ASCII, a "\/" escape, odd spacing: only the fixed line changes.
    text = (
        '{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],\n'
        '  "source": ["from tensorflow import keras\\n", "s = \'caf\\u00e9 a\\/b\'\\n",\n'
        '             "opt = keras.optimizers.Adam(lr=0.01)\\n"]}],\n'
        ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    )
    (tmp_path / "nb.ipynb").write_text(text, encoding="utf-8")
    run("nb.ipynb", "--select", "KC106", "--fix", cwd=tmp_path)
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == text.replace("(lr=", "(learning_rate=")


def test_diff_shows_cells_and_writes_nothing(tmp_path):
    before = write(tmp_path / "nb.ipynb", _buggy_notebook())
    code, out, err = run("nb.ipynb", "--select", "KC106", "--diff", cwd=tmp_path)
    assert code == 1
    assert out.startswith("--- nb.ipynb:cell 3\n+++ nb.ipynb:cell 3\n")
    assert "-opt = keras.optimizers.Adam(lr=0.01)\n+opt = keras.optimizers.Adam(learning_rate=0.01)\n" in out
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == before


def test_add_noqa_in_a_notebook(tmp_path):
    document = _buggy_notebook()
    write(tmp_path / "nb.ipynb", document)
    code, _, err = run("nb.ipynb", "--select", "KC1", "--add-noqa", cwd=tmp_path)
    assert code == 0 and err == "Added 2 noqa comments in 1 file.\n"
    source = [MODEL, "opt = keras.optimizers.Adam(lr=0.01)  # noqa: KC106\n", "labels = model.predict_classes(x)  # noqa: KC101"]
    assert json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8")) == _expected(document, 2, source)
    assert run("nb.ipynb", "--select", "KC1", cwd=tmp_path)[0] == 0


def test_a_fix_never_edits_a_magic_line(tmp_path):
    text = write(tmp_path / "nb.ipynb", notebook(code_cell(["!ls\n", "x = 1\n"])))
    path = str(tmp_path / "nb.ipynb")
    edit = Fix((Edit(1, 1, 1, 4, "print()", cell=1),))
    finding = Finding("KC999", "t", "m", Severity.INFO, Location(path, 1, 1, cell=1), edit)
    document = fixer.Document(path, text)
    assert fixer.apply_to_document(document, [finding], unsafe=True) == (document, [])


# -- property: generated notebooks ---------------------------------------------------------------


@st.composite
def generated_notebooks(draw: st.DrawFn) -> dict:
    cells = [code_cell(IMPORTS + [MODEL], outputs=[OUTPUT])]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["fixable", "fixable", "statement", "magic", "markdown"]))
        if kind == "markdown":
            cells.append(markdown("Some *notes* \u00e9\U0001f642"))
            continue
        if kind == "magic":
            source = draw(st.sampled_from(["%matplotlib inline\n", "!pip install keras\n", "%%bash\necho hi\n"]))
        else:
            source = draw(st.sampled_from(FIXABLE if kind == "fixable" else STATEMENTS))
        if draw(st.booleans()):
            source = source.replace("\n", "\r\n")
        lines = files.split_lines(source, keepends=True)
        if lines and draw(st.booleans()):
            lines[-1] = lines[-1].rstrip("\r\n")  # Jupyter drops the last newline
        cells.append(code_cell(lines if draw(st.booleans()) else "".join(lines), outputs=[OUTPUT] if draw(st.booleans()) else []))
    return notebook(*cells)


def _without_sources(document: dict) -> list:
    return [{k: v for k, v in cell.items() if k != "source"} for cell in document["cells"]], document["metadata"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_notebooks(), st.sampled_from([1, 2, None]))
def test_property_notebook_fixes(document, indent):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "nb.ipynb"
        write(path, document, indent=indent, ensure_ascii=False)
        run("nb.ipynb", "--fix", "--unsafe-fixes", "-q", cwd=root)
        first = path.read_text(encoding="utf-8")
        fixed = json.loads(first)  # still valid JSON
        assert _without_sources(fixed) == _without_sources(document)  # outputs and metadata untouched
        for old, new in zip(document["cells"], fixed["cells"]):
            assert type(old["source"]) is type(new["source"])
            if old["cell_type"] != "code":
                assert old == new
        joined = files.read(str(path))
        compile(joined.text, "nb", "exec", flags=0x400 | 0x2000, dont_inherit=True)
        assert sorted(p.name for p in root.iterdir()) == ["nb.ipynb"]
        run("nb.ipynb", "--fix", "--unsafe-fixes", "-q", cwd=root)
        assert path.read_text(encoding="utf-8") == first
