"""Benchmark of the static path: kerascheck (cold and warm cache) against the floor, Fixit and
pylint on the same trees of real code, plus single-file start-up. Prints a markdown table.

    python bench/bench_static.py                      # keras-io, stdlib, a site-packages subset
    python bench/bench_static.py --corpus keras-io --jobs 2 --repeat 3
    python bench/bench_static.py --no-peers           # kerascheck and the floor only

Every tool runs in its own subprocess and is timed from the outside: wall-clock seconds (what a
user waits) and CPU seconds (user + system of the process and its workers: less sensitive to
other load on the machine). With ``--repeat N`` the fastest run is kept.

* **kerascheck cold**: every rule selected (including the ones off by default), empty cache.
* **kerascheck warm**: the same command again over the unchanged tree (cache filled by cold).
* **floor**: ``libcst.parse_module`` plus one no-op ``libcst.CSTVisitor`` walk per file, with the
  same number of worker processes (fork pool): what any libcst-based linter pays at least.
* **Fixit** (``fixit lint``, its default rules) and **pylint** (default checkers), with their
  worker count forced to the same ``jobs``. Both discover files themselves (pylint only descends
  into packages), so their file counts can differ slightly; the table shows each tool's own count
  where it reports one.

Targets (issue 7): kerascheck cold >= 5x faster than Fixit, <= 1.5x the floor, warm >= 10x
faster than cold, start-up < 0.3 s. The Keras pre-filter lets files that never mention
keras/tensorflow/tf skip the libcst parse entirely (docs/performance.md), so on the stdlib and
site-packages kerascheck can beat the floor by a wide margin; keras-io shows the full analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The shared corpus sits beside the checkout (``/work/main``) or its worktrees (``/work/wt/x``).
_SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT.parent / "shared")
KERAS_IO = _SHARED / "corpus" / "keras-io" / "examples"
BIN = Path(sys.executable).parent


#: Every tool runs with compiled bytecode, as from a normal install: environments that set
#: PYTHONDONTWRITEBYTECODE would otherwise recompile every module of every tool on each start.
#: The bytecode goes to a private prefix, never into the source trees.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "kerascheck-bench-pycache")
ENV["NO_COLOR"] = "1"


@dataclass
class Timing:
    wall: float
    cpu: float
    files: int | None = None
    note: str = ""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], *, repeat: int = 1, cwd: Path | None = None, before: object = None, strict: bool = True) -> Timing:
    """Run ``command`` ``repeat`` times; keep the fastest (wall) run."""
    best: Timing | None = None
    for _ in range(repeat):
        if callable(before):
            before()
        cpu0, wall0 = _children_cpu(), time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV)
        wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
        if strict and completed.returncode not in (0, 1):
            raise SystemExit(f"command failed ({completed.returncode}): {' '.join(command)}\n{completed.stderr[-2000:]}")
        timing = Timing(wall, cpu, note=completed.stdout[-400:] + completed.stderr[-400:])
        if best is None or timing.wall < best.wall:
            best = timing
    assert best is not None
    return best


# -- the floor: parse + one no-op walk per file ------------------------------------------------

FLOOR = r'''
import sys, os
import libcst as cst
from concurrent.futures import ProcessPoolExecutor
import multiprocessing

class NoOp(cst.CSTVisitor):
    pass

def one(path):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        module = cst.parse_module(data)
    except Exception:
        return 0
    try:
        module.visit(NoOp())
    except RecursionError:
        return 0
    return 1

paths = open(sys.argv[2], encoding="utf-8").read().split("\n")
jobs = int(sys.argv[1])
if jobs <= 1:
    done = sum(one(p) for p in paths)
else:
    chunk = max(1, min(32, len(paths) // (jobs * 8)))
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        done = sum(pool.map(one, paths, chunksize=chunk))
print(done)
'''


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> list[str]:
    """The files kerascheck checks for ``paths`` (its discovery, default excludes)."""
    from kerascheck.config import Config
    from kerascheck.static.engine import iter_targets

    return iter_targets(Config(root=str(Path.cwd()), respect_gitignore=False, extend_exclude=exclude), paths)


def all_rule_codes() -> list[str]:
    from kerascheck.plugins import load_plugins

    return sorted(load_plugins().rules)


# -- one corpus ---------------------------------------------------------------------------------


def bench_corpus(name: str, paths: list[str], args: argparse.Namespace, work: Path, rows: list[list[str]], exclude: tuple[str, ...] = ()) -> None:
    files = discover(paths, exclude)
    listing = work / f"{name}.files"
    listing.write_text("\n".join(files), encoding="utf-8")
    lines = sum(_count_lines(f) for f in files)
    sys.stderr.write(f"[bench] {name}: {len(files)} files, {lines} lines\n")
    config = work / "kerascheck.toml"
    cache_dir = work / f"cache-{name}"
    config.write_text(
        f"select = {json.dumps(all_rule_codes())}\nrespect-gitignore = false\ncache-dir = {json.dumps(str(cache_dir))}\n"
        f"extend-exclude = {json.dumps(list(exclude))}\n",
        encoding="utf-8",
    )
    kerascheck = [str(BIN / "kerascheck"), "check", *paths, "--config", str(config), "--exit-zero", "-q", "--output-format", "json", "-o", os.devnull]

    def wipe() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    for jobs in args.jobs:
        floor = timed([sys.executable, "-c", FLOOR, str(jobs), str(listing)], repeat=args.repeat)
        cold = timed([*kerascheck, "-j", str(jobs)], repeat=args.repeat, before=wipe)
        warm = timed([*kerascheck, "-j", str(jobs)], repeat=args.repeat)
        peers: dict[str, Timing | None] = {"fixit": None, "pylint": None}
        if args.peers and name in args.peer_corpora:
            peers["fixit"] = timed(_fixit_command(paths, jobs), repeat=args.peer_repeat, strict=False)
            peers["pylint"] = timed(
                [str(BIN / "pylint"), f"--jobs={jobs}", "--recursive=y", "--exit-zero", "--output-format=text", "--reports=n", "--score=n", *paths],
                repeat=args.peer_repeat,
                strict=False,
            )
        rows.append(
            [
                name,
                str(len(files)),
                str(jobs),
                _fmt(cold),
                _fmt(warm),
                _fmt(floor),
                _fmt(peers["fixit"]),
                _fmt(peers["pylint"]),
                f"{cold.wall / floor.wall:.2f}x",
                f"{cold.wall / warm.wall:.1f}x",
                f"{peers['fixit'].wall / cold.wall:.1f}x" if peers["fixit"] else "-",
                f"{peers['pylint'].wall / cold.wall:.1f}x" if peers["pylint"] else "-",
            ]
        )
        sys.stderr.write(f"[bench] {name} -j{jobs}: {' | '.join(rows[-1][3:])}\n")


def _fixit_command(paths: list[str], jobs: int) -> list[str]:
    # Fixit runs files through trailrunner's process pool (all cores); pin its size to ``jobs``.
    code = (
        "import sys, multiprocessing\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "import trailrunner.core as core\n"
        f"core.Trailrunner.DEFAULT_EXECUTOR = staticmethod(lambda: ProcessPoolExecutor({jobs}, mp_context=multiprocessing.get_context('spawn')))\n"
        "from fixit.cli import main\n"
        "sys.argv = ['fixit', 'lint', *sys.argv[1:]]\n"
        "main()\n"
    )
    return [sys.executable, "-c", code, *paths]


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as handle:
            return handle.read().count(b"\n")
    except OSError:
        return 0


def _fmt(timing: Timing | None) -> str:
    if timing is None:
        return "-"
    return f"{timing.wall:.2f} ({timing.cpu:.2f})"


# -- start-up -----------------------------------------------------------------------------------


def bench_startup(args: argparse.Namespace, work: Path) -> list[str]:
    one = work / "one_file.py"
    one.write_text("import keras\n\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.predict(x)\n", encoding="utf-8")
    repeat = max(5, args.repeat)
    timed([str(BIN / "kerascheck"), "check", str(one), "--no-cache", "-q"], cwd=work)  # writes the bytecode
    python = timed([sys.executable, "-c", "pass"], repeat=repeat)
    libcst = timed([sys.executable, "-c", "import libcst"], repeat=repeat)
    check = timed([str(BIN / "kerascheck"), "check", str(one), "--no-cache", "--exit-zero", "-q"], repeat=repeat, cwd=work)
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kerascheck", "check", str(one), "--no-cache", "--exit-zero"],
        capture_output=True, text=True, cwd=work, env=ENV,
    ).stderr
    heavy = [m for m in ("numpy", "tensorflow", "keras", "pygls", "h5py") if f"| {m}\n" in imports or f"|   {m}\n" in imports]
    return [
        f"| `python -c pass` | {_fmt(python)} |",
        f"| `python -c 'import libcst'` | {_fmt(libcst)} |",
        f"| `kerascheck check one_file.py` | {_fmt(check)} |",
        f"| heavy modules imported at start-up | {', '.join(heavy) or 'none'} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", choices=("keras-io", "stdlib", "site-packages"), help="default: all three")
    parser.add_argument("--jobs", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per kerascheck/floor measurement; the fastest is kept")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs per Fixit/pylint measurement")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="skip Fixit and pylint")
    parser.add_argument("--peers-on", default="keras-io", help="corpora to run Fixit/pylint on (comma-separated; default keras-io: on the stdlib they take many minutes)")
    parser.add_argument("--stdlib-no-tests", action="store_true", help="leave out the stdlib's test suites")
    parser.add_argument("--site-packages", type=int, default=1500, help="files of site-packages to use (whole top-level packages, smallest first)")
    args = parser.parse_args()
    args.jobs = [int(j) for j in args.jobs.split(",")]
    args.peer_corpora = set(args.peers_on.split(","))
    corpora = args.corpus or ["keras-io", "stdlib", "site-packages"]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="kerascheck-bench-") as tmp:
        work = Path(tmp)
        for name in corpora:
            if name == "keras-io":
                if not KERAS_IO.is_dir():
                    sys.stderr.write(f"[bench] skipping keras-io: {KERAS_IO} not found\n")
                    continue
                bench_corpus(name, [str(KERAS_IO / "vision"), str(KERAS_IO / "nlp")], args, work, rows)
            elif name == "stdlib":
                # Test suites included (about 1,000 of the ~1,800 files); --stdlib-no-tests drops them.
                exclude = ("test", "tests", "idle_test") if args.stdlib_no_tests else ()
                bench_corpus(name, [sysconfig.get_paths()["stdlib"]], args, work, rows, exclude)
            else:
                bench_corpus(name, _site_packages_subset(args.site_packages), args, work, rows)
        startup = bench_startup(args, work)
    import platform

    print(f"kerascheck static benchmark — {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print("Seconds: wall (CPU of the process and its workers); fastest of the runs. Ratios use wall time.")
    print()
    print("| corpus | files | jobs | kerascheck cold | kerascheck warm | floor (parse + no-op walk) | Fixit | pylint | cold / floor | cold / warm | Fixit / cold | pylint / cold |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("| start-up | seconds: wall (CPU) |")
    print("|---|---:|")
    for line in startup:
        print(line)
    return 0


def _site_packages_subset(limit: int) -> list[str]:
    """Whole top-level packages of this venv's site-packages, smallest first, up to ``limit``
    files (kerascheck, TensorFlow and Keras excluded: the first is ours, the others are huge)."""
    site = Path(sysconfig.get_paths()["purelib"])
    sizes: list[tuple[int, str]] = []
    for entry in sorted(site.iterdir()):
        if not entry.is_dir() or entry.name.endswith((".dist-info", ".egg-info")) or entry.name.startswith(("_", ".")):
            continue
        if entry.name in ("kerascheck", "tensorflow", "keras", "tf_keras", "tensorboard", "jax", "torch"):
            continue
        count = sum(1 for _ in entry.rglob("*.py"))
        if count:
            sizes.append((count, str(entry)))
    chosen: list[str] = []
    total = 0
    for count, path in sorted(sizes):
        if total + count > limit:
            continue
        chosen.append(path)
        total += count
    return chosen


if __name__ == "__main__":
    raise SystemExit(main())
