"""``kerascheck probe`` argument handling, config-level suppression and reporters.

The model-loading paths that need TensorFlow are in tests/probes/ (marked ``tf``); these cases
are decided in the parent process, before any child starts.
"""

from __future__ import annotations

import json


def test_missing_model_is_a_finding_not_a_crash(run_cli, tmp_path):
    result = run_cli("probe", "missing.keras", "--output-format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert [(f["code"], f["filename"]) for f in findings] == [("KP001", "missing.keras")]
    assert "not found" in findings[0]["message"]
    assert "Traceback" not in result.stderr


def test_factory_needs_explicit_flag(run_cli, tmp_path):
    (tmp_path / "factory.py").write_text("def build():\n    raise SystemExit('must not run')\n", encoding="utf-8")
    result = run_cli("probe", "factory.py:build")
    assert result.returncode == 2
    assert "pass --factory" in result.stderr


def test_config_level_ignore_applies_to_probe_findings(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kerascheck]\nselect = ["KC1"]\nper-file-ignores = { "legacy/*" = ["KP001"] }\n', encoding="utf-8"
    )
    result = run_cli("probe", "legacy/gone.keras", "other.keras")
    assert result.returncode == 1
    assert "other.keras" in result.stdout and "legacy/gone.keras" not in result.stdout


def test_bad_probe_config_key(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.kerascheck.probe]\ntimeot = 3\n", encoding="utf-8")
    result = run_cli("probe", "m.keras")
    assert result.returncode == 2
    assert "key 'probe.timeot': unknown option" in result.stderr
