"""Start-up of ``kerascheck check`` on one file (issue 16's one-file targets), with the import
breakdown that explains it.

    python bench/startup.py                          # this checkout, 9 runs of each command
    python bench/startup.py --repeat 15
    python bench/startup.py --compare /tmp/old-checkout   # two checkouts, runs interleaved

Each command runs in its own process, timed from outside: wall seconds and CPU seconds (user +
system, the steadier figure on a shared machine), medians of ``--repeat`` runs. Runs of the
commands are interleaved (libcst, uncached, cached, then again), so load that comes and goes hits
every command alike; the load average before and after is printed with the figures.

* ``import libcst``: the floor the target is relative to (uncached within 1.3x of it).
* ``check one_file.py --no-cache``: every default rule on one keras-io file, no result cache.
* ``check one_file.py``, cached: replayed by the run cache (target: under 0.1 s).

Then, from ``python -X importtime`` of the uncached run (medians of 5 runs per module), what it
imports beyond what ``import libcst`` imports (kerascheck's own modules, and the other modules it
is alone in needing), and kerascheck's 15 most expensive modules by cumulative import time.
Bytecode is compiled once beforehand (into a private prefix), as from a normal install.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT.parent / "shared")
ONE_FILE = _SHARED / "corpus" / "keras-io" / "examples" / "vision" / "mnist_convnet.py"
CONSOLE_SCRIPT = Path(sys.executable).parent / "kerascheck"


def _environment(checkout: Path) -> dict[str, str]:
    """The checkout's code first on ``sys.path``; compiled bytecode, kept out of the source tree."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(checkout)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "kerascheck-bench-pycache")
    env["NO_COLOR"] = "1"
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; a failing command stops the benchmark."""
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
    if completed.returncode not in (0, 1):
        raise SystemExit(f"command failed ({completed.returncode}): {' '.join(command)}\n{completed.stderr[-2000:]}")
    return wall, cpu


class Variant:
    """One checkout under test, with its own work directory and cache."""

    def __init__(self, checkout: Path, work: Path) -> None:
        self.checkout = checkout
        self.label = str(checkout)
        self.env = _environment(checkout)
        self.work = work
        work.mkdir(parents=True)
        shutil.copy(ONE_FILE, work / "one_file.py")
        config = work / "kerascheck.toml"
        config.write_text(f'cache-dir = "{work / "cache"}"\n', encoding="utf-8")
        self.check = [str(CONSOLE_SCRIPT), "check", "one_file.py", "--config", str(config), "--exit-zero", "-q"]
        self.uncached = [*self.check, "--no-cache"]

    def prepare(self) -> None:
        """Compile the bytecode and fill the caches (run cache, entry-point cache)."""
        for command in (self.uncached, self.uncached, self.check, self.check):
            _run(command, self.env, self.work)


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _parse_importtime(stderr: str, samples: dict[str, list[tuple[int, int]]]) -> None:
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        samples[name.strip()].append((int(own), int(cumulative)))


def _medians(samples: dict[str, list[tuple[int, int]]]) -> dict[str, tuple[float, float]]:
    return {
        name: (statistics.median(s for s, _ in values) / 1e6, statistics.median(c for _, c in values) / 1e6)
        for name, values in samples.items()
    }


def import_times(command: list[str], env: dict[str, str], cwd: Path, runs: int = 3) -> dict[str, tuple[float, float]]:
    """Module -> (self, cumulative) import seconds of ``command`` (a Python script and its
    arguments): medians over ``runs`` runs."""
    samples: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _ in range(runs):
        completed = subprocess.run([sys.executable, "-X", "importtime", *command], cwd=cwd, env=env, capture_output=True, text=True)
        _parse_importtime(completed.stderr, samples)
    return _medians(samples)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def import_report(times: dict[str, tuple[float, float]], floor: dict[str, tuple[float, float]], top: int) -> list[str]:
    """What the run imports beyond ``import libcst`` (``floor``), and kerascheck's most
    expensive modules. Cumulative times include whatever a module is the first to import (a
    module imported before libcst pays for the standard library modules libcst needs too)."""

    def ours(name: str) -> bool:
        return name.split(".")[0] == "kerascheck"

    extra = {n: t for n, t in times.items() if n not in floor}
    own = [s for n, (s, _) in extra.items() if ours(n)]
    other = sorted(((s, n) for n, (s, _) in extra.items() if not ours(n)), reverse=True)
    ranked = sorted(((c, s, n) for n, (s, c) in times.items() if ours(n)), reverse=True)
    lines = [
        f"beyond `import libcst` (self times summed): kerascheck {_ms(sum(own))} ms in {len(own)} modules; "
        f"{len(other)} other modules {_ms(sum(s for s, _ in other))} ms",
        "  other modules, most expensive: " + ", ".join(f"{n} {_ms(s)}" for s, n in other[:8]),
        f"kerascheck's {top} most expensive modules (cumulative ms, self ms):",
    ]
    lines += [f"  {_ms(c):>7} {_ms(s):>7}  {n}" for c, s, n in ranked[:top]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command (medians are shown)")
    parser.add_argument("--compare", action="append", default=[], metavar="CHECKOUT", help="another checkout to measure alongside")
    parser.add_argument("--top", type=int, default=15, help="how many of kerascheck's modules to list")
    parser.add_argument("--no-imports", action="store_true", help="skip the -X importtime breakdown")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kerascheck-startup-") as tmp:
        variants = [Variant(Path(c).resolve(), Path(tmp) / f"v{i}") for i, c in enumerate([ROOT, *args.compare])]
        floor_env = variants[0].env
        for variant in variants:
            variant.prepare()
        _run([sys.executable, "-c", "import libcst"], floor_env, Path(tmp))
        load_before = os.getloadavg()
        libcst: list[tuple[float, float]] = []
        uncached: dict[str, list[tuple[float, float]]] = defaultdict(list)
        cached: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for _ in range(args.repeat):
            libcst.append(_run([sys.executable, "-c", "import libcst"], floor_env, Path(tmp)))
            for variant in variants:
                uncached[variant.label].append(_run(variant.uncached, variant.env, variant.work))
                cached[variant.label].append(_run(variant.check, variant.env, variant.work))
        load_after = os.getloadavg()

        floor_wall, floor_cpu = _median(libcst)
        print(f"one file: {ONE_FILE.relative_to(ONE_FILE.parents[2])}; {args.repeat} runs each, interleaved; medians, seconds")
        print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f}")
        print()
        print("| command | wall | CPU | wall / import libcst | CPU / import libcst |")
        print("|---|---|---|---|---|")
        print(f"| `python -c 'import libcst'` | {floor_wall:.3f} | {floor_cpu:.3f} | 1.00x | 1.00x |")
        for variant in variants:
            name = "" if len(variants) == 1 else f" ({variant.label})"
            for title, runs in (("--no-cache", uncached[variant.label]), ("cached", cached[variant.label])):
                wall, cpu = _median(runs)
                print(f"| `check one_file.py` {title}{name} | {wall:.3f} | {cpu:.3f} | {wall / floor_wall:.2f}x | {cpu / floor_cpu:.2f}x |")
        if not args.no_imports:
            script = Path(tmp) / "import_libcst.py"
            script.write_text("import libcst\n", encoding="utf-8")
            floor = import_times([str(script)], floor_env, Path(tmp), runs=5)
            for variant in variants:
                print()
                print(f"-X importtime, uncached run of {variant.label} (medians of 5 runs):")
                times = import_times(variant.uncached, variant.env, variant.work, runs=5)
                print("\n".join(import_report(times, floor, args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
