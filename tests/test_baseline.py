"""Adoption aids: ``--add-noqa`` and baselines (``--write-baseline`` / ``--baseline``)."""

from __future__ import annotations

import json

import pytest
from test_fix import run

HEADER = "import numpy as np\nfrom tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"


def add_noqa(tmp_path, source: str, *extra: str) -> tuple[str, str]:
    (tmp_path / "a.py").write_text(source, encoding="utf-8", newline="")
    code, _, err = run("a.py", "--select", "KC1", "--add-noqa", *extra, cwd=tmp_path)
    assert code == 0, err
    return (tmp_path / "a.py").read_bytes().decode("utf-8"), err


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("labels = model.predict_classes(x)\n", "labels = model.predict_classes(x)  # noqa: KC101\n"),
        # A statement over several lines: the comment goes on its last line, covering all of it.
        ("labels = model.predict_classes(\n    x,\n)\n", "labels = model.predict_classes(\n    x,\n)  # noqa: KC101\n"),
        # Never inside a multi-line string: after it.
        (
            'labels = model.predict_classes(x); doc = """\nmore\n"""\n',
            'labels = model.predict_classes(x); doc = """\nmore\n"""  # noqa: KC101\n',
        ),
        # Merged into an existing noqa, and after another comment.
        ("labels = model.predict_classes(x)  # noqa: E501\n", "labels = model.predict_classes(x)  # noqa: E501, KC101\n"),
        ("labels = model.predict_classes(x)  # TODO port\n", "labels = model.predict_classes(x)  # TODO port  # noqa: KC101\n"),
        # Two findings on one statement: one comment; trailing whitespace replaced.
        (
            "opt = keras.optimizers.Adam(lr=0.01); p = model.predict_classes(x)   \n",
            "opt = keras.optimizers.Adam(lr=0.01); p = model.predict_classes(x)  # noqa: KC101, KC106\n",
        ),
        # A statement inside a block, and a file without a final newline.
        ("def f():\n    return model.predict_classes(x)", "def f():\n    return model.predict_classes(x)  # noqa: KC101"),
        # CRLF stays CRLF.
        ("labels = model.predict_classes(x)\r\ny = 1\r\n", "labels = model.predict_classes(x)  # noqa: KC101\r\ny = 1\r\n"),
    ],
    ids=["simple", "multi-line-call", "multi-line-string", "merge-noqa", "other-comment", "two-codes", "block-no-eol", "crlf"],
)
def test_add_noqa(tmp_path, body, expected):
    result, err = add_noqa(tmp_path, HEADER + body)
    assert result == HEADER + expected
    assert err.startswith("Added 1 noqa comment in 1 file.")
    code, out, _ = run("a.py", "--select", "KC1", cwd=tmp_path)
    assert code == 0, out  # everything is suppressed, and no suppression is reported unused
    again, err = add_noqa(tmp_path, result)  # idempotent
    assert again == result and err == "Added 0 noqa comments in 0 files.\n"


def test_add_noqa_from_stdin_prints_the_source(tmp_path):
    source = HEADER + "p = model.predict_classes(x)\n"
    code, out, _err = run("-", "--stdin-filename", "a.py", "--select", "KC101", "--add-noqa", cwd=tmp_path, stdin=source)
    assert code == 0 and out == HEADER + "p = model.predict_classes(x)  # noqa: KC101\n"


def test_add_noqa_refuses_fix(tmp_path):
    (tmp_path / "a.py").write_text(HEADER, encoding="utf-8")
    code, _, err = run("a.py", "--add-noqa", "--fix", cwd=tmp_path)
    assert code == 2 and "--add-noqa cannot be combined with --fix" in err


# -- baselines -----------------------------------------------------------------------------------


LEGACY = HEADER + "labels = model.predict_classes(x_test)\nopt = keras.optimizers.Adam(lr=0.01)\nlabels = model.predict_classes(x_test)\n"


@pytest.fixture
def legacy(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(LEGACY, encoding="utf-8")
    code, out, err = run("src", "--select", "KC1", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert code == 0 and out == "" and err == "kerascheck: wrote 3 findings to baseline baseline.json\n"
    return tmp_path


def test_baseline_file_format(legacy):
    document = json.loads((legacy / "baseline.json").read_text(encoding="utf-8"))
    assert document["kerascheck-baseline"] == 1
    assert [(e["path"], e["code"], e["line_text"], e["occurrence"]) for e in document["findings"]] == [
        ("src/train.py", "KC101", "labels = model.predict_classes(x_test)", 0),
        ("src/train.py", "KC101", "labels = model.predict_classes(x_test)", 1),
        ("src/train.py", "KC106", "opt = keras.optimizers.Adam(lr=0.01)", 0),
    ]


def test_baseline_hides_known_findings_despite_edits_above(legacy):
    path = legacy / "src" / "train.py"
    path.write_text("import os\n\n\n" + LEGACY.replace("opt =", "    opt =".strip()), encoding="utf-8")
    code, out, _ = run("src", "--select", "KC1", "--baseline", "baseline.json", cwd=legacy)
    assert (code, out) == (0, "All checks passed (1 file checked).\n")


def test_baseline_reports_new_findings_only(legacy):
    path = legacy / "src" / "train.py"
    # A third identical line is new (occurrence 2), and so is a different finding.
    path.write_text(LEGACY + "labels = model.predict_classes(x_test)\nmodel.fit_generator(g)\n", encoding="utf-8")
    code, out, _ = run("src", "--select", "KC1", "--baseline", "baseline.json", cwd=legacy)
    assert code == 1
    assert [line.split(" [")[0] for line in out.splitlines()[:-1]] == ["src/train.py:7:10: KC101", "src/train.py:8:1: KC103"]


def test_baseline_paths_do_not_depend_on_the_working_directory(legacy):
    code, out, _ = run("train.py", "--select", "KC1", "--baseline", "../baseline.json", cwd=legacy / "src")
    assert (code, out) == (0, "All checks passed (1 file checked).\n")


def test_baseline_with_fix_reports_what_remains_and_is_new(legacy):
    path = legacy / "src" / "train.py"
    path.write_text(LEGACY + "model.fit_generator(g)\n", encoding="utf-8")
    code, out, _ = run("src", "--select", "KC1", "--baseline", "baseline.json", "--fix", cwd=legacy)
    assert "model.fit(g)" in path.read_text() and "learning_rate=" in path.read_text()
    assert (code, out) == (0, "All checks passed (1 file checked, 2 fixed).\n")


def test_baseline_still_matches_after_fix_changed_the_line(tmp_path):
    """--fix rewrites one finding's code on a line another (unfixable) finding stands on: the
    other finding's line text changes, and the baseline still recognises it."""
    source = HEADER + "opt = keras.optimizers.Adam(lr=0.01); labels = model.predict_classes(x_test)\n"
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    assert run("train.py", "--select", "KC1", "--write-baseline", "baseline.json", cwd=tmp_path)[0] == 0
    code, out, _ = run("train.py", "--select", "KC1", "--baseline", "baseline.json", "--fix", cwd=tmp_path)
    assert "learning_rate=0.01" in (tmp_path / "train.py").read_text()
    assert (code, out) == (0, "All checks passed (1 file checked, 1 fixed).\n")
    code, out, _ = run("train.py", "--select", "KC1", "--baseline", "baseline.json", cwd=tmp_path)
    assert (code, out) == (0, "All checks passed (1 file checked).\n")


def test_a_similar_line_matches_only_one_entry(tmp_path):
    """The similar-line fallback is one to one: a second edited copy is new."""
    line = "labels = model.predict_classes(x_test)\n"
    (tmp_path / "train.py").write_text(HEADER + line, encoding="utf-8")
    assert run("train.py", "--select", "KC101", "--write-baseline", "baseline.json", cwd=tmp_path)[0] == 0
    edited = "labels = model.predict_classes(x_test1)\n"
    (tmp_path / "train.py").write_text(HEADER + edited + edited, encoding="utf-8")
    code, out, _ = run("train.py", "--select", "KC101", "--baseline", "baseline.json", cwd=tmp_path)
    assert code == 1 and out.startswith("train.py:5:10: KC101") and "Found 1 problem" in out


def test_baseline_for_notebooks(tmp_path):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": [HEADER, "p = model.predict_classes(x)\n"]}
    document = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(document, indent=1), encoding="utf-8")
    assert run("nb.ipynb", "--select", "KC1", "--write-baseline", "b.json", cwd=tmp_path)[0] == 0
    assert json.loads((tmp_path / "b.json").read_text())["findings"][0]["line_text"] == "p = model.predict_classes(x)"
    cell["source"].insert(0, "%matplotlib inline\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps(document, indent=1), encoding="utf-8")
    assert run("nb.ipynb", "--select", "KC1", "--baseline", "b.json", cwd=tmp_path)[0] == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file (create it with --write-baseline)"),
        ("{not json", "not valid JSON"),
        ('{"findings": []}', "not a kerascheck baseline"),
        ('{"kerascheck-baseline": 1, "findings": [{"path": "a.py"}]}', "entry 0 needs path, code, line_text and occurrence"),
    ],
)
def test_bad_baseline_is_a_clear_error(tmp_path, content, problem):
    (tmp_path / "a.py").write_text(LEGACY, encoding="utf-8")
    if content is not None:
        (tmp_path / "b.json").write_text(content, encoding="utf-8")
    code, out, err = run("a.py", "--baseline", "b.json", cwd=tmp_path)
    assert code == 2 and out == ""
    assert err.startswith("kerascheck: configuration error: baseline b.json: ") and problem in err
