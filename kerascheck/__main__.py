"""``python -m kerascheck``.

``python -m`` puts the working directory first on ``sys.path``; a checked repository's
``json.py`` or ``libcst/`` would then shadow what kerascheck imports later, and a module its
configuration names would be importable. Drop it before anything else is imported (``-p``
plugins still load from the working directory: the command line asked for them). Modules the
``kerascheck`` package itself imported before this line are beyond reach: ``python -P -m
kerascheck`` or the ``kerascheck`` script avoid even that (see SECURITY.md).
"""

import os
import sys

_cwd = os.getcwd()
sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", _cwd)]

from kerascheck.cli import main  # noqa: E402

raise SystemExit(main())
