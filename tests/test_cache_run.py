"""The run cache (kerascheck.static.cache_run): a repeated check is replayed without importing
libcst or a rule module, and every change to what the output depends on is a miss.

Whether a run was replayed is read from ``PYTHONPROFILEIMPORTTIME`` (``-X importtime``): a
replayed run never imports libcst. Every miss is also checked against a ``--no-cache`` run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerascheck.static import cache_run

SEEDED = "import keras\nkeras.utils.set_random_seed(0)\n"
TRAINS = "import keras\nimport helper\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.compile('adam', 'mse')\nmodel.fit(x, y)\n"
BUGGY = "import keras\nmodel = keras.models.load_model('m.keras')\nclasses = model.predict_classes(x)\n"
CLEAN = "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict(x)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "kerascheck.toml").write_text("select = ['KC1', 'KC3']\n", encoding="utf-8")
    (root / "src" / "m0.py").write_text(BUGGY, encoding="utf-8")
    (root / "src" / "m1.py").write_text(CLEAN, encoding="utf-8")
    return root


def _imported(result: subprocess.CompletedProcess[str], module: str) -> bool:
    return any(line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == module for line in result.stderr.splitlines())


def _report(result: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    """What the user sees: exit code, stdout, stderr without the import-time lines."""
    stderr = "".join(line + "\n" for line in result.stderr.splitlines() if not line.startswith("import time:"))
    return result.returncode, result.stdout, stderr


@pytest.fixture
def check(run_cli, project: Path):
    """``kerascheck check ARGS`` in the project; returns (report, replayed)."""

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[tuple[int, str, str], bool]:
        result = run_cli("check", *args, cwd=project, env={"PYTHONPROFILEIMPORTTIME": "1", **(env or {})})
        return _report(result), not _imported(result, "libcst")

    return run


def _fresh(run_cli, project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    return _report(run_cli("check", *args, "--no-cache", cwd=project, env=env))


def test_an_unchanged_run_is_replayed_without_libcst_or_rules(check, run_cli, project: Path) -> None:
    first, replayed = check("src")
    assert not replayed and first[0] == 1 and "m0.py:3:11: KC101" in first[1]
    second, replayed = check("src")
    assert replayed and second == first == _fresh(run_cli, project, "src")
    result = run_cli("check", "src", cwd=project, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert not any(_imported(result, m) for m in ("libcst", "kerascheck.rules.api", "kerascheck.rule", "pluggy", "importlib.metadata"))


def test_an_edited_file_is_a_miss_even_with_the_same_size_and_mtime(check, run_cli, project: Path) -> None:
    check("src")
    path = project / "src" / "m0.py"
    before = path.stat()
    path.write_text(BUGGY.replace("predict_classes", "predict_clazzes"), encoding="utf-8")  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after, replayed = check("src")
    assert not replayed and "KC101" not in after[1] and after == _fresh(run_cli, project, "src")
    assert check("src") == (after, True)


@pytest.mark.parametrize("change", ["add", "remove", "rename", "gitignore"])
def test_a_changed_file_set_is_a_miss(check, run_cli, project: Path, change: str) -> None:
    check("src")
    src = project / "src"
    if change == "add":
        (src / "m2.py").write_text(BUGGY, encoding="utf-8")
    elif change == "remove":
        (src / "m0.py").unlink()
    elif change == "rename":
        (src / "m0.py").rename(src / "renamed.py")
    else:
        (project / ".git").mkdir()
        (project / ".gitignore").write_text("m0.py\n", encoding="utf-8")
    after, replayed = check("src")
    assert not replayed and after == _fresh(run_cli, project, "src")


def test_a_changed_configuration_is_a_miss(check, run_cli, project: Path) -> None:
    first, _ = check("src")
    (project / "kerascheck.toml").write_text("select = ['KC3']\n", encoding="utf-8")
    after, replayed = check("src")
    assert not replayed and after != first and after == _fresh(run_cli, project, "src")


def test_a_configuration_appearing_above_is_a_miss(check, run_cli, project: Path) -> None:
    (project / "kerascheck.toml").unlink()
    first, _ = check("src")
    (project / "src" / "kerascheck.toml").write_text("select = ['KC3']\n", encoding="utf-8")
    after, replayed = check("src")
    assert not replayed and after != first and after == _fresh(run_cli, project, "src")


@pytest.mark.parametrize("options", [("--select", "KC3"), ("--ignore", "KC101"), ("--target-keras", "2.15"), ("--output-format", "json")])
def test_changed_options_are_a_miss(check, run_cli, project: Path, options: tuple[str, str]) -> None:
    check("src")
    after, replayed = check("src", *options)
    assert not replayed and after == _fresh(run_cli, project, "src", *options)
    assert check("src", *options) == (after, True)


def test_output_environment_is_part_of_the_key(check, project: Path) -> None:
    check("src")
    _, replayed = check("src", env={"NO_COLOR": ""})
    assert not replayed


def test_the_project_phase_sees_a_change_in_an_imported_module(check, run_cli, project: Path) -> None:
    (project / "kerascheck.toml").write_text("select = ['KC301']\n", encoding="utf-8")
    (project / "src" / "main.py").write_text(TRAINS, encoding="utf-8")
    (project / "src" / "helper.py").write_text(SEEDED, encoding="utf-8")
    first, _ = check("src")
    assert "KC301" not in first[1]
    (project / "src" / "helper.py").write_text("import keras\n", encoding="utf-8")  # the seed is gone
    after, replayed = check("src")
    assert not replayed and "main.py" in after[1] and "KC301" in after[1] and after == _fresh(run_cli, project, "src")


def test_a_star_imported_module_outside_the_checked_paths_is_a_dependency(check, run_cli, project: Path) -> None:
    (project / "kerascheck.toml").write_text("select = ['KC1']\n", encoding="utf-8")
    (project / "src" / "names.py").write_text("from keras.models import load_model\n", encoding="utf-8")
    (project / "src" / "main.py").write_text("from names import *\nm = load_model('m.keras')\nm.predict_classes(x)\n", encoding="utf-8")
    first, _ = check("src/main.py")
    assert "KC101" in first[1]
    (project / "src" / "names.py").write_text("def load_model(path):\n    return path\n", encoding="utf-8")
    after, replayed = check("src/main.py")
    assert not replayed and after == _fresh(run_cli, project, "src/main.py") and "KC101" not in after[1]


def test_output_file_is_written_again_on_replay(check, project: Path) -> None:
    report = project / "report.json"
    first, _ = check("src", "--output-format", "json", "-o", str(report))
    written = report.read_text(encoding="utf-8")
    report.unlink()
    second, replayed = check("src", "--output-format", "json", "-o", str(report))
    assert replayed and second == first and report.read_text(encoding="utf-8") == written and '"KC101"' in written


@pytest.mark.parametrize("extra", [("--no-cache",), ("--statistics", "-v"), ("--diff",)])
def test_runs_that_are_not_recorded(check, project: Path, extra: tuple[str, ...]) -> None:
    check("src", *extra)
    _, replayed = check("src", *extra)
    assert not replayed


def test_cache_false_in_the_configuration_records_nothing(check, project: Path) -> None:
    (project / "kerascheck.toml").write_text("select = ['KC1']\ncache = false\n", encoding="utf-8")
    check("src")
    _, replayed = check("src")
    assert not replayed and not (project / ".kerascheck_cache").exists()


def _records(project: Path) -> list[Path]:
    return [p for p in (project / ".kerascheck_cache" / "runs").rglob("*") if p.is_file()]


def test_a_forged_or_damaged_record_is_a_miss(check, run_cli, project: Path) -> None:
    first, _ = check("src")
    (record,) = _records(project)
    data = record.read_bytes()
    record.write_bytes(data.replace(b"KC101", b"KC999"))  # the MAC no longer verifies
    after, replayed = check("src")
    assert not replayed and after == first
    (record,) = _records(project)
    _, _, body = record.read_bytes().partition(b"\n")
    record.write_bytes(b"KCR1 " + b"0" * 128 + b"\n" + body)  # a signature made without the user's key
    after, replayed = check("src")
    assert not replayed and after == first


def test_clean_removes_records(check, run_cli, project: Path) -> None:
    check("src")
    assert _records(project)
    assert run_cli("clean", cwd=project).returncode == 0
    assert not (project / ".kerascheck_cache").exists()


# -- the key: inputs that no command line in a test can change ---------------------------------


def _key(project: Path, *argv: str) -> str | None:
    from kerascheck.cli import _check_overrides, _check_start, build_parser
    from kerascheck.static.cache_key import load_or_create_key

    args = build_parser().parse_args(["check", *argv])
    cwd = os.getcwd()
    os.chdir(project)
    try:
        cache = cache_run.RunCache.for_args(args, _check_start(args), _check_overrides(args))
        assert cache is not None
        return cache_run.run_key(args, cache.config, load_or_create_key())
    finally:
        os.chdir(cwd)


def test_key_changes_with_the_kerascheck_version_and_its_sources(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kerascheck

    before = _key(project, "src")
    assert _key(project, "src") == before
    monkeypatch.setattr(kerascheck, "__version__", "99.0")
    assert _key(project, "src") != before
    monkeypatch.undo()
    source = Path(cache_run.__file__)
    stat = source.stat()
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a rule edited in an editable install
        assert _key(project, "src") != before
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _key(project, "src") == before


def test_key_changes_when_a_distribution_is_installed(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    (site / "other-1.0.dist-info").mkdir()
    before = _key(project, "src")
    (site / "libcst-99.0.dist-info").mkdir()  # an upgrade of anything on sys.path
    assert _key(project, "src") != before


PLUGIN = '''
from kerascheck import Reporter, hookimpl


class DemoReporter(Reporter):
    def report(self, findings, summary):
        self.stream.write("{word}: " + str(len(findings)) + "\\n")


@hookimpl
def kerascheck_register_reporters():
    return {{"demo": DemoReporter}}
'''


def test_an_installed_plugin_edited_in_place_is_a_miss(check, project: Path, tmp_path: Path) -> None:
    """A real distribution (dist-info with an entry point) whose source changes without a new
    version, as with ``pip install -e``."""
    site = tmp_path / "site"
    (site / "kc_demo").mkdir(parents=True)
    (site / "kc_demo" / "__init__.py").write_text(PLUGIN.format(word="first"), encoding="utf-8")
    info = site / "kc_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kc-demo\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[kerascheck]\ndemo = kc_demo\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    first, _ = check("src", "--output-format", "demo", env=env)
    assert first[1] == "first: 1\n"
    assert check("src", "--output-format", "demo", env=env) == (first, True)
    (site / "kc_demo" / "__init__.py").write_text(PLUGIN.format(word="second"), encoding="utf-8")
    after, replayed = check("src", "--output-format", "demo", env=env)
    assert not replayed and after[1] == "second: 1\n"


def test_importing_kerascheck_does_not_import_libcst() -> None:
    assert subprocess.run([sys.executable, "-c", "import kerascheck, sys; sys.exit('libcst' in sys.modules)"], check=False).returncode == 0


def test_a_run_whose_configuration_changed_while_it_ran_is_not_recorded(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kerascheck.cli import _check_overrides, _check_start, build_parser
    from kerascheck.static.cache_dir import claim
    from kerascheck.static.cache_key import load_or_create_key
    from kerascheck.static.engine import FileResult

    monkeypatch.chdir(project)
    args = build_parser().parse_args(["check", "src"])

    def run(change: bool) -> list[Path]:
        cache = cache_run.RunCache.for_args(args, _check_start(args), _check_overrides(args))
        assert cache is not None
        claim(cache.directory, load_or_create_key())
        cache.start_recording()
        cache.stop_recording()
        if change:
            (project / "kerascheck.toml").write_text("select = ['KC3']\n", encoding="utf-8")
        cache.observe([FileResult("src/m0.py", digest="00")], [])
        cache.save(0)
        return [p for p in (project / ".kerascheck_cache").rglob("*") if p.is_file() and "runs" in p.parts]

    assert run(change=True) == []
    assert len(run(change=False)) == 1  # the same run with nothing changed is recorded
