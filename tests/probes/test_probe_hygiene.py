"""Issue 14, process hygiene: a probe run leaves no process and no temporary folder behind,
whether it ends normally, times out, or is interrupted with SIGTERM or Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kerascheck.probes.builtin import BUILTIN_PROBES
from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes

pytestmark = [pytest.mark.tf, pytest.mark.skipif(os.name != "posix", reason="process groups and /proc")]
pytest.importorskip("tensorflow")

ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition, what: str, limit: float = 120.0) -> None:
    """Poll until ``condition()``; fail (not a timing assertion: a hang guard) after ``limit``."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)


def test_timeout_kills_the_child_and_leaves_no_temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    model = tmp_path / "m.keras"
    model.write_bytes(b"PK not a zip")
    (finding,) = run_probes([ProbeTarget(path=str(model))], BUILTIN_PROBES, ProbeSettings(timeout=0.3))
    assert "timed out" in finding.message
    assert list(temp.iterdir()) == []
    assert children_of(os.getpid()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_probe_kills_its_process_group_and_cleans_up(tmp_path: Path, signum: int) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    model = tmp_path / "m.keras"
    model.write_bytes(b"PK not a zip")
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    # A shell's background job (`cmd &`, e.g. CI started in the background) inherits SIGINT
    # ignored, and Python then keeps it ignored: give the CLI the default disposition a
    # foreground run has, which is what this test is about.
    cli = subprocess.Popen(
        [sys.executable, "-m", "kerascheck", "probe", str(model), "--timeout", "600"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # the child has started once it wrote its first record into the parent's scratch folder
        wait_for(lambda: any(temp.glob("kerascheck-probe-*/result.pickle")), "the child started")
        (child,) = children_of(cli.pid)
        cli.send_signal(signum)
        _, stderr = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not group_alive(child)
    assert list(temp.iterdir()) == []
