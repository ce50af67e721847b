"""The plugin's rules, tested through their own VALID/INVALID examples (kerascheck.testing)."""

from __future__ import annotations

import pytest
from kerascheck_tf1.rules import RULES, CompatV1Leftover, TfContrib, TfSession

from kerascheck.testing import check_example, check_source, rule_example_params


@pytest.mark.parametrize(("rule", "example"), rule_example_params(RULES))
def test_examples(rule, example) -> None:
    check_example(rule, example)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_metadata(rule) -> None:
    assert rule.metadata_problems() == []
    assert rule.prefix() == "TF"
    assert rule.VALID and rule.INVALID


def test_one_finding_per_contrib_chain() -> None:
    source = "import tensorflow as tf\nx = tf.contrib.layers.flatten(tf.contrib.layers.flatten(y))\n"
    findings = check_source(TfContrib, source)
    assert [(f.location.line, f.location.column) for f in findings] == [(2, 5), (2, 31)]


def test_compat_alias_is_reported_once_at_the_import() -> None:
    source = (
        "import tensorflow.compat.v1 as tf\nimport keras\n"
        "a = tf.random_normal([2])\nb = tf.get_variable('b', [2])\nc = tf.global_variables_initializer()\n"
    )
    findings = check_source(CompatV1Leftover, source)
    assert [f.location.line for f in findings] == [1]


def test_identical_rename_is_information() -> None:
    findings = check_source(CompatV1Leftover, "import tensorflow as tf\nimport keras\ny = tf.compat.v1.cast(x, 'int32')\n")
    assert len(findings) == 1
    assert findings[0].severity.value == "info"
    assert findings[0].fix is not None and findings[0].fix.is_safe


def test_unrelated_session_classes_are_ignored() -> None:
    # A requests.Session or a project's Session is not TensorFlow's.
    source = "import tensorflow as tf\nimport requests\ns = requests.Session()\n"
    assert check_source(TfSession, source) == []
