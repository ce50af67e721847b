"""The pre-commit hooks, run by the real ``pre-commit`` (``try-repo``) on a temporary git repo.

pre-commit installs kerascheck from this repository into its own environment (pip, from PyPI for
the dependencies), exactly as a user's ``.pre-commit-config.yaml`` would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BUGGY = "from tensorflow import keras\nmodel = keras.Sequential()\nopt = keras.optimizers.Adam(lr=0.01)\n"
CLEAN = "import keras\nmodel = keras.Sequential()\nmodel.save('model.keras')\n"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This repository as ``try-repo`` sees it (HEAD plus uncommitted changes to tracked files),
    committed once so that every test reuses one hook environment."""
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[dev]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    snapshot = tmp_path_factory.mktemp("hook-repo") / "kerascheck"
    _git("clone", "--quiet", str(ROOT), str(snapshot), cwd=ROOT)
    changed = [line for line in _git("diff", "HEAD", "--name-only", cwd=ROOT).splitlines() if line]
    for name in [*changed, ".pre-commit-hooks.yaml"]:
        source, target = ROOT / name, snapshot / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.exists():
            target.unlink()
    _git("add", "-A", cwd=snapshot)
    _git("commit", "--quiet", "--allow-empty", "-m", "snapshot for try-repo", cwd=snapshot)
    return snapshot, _git("rev-parse", "HEAD", cwd=snapshot).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path) -> Path:
    _git("init", "--quiet", cwd=tmp_path)
    (tmp_path / "buggy.py").write_text(BUGGY, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    _git("add", "buggy.py", "clean.py", cwd=tmp_path)
    return tmp_path


def try_repo(hook_repo: tuple[Path, str], home: Path, project: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    repo, ref = hook_repo
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(repo), hook, "--ref", ref, "--verbose", "--files", *files],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_hook_fails_on_a_buggy_file(hook_repo, pre_commit_home, project):
    result = try_repo(hook_repo, pre_commit_home, project, "kerascheck", "buggy.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "kerascheck" in result.stdout and "Failed" in result.stdout
    assert "buggy.py:3:29: KC106 [removed-argument] `lr=` was removed; use `learning_rate=` [*]" in result.stdout
    assert (project / "buggy.py").read_text(encoding="utf-8") == BUGGY  # the check hook never writes


def test_hook_passes_on_a_clean_file(hook_repo, pre_commit_home, project):
    result = try_repo(hook_repo, pre_commit_home, project, "kerascheck", "clean.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_fixes_the_file(hook_repo, pre_commit_home, project):
    result = try_repo(hook_repo, pre_commit_home, project, "kerascheck-fix", "buggy.py", "clean.py")
    # pre-commit fails a hook that modified files, so that the fix gets reviewed and staged.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "files were modified by this hook" in result.stdout
    assert (project / "buggy.py").read_text(encoding="utf-8") == BUGGY.replace("lr=", "learning_rate=")
    assert (project / "clean.py").read_text(encoding="utf-8") == CLEAN
    again = try_repo(hook_repo, pre_commit_home, project, "kerascheck-fix", "buggy.py", "clean.py")
    assert again.returncode == 0, again.stdout + again.stderr
