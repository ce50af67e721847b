"""Helpers to test rules, for kerascheck itself and for plugin authors.

A rule's VALID and INVALID examples are its tests::

    # tests/test_my_rules.py
    from kerascheck.testing import rule_example_params, check_example

    @pytest.mark.parametrize(("rule", "example"), rule_example_params([MyRule]))
    def test_examples(rule, example):
        check_example(rule, example)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascheck.config import Config
from kerascheck.findings import Finding
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.static.engine import Engine
from kerascheck.static.text_edits import apply_fixes

EXAMPLE_FILENAME = "example.py"


def _engine(rule: type[Rule], target_keras: str, options: Mapping[str, Any], also_select: Sequence[str] = ()) -> Engine:
    from kerascheck.plugins import load_plugins

    registry = load_plugins()
    rules = dict(registry.rules)
    rules[rule.code] = rule  # the rule under test, even if it is not installed as a plugin
    config = Config(
        select=(rule.code, *also_select),
        target_keras=target_keras,
        options=((rule.code, tuple(sorted(options.items()))),) if options else (),
    )
    return Engine(rules, config)


def check_source(
    rule: type[Rule],
    source: str,
    *,
    target_keras: str = "3",
    options: Mapping[str, Any] | None = None,
    project: Mapping[str, str] | None = None,
    filename: str = EXAMPLE_FILENAME,
    also_select: Sequence[str] = (),
) -> list[Finding]:
    """Run one rule (alone) on ``source``, with the other ``project`` files beside it."""
    engine = _engine(rule, target_keras, options or {}, also_select)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for name, text in {**(project or {}), filename: source}.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        results = [engine.check_file(p) for p in sorted(paths)]
        findings = engine.finish(results, root=root)
        main = str(root / filename)
        return [
            _relocated(f, filename) for f in findings if f.location.path == main and f.code == rule.code
        ] + [f for f in findings if f.location.path == main and f.code == "KC000"]


def _relocated(finding: Finding, filename: str) -> Finding:
    from dataclasses import replace

    return replace(finding, location=replace(finding.location, path=filename))


def fix_source(rule: type[Rule], source: str, *, target_keras: str = "3", options: Mapping[str, Any] | None = None, project: Mapping[str, str] | None = None, also_select: Sequence[str] = ()) -> str:
    """Apply the rule's fixes (safe and unsafe) until none is left, as ``--unsafe-fixes`` does."""
    for _ in range(10):
        findings = check_source(rule, source, target_keras=target_keras, options=options, project=project, also_select=also_select)
        result = apply_fixes(source, findings, unsafe=True)
        if not result.applied:
            return source
        source = result.source
    return source


def _as_example(example: str | Valid | Invalid, valid: bool) -> Valid | Invalid:
    if isinstance(example, str):
        return Valid(example) if valid else Invalid(example)
    return example


def rule_example_params(rules: Iterable[type[Rule]]) -> list[Any]:
    """``pytest.param(rule, example, id="KC101-invalid-0")`` for every example of ``rules``."""
    import pytest

    params = []
    for rule in rules:
        for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for index, example in enumerate(examples):
                params.append(pytest.param(rule, _as_example(example, kind == "valid"), id=f"{rule.code}-{kind}-{index}"))
    return params


def check_example(rule: type[Rule], example: Valid | Invalid) -> None:
    """Assert that ``rule`` accepts a VALID example or flags an INVALID one as described."""
    findings = check_source(rule, example.code, target_keras=example.target_keras, options=example.options, project=example.project, also_select=example.also_select)
    crashes = [f for f in findings if f.code == "KC000"]
    assert not crashes, f"{rule.code} crashed: {crashes[0].message}"
    if isinstance(example, Valid):
        assert not findings, f"{rule.code} flagged a VALID example:\n{_show(findings)}\n---\n{example.code}"
        return
    assert findings, f"{rule.code} did not flag an INVALID example:\n{example.code}"
    if example.count is not None:
        assert len(findings) == example.count, f"{rule.code}: expected {example.count} findings, got:\n{_show(findings)}"
    if example.line is not None:
        assert findings[0].location.line == example.line, f"{rule.code}: expected line {example.line}, got:\n{_show(findings)}"
    if example.message is not None:
        assert any(example.message in f.message for f in findings), f"{rule.code}: no message contains {example.message!r}:\n{_show(findings)}"
    for finding in findings:
        assert finding.message and finding.name == rule.name
    if example.fixed is not None:
        fixed = fix_source(rule, example.code, target_keras=example.target_keras, options=example.options, project=example.project, also_select=example.also_select)
        assert fixed == example.fixed, f"{rule.code}: fix produced\n{fixed}\nexpected\n{example.fixed}"
        compile(fixed, EXAMPLE_FILENAME, "exec")
        remaining = check_source(rule, fixed, target_keras=example.target_keras, options=example.options, project=example.project, also_select=example.also_select)
        assert not remaining, f"{rule.code}: the fixed code is still flagged:\n{_show(remaining)}"


def _show(findings: Sequence[Finding]) -> str:
    return "\n".join(f"  {f.location.line}:{f.location.column} {f.code} {f.message}" for f in findings)
