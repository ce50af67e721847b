"""The pre-commit snippet in README.md, exactly as printed, with the real ``pre-commit``.

The snippet names the public repository URL. The tests have no network, so git itself is told
to fetch that URL from a local snapshot of this repository (``url.<snapshot>.insteadOf``,
passed as ``GIT_CONFIG_*`` variables, which pre-commit lets through): the configuration file is
the README's text, byte for byte. Then the documented way to pin, ``pre-commit autoupdate
--freeze``, replaces the branch with a commit SHA and the hook runs again from that pin.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_precommit import BUGGY, GIT_ENV, _git, hook_repo, pre_commit_home  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def readme_snippet() -> str:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    match = re.search(r"\*\*pre-commit\*\*.*?```yaml\n(?P<body>.*?)```", readme, re.S)
    assert match, "README.md has a pre-commit snippet"
    return textwrap.dedent(match.group("body"))


def test_the_snippet_names_a_rev_and_the_hook():
    snippet = readme_snippet()
    assert re.search(r"^\s+rev: main\b", snippet, re.M) and "- id: kerascheck " in snippet
    assert "v0.1.0" not in snippet  # no such tag exists


def run_pre_commit(project: Path, home: Path, redirect: tuple[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    url, local = redirect
    env = {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(home),
        "PRE_COMMIT_COLOR": "never",
        "NO_COLOR": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{local}.insteadOf",
        "GIT_CONFIG_VALUE_0": url,
    }
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=project, capture_output=True, text=True, env=env, timeout=900)


def test_the_readme_snippet_runs_as_printed_and_pins_with_autoupdate(hook_repo, pre_commit_home, tmp_path):
    snapshot, sha = hook_repo
    _git("update-ref", "refs/heads/main", sha, cwd=snapshot)  # the branch the snippet names
    snippet = readme_snippet()
    url = re.search(r"repo: (\S+)", snippet).group(1)
    project = tmp_path / "project"
    project.mkdir()
    _git("init", "--quiet", cwd=project)
    (project / ".pre-commit-config.yaml").write_text(snippet, encoding="utf-8")
    (project / "buggy.py").write_text(BUGGY, encoding="utf-8")
    _git("add", "-A", cwd=project)
    redirect = (url, str(snapshot))

    first = run_pre_commit(project, pre_commit_home, redirect, "run", "--all-files")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "buggy.py:3:29: KC106 [removed-argument]" in first.stdout

    update = run_pre_commit(project, pre_commit_home, redirect, "autoupdate", "--freeze")
    assert update.returncode == 0, update.stdout + update.stderr
    pinned = (project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert re.search(rf"^\s+rev: {sha}\b", pinned, re.M), pinned

    again = run_pre_commit(project, pre_commit_home, redirect, "run", "--all-files")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "buggy.py:3:29: KC106 [removed-argument]" in again.stdout
