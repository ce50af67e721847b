"""A tree that is mostly not Keras: the CPython stdlib (1,790 files) next to the keras-io
examples (95 files, 5 % of the tree). kerascheck with its pre-filters against the same run with
every file parsed (``kerascheck.static.engine.PREFILTER`` off) and against the libcst floor
(parse + no-op walk of every file); the findings of the first two must be identical (asserted).

    python bench/mixed_tree.py                    # -j 2, kerascheck runs 3 times (medians)
    python bench/mixed_tree.py --jobs 1 --repeat 1
    python bench/mixed_tree.py --sample 5         # every 5th file of each part: ~380 files, still 5 %

``--sample N`` (for iterating on the engine: the full tree takes minutes on a loaded machine)
keeps every N-th source file of the stdlib and of keras-io alike, in sorted path order, with
their directories (so ``__init__.py`` files and package imports among the kept files still
resolve): a reproducible tree of the same make-up, 1/N of the size.

All rules selected, no result cache, every tool in its own subprocess timed from outside: wall
seconds and CPU seconds (user + system of the process and its workers; the steadier figure on
a loaded machine). Ratios are given for both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_static import BIN, FLOOR, KERAS_IO, Timing, all_rule_codes, discover, timed

#: ``kerascheck check`` with the pre-filters off: every file parsed and walked by every rule.
EVERY_FILE = (
    "import sys\nimport kerascheck.static.engine as engine\nengine.PREFILTER = False\n"
    "from kerascheck.cli import main\nsys.exit(main(sys.argv[1:]))\n"
)


def build_tree(work: Path, sample: int = 1) -> Path:
    tree = work / "mixed"
    parts = ((Path(sysconfig.get_paths()["stdlib"]), tree / "stdlib"), (KERAS_IO, tree / "keras-io"))
    if sample <= 1:
        shutil.copytree(parts[0][0], parts[0][1], ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
        shutil.copytree(parts[1][0], parts[1][1])
        return tree
    for source, target in parts:
        kept = sorted(Path(f).relative_to(source) for f in discover([str(source)]))[::sample]
        for relative in kept:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, target / relative)
    return tree


def findings_of(report: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The JSON report's findings, every field (in kerascheck's stable order), without and with
    the KC002 notices "valid Python that libcst cannot parse": those come only from handing a
    file to libcst, which the pre-filtered run never does for a file no rule needs."""
    findings: list[dict[str, object]] = json.loads(report.read_text(encoding="utf-8"))
    notice = [f for f in findings if f["code"] == "KC002" and "libcst" in str(f["message"]) and "cannot parse" in str(f["message"])]
    return [f for f in findings if f not in notice], notice


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the pre-filtered kerascheck (medians); the slow runs go once")
    parser.add_argument("--sample", type=int, default=1, metavar="N", help="keep every N-th file of each part (default: the whole tree)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascheck-mixed-") as tmp:
        work = Path(tmp)
        tree = build_tree(work, args.sample)
        files = discover([str(tree)])
        keras_files = sum(1 for f in files if "keras-io" in Path(f).parts)
        listing = work / "files.txt"
        listing.write_text("\n".join(files), encoding="utf-8")
        config = work / "kerascheck.toml"
        config.write_text(f"select = {json.dumps(all_rule_codes())}\nrespect-gitignore = false\ncache = false\n", encoding="utf-8")
        filtered_report, every_report = work / "filtered.json", work / "every.json"

        def command(report: Path) -> list[str]:
            options = ["--exit-zero", "-q", "--output-format", "json", "-o", str(report)]
            return ["check", str(tree), "--config", str(config), "-j", str(args.jobs), *options]

        sys.stderr.write(f"[mixed] {len(files)} files, {keras_files} from keras-io; kerascheck x{args.repeat}, every file x1, floor x1\n")
        filtered = timed([str(BIN / "kerascheck"), *command(filtered_report)], repeat=args.repeat)
        every = timed([sys.executable, "-c", EVERY_FILE, *command(every_report)])
        floor = timed([sys.executable, "-c", FLOOR, str(args.jobs), str(listing)])
        (kept, kept_notices), (every_findings, every_notices) = findings_of(filtered_report), findings_of(every_report)
        same = kept == every_findings
        count = len(kept)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    sampled = f", every {args.sample}th file" if args.sample > 1 else ""
    print(f"mixed tree{sampled} — {python}, {os.cpu_count()} CPUs, -j {args.jobs}, load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print(f"{len(files)} files ({keras_files} keras-io, {keras_files / len(files):.1%}); seconds: wall (CPU)")
    print()
    print("| run | seconds | every file parsed / this |")
    print("|---|---:|---:|")
    rows = (
        ("kerascheck (pre-filters on)", filtered),
        ("kerascheck, every file parsed", every),
        ("floor: libcst parse + no-op walk of every file", floor),
    )
    for name, timing in rows:
        print(f"| {name} | {_fmt(timing)} | {_ratio(every, timing)} |")
    print()
    print(f"findings identical: {'yes' if same else 'NO'} ({count} findings)")
    print(f"libcst parse-failure notices (KC002): {len(kept_notices)} pre-filtered, {len(every_notices)} every file parsed")
    print(f"floor / kerascheck: {_ratio(floor, filtered)}")
    if not same:
        raise SystemExit("the pre-filtered run's findings differ from parsing every file")
    return 0


def _fmt(timing: Timing) -> str:
    return f"{timing.wall:.2f} ({timing.cpu:.2f})"


def _ratio(slow: Timing, fast: Timing) -> str:
    return f"{slow.wall / fast.wall:.1f}x ({slow.cpu / fast.cpu:.1f}x)"


if __name__ == "__main__":
    raise SystemExit(main())
