"""Issue 10, points 11-14: whatever one input holds, the run goes on and every other file's
findings survive. Each test is named after what it protects."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import kerascheck
from kerascheck.config import Config, ConfigError, load_config
from kerascheck.plugins import load_plugins
from kerascheck.static import baseline
from kerascheck.static.engine import Engine, check_paths

GOOD = "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict_proba(x)\n"
#: A finding on line 4 of a file that starts with this header (KC104: a legacy .h5 save).
HEADER = "import keras\nmodel = keras.Sequential()\nmodel.compile(optimizer='adam', loss='mse')\nmodel.save('m.h5')\n"
REGISTRY = load_plugins()


def _engine(**config: object) -> Engine:
    return Engine(REGISTRY.rules, Config(root=".", **config))  # type: ignore[arg-type]


def _codes_for(findings: list, name: str) -> list[str]:
    return [f.code for f in findings if Path(f.location.path).name == name]


def _project(tmp_path: Path, hostile: str | bytes, *, fillers: int = 16) -> Path:
    """``hostile.py`` beside ``good.py`` (one KC102) and enough files for the worker pool."""
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    for index in range(fillers):
        (tmp_path / f"filler_{index}.py").write_text("import keras\n", encoding="utf-8")
    target = tmp_path / "hostile.py"
    if isinstance(hostile, bytes):
        target.write_bytes(hostile)
    else:
        target.write_text(hostile, encoding="utf-8")
    return tmp_path


def _assert_good_kept(stdout: str) -> None:
    assert any(line.startswith("good.py:3:") and "KC102" in line for line in stdout.splitlines()), stdout
    assert "KC000" not in stdout and "internal error" not in stdout


# -- 11: native crashes and memory blow-ups ----------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parser_segfault_in_one_file_keeps_other_findings(tmp_path, run_cli, jobs):
    """8,000 ``and`` operands crashed libcst's native parser (exit 139; with -j2 a
    BrokenProcessPool lost every finding). The parse now runs on a large stack: analysed."""
    project = _project(tmp_path, HEADER + "x = " + " and ".join(["a"] * 8000) + "\n")
    result = run_cli("check", "--no-cache", "-j", jobs, ".", cwd=project)
    assert result.returncode == 1, result.stderr
    _assert_good_kept(result.stdout)
    assert "hostile.py:4:1: KC104" in result.stdout  # analysed, rules ran


SEGFAULT_PLUGIN = textwrap.dedent(
    '''
    import os, signal
    from kerascheck import Rule, hookimpl

    class Segfaults(Rule):
        """
        ## What it does
        Kills its own process with SIGSEGV on a file naming CRASH_HERE, like a native crash.

        ## Why is this bad?
        It is a test double for a crashing parser.

        ## Example
        ```python
        CRASH_HERE
        ```

        ## Use instead
        Nothing.
        """

        code = "ZZ201"
        name = "segfaults"
        summary = "Crashes natively"
        requires_keras = False

        def visit_Name(self, node):
            if node.value == "CRASH_HERE":
                os.kill(os.getpid(), signal.SIGSEGV)

    @hookimpl
    def kerascheck_register_rules():
        return [Segfaults]
    '''
)


def test_worker_killed_by_a_native_crash_costs_only_its_file(tmp_path, run_cli):
    """The general mechanism: a worker that dies (here a real SIGSEGV) is replaced; its file
    gets KC002 naming the signal, the files queued behind it are checked, nothing is lost."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "segfault_plugin.py").write_text(SEGFAULT_PLUGIN, encoding="utf-8")
    (tmp_path / "project").mkdir()
    project = _project(tmp_path / "project", "CRASH_HERE\n", fillers=0)
    for index in range(30):  # more files than the pool queues at once, before and after it
        (project / f"ok_{index:02}.py").write_text(HEADER, encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")])}
    result = run_cli("check", "--no-cache", "-j", "2", "-p", "segfault_plugin", "--extend-select", "ZZ", ".", cwd=project, env=env)
    assert result.returncode == 1, result.stderr
    _assert_good_kept(result.stdout)
    crashed = "the parser crashed on this file (the worker checking it was killed by SIGSEGV)"
    assert f"hostile.py:1:1: KC002 [not-analysed] not analysed: {crashed}" in result.stdout
    assert sum(1 for line in result.stdout.splitlines() if line.startswith("ok_") and " KC104 " in line) == 30


def test_deeply_nested_brackets_are_a_syntax_error_not_a_memory_blowup(tmp_path):
    """1,270 nested parentheses made libcst allocate gigabytes; CPython refuses them at once."""
    project = _project(tmp_path, "import keras\nx = " + "(" * 1270 + "1" + ")" * 1270 + "\n", fillers=0)
    findings = kerascheck.check([project / "hostile.py", project / "good.py"])
    assert _codes_for(findings, "hostile.py") == ["KC001"]
    assert "too many nested parentheses" in findings[0].message or "too many nested parentheses" in findings[-1].message
    assert _codes_for(findings, "good.py") == ["KC102"]


def test_file_over_the_size_limit_is_not_analysed(tmp_path):
    project = _project(tmp_path, "import keras\n" + "x = 1\n" * 400, fillers=0)
    small = _engine(max_file_size=1000)
    results = check_paths(small, [str(project / "hostile.py"), str(project / "good.py")], jobs=1)
    findings = small.finish(results)
    [too_large] = [f for f in findings if f.location.path.endswith("hostile.py")]
    assert too_large.code == "KC002" and "over the max-file-size limit" in too_large.message
    assert _codes_for(findings, "good.py") == ["KC102"]
    assert Config().max_file_size == 2_000_000  # the documented default


def test_max_file_size_is_read_from_the_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.kerascheck]\nmax-file-size = 1234\n", encoding="utf-8")
    assert load_config(start=tmp_path).max_file_size == 1234
    (tmp_path / "pyproject.toml").write_text("[tool.kerascheck]\nmax-file-size = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max-file-size"):
        load_config(start=tmp_path)


def test_single_file_check_in_a_thread_survives_a_deep_chain():
    """The LSP checks on a worker thread (a small stack): the deep parse still gets its own."""
    import concurrent.futures

    source = HEADER + "x = " + " or ".join(["a"] * 20000) + "\n"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(_engine().check_file, "deep.py", source).result()
    assert [f.code for f in result.findings] == ["KC104"]


# -- 12: one bad input aborted the whole run ---------------------------------------------------


def test_identifier_newer_than_python_unicode_is_a_finding_not_an_abort(tmp_path):
    project = _project(tmp_path, "import keras\n\U0001e030 = 1\n", fillers=0)
    findings = kerascheck.check([project])
    assert _codes_for(findings, "hostile.py") == ["KC001"]
    assert _codes_for(findings, "good.py") == ["KC102"]


def test_symlink_loop_does_not_abort_run(tmp_path, run_cli):
    project = _project(tmp_path, "", fillers=0)
    (project / "hostile.py").unlink()
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    os.symlink(".", project / "self_dir")
    result = run_cli("check", "--no-cache", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    _assert_good_kept(result.stdout)
    assert "loop_a.py:1:1: KC002" in result.stdout and "Too many levels of symbolic links" in result.stdout


def _drop_root_read_override() -> list[str]:
    """As root, permissions only apply once the capabilities that bypass them are dropped."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def test_unreadable_subdirectory_is_reported_not_fatal(tmp_path):
    import subprocess

    project = _project(tmp_path, "import keras\n", fillers=0)
    secret = project / "secret"
    secret.mkdir()
    (secret / "inner.py").write_text(GOOD, encoding="utf-8")
    secret.chmod(0)
    try:
        result = subprocess.run(
            [*_drop_root_read_override(), sys.executable, "-m", "kerascheck", "check", "--no-cache", "."],
            cwd=project, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        secret.chmod(0o700)
    assert result.returncode == 1, result.stderr
    _assert_good_kept(result.stdout)
    assert "secret:1:1: KC002 [not-analysed] secret: directory not searched: Permission denied" in result.stdout


@pytest.mark.parametrize("line", ["\\", "!", "a[b-a]", "a["])
def test_gitignore_line_git_tolerates_does_not_abort_run(tmp_path, line):
    project = _project(tmp_path, "import keras\n", fillers=0)
    (project / ".gitignore").write_text(f"{line}\nskipped_*.py\n", encoding="utf-8")
    (project / "skipped_one.py").write_text(GOOD, encoding="utf-8")
    findings = kerascheck.check([project])
    assert _codes_for(findings, "good.py") == ["KC102"]
    assert _codes_for(findings, "skipped_one.py") == []  # the file's other lines still apply


def test_deeply_nested_baseline_is_a_baseline_error(tmp_path, run_cli):
    project = _project(tmp_path, "import keras\n", fillers=0)
    (project / "baseline.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(baseline.BaselineError, match="nested too deeply"):
        baseline.load(str(project / "baseline.json"))
    result = run_cli("check", "--no-cache", "--baseline", "baseline.json", ".", cwd=project)
    assert result.returncode == 2
    assert "baseline.json" in result.stderr and "Traceback" not in result.stderr


def test_non_utf8_config_flag_is_a_config_error(tmp_path, run_cli):
    (tmp_path / "custom.toml").write_bytes(b"[tool.kerascheck]\n# \xff\xfe\n")
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    result = run_cli("check", "--config", "custom.toml", "good.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("kerascheck: configuration error: custom.toml: not UTF-8 text")
    assert "Traceback" not in result.stderr


# -- 13: valid files silently skipped ---------------------------------------------------------


def _analysed(source: str) -> list[str]:
    return [f.code for f in _engine().finish([_engine().check_file("deep.py", source)])]


def test_deep_elif_chain_is_analysed():
    """986 ``elif``s (the stdlib's pydoc_data/topics.py) passed the recursive walk's limit."""
    source = HEADER + "if a:\n    pass\n" + "".join(f"elif a == {i}:\n    pass\n" for i in range(1000))
    assert _analysed(source + "model.save('late.h5')\n") == ["KC104", "KC104"]


def test_long_plus_chain_is_analysed():
    assert _analysed(HEADER + "x = " + "+".join(["a"] * 987) + "\n") == ["KC104"]


def test_long_implicit_string_concatenation_is_analysed():
    assert _analysed(HEADER + "x = (" + " ".join(['"a"'] * 1000) + ")\n") == ["KC104"]


def test_finding_inside_a_deep_expression_is_located():
    """Positions (libcst's recursive code generation) also work at depth."""
    source = "import keras\nmodel = keras.Sequential()\nx = " + "+".join(["a"] * 900) + " + model.save('m.h5')\n"
    findings = _engine().check_file("deep.py", source).findings
    assert [(f.code, f.location.line) for f in findings] == [("KC104", 3)]


def test_nul_byte_after_8kib_is_reported(tmp_path):
    project = _project(tmp_path, b"import keras\n" + b"#" * 9000 + b"\n\0\n", fillers=0)
    findings = kerascheck.check([project])
    [nul] = [f for f in findings if f.location.path.endswith("hostile.py")]
    assert nul.code == "KC002" and "NUL" in nul.message


# -- 14: configuration holes ------------------------------------------------------------------


def test_non_utf8_pyproject_is_a_config_error(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.kerascheck]\nselect = ['KC1']\n# caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(start=tmp_path)
    assert info.value.source == str(tmp_path / "pyproject.toml")
    assert "not UTF-8" in str(info.value)


def test_inline_tool_table_is_read_like_a_section(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool]\nkerascheck = {ignore = ["KC102"], target-keras = "2"}\n', encoding="utf-8")
    config = load_config(start=tmp_path)
    assert config.ignore == ("KC102",) and config.target_keras == "2"
    assert config.path == str(tmp_path / "pyproject.toml")


@pytest.mark.parametrize("value", ["3.x.y", "\u0663", "3" * 1_000_000, "", "3.", "4"])
def test_target_keras_must_be_an_ascii_version_of_2_or_3(tmp_path, value):
    (tmp_path / "kerascheck.toml").write_text(f'target-keras = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(start=tmp_path)
    assert info.value.key == "target-keras" and len(str(info.value)) < 300


@pytest.mark.parametrize("table", ['{"" = "keras.layers"}', '{"a..b" = "keras"}', '{"myproj.nn" = ""}', '{"myproj.nn" = 3}'])
def test_keras_modules_must_name_modules(tmp_path, table):
    (tmp_path / "kerascheck.toml").write_text(f"keras-modules = {table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="keras-modules"):
        load_config(start=tmp_path)


def test_unknown_probe_key_is_rejected_by_check(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_text("[tool.kerascheck.probe]\ntimeuot = 3\n", encoding="utf-8")
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    result = run_cli("check", "good.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "key 'probe.timeuot': unknown option" in result.stderr


def test_probe_keys_have_one_table():
    from kerascheck import config
    from kerascheck.probes import command

    assert command.PROBE_CONFIG_KEYS is config.PROBE_KEYS


def test_target_keras_flag_is_validated_like_the_config(tmp_path, run_cli):
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    result = run_cli("check", "--target-keras", "3" * 100_000, "good.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("kerascheck: configuration error: command line: key '--target-keras'")
    assert "Traceback" not in result.stderr and len(result.stderr) < 300


def _slow_on_stuck(path: str) -> str:
    import time

    if path == "stuck":
        time.sleep(600)
    return path.upper()


def test_worker_stuck_on_one_file_is_stopped_and_replaced():
    """A file that keeps its worker busy past the time limit is reported; the rest go on."""
    import multiprocessing

    from kerascheck.static import workers

    paths = ["a", "stuck", *[f"f{i}" for i in range(10)]]
    outcomes = dict(
        workers.run(
            paths, workers=2, context=multiprocessing.get_context("fork"), initializer=lambda: None,
            initargs=(), task=_slow_on_stuck, timeout=2.0,
        )
    )
    assert {paths[i]: v for i, v in outcomes.items() if not isinstance(v, workers.Crash)} == {p: p.upper() for p in paths if p != "stuck"}
    crash = outcomes[1]
    assert isinstance(crash, workers.Crash) and crash.path == "stuck" and "longer than 2 s" in crash.reason
