"""``python -m kerascheck`` must not import modules from the directory it is run in.

``python -m`` puts the working directory first on ``sys.path`` before it imports the package, so
a checked repository's ``pluggy.py``, ``tomllib.py`` or ``libcst/`` would shadow what kerascheck
imports, and run. While ``python -m`` imports the package, ``sys.argv[0]`` is ``"-m"``: that is
when :func:`drop_working_directory` removes the entry, before any other import of kerascheck.
(This module imports nothing that is not loaded at interpreter start.)
"""

from __future__ import annotations

import os
import sys


def started_by_python_m() -> bool:
    return sys.argv[:1] == ["-m"]


def drop_working_directory() -> None:
    """Remove the working directory (``""``, ``"."`` or its path) from ``sys.path``."""
    try:
        cwd = os.getcwd()
    except OSError:  # a deleted working directory: only the relative spellings can match
        cwd = ""
    sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", cwd)]
