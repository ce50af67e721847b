"""Helpers to test rules and probes, for kerascheck itself and for plugin authors.

A rule's VALID and INVALID examples are its tests::

    # tests/test_my_rules.py
    from kerascheck.testing import rule_example_params, check_example

    @pytest.mark.parametrize(("rule", "example"), rule_example_params([MyRule]))
    def test_examples(rule, example):
        check_example(rule, example)

The checks are strict, so a mistake in an example fails its test instead of passing silently:
an example that does not parse fails; examples (and ``fixed``) are dedented, and a leading
newline dropped, so they can be indented triple-quoted strings; ``Invalid(findings=[(line,
col), ...])`` pins every finding; an INVALID example the rule offers a fix for must say what
the fixed code is (``fixed=``); a fix that produces code that does not parse fails with the
diff; a crash (``KC000``) fails with the rule's traceback.

Probes are tested on a real, tiny Keras model with :func:`run_probe` (the ``probe_model``
fixture builds one; load it with ``pytest_plugins = ["kerascheck.testing"]`` in conftest.py).
"""

from __future__ import annotations

import difflib
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from kerascheck.config import Config
from kerascheck.findings import Finding
from kerascheck.probes.base import Probe, ProbeContext
from kerascheck.report.base import traceback_of
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.static.engine import SYNTAX_ERROR, Engine
from kerascheck.static.text_edits import apply_fixes

try:  # the fixtures need pytest; the helpers work without it
    import pytest
except ImportError:  # pragma: no cover
    pytest = None  # type: ignore[assignment]

__all__ = [
    "EXAMPLE_FILENAME",
    "ProbeContext",
    "build_tiny_model",
    "check_example",
    "check_source",
    "dedent_example",
    "fix_source",
    "probe_model",
    "rule_example_params",
    "run_probe",
]

EXAMPLE_FILENAME = "example.py"
#: Internal-error codes: a crashed rule (static) or probe (dynamic).
RULE_CRASH, PROBE_CRASH = "KC000", "KP002"


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
    """Run one rule (alone) on ``source``, with the other ``project`` files beside it.

    Returns the rule's findings and any ``KC000`` (crash) findings in ``source``.
    """
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
        ] + [_relocated(f, filename) for f in findings if f.location.path == main and f.code == RULE_CRASH]


def _relocated(finding: Finding, filename: str) -> Finding:
    return replace(finding, location=replace(finding.location, path=filename))


def fix_source(
    rule: type[Rule],
    source: str,
    *,
    target_keras: str = "3",
    options: Mapping[str, Any] | None = None,
    project: Mapping[str, str] | None = None,
    also_select: Sequence[str] = (),
) -> str:
    """Apply the rule's fixes (safe and unsafe) until none is left, as ``--unsafe-fixes`` does.

    Raises ``AssertionError`` with the diff when a fix produces code that does not parse.
    """
    for _ in range(10):
        findings = check_source(rule, source, target_keras=target_keras, options=options, project=project, also_select=also_select)
        result = apply_fixes(source, findings, unsafe=True)
        if not result.applied:
            return source
        problem = _syntax_problem(result.source)
        if problem is not None:
            raise AssertionError(f"{rule.code}: a fix produced code that does not parse ({problem}):\n{_diff(source, result.source)}")
        source = result.source
    return source


def dedent_example(text: str) -> str:
    """``text`` dedented, with one leading newline dropped (``\"\"\"\\n    code\\n\"\"\"``)."""
    text = textwrap.dedent(text)
    return text[1:] if text.startswith("\n") else text


def _prepared(example: str | Valid | Invalid, valid: bool) -> Valid | Invalid:
    if isinstance(example, str):
        example = Valid(example) if valid else Invalid(example)
    changes: dict[str, Any] = {"code": dedent_example(example.code)}
    if example.project:
        changes["project"] = {name: dedent_example(text) for name, text in example.project.items()}
    if isinstance(example, Invalid) and example.fixed is not None:
        changes["fixed"] = dedent_example(example.fixed)
    return replace(example, **changes)


def rule_example_params(rules: Iterable[type[Rule]]) -> list[Any]:
    """``pytest.param(rule, example, id="KC101-invalid-0")`` for every example of ``rules``."""
    import pytest

    params = []
    for rule in rules:
        for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for index, example in enumerate(examples):
                params.append(pytest.param(rule, _prepared(example, kind == "valid"), id=f"{rule.code}-{kind}-{index}"))
    return params


def check_example(rule: type[Rule], example: str | Valid | Invalid, *, valid: bool | None = None) -> None:
    """Assert that ``rule`` accepts a VALID example or flags an INVALID one as described.

    A plain string counts as VALID unless ``valid=False``.
    """
    example = _prepared(example, valid if valid is not None else not isinstance(example, Invalid))
    kind = "VALID" if isinstance(example, Valid) else "INVALID"
    for name, text in {EXAMPLE_FILENAME: example.code, **example.project}.items():
        problem = _syntax_problem(text) if rule.code != SYNTAX_ERROR else None  # KC001's examples must not parse
        assert problem is None, f"{rule.code}: the {kind} example's {name} does not parse ({problem}):\n{text}"
    settings: dict[str, Any] = {
        "target_keras": example.target_keras,
        "options": example.options,
        "project": example.project,
        "also_select": example.also_select,
    }
    findings = check_source(rule, example.code, **settings)
    crashes = [f for f in findings if f.code == RULE_CRASH]
    assert not crashes, f"{rule.code} crashed: {crashes[0].message}\n{traceback_of(crashes[0]) or ''}"
    if isinstance(example, Valid):
        assert not findings, f"{rule.code} flagged a VALID example:\n{_show(findings)}\n---\n{example.code}"
        return
    assert findings, f"{rule.code} did not flag an INVALID example:\n{example.code}"
    if example.count is not None:
        assert len(findings) == example.count, f"{rule.code}: expected {example.count} findings, got:\n{_show(findings)}"
    if example.line is not None:
        assert findings[0].location.line == example.line, f"{rule.code}: expected line {example.line}, got:\n{_show(findings)}"
    if example.findings is not None:
        got = [(f.location.line, f.location.column) for f in findings]
        expected = [tuple(pair) for pair in example.findings]
        assert got == expected, f"{rule.code}: expected findings at {list(example.findings)}, got:\n{_show(findings)}"
    if example.message is not None:
        assert any(example.message in f.message for f in findings), f"{rule.code}: no message contains {example.message!r}:\n{_show(findings)}"
    for finding in findings:
        assert finding.message and finding.name == rule.name
    fixable = [f for f in findings if f.fix is not None]
    if example.fixed is None:
        assert not fixable, (
            f"{rule.code} offers a fix for this INVALID example but the example has no fixed=...; "
            f"pin the result:\n{_diff(example.code, fix_source(rule, example.code, **settings))}"
        )
        return
    fixed = fix_source(rule, example.code, **settings)
    assert fixed == example.fixed, (
        f"{rule.code}: the fix produced\n{fixed}\nexpected\n{example.fixed}\ndiff (expected -> produced):\n{_diff(example.fixed, fixed)}"
    )
    remaining = check_source(rule, fixed, **settings)
    assert not remaining, f"{rule.code}: the fixed code is still flagged:\n{_show(remaining)}"


def _syntax_problem(source: str) -> str | None:
    """Why ``source`` is not Python (CPython's parser and compiler, then libcst, as the engine
    judges and parses it), or None."""
    import libcst as cst

    from kerascheck.static import python_ast

    refused = python_ast.refusal(source, EXAMPLE_FILENAME)
    if refused is not None:
        return python_ast.refusal_message(refused)
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return f"libcst, line {exc.raw_line}: {exc.message}"
    return None


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), "before", "after")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _show(findings: Sequence[Finding]) -> str:
    return "\n".join(f"  {f.location.line}:{f.location.column} {f.code} {f.message}" for f in findings)


# -- probes ------------------------------------------------------------------------------------


def build_tiny_model(kind: str = "dense", *, seed: int = 0) -> Any:
    """A small real Keras model (built in well under a second) for probe tests.

    ``"dense"``: Dense-ReLU-Dense; ``"dropout"``: the same with Dropout (training-flag
    sensitive); ``"batchnorm"``: with BatchNormalization. Imports Keras: call it in probe tests
    only (mark them, e.g. ``@pytest.mark.tf``).
    """
    import keras

    keras.utils.set_random_seed(seed)
    middle = {"dense": [], "dropout": [keras.layers.Dropout(0.5)], "batchnorm": [keras.layers.BatchNormalization()]}
    if kind not in middle:
        raise ValueError(f"unknown tiny model kind {kind!r} (choose from {', '.join(middle)})")
    layers = [keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"), *middle[kind], keras.layers.Dense(2)]
    return keras.Sequential(layers, name=f"tiny_{kind}")


def run_probe(
    probe: type[Probe],
    model: Any,
    *,
    sample: Any = None,
    options: Mapping[str, Any] | None = None,
    timeout: float = 120.0,
) -> list[Finding]:
    """Run one probe (alone, in the probe subprocess, as ``kerascheck probe`` does) on a model
    (an in-memory ``keras.Model`` or a saved model's path) and return its findings.

    The probe's module must be importable by module name (a plugin module, not a test file).
    A crash of the probe (``KP002``) fails with its message.
    """
    from kerascheck.python_api import probe as run

    findings = run(model, sample, probes=[probe], options={probe.code: dict(options)} if options else None, timeout=timeout)
    crashes = [f for f in findings if f.code == PROBE_CRASH]
    assert not crashes, f"{probe.code} crashed: {crashes[0].message}\n{traceback_of(crashes[0]) or ''}"
    return findings


if pytest is not None:

    @pytest.fixture
    def probe_model() -> Any:
        """A tiny real Keras model (:func:`build_tiny_model`'s ``"dense"``)."""
        return build_tiny_model("dense")
