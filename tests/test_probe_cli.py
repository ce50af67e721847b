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


def test_failure_findings_are_reported_whatever_the_selection(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kerascheck]\nselect = ["KP104"]\nper-file-ignores = { "legacy/*" = ["KP001"] }\n', encoding="utf-8"
    )
    result = run_cli("probe", "legacy/gone.keras", "other.keras", "--select", "KP104")
    # a model that could not be probed never passes, whatever is selected or ignored
    assert result.returncode == 1
    assert "other.keras" in result.stdout and "legacy/gone.keras" in result.stdout


def test_config_level_ignore_applies_to_probe_findings(tmp_path):
    from kerascheck.config import parse_table
    from kerascheck.findings import Finding, Location
    from kerascheck.probes.builtin import BUILTIN_PROBES
    from kerascheck.probes.command import filter_findings

    probes = {p.code: p for p in BUILTIN_PROBES}
    config = parse_table(
        {"per-file-ignores": {"legacy/*": ["KP104"]}, "severity": {"KP106": "error"}},
        source="pyproject.toml", root=str(tmp_path),
    )

    def finding(code, path):
        return Finding(code=code, name=probes[code].name, message="m", severity=probes[code].severity, location=Location(path=path))

    kept = filter_findings(
        [finding("KP104", "legacy/a.keras"), finding("KP104", "new.keras"), finding("KP106", "legacy/a.keras")],
        config, probes,
    )
    assert [(f.code, f.location.path, f.severity.value) for f in kept] == [
        ("KP106", "legacy/a.keras", "error"),
        ("KP104", "new.keras", "warning"),
    ]


def test_bad_probe_config_key(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.kerascheck.probe]\ntimeot = 3\n", encoding="utf-8")
    result = run_cli("probe", "m.keras")
    assert result.returncode == 2
    assert "key 'probe.timeot': unknown option" in result.stderr
