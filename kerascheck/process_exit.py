"""How a child process ended, in words: shared by the static worker pool and the probe runner,
which both turn a dead child into a finding."""

from __future__ import annotations

import signal


def killed_by(returncode: int) -> str | None:
    """The name of the signal that ended a process with this return code (``SIGSEGV``), or None
    when it exited on its own. A SIGKILL nobody sent is usually the kernel's out-of-memory killer."""
    if returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"
