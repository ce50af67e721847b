"""The real-corpus labels (``bench/real_labels``) are well formed, and the scorer that matches
kerascheck's findings against them works, on a tiny synthetic corpus (CI has no shared corpus)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("real_corpus_score", _ROOT / "bench" / "real_corpus_score.py")
assert _spec is not None and _spec.loader is not None
score = importlib.util.module_from_spec(_spec)
sys.modules["real_corpus_score"] = score  # dataclasses resolve their module by name
_spec.loader.exec_module(score)

LABELS = _ROOT / "bench" / "real_labels"


# -- the committed label files ------------------------------------------------------------------


@pytest.mark.parametrize("corpus", score.CORPORA)
def test_label_file_parses_and_is_sorted(corpus):
    path = LABELS / f"{corpus}.jsonl"
    labels = score.read_labels(path, corpus)
    assert labels, f"{path} holds no labels"
    assert labels == sorted(labels, key=score.sort_key), "labels must stay sorted (diff-friendly)"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [score.label_line(label) for label in labels], "one canonical JSON object per line"


@pytest.mark.parametrize("corpus", score.CORPORA)
def test_every_label_has_its_snippet_and_a_reason(corpus):
    for label in score.read_labels(LABELS / f"{corpus}.jsonl", corpus):
        assert label.snippet, label
        assert len(label.reason.strip()) >= 10, label


def test_sampling_file_is_valid():
    samples = score.read_sampling(LABELS / "sampling.json")
    for sample in samples.values():
        assert sample.corpus in score.CORPORA and sample.size > 0


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[]", "not a JSON object"),
        ('{"corpus": "real"}', "field 'path'"),
        (
            '{"corpus": "real", "path": "a.py", "line": 1, "cell": null, "code": "KC101", "label": "maybe",'
            ' "snippet": "x", "reason": "because"}',
            "label must be one of",
        ),
        (
            '{"corpus": "real", "path": "a.py", "line": 1, "cell": null, "code": "KC101", "label": "tp",'
            ' "snippet": "x  y", "reason": "because"}',
            "not normalized",
        ),
        (
            '{"corpus": "real", "path": "a.py", "line": 1, "cell": 0, "code": "KC101", "label": "tp",'
            ' "snippet": "x", "reason": "because"}',
            "1-based cell",
        ),
    ],
)
def test_malformed_labels_are_rejected_with_the_line(tmp_path, line, problem):
    path = tmp_path / "real.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(score.LabelError, match=problem) as caught:
        score.read_labels(path, "real")
    assert "real.jsonl:1" in str(caught.value)


# -- the scorer on a synthetic corpus -----------------------------------------------------------

TRAIN = """\
import keras
import numpy as np

model = keras.Sequential([keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(lr=0.1), loss="mse")
classes = model.predict_classes(np.zeros((2, 4)))
"""


SEEDED = """\
import keras

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.layers.Dense(1)])
model.fit([[0.0]], [[1.0]], epochs=1)
"""


def _label(corpus, path, line, code, label, snippet, reason="synthetic label for the test"):
    return score.Label(corpus, path, line, None, code, label, score.normalize(snippet), reason)


def _write(path: Path, labels) -> None:
    path.write_text("".join(score.label_line(label) + "\n" for label in labels), encoding="utf-8")


@pytest.fixture
def synthetic(tmp_path):
    corpus_dir = tmp_path / "corpus"
    project = corpus_dir / "real" / "proj"
    project.mkdir(parents=True)
    (project / "train.py").write_text(TRAIN, encoding="utf-8")
    (project / "seeded.py").write_text(SEEDED, encoding="utf-8")
    (corpus_dir / "keras-io" / "examples").mkdir(parents=True)
    (corpus_dir / "keras-io" / "examples" / "clean.py").write_text("import keras\n", encoding="utf-8")
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    _write(
        labels_dir / "real.jsonl",
        [
            _label("real", "proj/train.py", 6, "KC101", "tp", "classes = model.predict_classes(np.zeros((2, 4)))"),
            _label("real", "proj/train.py", 5, "KC106", "fp", TRAIN.splitlines()[4]),
            _label("real", "proj/train.py", 4, "KC604", "fn", TRAIN.splitlines()[3]),
        ],
    )
    _write(labels_dir / "keras-io.jsonl", [])
    return corpus_dir, labels_dir


def test_findings_match_labels_per_rule(synthetic):
    corpus_dir, labels_dir = synthetic
    findings = score.run_corpus(corpus_dir, "real")
    assert {(f.path, f.line, f.code) for f in findings} >= {("proj/train.py", 6, "KC101"), ("proj/train.py", 5, "KC106")}
    result = score.score(findings, score.read_labels(labels_dir / "real.jsonl", "real"), {})
    assert (result.scores["KC101"].tp, result.scores["KC101"].fp) == (1, 0)
    assert (result.scores["KC106"].tp, result.scores["KC106"].fp) == (0, 1)
    assert result.scores["KC604"].fn == 1 and result.scores["KC604"].recall == 0.0
    assert result.scores["KC101"].precision == 1.0
    # Findings nobody labelled are listed, so a rule change that adds findings shows them.
    assert all(f.code not in {"KC101", "KC106"} for f in result.unlabelled)
    # ``ALL`` alone leaves the off-by-default rules out; the scorer selects them too.
    assert "KC304" in score.opt_in_codes()
    assert ("proj/seeded.py", "KC304") in {(f.path, f.code) for f in result.unlabelled}


def test_labels_survive_a_line_shift(synthetic):
    corpus_dir, labels_dir = synthetic
    train = corpus_dir / "real" / "proj" / "train.py"
    train.write_text("# a new header comment\n\n" + TRAIN, encoding="utf-8")
    result = score.score(score.run_corpus(corpus_dir, "real"), score.read_labels(labels_dir / "real.jsonl", "real"), {})
    assert result.scores["KC101"].tp == 1 and result.scores["KC101"].fn == 0
    assert result.scores["KC106"].fp == 1


def test_a_true_positive_no_longer_reported_counts_as_missed(synthetic):
    corpus_dir, labels_dir = synthetic
    train = corpus_dir / "real" / "proj" / "train.py"
    train.write_text(TRAIN.replace("model.predict_classes", "np.argmax(model.predict") + ")\n", encoding="utf-8")
    result = score.score(score.run_corpus(corpus_dir, "real"), score.read_labels(labels_dir / "real.jsonl", "real"), {})
    assert result.scores["KC101"].fn == 1
    assert [label.code for label in result.missed if label.label == "tp"] == ["KC101"]


def test_main_prints_tables_markdown_and_stubs(synthetic, tmp_path, capsys):
    corpus_dir, labels_dir = synthetic
    stubs = tmp_path / "stubs.jsonl"
    where = ["--corpus-dir", str(corpus_dir), "--labels-dir", str(labels_dir)]
    code = score.main(["--corpus", "all", *where, "--markdown", "--details", "--write-unlabelled", str(stubs)])
    out = capsys.readouterr().out
    assert code == 0
    assert "## corpus real (3 labels)" in out and "## corpus keras-io (0 labels)" in out
    assert "| KC101 | 1 | 1 | 0 | 0 | 0 | 1.00 | 1.00 |" in out
    assert "FP KC106 real/proj/train.py:5" in out and "FN KC604 real/proj/train.py:4" in out
    for line in stubs.read_text(encoding="utf-8").splitlines():
        assert json.loads(line)["label"] == "?"


def test_main_skips_clearly_without_the_corpus(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KERASCHECK_CORPUS", str(tmp_path / "missing"))
    assert score.main([]) == 0
    out = capsys.readouterr().out
    assert "skipped: corpus real, keras-io, heldout not found" in out and "heldout_fetch.py" in out


def test_main_reports_a_bad_label_file_with_exit_2(synthetic, capsys):
    corpus_dir, labels_dir = synthetic
    (labels_dir / "real.jsonl").write_text("not json\n", encoding="utf-8")
    assert score.main(["--corpus", "real", "--corpus-dir", str(corpus_dir), "--labels-dir", str(labels_dir)]) == 2
    assert "real.jsonl:1: not JSON" in capsys.readouterr().err


def test_add_labels_merges_labelled_stubs_sorted(synthetic, tmp_path, capsys):
    corpus_dir, labels_dir = synthetic
    stubs = tmp_path / "stubs.jsonl"
    assert score.main(["--corpus", "real", "--corpus-dir", str(corpus_dir), "--labels-dir", str(labels_dir), "--write-unlabelled", str(stubs)]) == 0
    lines = [json.loads(line) for line in stubs.read_text(encoding="utf-8").splitlines()]
    assert lines, "the synthetic corpus has unlabelled findings"
    # Unlabelled stubs are refused: every stub needs a decision first.
    assert score.main(["--add-labels", str(stubs), "--labels-dir", str(labels_dir)]) == 2
    for item in lines:
        item["label"], item["reason"] = "tp", "decided in the test"
    stubs.write_text("".join(json.dumps(item) + "\n" for item in lines), encoding="utf-8")
    assert score.main(["--add-labels", str(stubs), "--labels-dir", str(labels_dir)]) == 0
    labels = score.read_labels(labels_dir / "real.jsonl", "real")
    assert len(labels) == 3 + len(lines) and labels == sorted(labels, key=score.sort_key)
    capsys.readouterr()
    assert score.main(["--corpus", "real", "--corpus-dir", str(corpus_dir), "--labels-dir", str(labels_dir)]) == 0
    assert "unlabelled findings" not in capsys.readouterr().out
