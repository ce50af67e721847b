"""Suppression comments: noqa, kerascheck: ignore[...], ignore-file, unused ones reported."""

from __future__ import annotations

import kerascheck

BUGGY = "import keras\nmodel = keras.Sequential()\n"


def _codes(source, tmp_path, **kwargs):
    path = tmp_path / "t.py"
    path.write_text(source, encoding="utf-8")
    return [(f.code, f.location.line) for f in kerascheck.check([path], **kwargs)]


def test_noqa_with_code_suppresses(tmp_path):
    assert _codes(BUGGY + "model.predict_classes(x)  # noqa: KC101\n", tmp_path) == []


def test_noqa_lowercase_and_multiple_codes(tmp_path):
    assert _codes(BUGGY + "model.predict_classes(x)  # NOQA: E501, KC101\n", tmp_path) == []


def test_kerascheck_ignore_by_prefix_and_slug(tmp_path):
    assert _codes(BUGGY + "model.predict_classes(x)  # kerascheck: ignore[KC1]\n", tmp_path) == []
    assert _codes(BUGGY + "model.predict_classes(x)  # kerascheck: ignore[removed-predict-classes]\n", tmp_path) == []


def test_other_code_does_not_suppress(tmp_path):
    found = _codes(BUGGY + "model.predict_classes(x)  # noqa: KC102\n", tmp_path)
    assert ("KC101", 3) in found
    assert ("KC003", 3) in found  # and the stale KC102 suppression is reported


def test_statement_spanning_lines(tmp_path):
    source = BUGGY + "model.predict_classes(\n    x,\n)  # noqa: KC101\n"
    assert _codes(source, tmp_path) == []


def test_file_level_ignore(tmp_path):
    source = "# kerascheck: ignore-file[KC10]\n" + BUGGY + "model.predict_classes(x)\nmodel.predict_generator(g)\n"
    assert _codes(source, tmp_path) == []


def test_blanket_file_ignore(tmp_path):
    assert _codes("# kerascheck: ignore-file\n" + BUGGY + "model.predict_classes(x)\n", tmp_path) == []


def test_comment_inside_string_is_not_a_suppression(tmp_path):
    source = BUGGY + "s = '# noqa: KC101'; model.predict_classes(x)\n"
    assert ("KC101", 3) in _codes(source, tmp_path)


def test_unused_suppression_of_disabled_rule_not_reported(tmp_path):
    source = BUGGY + "y = 1  # noqa: KC101\n"
    assert _codes(source, tmp_path, ignore=["KC101"]) == []
    assert ("KC003", 3) in _codes(source, tmp_path)
