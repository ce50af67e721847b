"""The result cache never deletes, writes into or trusts what kerascheck did not create.

Each test is a real CLI run in a subprocess against real files (issue 10, points 1, 5, 13).
"""

from __future__ import annotations

import os
import pickle
import secrets
import shutil
import stat
from pathlib import Path

import pytest

from kerascheck.static import cache_format
from kerascheck.static.cache_key import key_path, sign

BUGGY = "import keras\nm = keras.Sequential()\nm.predict_classes(x)\n"
CLEAN = "import keras\nm = keras.Sequential()\nm.predict(x)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "kerascheck.toml").write_text("select = ['KC1']\n", encoding="utf-8")
    (root / "src" / "m0.py").write_text(BUGGY, encoding="utf-8")
    (root / "src" / "m1.py").write_text(CLEAN, encoding="utf-8")
    return root


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _entries(cache: Path) -> list[Path]:
    """The result cache's per-file entries (not the run cache's records under ``runs/``)."""
    return [p for p in cache.rglob("*") if p.is_file() and p.parent != cache and (cache / "runs") not in p.parents]


def _drop_run_records(cache: Path) -> None:
    """Remove the run cache's records, so the next run reads the per-file entries under test
    (``tests/test_cache_run.py`` tests the records' own safety)."""
    shutil.rmtree(cache / "runs", ignore_errors=True)


# -- point 1: the cache directory is one kerascheck created ------------------------------------


def test_clean_never_removes_a_directory_it_did_not_create(project: Path, run_cli) -> None:
    (project / "kerascheck.toml").write_text("select = ['KC1']\ncache-dir = 'src'\n", encoding="utf-8")
    before = _tree(project / "src")
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    assert "result cache off" in result.stderr and "was not created by kerascheck" in result.stderr
    assert _tree(project / "src") == before  # no .gitignore, no CACHEDIR.TAG, no entries
    # The markers the old version looked for, and a marker forged without the user's key.
    (project / "src" / ".gitignore").write_text("*\n", encoding="utf-8")
    (project / "src" / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n", encoding="utf-8")
    (project / "src" / "KERASCHECK-CACHE").write_text("kerascheck result cache\n" + "ab" * 16 + "\n" + "00" * 64 + "\n", encoding="utf-8")
    before = _tree(project / "src")
    result = run_cli("clean", cwd=project)
    assert result.returncode == 2 and "not removing" in result.stderr
    assert _tree(project / "src") == before


@pytest.mark.parametrize("value", ["", ".", "..", "/", "~", "~/..", "ROOT"])
def test_cache_dir_naming_the_project_home_or_a_parent_is_a_config_error(project: Path, run_cli, value: str) -> None:
    home = project.parent / "home"
    home.mkdir()
    (home / "thesis.txt").write_text("years of work", encoding="utf-8")
    value = str(project) if value == "ROOT" else value
    (project / "kerascheck.toml").write_text(f"select = ['KC1']\ncache-dir = {value!r}\n", encoding="utf-8")
    before_home, before_project = _tree(home), _tree(project)
    for command in (("check",), ("check", "--no-cache"), ("rules",), ("clean",)):
        result = run_cli(*command, cwd=project, env={"HOME": str(home)})
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "configuration error" in result.stderr and "kerascheck.toml" in result.stderr
        assert "key 'cache-dir'" in result.stderr
        assert "Traceback" not in result.stderr
    assert _tree(home) == before_home and _tree(project) == before_project


def test_clean_removes_only_what_kerascheck_created(project: Path, run_cli, tmp_path: Path) -> None:
    assert run_cli("check", "src", cwd=project).returncode == 1
    cache = project / ".kerascheck_cache"
    entries = _entries(cache)
    assert len(entries) == 2 and (cache / ".gitignore").is_file() and (cache / "KERASCHECK-CACHE").is_file()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep", encoding="utf-8")
    (cache / "notes.txt").write_text("mine", encoding="utf-8")  # the user put it there
    os.symlink(outside, entries[0].parent / ("f" * 30))  # a link named like an entry
    result = run_cli("clean", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "kept 2 file(s)" in result.stdout
    assert (cache / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (outside / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert not any(e.exists() for e in entries)
    (cache / "notes.txt").unlink()
    (entries[0].parent / ("f" * 30)).unlink()
    result = run_cli("clean", cwd=project)
    assert result.returncode == 0 and "removed" in result.stdout and not cache.exists()


def test_cache_dir_that_is_a_symlink_is_never_used_or_followed(project: Path, run_cli, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data.txt").write_text("data", encoding="utf-8")
    os.symlink(elsewhere, project / ".kerascheck_cache")
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "symbolic link" in result.stderr
    assert _tree(elsewhere) == {"data.txt": b"data"}
    result = run_cli("clean", cwd=project)
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert _tree(elsewhere) == {"data.txt": b"data"} and (project / ".kerascheck_cache").is_symlink()


def test_cache_directory_from_another_user_is_not_used(project: Path, run_cli, tmp_path: Path) -> None:
    other = {"XDG_CACHE_HOME": str(tmp_path / "other-user")}
    assert run_cli("check", "src", cwd=project, env=other).returncode == 1  # "commits" its cache
    cache = project / ".kerascheck_cache"
    before = _tree(cache)
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    assert "was not created by kerascheck for you" in result.stderr
    assert _tree(cache) == before
    assert run_cli("clean", cwd=project).returncode == 2 and _tree(cache) == before


def test_cache_key_is_private_and_outside_the_project(project: Path, run_cli) -> None:
    assert run_cli("check", "src", cwd=project).returncode == 1
    key = key_path()
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert project not in key.parents
    assert not list(key.parent.glob("*.kerascheck-tmp"))


# -- point 5: nothing in the cache is executed or trusted without the user's key ------------------


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"id -u > {self.marker}",))


def test_cache_never_unpickles(project: Path, run_cli, tmp_path: Path) -> None:
    assert run_cli("check", "src", cwd=project).returncode == 1
    pwned = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(pwned))
    entries = _entries(project / ".kerascheck_cache")
    for entry in entries:
        entry.write_bytes(payload)
    _drop_run_records(project / ".kerascheck_cache")
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    assert not pwned.exists()
    for entry in entries:  # replaced by JSON entries
        assert entry.read_bytes().startswith(b"KC2 ")


def test_forged_cache_entry_is_not_trusted(project: Path, run_cli) -> None:
    assert run_cli("check", "src", cwd=project).returncode == 1
    cache = project / ".kerascheck_cache"
    buggy = str(Path("src") / "m0.py")
    from kerascheck.static.cache import digest
    from kerascheck.static.engine import FileResult

    # A "clean" result for the buggy file, in the real format, with the right digest, signed
    # with a key that is not the user's (as anyone who did not read ~/.cache/kerascheck/key).
    forged_body = cache_format.dumps((digest((project / buggy).read_bytes()).hex(), FileResult(buggy)))
    _drop_run_records(cache)
    (settings,) = [d for d in cache.iterdir() if d.is_dir()]
    for entry in _entries(cache):
        forged_key = secrets.token_bytes(32)
        entry.write_bytes(b"KC2 " + sign(forged_key, b"entry", settings.name.encode(), buggy.encode(), forged_body).encode() + b"\n" + forged_body)
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    # A genuine entry of the clean file copied over the buggy file's entry: signed for another path.
    assert run_cli("clean", cwd=project).returncode == 0
    assert run_cli("check", "src", cwd=project).returncode == 1
    entries = _entries(cache)
    clean_entry = next(e for e in entries if b"m1.py" in e.read_bytes())
    buggy_entry = next(e for e in entries if e != clean_entry)
    buggy_entry.write_bytes(clean_entry.read_bytes().replace(b"m1.py", b"m0.py"))
    _drop_run_records(cache)
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout


# -- point 13 (cache part): special files never block a run ------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_cache_entry_does_not_hang(project: Path, run_cli) -> None:
    assert run_cli("check", "src", cwd=project).returncode == 1
    cache = project / ".kerascheck_cache"
    for entry in _entries(cache):
        entry.unlink()
        os.mkfifo(entry)
    _drop_run_records(cache)
    marker = cache / "KERASCHECK-CACHE"
    result = run_cli("check", "src", cwd=project)  # the fixture's timeout fails a hang
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    marker.unlink()
    os.mkfifo(marker)  # a FIFO as the ownership marker: not ours, never read
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    assert "result cache off" in result.stderr


def test_concurrent_first_runs_create_one_cache_directory(project: Path) -> None:
    """Four runs start together on a project without a cache: one creates the directory (whole,
    by a rename), the others find it and use it; nobody warns, nothing is left behind."""
    import subprocess
    import sys

    environment = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "kerascheck", "check", "src"]
    runs = [subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [(*run.communicate(timeout=300), run.returncode) for run in runs]
    for stdout, stderr, code in outputs:
        assert code == 1 and "m0.py:3:1: KC101" in stdout and "warning" not in stderr, stderr
    cache = project / ".kerascheck_cache"
    assert sorted(p.name for p in cache.iterdir() if not p.is_dir()) == [".gitignore", "CACHEDIR.TAG", "KERASCHECK-CACHE"]
    assert not list(project.glob(".*.kerascheck-tmp")) and len(_entries(cache)) == 2
