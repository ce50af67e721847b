"""Measure: is a file ever half-written, and are temporary files ever left for good, when
``kerascheck check --fix`` is killed with SIGKILL at random moments?

Each round starts ``python -m kerascheck check --fix`` on a directory of files with fixable
lines (fixed and written one after the other, so a random moment often falls into a write),
kills it with SIGKILL after a random delay, and checks that every file is exactly the old or the
fixed text. A final ``--fix`` run must then remove every temporary file the killed runs left.

    python bench/fix_kill9.py [--rounds 30] [--files 150]
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINE = "opt = keras.optimizers.Adam(lr=0.01)\n"


def run(rounds: int, files: int, seed: int, longest: float) -> dict[str, int]:
    rng = random.Random(seed)
    old = "from tensorflow import keras\n" + LINE * 20
    new = old.replace("lr=", "learning_rate=")
    command = [sys.executable, "-m", "kerascheck", "check", ".", "--select", "KC106", "--fix", "--no-cache", "-q", "-j", "1"]
    counts = {"rounds": rounds, "files": files, "killed": 0, "file states seen old": 0, "fixed": 0, "corrupt": 0}
    with tempfile.TemporaryDirectory() as directory:
        paths = [Path(directory) / f"m{index:03}.py" for index in range(files)]
        for _ in range(rounds):
            for path in paths:
                path.write_text(old, encoding="utf-8")
            child = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.5, longest))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                counts["killed"] += 1
            child.wait()
            for path in paths:
                text = path.read_text(encoding="utf-8")
                counts["file states seen old" if text == old else "fixed" if text == new else "corrupt"] += 1
        counts["temp files left by the kills"] = len(list(Path(directory).glob(".*.kerascheck-tmp")))
        subprocess.run(command, cwd=directory, capture_output=True)
        counts["temp files after the next --fix"] = len(list(Path(directory).glob(".*.kerascheck-tmp")))
        counts["all fixed by the next --fix"] = int(all(p.read_text(encoding="utf-8") == new for p in paths))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--longest", type=float, default=8.0, help="latest kill, in seconds after the start")
    args = parser.parse_args()
    counts = run(args.rounds, args.files, args.seed, args.longest)
    for key, value in counts.items():
        print(f"{key}: {value}")
    return 0 if counts["corrupt"] == 0 and counts["temp files after the next --fix"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
