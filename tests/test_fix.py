"""``--fix``, ``--unsafe-fixes``, ``--diff``, ``--show-fixes``: fixes through the real CLI.

Every rule example with ``fixed=`` is fixed by ``kerascheck check --fix --unsafe-fixes`` to exactly
that code, which the rule then accepts. A property test feeds many generated sources (rule
examples mixed with random statements, indentation, comments, unicode, CRLF, and hypothesmith's
Python) to ``--fix`` and checks that the result always parses, that a second run changes nothing,
and that no file is ever left half-written.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerascheck.cli import main
from kerascheck.plugins import load_plugins
from kerascheck.rule import Invalid
from kerascheck.static import fixer

REGISTRY = load_plugins()
ALL_CODES = sorted(REGISTRY.rules)


def run(*args: str, cwd: Path, stdin: str | None = None) -> tuple[int, str, str]:
    """``kerascheck`` in-process (the same code path as the console script), in ``cwd``."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    stdin_stream = io.StringIO(stdin or "")
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            import sys

            saved, sys.stdin = sys.stdin, stdin_stream
            try:
                code = main(["check", *args, "--no-cache", "--color", "never"])
            finally:
                sys.stdin = saved
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def _fixable_examples() -> list:
    params = []
    for code, rule in sorted(REGISTRY.rules.items()):
        for index, example in enumerate(rule.INVALID):
            if isinstance(example, Invalid) and example.fixed is not None:
                params.append(pytest.param(rule, example, id=f"{code}-invalid-{index}"))
    return params


def _toml_value(value: object) -> str:
    return json.dumps(value)  # strings, numbers, booleans and lists of them are valid TOML too


def _write_config(root: Path, rule: type, example: Invalid) -> None:
    select = [rule.code, *example.also_select]
    lines = ["[tool.kerascheck]", f"select = {_toml_value(select)}", f"target-keras = {_toml_value(example.target_keras)}"]
    if example.options:
        lines.append(f"[tool.kerascheck.options.{rule.code}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in example.options.items())
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("rule", "example"), _fixable_examples())
def test_cli_fixes_every_fixable_example(rule, example, tmp_path):
    _write_config(tmp_path, rule, example)
    for name, text in example.project.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    target = tmp_path / "example.py"
    target.write_text(example.code, encoding="utf-8")
    _code, out, err = run("example.py", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert target.read_text(encoding="utf-8") == example.fixed, err
    compile(example.fixed, "example.py", "exec")
    assert f"{rule.code} " not in out, out  # the rule accepts the fixed code
    # Idempotent: a second run changes nothing and says so.
    again, out2, _ = run("example.py", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert again == 0 and out2 == ""
    assert target.read_text(encoding="utf-8") == example.fixed


BUGGY = (
    "import numpy as np\n"
    "from tensorflow import keras\n"
    "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
    "labels = model.predict_classes(x_test)\n"
    "opt = keras.optimizers.Adam(lr=0.01)\n"
)


def test_fix_applies_safe_fixes_only_and_reports_what_remains(tmp_path):
    (tmp_path / "bad.py").write_text(BUGGY, encoding="utf-8")
    code, out, _err = run("bad.py", "--select", "KC1", "--fix", cwd=tmp_path)
    assert code == 1  # the unsafe KC101 fix was not applied: a finding remains
    assert "learning_rate=0.01" in (tmp_path / "bad.py").read_text()
    assert "predict_classes" in (tmp_path / "bad.py").read_text()
    assert out.splitlines()[-1] == "Found 1 problem in 1 file, 1 fixed. 1 more with --unsafe-fixes."
    code, out, _ = run("bad.py", "--select", "KC1", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert code == 0 and out.splitlines()[-1] == "All checks passed (1 file checked, 1 fixed)."
    assert "np.argmax(model.predict(x_test), axis=-1)" in (tmp_path / "bad.py").read_text()


def test_diff_prints_and_writes_nothing(tmp_path):
    (tmp_path / "bad.py").write_text(BUGGY, encoding="utf-8")
    code, out, err = run("bad.py", "--select", "KC1", "--diff", cwd=tmp_path)
    assert code == 1
    assert out.startswith("--- bad.py\n+++ bad.py\n@@")
    assert "-opt = keras.optimizers.Adam(lr=0.01)\n+opt = keras.optimizers.Adam(learning_rate=0.01)\n" in out
    assert "predict_classes" not in out.replace(" labels = model.predict_classes", "")
    assert err == "Would fix 1 problem (1 remaining).\n"
    assert (tmp_path / "bad.py").read_text() == BUGGY
    (tmp_path / "good.py").write_text("x = 1\n", encoding="utf-8")
    assert run("good.py", "--diff", cwd=tmp_path)[:2] == (0, "")


def test_show_fixes_lists_applied_fixes(tmp_path):
    (tmp_path / "bad.py").write_text(BUGGY, encoding="utf-8")
    _, out, _ = run("bad.py", "--select", "KC1", "--fix", "--unsafe-fixes", "--show-fixes", cwd=tmp_path)
    assert out.startswith("Fixed 2 problems:\n- bad.py:\n    1 \u00d7 KC101 (removed-predict-classes)\n    1 \u00d7 KC106 (removed-argument)\n")


@pytest.mark.parametrize(("output_format", "on_stdout"), [("concise", True), ("full", True), ("grouped", True), ("json", False), ("sarif", False)])
def test_show_fixes_joins_every_human_readable_format_and_never_machine_output(tmp_path, output_format, on_stdout):
    (tmp_path / "bad.py").write_text(BUGGY, encoding="utf-8")
    _, out, err = run("bad.py", "--select", "KC1", "--fix", "--unsafe-fixes", "--show-fixes", "--output-format", output_format, cwd=tmp_path)
    described = "Fixed 2 problems:\n- bad.py:\n"
    assert (described in out, described in err) == (on_stdout, not on_stdout)
    if not on_stdout:
        json.loads(out)  # the machine-read report stays valid


def test_stdin_fix_prints_the_fixed_source(tmp_path):
    code, out, err = run("-", "--stdin-filename", "bad.py", "--select", "KC1", "--fix", cwd=tmp_path, stdin=BUGGY)
    assert out == BUGGY.replace("lr=", "learning_rate=")
    assert "KC101" in err and code == 1  # the remaining finding is reported on stderr


def test_overlapping_fixes_are_applied_on_later_passes(tmp_path):
    # Two fixes inside one call (the argument and the method): both end up applied, nothing garbled.
    source = "import keras\nmodel = keras.Sequential()\nmodel.fit_generator(gen, nb_epoch=3)\n"
    (tmp_path / "a.py").write_text(source, encoding="utf-8")
    run("a.py", "--select", "KC1", "--fix", "--unsafe-fixes", cwd=tmp_path)
    fixed = (tmp_path / "a.py").read_text()
    compile(fixed, "a.py", "exec")
    assert "fit_generator" not in fixed and "nb_epoch" not in fixed, fixed


def test_fix_keeps_permissions_encoding_and_line_endings(tmp_path):
    path = tmp_path / "bad.py"
    source = "# -*- coding: latin-1 -*-\r\nfrom tensorflow import keras\r\ns = 'caf\u00e9'\r\nopt = keras.optimizers.Adam(lr=0.01)\r\n"
    path.write_bytes(source.encode("latin-1"))
    path.chmod(0o640)
    run("bad.py", "--select", "KC106", "--fix", cwd=tmp_path)
    assert path.read_bytes() == source.replace("lr=", "learning_rate=").encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["bad.py"]  # no temporary file left behind


def test_fix_writes_through_a_symlink(tmp_path):
    (tmp_path / "real.py").write_text(BUGGY, encoding="utf-8")
    (tmp_path / "link.py").symlink_to("real.py")
    run("link.py", "--select", "KC106", "--fix", cwd=tmp_path)
    assert (tmp_path / "link.py").is_symlink()
    assert "learning_rate" in (tmp_path / "real.py").read_text()


def test_a_fix_that_would_not_parse_leaves_the_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "bad.py"
    path.write_text(BUGGY, encoding="utf-8")
    real_apply = fixer.apply_fixes

    def broken(source, findings, *, unsafe=False):
        result = real_apply(source, findings, unsafe=unsafe)
        return type(result)(result.source + "def (:\n", result.applied, result.skipped)

    monkeypatch.setattr(fixer, "apply_fixes", broken)
    code, out, err = run("bad.py", "--select", "KC1", "--fix", cwd=tmp_path)
    assert path.read_text() == BUGGY
    assert "bad.py: not fixed: fixing KC106 would produce invalid Python" in err
    assert code == 1 and "KC106" in out  # the finding is still reported


def test_an_interrupted_write_leaves_the_original(tmp_path, monkeypatch):
    path = tmp_path / "bad.py"
    path.write_text(BUGGY, encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fixer.os, "replace", fail)
    code, _, err = run("bad.py", "--select", "KC106", "--fix", cwd=tmp_path)
    assert path.read_text() == BUGGY
    assert "not fixed: cannot write: No space left on device" in err
    assert [p.name for p in tmp_path.iterdir()] == ["bad.py"]
    assert code == 1


def test_lone_carriage_return_line_endings(tmp_path):
    path = tmp_path / "cr.py"
    path.write_bytes(b"from tensorflow import keras\rs = 'h\xc3\xa9'; opt = keras.optimizers.Adam(lr=0.01)\r")
    run("cr.py", "--select", "KC106", "--fix", cwd=tmp_path)
    assert path.read_bytes() == b"from tensorflow import keras\rs = 'h\xc3\xa9'; opt = keras.optimizers.Adam(learning_rate=0.01)\r"


# -- property test ---------------------------------------------------------------------------


def _example_sources() -> list[str]:
    sources = []
    for rule in REGISTRY.rules.values():
        for example in (*rule.INVALID, *rule.VALID):
            sources.append(example if isinstance(example, str) else example.code)
    return sorted(set(sources))


SNIPPETS = _example_sources()
FIXABLE = sorted({example.code for _, example, in (p.values for p in _fixable_examples())})
STATEMENTS = [
    "x = 1",
    "# a comment with a noqa-looking word: noqa",
    "print('h\u00e9llo \U0001f642 \u4e16\u754c')",
    "\u00e9t\u00e9 = 'summer'",
    "if x:\n    pass",
    "s = '''\nmodel.predict_classes(x)\n'''",
    "def f(a, b=2):\n    return a + b",
    "y = [\n    1,\n    2,\n]",
    "z = 1; w = 2",
    "with open('f') as handle:\n    data = handle.read()",
    "model.predict_classes(x)  # noqa: KC101",
    "t = f'{x!r:>10}'",
    "",
]


def _indent(source: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in source.splitlines(keepends=True))


@st.composite
def generated_sources(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        pool = draw(st.sampled_from([FIXABLE, FIXABLE, SNIPPETS, STATEMENTS]))
        part = draw(st.sampled_from(pool)).rstrip("\n")
        if draw(st.booleans()):  # a trailing comment on a random line
            lines = part.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            comment = draw(st.sampled_from(["  # \u00e9t\u00e9 \U0001f642", "  # noqa: E501", "  # type: ignore", "  # TODO"]))
            lines[index] += comment
            part = "\n".join(lines)
        parts.append(part)
    source = "\n".join(parts) + "\n"
    if draw(st.booleans()):
        # Inside a function or an if block: every line indented (strings change, code stays valid).
        header = draw(st.sampled_from(["def train():\n", "if True:\n", "class Trainer:\n"]))
        indent = draw(st.sampled_from(["    ", "\t", "  "]))
        source = header + _indent(source, indent) + indent + "pass\n"
    if draw(st.booleans()):
        source = source.replace("\n", "\r\n")
    if draw(st.booleans()):
        source = source.rstrip("\r\n")
    if draw(st.booleans()):
        source = draw(st.sampled_from(["# \u00fcber\n", "\ufeff", "#!/usr/bin/env python\n", ""])) + source
    return source


def _hypothesmith_sources() -> st.SearchStrategy[str]:
    def build() -> st.SearchStrategy[str]:
        import hypothesmith  # building its grammar strategy takes seconds: only when used

        return st.builds(lambda code, tail: code + "\n" + tail, hypothesmith.from_grammar(), st.sampled_from(SNIPPETS))

    return st.deferred(build)


def _parses(source: str) -> bool:
    try:
        compile(source.lstrip("\ufeff"), "<fix>", "exec", flags=0x400, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _fix_twice(source: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "gen.py"
        path.write_bytes(source.encode("utf-8"))
        run("gen.py", "--fix", "--unsafe-fixes", "--extend-select", ",".join(ALL_CODES), "-q", cwd=root)
        first = path.read_bytes()
        assert sorted(p.name for p in root.iterdir()) == ["gen.py"], "a temporary file was left behind"
        text = first.decode("utf-8")
        assert _parses(text) or first == source.encode("utf-8"), f"--fix wrote unparsable code:\n{text}"
        if _parses(source):
            assert _parses(text)
        run("gen.py", "--fix", "--unsafe-fixes", "--extend-select", ",".join(ALL_CODES), "-q", cwd=root)
        assert path.read_bytes() == first, "a second --fix changed the file again"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_sources())
def test_property_fix_parses_and_is_idempotent(source):
    _fix_twice(source)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # the grammar's large repr
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(_hypothesmith_sources())
def test_property_fix_on_hypothesmith_python(source):
    _fix_twice(source)
