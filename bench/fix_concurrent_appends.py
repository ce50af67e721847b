"""Measure: does ``kerascheck check --fix`` lose text another process appends meanwhile?

An appender process appends N lines (each carrying a fixable ``lr=`` and a numbered marker)
to one file, opening it for each append as editors and loggers do, while this process runs
``kerascheck check --fix`` on that file again and again. At the end every marker must still be
there; the report gives the appends, the fix runs, how many of them rewrote the file, how many
were refused because the file changed, and how many appends were lost.

    python bench/fix_concurrent_appends.py [--appends 455] [--pause 0.002]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from kerascheck.cli import main

HEADER = "from tensorflow import keras\n"


def run(appends: int, pause: float) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "appended.py"
        path.write_text(HEADER, encoding="utf-8")
        appender = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import time
            for i in range({appends}):
                with open({str(path)!r}, "a", encoding="utf-8") as handle:
                    handle.write(f"opt = keras.optimizers.Adam(lr=0.01)  # append {{i}}\\n")
                time.sleep({pause})
        """)])
        runs = rewrote = refused = 0
        while True:
            finished = appender.poll() is not None
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                before = path.read_bytes()
                main(["check", str(path), "--select", "KC106", "--fix", "--no-cache", "-q"])
            runs += 1
            refused += "changed on disk" in err.getvalue()
            rewrote += path.read_bytes() != before and "changed on disk" not in err.getvalue()
            if finished:
                break
        text = path.read_text(encoding="utf-8")
        found = sum(f"# append {i}\n" in text for i in range(appends))
        leftovers = len(list(Path(directory).glob("*.kerascheck-tmp")))
    return {"appends": appends, "fix runs": runs, "runs that rewrote": rewrote, "runs refused (file changed)": refused,
            "appends lost": appends - found, "temp files left": leftovers}


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=455)
    parser.add_argument("--pause", type=float, default=0.002)
    args = parser.parse_args()
    result = run(args.appends, args.pause)
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0 if result["appends lost"] == 0 and result["temp files left"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main_())
