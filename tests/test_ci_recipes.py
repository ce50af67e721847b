"""The CI recipes: validated against their published JSON schemas (the copies the
``check-jsonschema`` package ships), checked for the keys their runners need, and their shell
steps run as written in a fresh virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from test_precommit import BUGGY, _git, hook_repo  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
REPO_URL = "https://github.com/kerascheck/kerascheck"


def validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema (dev extra) ships the CI schemas")
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", f"vendor.{schema}", str(path)],
        capture_output=True, text=True, timeout=120,
    )


RECIPES = [("github-actions", ACTION), ("github-workflows", WORKFLOW), ("gitlab-ci", GITLAB)]


@pytest.mark.parametrize(("schema", "path"), RECIPES, ids=["action", "workflow", "gitlab"])
def test_recipes_match_their_published_schemas(schema, path):
    result = validate(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_validation_catches_a_broken_workflow(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    del broken["jobs"]["kerascheck"]["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert validate("github-workflows", path).returncode != 0


def test_the_workflow_uploads_sarif_written_by_the_action():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["kerascheck"]["steps"]
    action_step = next(s for s in steps if s.get("uses", "").startswith("kerascheck/kerascheck@"))
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == action_step["with"]["sarif-file"]
    assert "cancelled()" in upload["if"]  # runs after kerascheck's step failed on findings
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert set(action_step["with"]) <= set(action["inputs"])


def test_the_action_is_a_composite_with_shells():
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "uses" in step or step.get("shell") == "bash", step  # composite run steps need a shell
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"


def test_gitlab_reports_are_the_files_the_script_writes():
    job = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["kerascheck"]
    script = "\n".join(job["script"])
    for kind, name in job["artifacts"]["reports"].items():
        assert f"--output-file {name}" in script, kind
    assert job["artifacts"]["when"] == "always"


# -- run as written ------------------------------------------------------------------------------


def fresh_venv(path: Path) -> str:
    """A CI runner's Python: a new virtual environment with pip and nothing else (kerascheck and
    its dependencies come from the recipe's own install step); returns its python."""
    import venv

    venv.EnvBuilder(with_pip=True).create(path)
    return str(path / ("Scripts" if os.name == "nt" else "bin") / "python")


def _run(script: str, env_python: str, cwd: Path, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bindir = str(Path(env_python).parent)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the recipe installs
    env = {**base, "PATH": bindir + os.pathsep + os.environ["PATH"], "NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture
def buggy_project(tmp_path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "buggy.py").write_text(BUGGY, encoding="utf-8")
    return project


@pytest.mark.slow
def test_the_action_steps_run_as_written(hook_repo, buggy_project, tmp_path):
    snapshot, _ = hook_repo
    python = fresh_venv(tmp_path / "venv")
    steps = {s["name"]: s for s in yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]}
    install = _run(steps["Install kerascheck"]["run"], python, buggy_project, {"GITHUB_ACTION_PATH": str(snapshot)})
    assert install.returncode == 0, install.stdout + install.stderr
    outputs = tmp_path / "github_output"
    inputs = {"KERASCHECK_ARGS": ".", "KERASCHECK_FORMAT": "github", "KERASCHECK_SARIF": "kerascheck.sarif", "GITHUB_OUTPUT": str(outputs)}
    check = _run(steps["kerascheck check"]["run"], python, buggy_project, inputs)
    assert check.returncode == 1, check.stdout + check.stderr  # findings fail the step
    assert check.stdout.startswith("::error file=buggy.py,line=3,col=29,")
    assert outputs.read_text(encoding="utf-8") == "exit-code=1\n"
    log = json.loads((buggy_project / "kerascheck.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["runs"][0]["results"][0]["ruleId"] == "KC106"


@pytest.mark.slow
def test_the_gitlab_script_runs_as_written(hook_repo, buggy_project, tmp_path):
    snapshot, sha = hook_repo
    _git("update-ref", "refs/heads/main", sha, cwd=snapshot)
    python = fresh_venv(tmp_path / "venv")
    # No network here: git fetches the script's repository URL from the local snapshot.
    redirect = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{snapshot}.insteadOf", "GIT_CONFIG_VALUE_0": REPO_URL}
    script = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["kerascheck"]["script"]
    assert REPO_URL in script[0]
    for line in script[:-1]:
        result = _run(line, python, buggy_project, redirect)
        assert result.returncode == 0, line + "\n" + result.stdout + result.stderr
    # pip cloned the (redirected) URL and installed that kerascheck into the job's environment.
    purelib = _run("python -c \"import sysconfig; print(sysconfig.get_paths()['purelib'])\"", python, buggy_project, {}).stdout.strip()
    assert any(p.name.startswith("kerascheck-") and p.name.endswith(".dist-info") for p in Path(purelib).iterdir())
    last = _run(script[-1], python, buggy_project, redirect)
    assert last.returncode == 1 and "KC106" in last.stdout  # findings fail the job
    issues = json.loads((buggy_project / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert issues and {"description", "check_name", "fingerprint", "severity", "location"} <= set(issues[0])
    assert ET.parse(buggy_project / "kerascheck-junit.xml").getroot().get("failures") == "1"


def test_license_is_the_mit_license_pyproject_declares():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
