"""``kerascheck.probe()`` sees the probes of installed plugin distributions and validates
selectors against them, like ``check()`` (a real distribution, installed in a fresh venv)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.test_plugin_distribution import Env

pytestmark = pytest.mark.slow

PROBE_PLUGIN = '''\
from kerascheck import Probe, hookimpl


class NoNaN(Probe):
    """## What it does
    Reports NaN outputs.

    ## Why is this bad?
    NaN predicts nothing.

    ## Example
    ```python
    model.predict(x)  # nan
    ```

    ## Use instead
    A model that trained.
    """

    code = "XP101"
    name = "nan-output"
    summary = "The model outputs NaN"

    def run(self, ctx):
        return ()


@hookimpl
def kerascheck_register_probes():
    return [NoNaN]
'''

CALL = """
import json, sys
import kerascheck
from kerascheck.config import ConfigError
try:
    found = kerascheck.probe("missing.keras", select=sys.argv[1:])
    print(json.dumps([f.code for f in found]))
except ConfigError as exc:
    print(json.dumps({"error": str(exc)}))
"""


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    root = tmp_path_factory.mktemp("probe-plugin")
    project = root / "kerascheck-nan"
    project.mkdir()
    (project / "kerascheck_nan.py").write_text(PROBE_PLUGIN, encoding="utf-8")
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "kerascheck-nan"
        version = "1.0.0"

        [project.entry-points.kerascheck]
        nan = "kerascheck_nan"

        [tool.setuptools]
        py-modules = ["kerascheck_nan"]
        """), encoding="utf-8")
    env = Env(root / "venv")
    env.pip_install(project)
    return env


def call_probe(env: Env, cwd: Path, *select: str) -> object:
    result = subprocess.run(
        [env.python, "-c", CALL, *select], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_COLOR": "1"}, check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_api_probe_selects_installed_plugin_probes(plugin_env: Env, tmp_path: Path) -> None:
    import kerascheck
    from kerascheck.config import ConfigError

    with pytest.raises(ConfigError):  # here, without the plugin, XP101 names nothing
        kerascheck.probe(str(tmp_path / "missing.keras"), select=["XP101"])
    # with it installed, its probe is selectable; the missing model is a finding, not an error
    assert call_probe(plugin_env, tmp_path, "XP101") == ["KP001"]
    assert call_probe(plugin_env, tmp_path, "nan-output") == ["KP001"]


def test_api_probe_rejects_selectors_no_probe_matches(plugin_env: Env, tmp_path: Path) -> None:
    answer = call_probe(plugin_env, tmp_path, "XP999")
    assert isinstance(answer, dict) and "unknown probe code, prefix or name 'XP999'" in answer["error"]
