"""Behaviour users rely on from ruff-like tools: option validation, CLI selection over the
config's ignore, plugin blocking by the printed name, verbose output and helpful warnings."""

from __future__ import annotations

import pytest

SOURCE = (
    "from tensorflow import keras\n"
    "model = keras.Sequential()\n"
    "labels = model.predict_classes(x)\n"
    "opt = keras.optimizers.Adam(lr=0.01)\n"
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "t.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.kerascheck]\nignore = ["KC1"]\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("value", ["4", "2.x", "latest", ""])
def test_target_keras_option_is_validated_like_the_config_key(run_cli, project, value):
    result = run_cli("check", "t.py", "--target-keras", value, cwd=project)
    if value == "":  # an empty value is no value: the config's (default) target applies
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2
    assert "'--target-keras': must name Keras 2 or 3" in result.stderr and f"not {value!r}" in result.stderr
    assert "Traceback" not in result.stderr


def test_target_keras_option_accepts_versions(run_cli, project):
    assert run_cli("check", "t.py", "--target-keras", "2.15", cwd=project).returncode == 0


def test_cli_extend_select_re_enables_a_code_the_config_ignores(run_cli, project):
    assert run_cli("check", "t.py", "--no-cache", cwd=project).returncode == 0  # KC1 ignored
    result = run_cli("check", "t.py", "--no-cache", "--extend-select", "KC106", cwd=project)
    assert result.returncode == 1
    codes = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()[:-1]]
    assert codes == ["KC106"]  # only the re-selected code; KC101 stays ignored


def test_cli_select_re_enables_and_cli_ignore_still_wins(run_cli, project):
    result = run_cli("check", "t.py", "--no-cache", "--select", "KC101", cwd=project)
    assert result.stdout.startswith("t.py:3:10: KC101") and "KC106" not in result.stdout
    result = run_cli("check", "t.py", "--no-cache", "--select", "KC101", "--ignore", "KC101", cwd=project)
    assert result.returncode == 0


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_an_unknown_code_on_the_command_line_is_blamed_on_it_not_on_the_config(run_cli, project, option):
    result = run_cli("check", "t.py", option, "KC101,NOPE", cwd=project)
    assert result.returncode == 2
    assert f"configuration error: command line: key '{option}': unknown rule code, prefix or name 'NOPE'" in result.stderr
    assert "pyproject.toml" not in result.stderr


def test_block_a_plugin_by_the_name_plugins_prints(run_cli, tmp_path):
    listing = run_cli("plugins", cwd=tmp_path).stdout
    names = [line.split()[0] for line in listing.splitlines() if not line.startswith("kerascheck ")]
    if not names:
        pytest.skip("no third-party plugin installed (the kerascheck-tf1 example plugin is, in CI)")
    name = names[0]
    result = run_cli("plugins", "-p", f"no:{name}", cwd=tmp_path)
    assert name not in result.stdout and result.stderr == ""
    underscored = run_cli("plugins", "-p", f"no:{name.replace('-', '_')}", cwd=tmp_path)
    assert name not in underscored.stdout


def test_unknown_blocked_plugin_name_warns(run_cli, project):
    result = run_cli("check", "t.py", "-p", "no:kerascheck-nonexistent", cwd=project)
    assert result.returncode == 0
    assert "warning: '-p no:kerascheck-nonexistent' matches no plugin" in result.stderr


def test_verbose_names_the_config_file_and_the_files(run_cli, project):
    result = run_cli("check", ".", "-v", "--no-cache", cwd=project)
    assert f"kerascheck: configuration: {project / 'pyproject.toml'}" in result.stderr
    assert "kerascheck: checked t.py" in result.stderr
    alone = project / "sub"
    alone.mkdir()
    (alone / "kerascheck.toml").write_text("", encoding="utf-8")
    (alone / "u.py").write_text("x = 1\n", encoding="utf-8")
    result = run_cli("check", "u.py", "-v", "--config", "kerascheck.toml", cwd=alone)
    assert "kerascheck: configuration: kerascheck.toml" in result.stderr


def test_zero_files_checked_warns(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("check", "empty", cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: no Python files or notebooks found to check under empty" in result.stderr


def test_noqa_warnings(run_cli, tmp_path):
    (tmp_path / "t.py").write_text(
        "from tensorflow import keras\n"
        "model = keras.Sequential()\n"
        "labels = model.predict_classes(x)  # noqa KC101\n"
        "opt = keras.optimizers.Adam(lr=0.01)  # noqa: KC999, E501, KC106\n"
        "y = 1  # noqa\n",
        encoding="utf-8",
    )
    result = run_cli("check", "t.py", "--no-cache", cwd=tmp_path)
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "kerascheck: warning: t.py:3: '# noqa' without a colon suppresses every finding on the line; write '# noqa: CODE'",
        "kerascheck: warning: t.py:4: 'KC999' in a suppression comment names no known rule (see 'kerascheck rules')",
    ]  # E501 is another tool's code, a bare noqa (line 5) is deliberate
