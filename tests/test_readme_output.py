"""The README's example of ``--output-format full`` is the real output of that command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "kerascheck check examples/inference/serve_predictions.py --output-format full"


def test_readme_full_output_is_real(run_cli):
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    match = re.search(r"```text\n\$ " + re.escape(COMMAND) + r"\n(?P<output>.*?)```", readme, re.S)
    assert match, "README shows the full output of: " + COMMAND
    result = run_cli(*COMMAND.split()[1:], "--no-cache", cwd=ROOT)
    assert result.stdout == match.group("output")
