"""What ``kerascheck check`` does at start-up (issue 16): it imports only what the run uses, builds
only its own sub-parser, pauses the garbage collector while start-up builds long-lived objects,
and ends the process without tearing the interpreter down, unless something needs that teardown.

Nothing here is timed (bench/startup.py measures); these tests pin the behaviour that makes
start-up short, on real subprocess runs of the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kerascheck.class_table import ClassTable

KERAS_FILE = (
    "from tensorflow import keras\n"
    "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
    "labels = model.predict_classes(x_test)\n"
)
#: Modules the check of a Python file never needs: the probe side, unused output formats, and
#: what they (or argparse's help formatter, or plugin-error wording) would pull in.
NOT_ON_THE_CHECK_PATH = (
    "kerascheck.probes.command",
    "kerascheck.probes.runner",
    "kerascheck.probes.loading",
    "kerascheck.report.full",
    "kerascheck.report.junit",
    "kerascheck.report.sarif",
    "xml.etree.ElementTree",
    "shutil",
    "difflib",
    "pkgutil",
    "importlib.metadata",
    "tensorflow",
    "keras",
)


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


@pytest.fixture
def keras_file(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(KERAS_FILE, encoding="utf-8")
    return tmp_path / "train.py"


def test_check_imports_only_what_the_run_uses(run_cli, keras_file: Path) -> None:
    run_cli("check", keras_file.name, "--no-cache", cwd=keras_file.parent)  # the entry-point cache is filled
    result = run_cli("check", keras_file.name, "--no-cache", cwd=keras_file.parent, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 1, result.stderr
    assert "train.py:3:10: KC101" in result.stdout
    imported = _imported(result.stderr)
    assert {"libcst", "kerascheck.rules.legacy_api", "kerascheck.report.concise"} <= imported
    assert imported.isdisjoint(NOT_ON_THE_CHECK_PATH), sorted(imported & set(NOT_ON_THE_CHECK_PATH))


def test_an_output_format_is_imported_when_asked_for(run_cli, keras_file: Path) -> None:
    result = run_cli(
        "check", keras_file.name, "--no-cache", "--output-format", "junit", cwd=keras_file.parent, env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    assert result.returncode == 1 and "<testsuite" in result.stdout
    imported = _imported(result.stderr)
    assert "kerascheck.report.junit" in imported and "kerascheck.report.sarif" not in imported


def test_a_command_builds_only_its_own_sub_parser() -> None:
    code = (
        "import sys\n"
        "from kerascheck.cli import build_parser\n"
        "parser = build_parser('check')\n"
        "print('kerascheck.probes.command' in sys.modules)\n"
        "print(parser.parse_args(['check', 'x.py', '--probe-timeout', '5']).probe_timeout)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "5.0"]


def test_every_command_is_listed_and_parsed_whichever_parser_is_built() -> None:
    from kerascheck.cli import build_parser

    full, lean = build_parser(), build_parser("check")
    assert lean.format_help() == full.format_help()
    for command in ("probe", "rule", "rules", "plugins", "lsp", "clean"):
        assert command in full.format_help()
    assert build_parser("probe").parse_args(["probe", "m.keras", "--timeout", "3"]).timeout == 3.0
    assert full.parse_args(["rule", "KC101"]).code == "KC101"


def test_class_table_imports_an_entry_when_it_is_looked_up() -> None:
    table = ClassTable({"ordered": "collections:OrderedDict", "direct": dict})
    assert table.entry("ordered") == "collections:OrderedDict" and len(table) == 2 and list(table) == ["ordered", "direct"]
    from collections import OrderedDict

    assert table["ordered"] is OrderedDict and table.entry("ordered") is OrderedDict and table["direct"] is dict


_OWN_PROCESS = """
import gc, sys, threading
released = threading.Event()
threading.Thread(target=released.wait).start()  # a running thread: the process must not end in main()
sys.argv = ["kerascheck", "check", "train.py", "--no-cache", "-q"]
from kerascheck.cli import main
code = main()
print(code, gc.isenabled(), gc.get_freeze_count() > 0, flush=True)
released.set()
"""


def test_a_check_process_freezes_what_start_up_built_and_collects_again(keras_file: Path) -> None:
    result = subprocess.run([sys.executable, "-c", _OWN_PROCESS], cwd=keras_file.parent, capture_output=True, text=True, timeout=300)
    assert result.stdout.split()[-3:] == ["1", "True", "True"], result.stderr
    assert "train.py:3:10: KC101" in result.stdout


def test_main_called_with_arguments_leaves_the_callers_collector_alone(keras_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from kerascheck.cli import main

    monkeypatch.chdir(keras_file.parent)
    frozen = gc.get_freeze_count()
    assert main(["check", "train.py", "--no-cache", "-q", "--exit-zero"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_profiled_check_still_writes_its_profile(keras_file: Path) -> None:
    """The early exit is skipped under a profiler (or coverage), which write their data at exit."""
    profile = keras_file.parent / "run.prof"
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "kerascheck", "check", "train.py", "--no-cache"],
        cwd=keras_file.parent, capture_output=True, text=True, timeout=300,
    )
    assert "KC101" in result.stdout, result.stderr
    assert profile.stat().st_size > 0


def test_a_check_process_ends_with_all_of_its_output(run_cli, tmp_path: Path) -> None:
    """Many findings through a pipe: everything is flushed before the process ends."""
    for index in range(40):
        (tmp_path / f"m{index}.py").write_text(KERAS_FILE * 20, encoding="utf-8")
    result = run_cli("check", ".", "--no-cache", "--select", "KC101", "-j", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.count(": KC101 ") == 40 * 20
    assert result.stdout.rstrip().endswith("Found 800 problems in 40 files.")


_ATEXIT_PLUGIN = '''
import atexit
from pathlib import Path

from kerascheck import hookimpl

atexit.register(lambda: Path("atexit-ran").write_text("yes"))


@hookimpl
def kerascheck_register_rules():
    return []
'''


def test_an_atexit_handler_of_a_plugin_still_runs(run_cli, keras_file: Path) -> None:
    (keras_file.parent / "exit_plugin.py").write_text(_ATEXIT_PLUGIN, encoding="utf-8")
    result = run_cli("check", keras_file.name, "--no-cache", "-p", "exit_plugin", cwd=keras_file.parent)
    assert result.returncode == 1 and "KC101" in result.stdout, result.stderr
    assert (keras_file.parent / "atexit-ran").read_text() == "yes"
