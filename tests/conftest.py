"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from plugin_envs import PluginEnv, write_distribution

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_cli(tmp_path):
    """Run ``python -m kerascheck`` in a subprocess; returns CompletedProcess (text)."""

    def run(*args: str, cwd: Path | None = None, stdin: str | None = None, env: dict | None = None):
        environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "kerascheck", *args],
            cwd=cwd or tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
        )

    return run


@pytest.fixture(autouse=True, scope="session")
def _private_cache_key(tmp_path_factory):
    """The result cache's per-user key lives in XDG_CACHE_HOME: keep the suite's out of ~/.cache
    (subprocess runs of the CLI inherit the variable)."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def plugin_env(tmp_path_factory) -> Callable[..., PluginEnv]:
    """``plugin_env(*projects)``: a fresh virtual environment (tests/plugin_envs.py) with these
    plugin projects ``pip install``ed, as a user would install them."""

    def install(*projects: Path) -> PluginEnv:
        env = PluginEnv(tmp_path_factory.mktemp("plugin-env") / "venv")
        for project in projects:
            env.pip_install(project)
        return env

    return install


@pytest.fixture(scope="session")
def plugin_project(tmp_path_factory) -> Callable[..., Path]:
    """``plugin_project(name, module, entry_point, code, version=...)``: a minimal plugin
    distribution's sources (pyproject.toml and one module) in a new temporary directory."""

    def write(name: str, module: str, entry_point: str, code: str, version: str = "2.3.4") -> Path:
        return write_distribution(tmp_path_factory.mktemp("plugin-src"), name, module, entry_point, code, version)

    return write
