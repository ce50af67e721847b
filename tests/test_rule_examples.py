"""Every registered rule's VALID and INVALID examples are its tests (built-ins and plugins)."""

from __future__ import annotations

import pytest

from kerascheck.plugins import load_plugins
from kerascheck.testing import check_example, rule_example_params

REGISTRY = load_plugins()


@pytest.mark.parametrize(("rule", "example"), rule_example_params(REGISTRY.rules.values()))
def test_rule_example(rule, example):
    check_example(rule, example)


@pytest.mark.parametrize("check", sorted(REGISTRY.checks.values(), key=lambda c: c.code), ids=lambda c: c.code)
def test_documented(check):
    assert check.metadata_problems() == []
    sections = check.sections()
    for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert sections[section].strip(), f"{check.code}: empty section {section}"


ENGINE_ONLY = {"KC000", "KC002"}  # produced by the engine, covered by tests/test_engine.py


@pytest.mark.parametrize("rule", sorted(REGISTRY.rules.values(), key=lambda c: c.code), ids=lambda c: c.code)
def test_rule_has_examples(rule):
    if rule.code in ENGINE_ONLY:
        pytest.skip("engine finding; tested in test_engine.py")
    assert rule.INVALID, f"{rule.code} has no INVALID example"
    assert rule.VALID, f"{rule.code} has no VALID example"
    if rule.sections().get("Fix safety"):
        assert any(getattr(e, "fixed", None) for e in rule.INVALID), f"{rule.code} documents a fix but no INVALID example shows it"
