"""Benchmark of the static path: kerascheck (cold and warm cache) against the floor, Fixit and
pylint on the same trees of real code, plus single-file start-up. Prints a markdown table.

    python bench/bench_static.py                      # keras-io, stdlib, a site-packages subset
    python bench/bench_static.py --corpus keras-io --jobs 2 --repeat 3
    python bench/bench_static.py --no-peers           # kerascheck and the floor only

Every tool runs in its own subprocess and is timed from the outside: wall-clock seconds (what a
user waits) and CPU seconds (user + system of the process and its workers: less sensitive to
other load on the machine). With ``--repeat N`` the medians of the N runs are shown.

* **kerascheck cold**: every rule selected (including the ones off by default), empty cache.
* **kerascheck warm**: the same command again over the unchanged tree (cache filled by cold).
* **floor**: ``libcst.parse_module`` plus one no-op ``libcst.CSTVisitor`` walk per file, with the
  same number of worker processes (fork pool): what any libcst-based linter pays at least.
* **Fixit** (``fixit lint``, its default rules) and **pylint** (default checkers), with their
  worker count forced to the same ``jobs``. Both discover files themselves (pylint only descends
  into packages), so their file counts can differ slightly; the table shows each tool's own count
  where it reports one.

Targets (issue 16): one uncached file within 1.3x of ``import libcst``, one cached file under
0.1 s (the run cache, :mod:`kerascheck.static.cache_run`, replays it without importing libcst),
warm >= 10x faster than cold, cold within 1.25x of the floor and >= 6x faster than Fixit. The Keras pre-filter lets files that never mention
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
    """Run ``command`` ``repeat`` times; the median wall time and the median CPU time (taken
    separately: on a loaded machine the CPU time is the steadier of the two)."""
    import statistics

    runs: list[Timing] = []
    for _ in range(repeat):
        if callable(before):
            before()
        cpu0, wall0 = _children_cpu(), time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV)
        wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
        if strict and completed.returncode not in (0, 1):
            raise SystemExit(f"command failed ({completed.returncode}): {' '.join(command)}\n{completed.stderr[-2000:]}")
        runs.append(Timing(wall, cpu, note=completed.stdout[-400:] + completed.stderr[-400:]))
    return Timing(statistics.median(t.wall for t in runs), statistics.median(t.cpu for t in runs), note=runs[-1].note)


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
                f"{cold.wall / floor.wall:.2f}x ({cold.cpu / floor.cpu:.2f}x)",
                f"{cold.wall / warm.wall:.1f}x ({cold.cpu / warm.cpu:.1f}x)",
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
    """One Keras file, uncached and cached, against ``import libcst`` (issue 16's targets)."""
    one = work / "one_file.py"
    shutil.copy(KERAS_IO / "vision" / "mnist_convnet.py", one)
    config = work / "startup.toml"
    config.write_text(f"cache-dir = {json.dumps(str(work / 'cache-startup'))}\n", encoding="utf-8")
    repeat = max(7, args.repeat)
    check = [str(BIN / "kerascheck"), "check", str(one), "--config", str(config), "--exit-zero", "-q"]
    timed([*check, "--no-cache"], cwd=work)  # writes the bytecode
    python = timed([sys.executable, "-c", "pass"], repeat=repeat)
    libcst = timed([sys.executable, "-c", "import libcst"], repeat=repeat)
    uncached = timed([*check, "--no-cache"], repeat=repeat, cwd=work)
    timed(check, cwd=work)  # fills the cache
    cached = timed(check, repeat=repeat, cwd=work)
    probe = [sys.executable, "-X", "importtime", "-m", "kerascheck", *check[1:]]
    # ``python -m`` has its own sys.path, so its own run-cache key: the first run records, the
    # second is the cached run whose imports are shown.
    subprocess.run(probe, capture_output=True, text=True, cwd=work, env=ENV)
    imports = subprocess.run(probe, capture_output=True, text=True, cwd=work, env=ENV).stderr
    heavy = [m for m in ("numpy", "tensorflow", "keras", "pygls", "h5py", "importlib.metadata") if _imported(imports, m)]
    return [
        f"| `python -c pass` | {_fmt(python)} |",
        f"| `python -c 'import libcst'` | {_fmt(libcst)} |",
        f"| `kerascheck check one_file.py --no-cache` | {_fmt(uncached)} = "
        f"{uncached.wall / libcst.wall:.2f}x ({uncached.cpu / libcst.cpu:.2f}x) `import libcst` |",
        f"| `kerascheck check one_file.py`, cached | {_fmt(cached)} |",
        f"| libcst imported by the cached run | {'yes' if _imported(imports, 'libcst') else 'no'} |",
        f"| other heavy modules imported at start-up | {', '.join(heavy) or 'none'} |",
    ]


def _imported(importtime: str, module: str) -> bool:
    return any(line.rsplit("|", 1)[-1].strip() == module for line in importtime.splitlines())


def bench_warm_project(work: Path) -> list[str]:
    """A warm run over keras-io after one file changed: how many files are parsed again, and do
    the project findings (which read every file's cached facts) stay the same."""
    tree = work / "project"
    shutil.copytree(KERAS_IO, tree)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from kerascheck.python_api import open_session\n"
        "from kerascheck.static.cache import ResultCache\n"
        "from kerascheck.static.engine import Engine, check_paths, iter_targets\n"
        "session = open_session(config_path=sys.argv[1], start=Path(sys.argv[2]))\n"
        "engine = Engine(session.registry.rules, session.config, session.registry.config_options)\n"
        "cache = ResultCache.for_session(session)\n"
        "results = check_paths(engine, iter_targets(session.config, [sys.argv[2]]), jobs=1, cache=cache)\n"
        "findings = engine.finish(results, root=Path(session.config.root))\n"
        "print(json.dumps([cache.hits, cache.misses, sorted(f.code + f.location.path + str(f.location.line) for f in findings)]))\n"
    )
    config = work / "project.toml"
    config.write_text(
        f"select = {json.dumps(all_rule_codes())}\nrespect-gitignore = false\ncache-dir = {json.dumps(str(work / 'cache-project'))}\n",
        encoding="utf-8",
    )

    def run() -> tuple[int, int, list[str]]:
        out = subprocess.run([sys.executable, "-c", script, str(config), str(tree)], capture_output=True, text=True, env=ENV, check=True)
        hits, misses, findings = json.loads(out.stdout)
        return hits, misses, findings

    _, cold_misses, cold = run()
    hits, misses, warm = run()
    changed = next(iter(sorted(tree.rglob("*.py"))))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    edit_hits, edit_misses, edited = run()
    return [
        f"| cold run | {cold_misses} files parsed, {len(cold)} findings |",
        f"| warm run, nothing changed | {misses} parsed, {hits} from the cache; findings identical: {'yes' if warm == cold else 'NO'} |",
        f"| warm run, one file changed | {edit_misses} parsed, {edit_hits} from the cache; findings identical: {'yes' if edited == cold else 'NO'} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpora = ("keras-io", "stdlib", "site-packages", "mixed")
    parser.add_argument("--corpus", action="append", choices=corpora, help="default: keras-io, stdlib, site-packages")
    parser.add_argument("--jobs", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per kerascheck/floor measurement; medians are shown")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs per Fixit/pylint measurement")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="skip Fixit and pylint")
    parser.add_argument(
        "--peers-on", default="keras-io", help="corpora to run Fixit/pylint on (comma-separated; default keras-io: on the stdlib they take minutes)"
    )
    parser.add_argument("--stdlib-no-tests", action="store_true", help="leave out the stdlib's test suites")
    parser.add_argument("--site-packages", type=int, default=1500, help="files of site-packages to use (whole top-level packages, smallest first)")
    parser.add_argument("--startup-only", action="store_true", help="only the one-file start-up and warm project-run figures")
    args = parser.parse_args()
    args.jobs = [int(j) for j in args.jobs.split(",")]
    args.peer_corpora = set(args.peers_on.split(","))
    corpora = [] if args.startup_only else args.corpus or ["keras-io", "stdlib", "site-packages"]
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
            elif name == "mixed":
                # A tree where about 5 % of the files touch Keras: the stdlib next to keras-io.
                mixed = work / "mixed"
                shutil.copytree(sysconfig.get_paths()["stdlib"], mixed / "stdlib", ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
                shutil.copytree(KERAS_IO, mixed / "keras-io")
                bench_corpus(name, [str(mixed)], args, work, rows)
            else:
                bench_corpus(name, _site_packages_subset(args.site_packages), args, work, rows)
        startup = bench_startup(args, work)
        project = bench_warm_project(work) if KERAS_IO.is_dir() else []
    import platform

    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"kerascheck static benchmark — {python}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print("Seconds: wall (CPU of the process and its workers); medians of the runs. Ratios use wall time, and CPU time in brackets.")
    print()
    print(
        "| corpus | files | jobs | kerascheck cold | kerascheck warm | floor (parse + no-op walk) | Fixit | pylint "
        "| cold / floor | cold / warm | Fixit / cold | pylint / cold |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("| start-up | seconds: wall (CPU) |")
    print("|---|---:|")
    for line in startup:
        print(line)
    if project:
        print()
        print("| keras-io, project rules from cached facts | |")
        print("|---|---|")
        for line in project:
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
