"""``python -m kerascheck`` (the package's ``__init__`` has already dropped the working directory
from ``sys.path``: see :mod:`kerascheck.safe_path`)."""

from kerascheck.cli import main

raise SystemExit(main())
