"""``--fix`` changes the text and nothing else, and never loses an edit (issue 10, points 2, 3).

Real files, real links, real owners, real processes: every test runs the CLI in a subprocess.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kerascheck.static import tempfiles

BUGGY = "from tensorflow import keras\nopt = keras.optimizers.Adam(lr=0.01)\n"
FIXED = BUGGY.replace("lr=", "learning_rate=")
FIX = ("check", "--select", "KC106", "--fix", "--no-cache")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "kerascheck.toml").write_text("", encoding="utf-8")
    return root


def _fix(run_cli, root: Path, *paths: str, env: dict | None = None):
    return run_cli(*FIX[:1], *paths, *FIX[1:], cwd=root, env=env)


# -- point 2: edits made during the run are never lost --------------------------------------------

EDITOR_PLUGIN = textwrap.dedent('''
    """A plugin whose rule appends to the file the second time it is checked: the first check is
    the run's, the second is the fixer's, after it read the file (an editor saving meanwhile)."""
    from kerascheck import Rule, hookimpl


    class EditsTheFile(Rule):
        """
        ## What it does
        Stands in for a user who saves the file while kerascheck fixes it (a test double).

        ## Why is this bad?
        It is a test double.

        ## Example
        ```python
        x = 1
        ```

        ## Use instead
        ```python
        x = 1
        ```
        """

        code = "ZE901"
        name = "edits-during-the-run"
        summary = "Test double"
        requires_keras = False

        def visit_Module(self, node):
            counter = self.context.path + ".checks"
            try:
                with open(counter) as handle:
                    count = int(handle.read())
            except FileNotFoundError:
                count = 0
            with open(counter, "w") as handle:
                handle.write(str(count + 1))
            if count == 1:
                with open(self.context.path, "a") as handle:
                    handle.write("# the user's edit\\n")


    @hookimpl
    def kerascheck_register_rules():
        return [EditsTheFile]
''')


def test_fix_skips_file_edited_during_the_run(tree: Path, run_cli) -> None:
    (tree / "editor_plugin.py").write_text(EDITOR_PLUGIN, encoding="utf-8")
    (tree / "bad.py").write_text(BUGGY, encoding="utf-8")
    result = run_cli(
        "check", "bad.py", "--select", "KC106,ZE901", "--fix", "--no-cache", "-p", "editor_plugin",
        cwd=tree, env={"PYTHONPATH": os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")])},
    )
    assert int((tree / "bad.py.checks").read_text()) >= 2  # the edit came after the fixer read the file
    assert (tree / "bad.py").read_text(encoding="utf-8") == BUGGY + "# the user's edit\n"
    assert "bad.py: not fixed: it changed on disk while kerascheck was fixing it" in result.stderr
    assert result.returncode == 1 and "KC106" in result.stdout  # the finding is still reported
    assert not list(tree.glob("*.kerascheck-tmp"))


# -- point 3: owner, links, read-only files, symlinks, temporary files ----------------------------


def test_fix_preserves_hard_links(tree: Path, run_cli) -> None:
    (tree / "bad.py").write_text(BUGGY, encoding="utf-8")
    os.link(tree / "bad.py", tree / "other_name.py")
    result = _fix(run_cli, tree, "bad.py")
    assert result.returncode == 1 and "not fixed: it has 2 hard links" in result.stderr
    assert os.path.samefile(tree / "bad.py", tree / "other_name.py")
    assert (tree / "bad.py").read_text(encoding="utf-8") == BUGGY


def test_fix_refuses_read_only_file(tree: Path, run_cli) -> None:
    path = tree / "bad.py"
    path.write_text(BUGGY, encoding="utf-8")
    path.chmod(0o444)
    result = _fix(run_cli, tree, "bad.py")
    assert result.returncode == 1 and "not fixed: it is read-only (mode 0444)" in result.stderr
    assert path.read_text(encoding="utf-8") == BUGGY and stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file to another user needs root")
def test_fix_preserves_owner_group_and_mode(tree: Path, run_cli) -> None:
    path = tree / "bad.py"
    path.write_text(BUGGY, encoding="utf-8")
    os.chown(path, 65534, 65534)
    path.chmod(0o2664)  # setgid survives: it is set after the owner
    result = _fix(run_cli, tree, "bad.py")
    assert result.returncode == 0, result.stderr
    info = path.stat()
    assert path.read_text(encoding="utf-8") == FIXED
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o2664)


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="running as another user needs root")
def test_fix_refuses_when_the_owner_cannot_be_kept() -> None:
    """A user who may write a file of another user (mode 0666, writable directory) would make it
    theirs by replacing it: kerascheck leaves it alone instead.

    The run is a forked copy of this process that switched to uid/gid 65534 (the interpreter is
    not readable by other users here, so a fresh ``python`` cannot be started as them)."""
    import shutil
    import tempfile

    from kerascheck.cli import main

    tree = Path(tempfile.mkdtemp(prefix="kerascheck-owner-"))  # pytest's tmp_path is root-only
    try:
        _run_as_another_user(tree, main)
    finally:
        shutil.rmtree(tree)


def _run_as_another_user(tree: Path, main) -> None:  # type: ignore[no-untyped-def]
    tree.chmod(0o777)
    (tree / "kerascheck.toml").write_text("", encoding="utf-8")
    (tree / "warm.py").write_text(BUGGY, encoding="utf-8")
    assert main([*FIX[:1], str(tree / "warm.py"), *FIX[1:], "-q"]) == 0  # imports everything first
    path = tree / "bad.py"
    path.write_text(BUGGY, encoding="utf-8")
    path.chmod(0o666)
    log = tree / "stderr.txt"
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 3
        try:
            with open(log, "w") as stream:
                os.dup2(stream.fileno(), 2)
                sys.stderr = stream
                os.chdir(tree)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                code = main([*FIX[:1], "bad.py", *FIX[1:]])
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    stderr = log.read_text(encoding="utf-8")
    assert "bad.py: not fixed: it belongs to uid 0 gid 0" in stderr, stderr
    assert os.waitstatus_to_exitcode(status) == 1
    assert path.read_text(encoding="utf-8") == BUGGY and path.stat().st_uid == 0
    assert not list(tree.glob("*.kerascheck-tmp"))


def test_fix_never_rewrites_a_symlink_target_outside_the_tree(tree: Path, tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(BUGGY, encoding="utf-8")
    (tree / "link.py").symlink_to(outside)
    (tree / "inside.py").write_text(BUGGY, encoding="utf-8")
    (tree / "inside_link.py").symlink_to("inside.py")
    result = _fix(run_cli, tree, ".")
    assert "link.py: not fixed: it is a symbolic link to" in result.stderr and "outside the checked tree" in result.stderr
    assert outside.read_text(encoding="utf-8") == BUGGY
    # A link inside the tree: its target is fixed and it stays a link.
    assert (tree / "inside.py").read_text(encoding="utf-8") == FIXED and (tree / "inside_link.py").is_symlink()
    assert result.returncode == 1


def test_temp_files_of_a_killed_run_are_removed_and_never_linted(tree: Path, run_cli) -> None:
    """A process killed with SIGKILL in the write window leaves its temporary file; the next run
    never checks it, and the next fix removes it (but not those of live processes)."""
    (tree / "bad.py").write_text(BUGGY, encoding="utf-8")
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            import os, signal
            from kerascheck.static import tempfiles
            fd, path = tempfiles.create_exclusive({str(tree)!r}, "bad.py")
            os.write(fd, {BUGGY!r}.encode())
            os.kill(os.getpid(), signal.SIGKILL)
        """)],
        capture_output=True,
    )
    assert killed.returncode == -9
    (stale,) = tree.glob("*.kerascheck-tmp")
    live = tree / tempfiles.temp_name("bad.py")  # this test process is alive
    live.write_text(BUGGY, encoding="utf-8")
    result = run_cli("check", ".", "--select", "KC106", "--no-cache", cwd=tree)
    assert result.returncode == 1 and "kerascheck-tmp" not in result.stdout and "Found 1 problem in 1 file" in result.stdout
    result = _fix(run_cli, tree, ".")
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and live.exists()
    assert (tree / "bad.py").read_text(encoding="utf-8") == FIXED


def test_concurrent_appends_during_fix_are_never_lost() -> None:
    """An appender process adds fixable lines while ``check --fix`` runs in a loop (the scenario
    that lost 9 of 455 appends): every appended line survives and no temporary file is left."""
    bench = Path(__file__).resolve().parent.parent / "bench" / "fix_concurrent_appends.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--appends", "40", "--pause", "0.1"], capture_output=True, text=True, timeout=600
    )
    report = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert report["appends lost"] == "0" and report["temp files left"] == "0", result.stdout + result.stderr
    assert int(report["runs that rewrote"]) > 0  # the fixer did race the appender
    assert result.returncode == 0


def test_fix_follows_a_link_inside_a_directory_named_on_the_command_line(tmp_path: Path, run_cli) -> None:
    """Without a configuration file the project root is the working directory; a directory named
    on the command line is part of the checked tree too."""
    checked = tmp_path / "checked"
    checked.mkdir()
    (checked / "real.py").write_text(BUGGY, encoding="utf-8")
    (checked / "link.py").symlink_to("real.py")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("check", str(checked), "--select", "KC106", "--fix", "--no-cache", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (checked / "real.py").read_text(encoding="utf-8") == FIXED and (checked / "link.py").is_symlink()
