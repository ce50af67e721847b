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
from test_fix import FIXABLE, STATEMENTS, run

from kerascheck.findings import Edit, Finding, Fix, Location, Severity
from kerascheck.static import files, fixer

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
    write(tmp_path / "nb.ipynb", notebook(code_cell([*IMPORTS, MODEL]), code_cell([*lines, "labels = model.predict_classes(x)\n"])))
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC101", 2, len(lines) + 1)]


@pytest.mark.parametrize(
    "head",
    [["%%bash\n"], ["\n", "%%writefile train.py\n"], ["%%html\n"], ["%%javascript\n"], ["%%sh\n"], ["%%script bash\n"], ["%%python\n"]],
)
def test_non_python_cell_magics_are_skipped(tmp_path, head):
    body = ["model.predict_classes(x)\n", "echo $HOME (not python\n"]
    write(tmp_path / "nb.ipynb", notebook(code_cell([*IMPORTS, MODEL]), code_cell(head + body)))
    assert findings(tmp_path) == []


@pytest.mark.parametrize("head", ["%%time\n", "%%timeit -n1 -r1\n", "%%capture out\n", "%%prun -s cumulative\n", "%%debug\n"])
def test_python_cell_magics_are_checked_in_place(tmp_path, head):
    # The body of these runs in the kernel (often the training cell itself): checked, with
    # positions still relative to the cell (the magic line is line 1).
    body = ["%load_ext autoreload\n", "labels = model.predict_classes(x)\n"]
    write(tmp_path / "nb.ipynb", notebook(code_cell([*IMPORTS, MODEL]), code_cell([head, *body])))
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"], f["location"]["column"]) for f in found] == [("KC101", 2, 3, 10)]


@pytest.mark.parametrize(
    "lines",
    [
        ["!pip install tensorflow \\\n", "    keras==3.0 \\\n", "  --quiet\n"],
        ["files = !ls data/ \\\n", "   | grep csv\n"],
        ["%env CUDA_VISIBLE_DEVICES=0 \\\n", "\n"],
        ["for i in range(2):\n", "    !echo {i} \\\n", "        done\n"],
    ],
)
def test_shell_continuations_never_cause_a_syntax_error(tmp_path, lines):
    write(tmp_path / "nb.ipynb", notebook(code_cell([*IMPORTS, MODEL]), code_cell([*lines, "labels = model.predict_classes(x)\n"])))
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC101", 2, len(lines) + 1)]


def test_a_broken_cell_is_reported_and_the_others_still_checked(tmp_path):
    write(
        tmp_path / "nb.ipynb",
        notebook(
            code_cell([*IMPORTS, MODEL]),
            markdown("A cell someone left half-edited:"),
            code_cell(["x = 1\n", "def broken(:\n", "    pass\n"]),
            code_cell(["labels = model.predict_classes(x)\n"]),
        ),
    )
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC001", 3, 2), ("KC101", 4, 1)]


def test_each_cell_is_compiled_as_ipython_compiles_it(tmp_path):
    # IPython compiles each top-level statement of a cell as a module of its own: a
    # ``from __future__`` import may follow other statements (fastai's notebooks do) and
    # ``await`` runs at the top level, but ``return`` outside a function fails that cell only
    # (CPython's compiler, not its parser, refuses it).
    write(
        tmp_path / "nb.ipynb",
        notebook(
            code_cell([*IMPORTS, MODEL]),
            code_cell(["x = 1\n", "from __future__ import division, print_function\n"]),
            code_cell(["x = 2\n", "return x\n"]),
            code_cell(["await asyncio.sleep(0)\n", "labels = model.predict_classes(x)\n"]),
        ),
    )
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"], f["message"]) for f in found] == [
        ("KC001", 3, 2, "syntax error: 'return' outside function"),
        ("KC101", 4, 2, found[1]["message"]),
    ]


def test_cells_run_top_to_bottom_as_one_program(tmp_path):
    # ``model`` is rebound in cell 3: the call in cell 4 follows cell order (a loaded model).
    write(
        tmp_path / "nb.ipynb",
        notebook(
            code_cell([*IMPORTS, MODEL]),
            code_cell(["model.predict_classes(x)\n"]),
            code_cell(["model = keras.models.load_model('m.keras')\n"]),
        ),
    )
    found = findings(tmp_path, "nb.ipynb", "--select", "KC101")
    assert [(f["cell"], f["location"]["row"]) for f in found] == [(2, 1)]


def test_nbformat_3_worksheets_and_input(tmp_path):
    no_outputs = {"metadata": {}, "outputs": []}
    document = {
        "metadata": {"name": "old"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": ["# old notebook"]},
                    {"cell_type": "code", "collapsed": False, "input": ["from tensorflow import keras\n", MODEL], "language": "python", **no_outputs},
                    {"cell_type": "code", "collapsed": False, "input": "labels = model.predict_classes(x)", "language": "python", **no_outputs},
                ]
            }
        ],
    }
    write(tmp_path / "nb.ipynb", document)
    found = findings(tmp_path, "nb.ipynb", "--select", "KC001,KC101")
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("KC101", 3, 1)]


@pytest.mark.parametrize(
    "text, reason",
    [
        (json.dumps(notebook(code_cell(["x = 1\n", 7, None]))), "not a string or a list of strings"),
        ('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deeply"),
    ],
    ids=["non-string-source", "deep-json"],
)
def test_a_malformed_notebook_is_kc002_for_that_notebook_only(tmp_path, text, reason):
    (tmp_path / "bad.ipynb").write_text(text, encoding="utf-8")
    (tmp_path / "train.py").write_text("from tensorflow import keras\n" + MODEL + "labels = model.predict_classes(x)\n", encoding="utf-8")
    found = findings(tmp_path, ".", "--select", "KC001,KC002,KC101")
    assert [(f["code"], Path(f["filename"]).name) for f in found] == [("KC002", "bad.ipynb"), ("KC101", "train.py")]
    assert reason in found[0]["message"]


def test_other_kernel_languages_are_not_python(tmp_path):
    document = notebook(code_cell(["library(keras)\n", "model %>% fit(x, y)\n"]))
    document["metadata"] = {"kernelspec": {"language": "R", "name": "ir"}, "language_info": {"name": "R"}}
    write(tmp_path / "nb.ipynb", document)
    assert findings(tmp_path) == []


def test_a_location_cited_in_a_message_names_the_cell(tmp_path):
    write(
        tmp_path / "nb.ipynb",
        notebook(code_cell(IMPORTS), code_cell([MODEL]), code_cell(["keras.utils.set_random_seed(0)\n"])),
    )
    found = findings(tmp_path, "nb.ipynb", "--select", "KC303")
    assert [(f["cell"], f["location"]["row"]) for f in found] == [(3, 1)]
    assert "(cell 2, line 1)" in found[0]["message"]


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
    write(tmp_path / "nb.ipynb", notebook(code_cell([*IMPORTS, MODEL]), code_cell(cell)))
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
    code, out, _err = run("nb.ipynb", "--select", "KC106", "--diff", cwd=tmp_path)
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
    cells = [code_cell([*IMPORTS, MODEL], outputs=[OUTPUT])]
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
        for old, new in zip(document["cells"], fixed["cells"], strict=True):  # a fix adds or drops no cell
            assert type(old["source"]) is type(new["source"])
            if old["cell_type"] != "code":
                assert old == new
        joined = files.read(str(path))
        compile(joined.text, "nb", "exec", flags=0x400 | 0x2000, dont_inherit=True)
        assert sorted(p.name for p in root.iterdir()) == ["nb.ipynb"]
        run("nb.ipynb", "--fix", "--unsafe-fixes", "-q", cwd=root)
        assert path.read_text(encoding="utf-8") == first
