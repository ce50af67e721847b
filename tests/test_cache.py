"""The result cache: hits skip parsing, any change misses, broken entries never break a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kerascheck.findings import Location
from kerascheck.plugins import load_plugins
from kerascheck.python_api import Session, open_session, run_check
from kerascheck.rule import Rule
from kerascheck.static import engine as engine_module
from kerascheck.static.cache import ResultCache, settings_key
from kerascheck.static.cache_dir import configured_directory
from kerascheck.static.context import ProjectContext

BUGGY = "import keras\nm = keras.Sequential()\nm.predict_classes(x)\n"
CLEAN = "import keras\nm = keras.Sequential()\nm.predict(x)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "kerascheck.toml").write_text("select = ['KC1']\n", encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    for index in range(3):
        (src / f"m{index}.py").write_text(BUGGY if index == 0 else CLEAN, encoding="utf-8")
    return tmp_path


def _session(root: Path, **overrides: object) -> Session:
    return open_session(start=root, overrides=overrides or None)


def _codes(findings: list) -> list[tuple[str, str, int]]:
    return [(Path(f.location.path).name, f.code, f.location.line) for f in findings]


@pytest.fixture
def no_checking(monkeypatch: pytest.MonkeyPatch):
    """Makes any real check fail the test: a warm run must answer from the cache alone."""

    def forbid(monkeypatch_target: pytest.MonkeyPatch = monkeypatch) -> None:
        def boom(self: object, path: str, *args: object, **kwargs: object) -> None:
            raise AssertionError(f"{path} was checked instead of read from the cache")

        monkeypatch_target.setattr(engine_module.Engine, "check_file", boom)

    return forbid


def test_warm_run_reads_every_result_from_the_cache(project: Path, no_checking) -> None:
    session = _session(project)
    cold, cold_results = run_check(session, [str(project / "src")], jobs=1)
    assert _codes(cold) == [("m0.py", "KC101", 3)]
    cache_root = configured_directory(session.config)
    assert cache_root == project / ".kerascheck_cache"
    assert (cache_root / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    no_checking()
    warm, warm_results = run_check(_session(project), [str(project / "src")], jobs=1)
    assert warm == cold
    assert [r.path for r in warm_results] == [r.path for r in cold_results]


def test_changed_file_is_checked_again(project: Path) -> None:
    run_check(_session(project), [str(project / "src")], jobs=1)
    (project / "src" / "m0.py").write_text(CLEAN, encoding="utf-8")
    (project / "src" / "m1.py").write_text("\n\n" + BUGGY, encoding="utf-8")
    findings, _ = run_check(_session(project), [str(project / "src")], jobs=1)
    assert _codes(findings) == [("m1.py", "KC101", 5)]


def test_configuration_is_part_of_the_key(project: Path) -> None:
    run_check(_session(project), [str(project / "src")], jobs=1)
    ignoring = _session(project, ignore=("KC101",))
    assert settings_key(ignoring.config, ignoring.registry.fingerprint()) != settings_key(
        _session(project).config, ignoring.registry.fingerprint()
    )
    findings, _ = run_check(ignoring, [str(project / "src")], jobs=1)
    assert findings == []
    other_target = _session(project, target_keras="2.15")
    assert settings_key(other_target.config, other_target.registry.fingerprint()) != settings_key(
        _session(project).config, other_target.registry.fingerprint()
    )


def test_corrupt_entry_is_ignored_and_rewritten(project: Path) -> None:
    session = _session(project)
    run_check(session, [str(project / "src")], jobs=1)
    entries = _entries(project)
    assert len(entries) == 3
    for entry in entries:
        entry.write_bytes(b"KC2 0000\n{not json")
    findings, _ = run_check(_session(project), [str(project / "src")], jobs=1)
    assert _codes(findings) == [("m0.py", "KC101", 3)]
    for entry in entries:  # rewritten with a valid entry
        header, _, body = entry.read_bytes().partition(b"\n")
        assert header.startswith(b"KC2 ") and json.loads(body)["tuple"][1]["dataclass"].endswith(":FileResult")


def _entries(project: Path) -> list[Path]:
    return [p for p in (project / ".kerascheck_cache").rglob("*") if p.is_file() and p.parent.name != ".kerascheck_cache"]


def test_unusable_cache_directory_never_fails_the_run(project: Path) -> None:
    (project / "blocked").write_text("a file where the cache directory should be", encoding="utf-8")
    (project / "kerascheck.toml").write_text("select = ['KC1']\ncache-dir = 'blocked/cache'\n", encoding="utf-8")
    for _ in range(2):
        findings, _ = run_check(_session(project), [str(project / "src")], jobs=1)
        assert _codes(findings) == [("m0.py", "KC101", 3)]


def test_cache_false_in_config_writes_nothing(project: Path) -> None:
    (project / "kerascheck.toml").write_text("select = ['KC1']\ncache = false\n", encoding="utf-8")
    findings, _ = run_check(_session(project), [str(project / "src")], jobs=1)
    assert _codes(findings) == [("m0.py", "KC101", 3)]
    assert not (project / ".kerascheck_cache").exists()


def test_parallel_run_fills_and_uses_the_cache(tmp_path: Path, no_checking) -> None:
    (tmp_path / "kerascheck.toml").write_text("select = ['KC1']\n", encoding="utf-8")
    for index in range(40):
        (tmp_path / f"f{index:02}.py").write_text(BUGGY if index % 10 == 0 else CLEAN, encoding="utf-8")
    cold, _ = run_check(_session(tmp_path), [str(tmp_path)], jobs=2)
    assert len(cold) == 4
    no_checking()
    warm, results = run_check(_session(tmp_path), [str(tmp_path)], jobs=2)
    assert warm == cold and len(results) == 40


class _SeedFact(Rule):
    """
    ## What it does
    Reports files that train while no file of the project sets a seed (a test double).

    ## Why is this bad?
    It is a test double for the project phase.

    ## Example
    ```python
    model.fit(x)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(0)
    ```
    """

    code = "ZC901"
    name = "test-project-seed"
    summary = "Test double"
    requires_keras = False

    def visit_Call(self, node) -> None:  # type: ignore[no-untyped-def]
        from kerascheck.static import ast_helpers as ah

        method = ah.method_call(node)
        if method is not None and method[1] in ("fit", "set_random_seed"):
            self.record((method[1], self.context.location(node).line))

    @classmethod
    def finish(cls, project: ProjectContext):  # type: ignore[no-untyped-def]
        seeded = any(kind == "set_random_seed" for facts in project.facts.values() for kind, _ in facts)
        if seeded:
            return []
        return [
            cls.finding_at(Location(path, line), "trains without a seed")
            for path, facts in project.facts.items()
            for kind, line in facts
            if kind == "fit"
        ]


def test_project_phase_runs_from_cached_facts(tmp_path: Path, no_checking) -> None:
    (tmp_path / "kerascheck.toml").write_text("", encoding="utf-8")
    (tmp_path / "train.py").write_text("model.fit(x)\n", encoding="utf-8")
    (tmp_path / "seed.py").write_text("import keras\n", encoding="utf-8")
    registry = load_plugins()
    registry.rules[_SeedFact.code] = _SeedFact
    session = Session(_session(tmp_path).config.with_overrides(select=("ZC901",)), registry)
    cold, _ = run_check(session, [str(tmp_path)], jobs=1)
    assert _codes(cold) == [("train.py", "ZC901", 1)]
    # Another file gains a seed: only it is re-checked, the project phase sees both files' facts.
    (tmp_path / "seed.py").write_text("import keras\nkeras.utils.set_random_seed(0)\n", encoding="utf-8")
    assert run_check(session, [str(tmp_path)], jobs=1)[0] == []
    no_checking()
    assert run_check(session, [str(tmp_path)], jobs=1)[0] == []


def test_lookup_of_special_files_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", "key", b"k" * 32)
    (tmp_path / "pkg.py").mkdir()
    assert cache.lookup(str(tmp_path / "pkg.py")) is None
    assert cache.lookup(str(tmp_path / "missing.py")) is None


def test_no_cache_flag_and_clean_command(project: Path, run_cli) -> None:
    result = run_cli("check", "src", "--no-cache", cwd=project)
    assert result.returncode == 1 and "KC101" in result.stdout
    assert not (project / ".kerascheck_cache").exists()
    result = run_cli("check", "src", cwd=project)
    assert result.returncode == 1 and "KC101" in result.stdout
    assert (project / ".kerascheck_cache" / "CACHEDIR.TAG").is_file()
    result = run_cli("check", "src", cwd=project)  # warm: same report
    assert result.returncode == 1 and "m0.py:3:1: KC101" in result.stdout
    result = run_cli("clean", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stdout
    assert not (project / ".kerascheck_cache").exists()
    result = run_cli("clean", cwd=project)
    assert result.returncode == 0 and "no cache to remove" in result.stdout


def test_facts_round_trip_as_json_and_unstorable_facts_are_not_cached(tmp_path: Path) -> None:
    from kerascheck.findings import Finding, Severity
    from kerascheck.static.cache import digest
    from kerascheck.static.engine import FileResult

    source = tmp_path / "m.py"
    source.write_bytes(b"x = 1\n")
    cache = ResultCache(tmp_path / "cache", "0" * 20, b"k" * 32)
    finding = Finding("KC101", "slug", "message", Severity.WARNING, Location(str(source), 2, 3), extra=(("k", (1, 2)),))
    facts = {"KC301": [(frozenset({"a"}), {"nested": [b"\x00", None, 1.5]}), Location(str(source), 1)]}
    result = FileResult(str(source), [finding], facts, joined_lines={1: 1})
    cache.store(str(source), digest(source.read_bytes()), result)
    assert cache.lookup(str(source)) == result
    odd = FileResult(str(tmp_path / "n.py"), [], {"ZZ1": [object()]})
    (tmp_path / "n.py").write_bytes(b"y = 2\n")
    cache.store(odd.path, digest(b"y = 2\n"), odd)
    assert cache.not_cacheable == 1 and cache.lookup(odd.path) is None


def test_cached_findings_keep_their_types(project: Path, no_checking) -> None:
    """``Severity`` is a ``str`` enum: it must come back as the enum (reporters read ``.value``),
    not as the plain string it compares equal to."""
    from kerascheck.findings import Severity

    cold, _ = run_check(_session(project), [str(project / "src")], jobs=1)
    no_checking()
    warm, _ = run_check(_session(project), [str(project / "src")], jobs=1)
    assert warm and all(type(f.severity) is Severity for f in warm)
    assert [f.to_dict() for f in warm] == [f.to_dict() for f in cold]
