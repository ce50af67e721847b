"""Loading plugins: misspelt hooks, crash tracebacks, and cache invalidation by plugin source."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

RULE_MODULE = '''
import libcst as cst
from kerascheck import Rule, Severity


class LocalRule(Rule):
    """
    ## What it does
    Finds ``old()``.

    ## Why is this bad?
    It is gone.

    ## Example
    ```python
    old()
    ```

    ## Use instead
    ```python
    new()
    ```
    """

    code = "ZQ101"
    name = "local-rule"
    summary = "A local rule"
    severity = Severity.WARNING
    requires_keras = False

    def visit_Call(self, node):
        if isinstance(node.func, cst.Name) and node.func.value == "old":
            {body}
'''

HOOKS = "from kerascheck import hookimpl\nfrom localplug.rules import LocalRule\n\n\n@hookimpl\ndef {hook}():\n    return [LocalRule]\n"


@pytest.fixture
def plugin(tmp_path):
    """A -p plugin package: hooks in localplug/__init__.py, the rule class in localplug/rules.py."""
    package = tmp_path / "lib" / "localplug"
    package.mkdir(parents=True)

    def write(body: str = 'self.report(node, "MESSAGE ONE")', hook: str = "kerascheck_register_rules") -> None:
        (package / "__init__.py").write_text(HOOKS.format(hook=hook), encoding="utf-8")
        (package / "rules.py").write_text(textwrap.dedent(RULE_MODULE).replace("{body}", body), encoding="utf-8")

    write()
    (tmp_path / "t.py").write_text("old()\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "lib"), os.environ.get("PYTHONPATH", "")])}
    return tmp_path, write, env


def test_a_misspelt_hook_is_a_clear_error(run_cli, plugin):
    root, write, env = plugin
    write(hook="kerascheck_register_rule")
    result = run_cli("check", "t.py", "-p", "localplug", cwd=root, env=env)
    assert result.returncode == 2
    assert "defines 'kerascheck_register_rule', which is not a kerascheck hook (did you mean 'kerascheck_register_rules'?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hook_without_the_marker_is_a_clear_error(run_cli, plugin):
    root, _, env = plugin
    (root / "lib" / "localplug" / "__init__.py").write_text(
        "from localplug.rules import LocalRule\n\ndef kerascheck_register_rules():\n    return [LocalRule]\n", encoding="utf-8"
    )
    result = run_cli("check", "t.py", "-p", "localplug", cwd=root, env=env)
    assert result.returncode == 2 and "is not marked with @kerascheck.hookimpl" in result.stderr


def test_an_unknown_hookimpl_is_refused_by_check_pending(run_cli, plugin):
    root, _, env = plugin
    (root / "lib" / "localplug" / "__init__.py").write_text(
        "from kerascheck import hookimpl\n\n@hookimpl\ndef register_rules():\n    return []\n", encoding="utf-8"
    )
    result = run_cli("check", "t.py", "-p", "localplug", cwd=root, env=env)
    assert result.returncode == 2 and "unknown hook 'register_rules'" in result.stderr


def test_kc000_traceback_with_verbose_and_in_json(run_cli, plugin):
    root, write, env = plugin
    write(body='raise KeyError("plugin bug")')
    plain = run_cli("check", "t.py", "-p", "localplug", "--no-cache", cwd=root, env=env)
    assert plain.returncode == 2 and "KC000" in plain.stdout and "Traceback" not in plain.stdout
    verbose = run_cli("check", "t.py", "-p", "localplug", "--no-cache", "-v", cwd=root, env=env)
    assert "Traceback (most recent call last)" in verbose.stdout
    assert "localplug/rules.py" in verbose.stdout and "KeyError: 'plugin bug'" in verbose.stdout
    data = json.loads(run_cli("check", "t.py", "-p", "localplug", "--no-cache", "--output-format", "json", cwd=root, env=env).stdout)
    (crash,) = [f for f in data if f["code"] == "KC000"]
    assert "KeyError: 'plugin bug'" in crash["traceback"]


def test_editing_a_p_plugins_rule_module_invalidates_the_cache(run_cli, plugin):
    root, write, env = plugin
    first = run_cli("check", "t.py", "-p", "localplug", cwd=root, env=env)
    assert "MESSAGE ONE" in first.stdout
    assert (root / ".kerascheck_cache").is_dir()
    # Same version ("local"), same hook module: only the rule's own module changes.
    write(body='self.report(node, "MESSAGE TWO, LONGER")')
    second = run_cli("check", "t.py", "-p", "localplug", cwd=root, env=env)
    assert "MESSAGE TWO, LONGER" in second.stdout, second.stdout


def test_source_fingerprint_covers_local_plugins_only():
    from kerascheck.plugins import load_plugins, source_fingerprint

    registry = load_plugins()
    builtin_only = [(m, d, v) for m, d, v in registry.fingerprint() if d == "kerascheck"]
    assert source_fingerprint(builtin_only) == ()
    local = source_fingerprint([("kerascheck.report.builtin", "somewhere", "local")])
    assert any(path.endswith(os.path.join("report", "builtin.py")) for path, _, _ in local)
