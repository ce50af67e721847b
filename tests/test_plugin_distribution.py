"""Third-party plugins as real installed distributions, found through the entry point.

Each test ``pip install``s a plugin distribution into a fresh virtual environment (the
``plugin_env`` fixture, tests/plugin_envs.py) and runs ``python -m kerascheck`` there, so the
plugin is discovered exactly as it would be for a user: through its
``[project.entry-points.kerascheck]`` entry point, with its own version.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from plugin_envs import PluginEnv

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TF1_PLUGIN = ROOT / "plugins" / "kerascheck-tf1"

TF1_CODE = """\
import tensorflow as tf
import keras

model = keras.models.load_model("m.keras")
probs = model.predict_proba(x)
with tf.Session() as sess:
    sess.run(init)
"""


@pytest.fixture(scope="module")
def tf1_env(plugin_env) -> PluginEnv:
    return plugin_env(TF1_PLUGIN)


def test_installed_plugin_is_listed_with_its_version(tf1_env: PluginEnv, tmp_path: Path) -> None:
    proc = tf1_env.kerascheck("plugins", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = next(row for row in proc.stdout.splitlines() if row.startswith("kerascheck-tf1 "))
    assert line.startswith("kerascheck-tf1 0.1.0 ")
    assert "prefixes: TF" in line
    assert "kerascheck_tf1.rules" in line


def test_installed_plugin_reports_through_the_entry_point(tf1_env: PluginEnv, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TF1_CODE, encoding="utf-8")
    proc = tf1_env.kerascheck("check", "--output-format", "json", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    import json

    findings = json.loads(proc.stdout)
    codes = sorted({f["code"] for f in findings})
    assert codes == ["KC102", "TF101"], proc.stdout
    tf101 = next(f for f in findings if f["code"] == "TF101")
    assert tf101["location"] == {"row": 6, "column": 6}
    assert "does not exist in TensorFlow 2" in tf101["message"]

    # Its documentation is served like a built-in rule's.
    doc = tf1_env.kerascheck("rule", "TF105", cwd=tmp_path)
    assert doc.returncode == 0 and "## Why is this bad?" in doc.stdout and "kerascheck-tf1" in doc.stdout


def test_plugin_can_be_blocked(tf1_env: PluginEnv, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TF1_CODE, encoding="utf-8")
    proc = tf1_env.kerascheck("check", "-p", "no:tf1", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "KC102" in proc.stdout
    assert "TF101" not in proc.stdout
    listing = tf1_env.kerascheck("plugins", "-p", "no:tf1", cwd=tmp_path)
    assert "kerascheck-tf1" not in listing.stdout


def test_plugin_tests_pass_in_the_installed_environment(tf1_env: PluginEnv, tmp_path: Path) -> None:
    """The plugin's own test-suite (examples as tests) passes against the installed plugin."""
    tests = tmp_path / "tests"
    shutil.copytree(TF1_PLUGIN / "tests", tests)
    proc = tf1_env.pytest(tests, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout


def test_prefix_collision_names_both_plugins(tmp_path: Path, plugin_env, plugin_project) -> None:
    project = plugin_project(
        "kc-squatter",
        "kc_squatter",
        "squatter",
        '''
        from kerascheck import Rule, Severity, hookimpl

        class Squat(Rule):
            """
            ## What it does
            Nothing.

            ## Why is this bad?
            It claims kerascheck's own prefix.

            ## Example
            ```python
            x = 1
            ```

            ## Use instead
            ```python
            x = 1
            ```
            """

            code = "KC990"
            name = "squatting-rule"
            summary = "Claims the KC prefix"
            severity = Severity.INFO

        @hookimpl
        def kerascheck_register_rules():
            return [Squat]
        ''',
    )
    env = plugin_env(project)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "a.py").write_text("import keras\n", encoding="utf-8")
    proc = env.kerascheck("check", "a.py", cwd=tmp_path / "work")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "prefix 'KC'" in proc.stderr
    assert "'kerascheck'" in proc.stderr and "'kc-squatter'" in proc.stderr
    assert "Traceback" not in proc.stderr
    # The plugin can be blocked by its entry-point name, and then everything works.
    ok = env.kerascheck("check", "-p", "no:squatter", "a.py", cwd=tmp_path / "work")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_a_raising_plugin_rule_becomes_an_internal_error_finding(tmp_path: Path, plugin_env, plugin_project) -> None:
    project = plugin_project(
        "kc-fragile",
        "kc_fragile",
        "fragile",
        '''
        from kerascheck import Rule, Severity, hookimpl

        class Fragile(Rule):
            """
            ## What it does
            Assumes every call has a positional argument.

            ## Why is this bad?
            It is a test of crash isolation.

            ## Example
            ```python
            f()
            ```

            ## Use instead
            ```python
            f(1)
            ```
            """

            code = "FR101"
            name = "fragile-rule"
            summary = "Crashes on calls without arguments"
            severity = Severity.WARNING

            def visit_Call(self, node):
                first = node.args[0]  # IndexError on f()
                self.report(node, "a call with arguments")

        @hookimpl
        def kerascheck_register_rules():
            return [Fragile]
        ''',
    )
    env = plugin_env(project)
    work = tmp_path / "work"
    work.mkdir()
    (work / "broken.py").write_text(
        "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict_proba(x)\nmodel.summary()\n",
        encoding="utf-8",
    )
    (work / "other.py").write_text("import keras\nmodel = keras.models.load_model('m.keras')\np = model.predict_proba(x)\n", encoding="utf-8")
    proc = env.kerascheck("check", "--output-format", "json", "broken.py", "other.py", cwd=work)
    import json

    findings = json.loads(proc.stdout)
    by_file: dict[str, list[str]] = {}
    for finding in findings:
        by_file.setdefault(Path(finding["filename"]).name, []).append(finding["code"])
    # broken.py: FR101 reported line 2 and 3 (calls with arguments) before crashing on
    # model.summary(); the crash is KC000, and kerascheck's own KC102 is unaffected.
    assert "KC000" in by_file["broken.py"], findings
    assert "KC102" in by_file["broken.py"]
    internal = next(f for f in findings if f["code"] == "KC000")
    assert "FR101" in internal["message"] and "kc_fragile" in internal["message"] and "IndexError" in internal["message"]
    assert internal["location"]["row"] == 4
    # other.py has no argument-less call: the plugin works there, and nothing is lost.
    assert sorted(by_file["other.py"]) == ["FR101", "FR101", "KC102"]
    assert proc.returncode == 2  # an internal error is an error exit, even with findings
