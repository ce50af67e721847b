"""``kerascheck.probe()`` sees the probes of installed plugin distributions and validates
selectors against them, like ``check()`` (a real distribution, installed in a fresh venv)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plugin_envs import PluginEnv

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
def nan_env(plugin_env, plugin_project) -> PluginEnv:
    return plugin_env(plugin_project("kerascheck-nan", "kerascheck_nan", "nan", PROBE_PLUGIN, version="1.0.0"))


def call_probe(env: PluginEnv, cwd: Path, *select: str) -> object:
    result = env.run("-c", CALL, *select, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_api_probe_selects_installed_plugin_probes(nan_env: PluginEnv, tmp_path: Path) -> None:
    import kerascheck
    from kerascheck.config import ConfigError

    with pytest.raises(ConfigError):  # here, without the plugin, XP101 names nothing
        kerascheck.probe(str(tmp_path / "missing.keras"), select=["XP101"])
    # with it installed, its probe is selectable; the missing model is a finding, not an error
    assert call_probe(nan_env, tmp_path, "XP101") == ["KP001"]
    assert call_probe(nan_env, tmp_path, "nan-output") == ["KP001"]


def test_api_probe_rejects_selectors_no_probe_matches(nan_env: PluginEnv, tmp_path: Path) -> None:
    answer = call_probe(nan_env, tmp_path, "XP999")
    assert isinstance(answer, dict) and "unknown probe code, prefix or name 'XP999'" in answer["error"]
