"""Engine behaviour: one walk, crash isolation, bad input as findings, plugins via -p."""

from __future__ import annotations

import textwrap

import pytest

import kerascheck
from kerascheck.plugins import PluginError, load_plugins

RAISING_PLUGIN = textwrap.dedent(
    '''
    from kerascheck import Invalid, Rule, hookimpl

    class Explodes(Rule):
        """
        ## What it does
        Raises on every call, to test crash isolation.

        ## Why is this bad?
        It is a test double.

        ## Example
        ```python
        f()
        ```

        ## Use instead
        Nothing.
        """

        code = "ZZ101"
        name = "explodes"
        summary = "Raises"
        requires_keras = False

        def visit_Call(self, node):
            raise ValueError("boom")

    @hookimpl
    def kerascheck_register_rules():
        return [Explodes]
    '''
)

COLLIDING_PLUGIN = RAISING_PLUGIN.replace('"ZZ101"', '"KC901"').replace('"explodes"', '"collides"')


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "raising_plugin.py").write_text(RAISING_PLUGIN, encoding="utf-8")
    (tmp_path / "colliding_plugin.py").write_text(COLLIDING_PLUGIN, encoding="utf-8")
    return tmp_path


def test_raising_rule_gives_internal_error_and_keeps_other_findings(plugin_dir, run_cli):
    (plugin_dir / "t.py").write_text("import keras\nm = keras.Sequential()\nm.predict_classes(x)\n", encoding="utf-8")
    result = run_cli("check", "t.py", "-p", "raising_plugin", "--select", "KC1,ZZ", cwd=plugin_dir, env={"PYTHONPATH": str(plugin_dir)})
    assert "t.py:3:1: KC101" in result.stdout
    assert "KC000 [internal-error] internal error in rule ZZ101 (raising_plugin): ValueError: boom" in result.stdout
    assert result.returncode == 2  # an internal error is not a clean run


def test_prefix_collision_names_both(plugin_dir):
    with pytest.raises(PluginError) as info:
        load_plugins(["colliding_plugin"])
    message = str(info.value)
    assert "prefix 'KC' is claimed by two plugins" in message
    assert "'kerascheck'" in message and "colliding_plugin" in message


def test_unimportable_plugin_is_a_clear_error(run_cli, tmp_path):
    result = run_cli("check", ".", "-p", "no_such_plugin_module")
    assert result.returncode == 2
    assert "cannot import plugin 'no_such_plugin_module'" in result.stderr


def test_blocking_a_builtin_module(tmp_path):
    registry = load_plugins(blocked=["kerascheck.rules.legacy_api"])
    assert "KC101" not in registry.rules and "KC001" in registry.rules


def _check(tmp_path, name, data: bytes, **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return kerascheck.check([path], **kwargs)


def test_undecodable_file_is_not_analysed(tmp_path):
    findings = _check(tmp_path, "latin.py", "import keras\nname = 'café'\n".encode("latin-1"))
    assert [f.code for f in findings] == ["KC002"]
    assert "cannot decode" in findings[0].message


def test_coding_cookie_is_honoured(tmp_path):
    data = "# -*- coding: latin-1 -*-\nimport keras\nname = 'café'\nm = keras.Sequential()\nm.predict_classes(x)\n".encode("latin-1")
    assert [f.code for f in _check(tmp_path, "latin.py", data)] == ["KC101"]


def test_binary_file_is_not_analysed(tmp_path):
    findings = _check(tmp_path, "blob.py", b"\x00\x01\x02keras")
    assert [f.code for f in findings] == ["KC002"] and "binary" in findings[0].message


def test_deep_nesting_does_not_crash(tmp_path):
    source = "import keras\nx = " + "[" * 150 + "]" * 150 + "\n"
    findings = _check(tmp_path, "deep.py", source.encode())
    assert all(f.code in ("KC001", "KC002") for f in findings)
    assert not any(f.code == "KC000" for f in findings)


def test_findings_in_notebook_cells(tmp_path):
    import json

    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1, "source": ["%matplotlib inline\n", "import keras\n"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2, "source": ["!pip install x\n", "m = keras.Sequential()\n", "m.predict_classes(x)\n"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    findings = _check(tmp_path, "nb.ipynb", json.dumps(notebook).encode())
    assert [(f.code, f.location.cell, f.location.line) for f in findings] == [("KC101", 3, 3)]
    assert findings[0].location.display().endswith("nb.ipynb:cell 3:3:1")


def test_target_keras_changes_applicable_rules(tmp_path):
    source = b"import keras\nm = keras.Sequential()\nm.save('m.h5')\n"
    assert [f.code for f in _check(tmp_path, "a.py", source)] == ["KC104"]
    assert _check(tmp_path, "a.py", source, target_keras="2.15") == []


def test_parallel_and_sequential_agree(tmp_path):
    for i in range(40):
        (tmp_path / f"m{i}.py").write_text(f"import keras\nm = keras.Sequential()\nm.predict_classes(x{i})\n", encoding="utf-8")
    sequential = kerascheck.check([tmp_path], jobs=1)
    parallel = kerascheck.check([tmp_path], jobs=2)
    assert sequential == parallel and len(sequential) == 40


OPTIONS_PLUGIN = textwrap.dedent(
    '''
    from kerascheck import Rule, hookimpl

    class Banned(Rule):
        """
        ## What it does
        Flags calls to a configurable function name.

        ## Why is this bad?
        Test double for plugin-wide options.

        ## Example
        ```python
        forbidden()
        ```

        ## Use instead
        Nothing.
        """

        code = "ZZ201"
        name = "banned-call"
        summary = "Calls a banned function"
        requires_keras = False

        def visit_Call(self, node):
            banned = self.context.plugin_options["options_plugin"]["banned"]
            if getattr(node.func, "value", None) == banned:
                self.report(node, f"{banned} is banned")

    @hookimpl
    def kerascheck_register_rules():
        return [Banned]

    @hookimpl
    def kerascheck_add_config_options():
        return {"banned": "forbidden"}
    '''
)


def test_plugin_wide_options_reach_rules_and_are_validated(tmp_path, run_cli):
    (tmp_path / "options_plugin.py").write_text(OPTIONS_PLUGIN, encoding="utf-8")
    (tmp_path / "t.py").write_text("forbidden()\nother()\n", encoding="utf-8")
    env = {"PYTHONPATH": str(tmp_path)}
    result = run_cli("check", "t.py", "-p", "options_plugin", "--select", "ZZ", env=env)
    assert "t.py:1:1: ZZ201 [banned-call] forbidden is banned" in result.stdout
    (tmp_path / "kerascheck.toml").write_text('[plugin-options.options_plugin]\nbanned = "other"\n', encoding="utf-8")
    result = run_cli("check", "t.py", "-p", "options_plugin", "--select", "ZZ", env=env)
    assert "t.py:2:1: ZZ201 [banned-call] other is banned" in result.stdout
    (tmp_path / "kerascheck.toml").write_text("[plugin-options.options_plugin]\nbanned = 3\n", encoding="utf-8")
    result = run_cli("check", "t.py", "-p", "options_plugin", env=env)
    assert result.returncode == 2
    assert "key 'plugin-options.options_plugin.banned': must be a string, not an integer" in result.stderr
