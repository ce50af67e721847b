"""Regression test: the default rules against a corpus of realistic Keras scripts.

The corpus (``tests/corpus``) was written from the semantics in RULES.md by someone who did not
read the rule implementations; each expected finding is a ``# expect: KCnnn`` comment on its
line (see ``bench/corpus_precision.py``). Every script and every project directory is checked
on its own (a project is one program: seeds and saved preprocessors count across its files).

The known disagreements below are measured, not wished away: each entry is an expectation the
current rules miss, or a finding they report where RULES.md says they should not. They must
match exactly, so a fixed rule (or a new regression) fails the test until the list is updated.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parent.parent / "bench" / "corpus_precision.py"
_spec = importlib.util.spec_from_file_location("corpus_precision", _BENCH)
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("corpus_precision", corpus)
_spec.loader.exec_module(corpus)

#: file (relative to tests/corpus) -> {(line, code)} the rules should report but do not.
KNOWN_MISSES: dict[str, set[tuple[int, str]]] = {
    # `self.last_scores = weights` in `call` stores a trace-time SymbolicTensor (measured: unusable
    # after fit). Deliberately not flagged: storing a tensor on `self` for later inspection is a
    # common idiom, also in keras-io (temporal_latent_bottleneck.py: `self.attention_scores =
    # attention_scores` in `call`, read eagerly), and a plain assignment cannot be told apart from
    # it statically; KC701 reports only `+=`, `.append` and globals. Kept as a known miss.
    "so_attention_layer_state.py": {(26, "KC701")},
}

#: file (relative to tests/corpus) -> {(line, code)} the rules report but should not.
KNOWN_FALSE_POSITIVES: dict[str, set[tuple[int, str]]] = {}

UNITS = corpus.units()


@cache
def outcome(name: str) -> corpus.Outcome:
    unit = next(u for u in UNITS if u.name == name)
    return corpus.run_unit(unit)


def _known(table: dict[str, set[tuple[int, str]]], unit: corpus.Unit) -> set[tuple[str, int, str]]:
    files = {corpus.relative(p) for p in unit.files()}
    return {(path, line, code) for path, entries in table.items() if path in files for line, code in entries}


def test_corpus_shape() -> None:
    scripts = [u for u in UNITS if u.path.is_file()]
    projects = [u for u in UNITS if u.path.is_dir()]
    assert len(scripts) >= 24
    assert len(projects) >= 2
    clean = [u for u in UNITS if not outcome(u.name).expected]
    assert len(clean) >= 8, [u.name for u in clean]
    # the known-disagreement tables must name files that exist
    names = {corpus.relative(p) for u in UNITS for p in u.files()}
    assert set(KNOWN_MISSES) <= names
    assert set(KNOWN_FALSE_POSITIVES) <= names


@pytest.mark.parametrize("name", [u.name for u in UNITS])
def test_corpus_program(name: str) -> None:
    result = outcome(name)
    assert result.files_checked == len(result.unit.files()), "some corpus files were not checked (excluded?)"
    misses = result.false_negatives
    extras = result.false_positives
    known_misses = _known(KNOWN_MISSES, result.unit)
    known_extras = _known(KNOWN_FALSE_POSITIVES, result.unit)
    problems = []
    for key in sorted(misses - known_misses):
        problems.append(f"missed {key[2]} at {key[0]}:{key[1]}")
    for key in sorted(extras - known_extras):
        problems.append(f"unexpected {key[2]} at {key[0]}:{key[1]}")
    for key in sorted(known_misses - misses):
        problems.append(f"KNOWN_MISSES entry no longer missed (update the list): {key}")
    for key in sorted(known_extras - extras):
        problems.append(f"KNOWN_FALSE_POSITIVES entry no longer reported (update the list): {key}")
    assert not problems, "\n".join(problems)


def test_corpus_table(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = [outcome(u.name) for u in UNITS]
    text = corpus.table(outcomes)
    with capsys.disabled():
        print("\n" + text)
    # the table is the measured precision/recall; it must agree with the documented misses
    fn = sum(len(o.false_negatives) for o in outcomes)
    fp = sum(len(o.false_positives) for o in outcomes)
    assert fn == sum(len(v) for v in KNOWN_MISSES.values())
    assert fp == sum(len(v) for v in KNOWN_FALSE_POSITIVES.values())
