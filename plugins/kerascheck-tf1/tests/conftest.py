"""Run the plugin's tests from a source checkout too.

When kerascheck-tf1 is installed (``pip install plugins/kerascheck-tf1``, as CI does), the
installed package is tested. When it is not (kerascheck's own test run collects these tests as
well), the package is imported from the source tree: the rule examples run the rule classes
directly, so they do not need the entry point.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("kerascheck_tf1") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
