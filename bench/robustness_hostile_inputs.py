"""Hostile inputs (issue 10): does one bad input ever sink a run? Prints held/failed per family.

    python bench/robustness_hostile_inputs.py                 # every family, -j1 and -j2
    python bench/robustness_hostile_inputs.py --family chains --jobs 2

Every case is a real ``python -m kerascheck check`` run in a fresh directory holding the hostile
input next to ``good.py``, a file with one known finding (KC102). A case **holds** when:

* the run finishes (no hang: a time limit per case) and is not killed by a signal;
* nothing says "internal error" or "Traceback", and no KC000 is reported;
* for file inputs: exit 0/1, ``good.py``'s KC102 is still reported, and the hostile file gets
  what the case expects (analysed, KC001 or KC002 naming it);
* for configuration/baseline inputs: exit 2 and a one-line error naming the file (or, for
  spellings that are valid, the configuration takes effect).

With ``--jobs 2`` the directory also gets 16 small files so the worker pool (not the in-process
path) is used. Run as root, unreadable directories are made real by dropping the capabilities
that let root read anything (``setpriv``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GOOD = "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict_proba(x)\n"
KERAS = "import keras\n"
CASE_TIMEOUT = 600


@dataclass
class Case:
    family: str
    name: str
    build: Callable[[Path], None]
    #: "analysed", "KC001", "KC002" (a finding for hostile.py), "config-error", "baseline-error",
    #: "config-applied" (the configuration took effect: KC102 ignored).
    expect: str
    extra_args: tuple[str, ...] = ()
    hostile: str = "hostile.py"
    needs_setpriv: bool = False


@dataclass
class Outcome:
    held: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return build


def _all(*builders: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        for builder in builders:
            builder(root)

    return build


def _symlink(name: str, target: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / name)

    return build


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda root: os.mkfifo(root / name)


def _unreadable_dir(name: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        directory = root / name
        directory.mkdir()
        (directory / "inner.py").write_text(KERAS, encoding="utf-8")
        directory.chmod(0)

    return build


def _cases() -> list[Case]:
    chains = [
        ("and-8000", KERAS + "x = " + " and ".join(["a"] * 8000) + "\n"),
        ("or-20000", KERAS + "x = " + " or ".join(["a"] * 20000) + "\n"),
        ("plus-987", KERAS + "x = " + "+".join(["a"] * 987) + "\n"),
        ("elif-1000", KERAS + "if a:\n    pass\n" + "".join(f"elif a == {i}:\n    pass\n" for i in range(1000))),
        ("implicit-strings-1000", KERAS + "x = (" + " ".join(['"a"'] * 1000) + ")\n"),
        ("attribute-chain-2000", KERAS + "x = a" + ".b" * 2000 + "\n"),
        ("call-chain-2000", KERAS + "x = f" + "()" * 2000 + "\n"),
        ("comparison-chain-5000", KERAS + "x = " + " < ".join(["a"] * 5000) + "\n"),
    ]
    nesting = [
        ("parens-1270", KERAS + "x = " + "(" * 1270 + "1" + ")" * 1270 + "\n", "KC001"),
        ("parens-5000", KERAS + "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "KC001"),
        ("brackets-3000", KERAS + "x = " + "[" * 3000 + "]" * 3000 + "\n", "KC001"),
        ("unary-minus-100000", KERAS + "x = " + "-" * 100000 + "1\n", "KC002"),
        ("not-20000", KERAS + "x = " + "not " * 20000 + "a\n", "KC002"),
        ("nested-lambdas-3000", KERAS + "x = " + "lambda: " * 3000 + "1\n", "KC002"),
        ("nested-defs-100", KERAS + "".join("    " * i + f"def f{i}():\n" for i in range(100)) + "    " * 100 + "pass\n", "KC001"),
    ]
    cases: list[Case] = []
    cases += [Case("long chains", name, _write("hostile.py", text), "analysed") for name, text in chains]
    # libcst's grammar itself gives up on this one (a parser error, not a crash): KC002 says so.
    cases.append(Case("long chains", "implicit-strings-20000", _write("hostile.py", KERAS + "x = (" + " ".join(['"a"'] * 20000) + ")\n"), "KC002"))
    cases += [Case("deep nesting", name, _write("hostile.py", text), expect) for name, text, expect in nesting]
    cases += [
        Case("huge files", "3MB", _write("hostile.py", KERAS + "x = 1\n" * 500_000), "KC002"),
        Case("huge files", "50MB-not-read", _write("hostile.py", KERAS + ("#" * 99 + "\n") * 500_000), "KC002"),
        Case("huge files", "1.5MB-analysed", _write("hostile.py", KERAS + "x = 1\n" * 250_000), "analysed"),
        Case(
            "huge files",
            "limit-from-config",
            _all(_write("hostile.py", KERAS + "x = 1\n" * 2000), _write("pyproject.toml", "[tool.kerascheck]\nmax-file-size = 1000\n")),
            "KC002",
        ),
    ]
    cases += [
        Case("NUL bytes", "at-0", _write("hostile.py", b"\0" + KERAS.encode()), "KC002"),
        Case("NUL bytes", "after-8KiB", _write("hostile.py", KERAS.encode() + b"#" * 9000 + b"\n\0\n"), "KC002"),
        Case("NUL bytes", "after-1MB", _write("hostile.py", KERAS.encode() + (b"#" * 99 + b"\n") * 10_000 + b"\0"), "KC002"),
    ]
    cases += [
        Case("bad encodings", "invalid-utf8", _write("hostile.py", KERAS.encode() + b"x = '\xff\xfe'\n"), "KC002"),
        Case("bad encodings", "unknown-cookie", _write("hostile.py", b"# -*- coding: klingon -*-\n" + KERAS.encode()), "KC002"),
        Case("bad encodings", "latin1-cookie", _write("hostile.py", b"# -*- coding: latin-1 -*-\n" + KERAS.encode() + b"x = '\xe9'\n"), "analysed"),
        Case("bad encodings", "utf16-bom", _write("hostile.py", "\ufeff".encode("utf-16-le") + KERAS.encode("utf-16-le")), "KC002"),
        Case("bad encodings", "newer-unicode-identifier", _write("hostile.py", KERAS + "\U0001e030 = 1\n"), "KC001"),
        Case("bad encodings", "lone-surrogate-escape", _write("hostile.py", KERAS + "x = '\\udc80'\n"), "analysed"),
    ]
    cases += [
        Case("symlink loops", "py-self-loop", _symlink("hostile.py", "hostile.py"), "KC002"),
        Case("symlink loops", "py-two-loop", _all(_symlink("hostile.py", "other.py"), _symlink("other.py", "hostile.py")), "KC002"),
        Case("symlink loops", "dir-loop", _all(_write("pkg/mod.py", KERAS), _symlink("pkg/again", ".")), "analysed", hostile="pkg/mod.py"),
        Case("symlink loops", "dangling", _symlink("hostile.py", "missing.py"), "KC002"),
    ]
    cases += [
        Case("unreadable", "directory", _unreadable_dir("hostile"), "KC002", hostile="hostile", needs_setpriv=True),
        Case(
            "unreadable", "file", _all(_write("hostile.py", KERAS), lambda root: (root / "hostile.py").chmod(0)), "KC002", needs_setpriv=True
        ),
    ]
    cases += [
        Case(
            "gitignore lines",
            name,
            _all(_write(".gitignore", line + "\nignored_*.py\n"), _write("hostile.py", KERAS), _write("ignored_x.py", GOOD.replace("probs", "bad"))),
            "analysed",
        )
        for name, line in (("backslash", "\\"), ("bang", "!"), ("reversed-range", "a[b-a]"), ("unclosed-bracket", "a["), ("nul-ish", "\\\\\\"))
    ]
    cases += [
        Case("FIFOs", "fifo-py", _fifo("hostile.py"), "KC002"),
        Case("FIFOs", "fifo-ipynb", _fifo("hostile.ipynb"), "KC002", hostile="hostile.ipynb"),
    ]
    bad_configs = [
        ("pyproject-not-utf8", "pyproject.toml", b"[tool.kerascheck]\nselect = ['KC1']\n# \xff\xfe\n", ()),
        ("config-flag-not-utf8", "custom.toml", b"[tool.kerascheck]\n# \xff\n", ("--config", "custom.toml")),
        ("target-keras-1M-digits", "pyproject.toml", ("[tool.kerascheck]\ntarget-keras = \"" + "3" * 1_000_000 + "\"\n").encode(), ()),
        ("target-keras-letters", "pyproject.toml", b'[tool.kerascheck]\ntarget-keras = "3.x.y"\n', ()),
        ("target-keras-arabic-digit", "pyproject.toml", '[tool.kerascheck]\ntarget-keras = "\u0663"\n'.encode(), ()),
        ("keras-modules-empty-name", "pyproject.toml", b'[tool.kerascheck]\nkeras-modules = {"" = "keras.layers"}\n', ()),
        ("unknown-probe-key", "pyproject.toml", b"[tool.kerascheck.probe]\ntimeuot = 3\n", ()),
        ("deeply-nested-toml", "pyproject.toml", b"[tool.kerascheck]\nselect = " + b"[" * 5000 + b"]" * 5000 + b"\n", ()),
        ("tool-not-a-table", "pyproject.toml", b"tool = 1\n# kerascheck\n", ()),
        ("max-file-size-zero", "pyproject.toml", b"[tool.kerascheck]\nmax-file-size = 0\n", ()),
    ]
    cases += [Case("bad configs", name, _write(file, data), "config-error", extra_args=args) for name, file, data, args in bad_configs]
    cases.append(Case("bad configs", "inline-tool-table", _write("pyproject.toml", '[tool]\nkerascheck = {ignore = ["KC102"]}\n'), "config-applied"))
    bad_baselines = [
        ("deeply-nested", b"[" * 100_000 + b"]" * 100_000),
        ("not-json", b"{nope"),
        ("binary", b"\xff\xfe\x00\x01"),
        ("wrong-shape", b'{"kerascheck-baseline": 1, "findings": [1, 2]}'),
        ("wrong-version", b'{"kerascheck-baseline": 99, "findings": []}'),
    ]
    cases += [
        Case("corrupt baselines", name, _write("baseline.json", data), "baseline-error", extra_args=("--baseline", "baseline.json"))
        for name, data in bad_baselines
    ]
    return cases


def _command(case: Case, jobs: int) -> list[str]:
    command = [sys.executable, "-m", "kerascheck", "check", "--no-cache", "-j", str(jobs), *case.extra_args, "."]
    if case.needs_setpriv and os.geteuid() == 0 and shutil.which("setpriv"):
        # Root reads anything; without these two capabilities, permissions apply to it too.
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    return command


def _judge(case: Case, returncode: int, output: str) -> str | None:
    """None if the case held, else why not."""
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    if "Traceback" in output or "internal error" in output or "KC000" in output:
        return "internal error: " + output.strip().splitlines()[-1][:200]
    if case.expect in ("config-error", "baseline-error"):
        word = "configuration error" if case.expect == "config-error" else "baseline"
        if returncode != 2 or word not in output:
            return f"expected exit 2 with a {word}, got exit {returncode}: {output.strip()[:200]}"
        return None
    if returncode not in (0, 1):
        return f"exit {returncode}: {output.strip()[:200]}"
    lines = output.splitlines()
    good = any(line.startswith("good.py:") and "KC102" in line for line in lines)
    if case.expect == "config-applied":
        return None if not good else "the configuration was ignored (KC102 still reported)"
    if not good:
        return "good.py's finding was lost"
    about = [line for line in lines if line.startswith(case.hostile + ":")]
    if case.expect == "analysed":
        bad = [line for line in about if " KC001 " in line or " KC002 " in line]
        return f"not analysed: {bad[0][:200]}" if bad else None
    if not any(f" {case.expect} " in line for line in about):
        return f"expected {case.expect} for {case.hostile}, got: {about[:1] or 'nothing'}"
    return None


def _run(case: Case, jobs: int) -> str | None:
    root = Path(tempfile.mkdtemp(prefix="kerascheck-hostile-"))
    try:
        (root / "good.py").write_text(GOOD, encoding="utf-8")
        if jobs > 1:
            for index in range(16):
                (root / f"filler_{index}.py").write_text(KERAS, encoding="utf-8")
        case.build(root)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "NO_COLOR": "1"}
        try:
            done = subprocess.run(_command(case, jobs), cwd=root, env=env, capture_output=True, text=True, timeout=CASE_TIMEOUT, errors="replace")
        except subprocess.TimeoutExpired:
            return f"no answer within {CASE_TIMEOUT} s"
        return _judge(case, done.returncode, done.stdout + done.stderr)
    finally:
        for directory, subdirs, _ in os.walk(root):
            for name in subdirs:
                try:
                    os.chmod(os.path.join(directory, name), 0o700)
                except OSError:
                    pass
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", help="only these families (repeatable)")
    parser.add_argument("--jobs", type=int, action="append", help="worker counts to run each case with (default: 1 and 2)")
    args = parser.parse_args()
    cases = [c for c in _cases() if not args.family or c.family in args.family]
    results: dict[str, Outcome] = {}
    began = time.perf_counter()
    for case in cases:
        for jobs in args.jobs or (1, 2):
            if case.expect in ("config-error", "baseline-error", "config-applied") and jobs > 1:
                continue  # read before any file is checked: the worker count changes nothing
            problem = _run(case, jobs)
            outcome = results.setdefault(case.family, Outcome())
            label = f"{case.name} (-j{jobs})"
            (outcome.failed if problem else outcome.held).append(label + (f": {problem}" if problem else ""))
            print(f"{'held  ' if not problem else 'FAILED'} {case.family}: {label}{': ' + problem if problem else ''}", flush=True)
    print("\n| family | held | failed |\n|---|---:|---:|")
    for family, outcome in results.items():
        print(f"| {family} | {len(outcome.held)} | {len(outcome.failed)} |")
    total_failed = sum(len(o.failed) for o in results.values())
    print(f"\n{sum(len(o.held) for o in results.values())} held, {total_failed} failed in {time.perf_counter() - began:.0f} s")
    return 1 if total_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
