"""The project lints and type-checks clean: ``ruff check .`` and ``mypy`` (configs in pyproject.toml)
find nothing. ``.ci/run`` also runs both directly; this test says which lines are at fault in
the test report and catches a finding before a push."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

def _tool(name: str) -> list[str]:
    if shutil.which(name) is None and subprocess.run([sys.executable, "-m", name, "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"{name} is not installed (the dev extra installs it)")
    return [sys.executable, "-m", name]


def _ruff_findings() -> dict[str, list[str]]:
    proc = subprocess.run([*_tool("ruff"), "check", ".", "--output-format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    found: dict[str, list[str]] = {}
    for finding in json.loads(proc.stdout):
        path = Path(finding["filename"]).resolve().relative_to(ROOT).as_posix()
        found.setdefault(path, []).append(f"{path}:{finding['location']['row']}: {finding['code']} {finding['message']}")
    return found


def _mypy_findings(tmp_path: Path) -> dict[str, list[str]]:
    # A private cache: nothing written into the repository, and no stale answers.
    proc = subprocess.run([*_tool("mypy"), "--cache-dir", str(tmp_path / "mypy-cache")], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    found: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        match = re.match(r"(?P<path>[^:]+\.py):\d+: error: ", line)
        if match:
            found.setdefault(Path(match["path"]).as_posix(), []).append(line)
    return found


def test_ruff_finds_nothing():
    lines = [line for _, found in sorted(_ruff_findings().items()) for line in found]
    assert not lines, "ruff findings:\n" + "\n".join(lines)


def test_mypy_finds_nothing(tmp_path):
    lines = [line for _, found in sorted(_mypy_findings(tmp_path).items()) for line in found]
    assert not lines, "mypy errors:\n" + "\n".join(lines)
