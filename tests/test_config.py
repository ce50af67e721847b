"""Configuration: discovery, validation errors (file + key + reason), selection semantics."""

from __future__ import annotations

import pytest

from kerascheck.config import Config, ConfigError, is_enabled, load_config, validate_against
from kerascheck.plugins import load_plugins

REGISTRY = load_plugins()
RULES = REGISTRY.rules


def _write(tmp_path, text, name="pyproject.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_discovers_nearest_pyproject_with_table(tmp_path):
    _write(tmp_path, '[tool.kerascheck]\nselect = ["KC1"]\ntarget-keras = "2.15"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    config = load_config(start=sub)
    assert config.select == ("KC1",)
    assert config.target_keras == "2.15"
    assert config.path == str(tmp_path / "pyproject.toml")


def test_pyproject_without_table_is_skipped(tmp_path):
    _write(tmp_path, '[tool.kerascheck]\nignore = ["KC108"]\n')
    inner = tmp_path / "pkg"
    inner.mkdir()
    _write(inner, '[project]\nname = "x"\n')
    assert load_config(start=inner).ignore == ("KC108",)


def test_kerascheck_toml_has_top_level_keys(tmp_path):
    _write(tmp_path, 'ignore = ["KC108"]\n', name="kerascheck.toml")
    assert load_config(start=tmp_path).ignore == ("KC108",)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("[tool.kerascheck]\nselct = ['KC1']\n", "selct", "did you mean 'select'"),
        ("[tool.kerascheck]\nselect = 'KC1'\n", "select", "a list of strings"),
        ("[tool.kerascheck]\nselect = [1]\n", "select", "list of strings"),
        ("[tool.kerascheck]\nseverity = { KC101 = 'fatal' }\n", "severity.KC101", "'error', 'warning' or 'info'"),
        ("[tool.kerascheck]\ntarget-keras = '4'\n", "target-keras", "Keras 2 or 3"),
        ("[tool.kerascheck]\ncache = 'yes'\n", "cache", "true or false"),
        ("[tool.kerascheck\nselect = []\n", None, "invalid TOML"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path, text, key, fragment):
    _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(start=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "pyproject.toml") in message
    if key:
        assert f"key '{key}'" in message
    assert fragment in message


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('select = ["KC999"]', "select"),
        ('ignore = ["not-a-rule"]', "ignore"),
        ('per-file-ignores = { "tests/*" = ["XX1"] }', "per-file-ignores.tests/*"),
        ("options = { KC101 = { nope = 1 } }", "options.KC101.nope"),
    ],
)
def test_unknown_codes_and_options_are_errors(tmp_path, table, key):
    _write(tmp_path, f"[tool.kerascheck]\n{table}\n")
    config = load_config(start=tmp_path)
    with pytest.raises(ConfigError) as info:
        validate_against(config, REGISTRY.checks)
    assert f"key '{key}'" in str(info.value)


def test_codes_prefixes_and_slugs_select_alike():
    by_code = Config(select=("KC101",))
    by_slug = Config(select=("removed-predict-classes",))
    by_prefix = Config(select=("KC10",))
    rule = RULES["KC101"]
    assert is_enabled(by_code, rule) and is_enabled(by_slug, rule) and is_enabled(by_prefix, rule)
    assert not is_enabled(by_code, RULES["KC102"])


def test_most_specific_selector_wins():
    config = Config(select=("KC1",), ignore=("KC101",))
    assert not is_enabled(config, RULES["KC101"])
    assert is_enabled(config, RULES["KC102"])
    config = Config(ignore=("KC1",), extend_select=("KC104",))
    assert is_enabled(config, RULES["KC104"])
    assert not is_enabled(config, RULES["KC105"])


def test_off_by_default_rules_need_exact_selection():
    off = [rule for rule in RULES.values() if not rule.default_enabled]
    for rule in off:
        assert not is_enabled(Config(), rule)
        assert not is_enabled(Config(select=("ALL",)), rule)
        assert is_enabled(Config(extend_select=(rule.code,)), rule)


def test_per_file_ignores(tmp_path):
    from kerascheck.config import per_file_ignores_for

    config = Config(root=str(tmp_path), per_file_ignores=(("tests/*.py", ("KC1",)),))
    assert per_file_ignores_for(config, str(tmp_path / "tests" / "test_x.py")) == ["KC1"]
    assert per_file_ignores_for(config, str(tmp_path / "src" / "x.py")) == []
