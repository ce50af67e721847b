"""A repository's configuration is data: it never makes kerascheck import the repository's code
unless the command line says so (issue 10, point 10). Real subprocess runs of ``python -m
kerascheck``, which puts the working directory first on ``sys.path``."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

RULE_PLUGIN = textwrap.dedent('''
    """A repository-local plugin: importing it leaves a mark, its rule reports every module."""
    from pathlib import Path

    from kerascheck import Rule, hookimpl

    Path(__file__).with_name("IMPORTED").write_text("imported")


    class LocalRule(Rule):
        """
        ## What it does
        Reports every module (a test double for a project-local rule).

        ## Why is this bad?
        It is a test double.

        ## Example
        ```python
        x = 1
        ```

        ## Use instead
        ```python
        x = 1
        ```
        """

        code = "ZL901"
        name = "local-rule"
        summary = "Test double"
        requires_keras = False

        def visit_Module(self, node):
            self.report(node, "local rule ran")


    @hookimpl
    def kerascheck_register_rules():
        return [LocalRule]
''')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "cloned"
    (root / "pkg").mkdir(parents=True)
    (root / "evil_plugin.py").write_text(RULE_PLUGIN, encoding="utf-8")
    (root / "kerascheck.toml").write_text('plugins = ["evil_plugin"]\n', encoding="utf-8")
    (root / "pkg" / "a.py").write_text("x = 1\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("command", [("check", "."), ("rules",), ("plugins",), ("rule", "KC101")])
def test_config_plugins_are_not_imported_from_the_repo(repo: Path, run_cli, command: tuple[str, ...]) -> None:
    result = run_cli(*command, cwd=repo)
    assert result.returncode == 2, result.stdout
    assert not (repo / "IMPORTED").exists()
    assert "configuration error" in result.stderr and "kerascheck.toml" in result.stderr
    assert "key 'plugins'" in result.stderr and "--allow-config-plugins" in result.stderr
    assert "Traceback" not in result.stderr


def test_allow_config_plugins_imports_them_from_the_config_directory(repo: Path, run_cli) -> None:
    # From a subdirectory: the plugin is found next to the configuration file, not in the cwd.
    result = run_cli("check", ".", "--allow-config-plugins", "--select", "ZL901", "--no-cache", cwd=repo / "pkg")
    assert result.returncode == 1, result.stderr
    assert "a.py:1:1: ZL901" in result.stdout and (repo / "IMPORTED").exists()


def test_a_plugin_named_on_the_command_line_is_imported(repo: Path, run_cli) -> None:
    result = run_cli("check", ".", "-p", "evil_plugin", "--select", "ZL901", "--no-cache", cwd=repo)
    assert result.returncode == 1 and "ZL901" in result.stdout and (repo / "IMPORTED").exists()


@pytest.mark.parametrize("shadow", ["hashlib", "pluggy"])
def test_repo_module_shadowing_a_dependency_is_not_imported(tmp_path: Path, run_cli, shadow: str) -> None:
    """``python -m`` put the working directory first on sys.path: a repository's ``hashlib.py``
    ran when the result cache imported hashlib, its ``pluggy.py`` while kerascheck was imported."""
    (tmp_path / f"{shadow}.py").write_text(
        'from pathlib import Path\nPath(__file__).with_name("IMPORTED").write_text("x")\nraise ImportError("shadow")\n',
        encoding="utf-8",
    )
    (tmp_path / "a.py").write_text("import keras\nm.predict_classes(x)\n", encoding="utf-8")
    result = run_cli("check", "a.py", cwd=tmp_path)
    assert result.returncode == 1 and "KC101" in result.stdout, result.stderr
    assert not (tmp_path / "IMPORTED").exists()


def test_editor_server_does_not_import_config_plugins_without_the_flag(repo: Path) -> None:
    """Opening a cloned repository in an editor runs the language server on it."""
    pytest.importorskip("pygls")
    from kerascheck.lsp import Linter, LintSettings

    source = (repo / "pkg" / "a.py").read_text(encoding="utf-8")
    outcome = Linter().check(str(repo / "pkg" / "a.py"), source)
    assert outcome.loaded.error is not None and "--allow-config-plugins" in outcome.loaded.error
    assert not (repo / "IMPORTED").exists()
    trusted = Linter(settings=LintSettings(allow_config_plugins=True))
    try:
        outcome = trusted.check(str(repo / "pkg" / "a.py"), source)
        assert outcome.loaded.error is None and (repo / "IMPORTED").exists()
    finally:
        sys.modules.pop("evil_plugin", None)  # imported into this process: forget it
