"""``kerascheck.testing`` is strict: a wrong example fails its test, with a useful message."""

from __future__ import annotations

import libcst as cst
import pytest

from kerascheck import Applicability, Fix, Invalid, Rule, Severity, Valid
from kerascheck.testing import (
    check_example,
    check_source,
    dedent_example,
    fix_source,
    probe_model,  # noqa: F401 (the fixture, as a plugin's conftest would load it)
    rule_example_params,
)

DOCS = """
## What it does
Finds calls to ``old()``.

## Why is this bad?
``old`` is gone.

## Example
```python
old()
```

## Use instead
```python
new()
```
"""


class OldCall(Rule):
    __doc__ = DOCS
    code = "ZZ101"
    name = "old-call"
    summary = "A call to old()"
    severity = Severity.WARNING
    requires_keras = False
    #: What the fix writes instead of ``old`` (a test sets a broken replacement).
    replacement: str | None = "new"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "old":
            fix = None
            if self.replacement is not None:
                fix = Fix((self.context.edit(node.func, self.replacement),), Applicability.SAFE, "call new()")
            self.report(node, "old() is gone", fix=fix)


class OldCallNoFix(OldCall):
    code, name = "ZZ102", "old-call-no-fix"
    replacement = None


class OldCallBrokenFix(OldCall):
    code, name = "ZZ103", "old-call-broken-fix"
    replacement = "new("


class Crashing(OldCall):
    code, name = "ZZ104", "crashing"

    def visit_Call(self, node: cst.Call) -> None:
        raise ValueError("boom in the plugin")


def fails(rule, example, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check_example(rule, example, **kwargs)
    return str(info.value)


def test_a_valid_example_that_does_not_parse_fails():
    assert "does not parse" in fails(OldCallNoFix, Valid("x = (1,\n"))


def test_an_invalid_example_that_does_not_parse_fails():
    assert "does not parse" in fails(OldCallNoFix, Invalid("old(\n"))


def test_examples_are_dedented():
    example = Invalid(
        """
        def f():
            old()
        """,
        line=2,
    )
    check_example(OldCallNoFix, example)
    assert dedent_example("\n    a\n    b\n") == "a\nb\n"


def test_findings_pins_every_finding():
    check_example(OldCallNoFix, Invalid("old()\nx = old()\n", findings=[(1, 1), (2, 5)]))
    message = fails(OldCallNoFix, Invalid("old()\nx = old()\n", findings=[(1, 1), (2, 1)]))
    assert "expected findings at [(1, 1), (2, 1)]" in message and "2:5 ZZ102" in message


def test_a_fix_without_expected_output_fails_showing_the_fix():
    message = fails(OldCall, Invalid("old()\n"))
    assert "offers a fix" in message and "fixed=" in message
    assert "-old()\n+new()\n" in message
    check_example(OldCall, Invalid("old()\n", fixed="new()\n"))


def test_a_wrong_fixed_output_fails_with_a_diff():
    message = fails(OldCall, Invalid("old()\n", fixed="newer()\n"))
    assert "-newer()\n+new()\n" in message


def test_a_fix_that_breaks_the_code_fails_with_the_diff():
    message = fails(OldCallBrokenFix, Invalid("old()\n", fixed="new()\n"))
    assert "a fix produced code that does not parse" in message
    assert "+new(()\n" in message
    with pytest.raises(AssertionError):
        fix_source(OldCallBrokenFix, "old()\n")


def test_a_crash_fails_with_the_plugins_traceback():
    message = fails(Crashing, Invalid("old()\n"))
    assert "ZZ104 crashed" in message
    assert "Traceback (most recent call last)" in message and "ValueError: boom in the plugin" in message
    assert "in visit_Call" in message


def test_crash_findings_carry_the_traceback():
    from kerascheck.report.base import traceback_of

    (finding,) = check_source(Crashing, "old()\n")
    assert finding.code == "KC000" and "boom in the plugin" in (traceback_of(finding) or "")


def test_rule_example_params_prepare_examples():
    class Indented(OldCallNoFix):
        code, name = "ZZ105", "indented"
        VALID = ("\n    new()\n",)
        INVALID = (Invalid("\n    old()\n", line=1),)

    params = rule_example_params([Indented])
    assert [p.id for p in params] == ["ZZ105-valid-0", "ZZ105-invalid-0"]
    assert params[0].values[1].code == "new()\n"
    for param in params:
        check_example(*param.values)


@pytest.mark.tf
def test_run_probe_on_a_tiny_real_model():
    pytest.importorskip("keras")
    from kerascheck.plugins import load_plugins
    from kerascheck.testing import build_tiny_model, run_probe

    batchnorm = load_plugins().find("batchnorm-never-trained")
    findings = run_probe(batchnorm, build_tiny_model("batchnorm"))
    assert [f.code for f in findings] == ["KP106"]
    assert run_probe(batchnorm, build_tiny_model("dense")) == []


@pytest.mark.tf
def test_probe_model_fixture_is_a_tiny_real_model(probe_model):
    assert probe_model.count_params() < 100 and len(probe_model.layers) == 2
