"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
