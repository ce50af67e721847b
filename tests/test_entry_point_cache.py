"""The entry-point scan is remembered per installation, and a tampered or stale answer is never used."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kerascheck import entry_point_cache
from kerascheck.plugins import ENTRY_POINT_GROUP, load_plugins


@pytest.fixture()
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return entry_point_cache.cache_path()


def test_cached_answer_equals_the_scan_and_names_the_installed_plugin(private_cache: Path) -> None:
    scanned = entry_point_cache.scan(ENTRY_POINT_GROUP)
    assert any(e.module == "kerascheck_tf1.rules" for e in scanned)  # the real test distribution
    assert entry_point_cache.entry_points(ENTRY_POINT_GROUP) == scanned
    assert private_cache.is_file() and (private_cache.stat().st_mode & 0o777) == 0o600
    assert entry_point_cache.entry_points(ENTRY_POINT_GROUP) == scanned  # now from the file


def test_a_run_with_the_cache_loads_the_same_plugins(private_cache: Path) -> None:
    first = load_plugins().plugins
    assert private_cache.is_file()
    assert load_plugins().plugins == first


def test_tampered_file_is_ignored(private_cache: Path) -> None:
    scanned = entry_point_cache.entry_points(ENTRY_POINT_GROUP)
    header, _, body = private_cache.read_bytes().partition(b"\n")
    forged = body.replace(b"kerascheck_tf1.rules", b"os")
    private_cache.write_bytes(header + b"\n" + forged)
    assert entry_point_cache.entry_points(ENTRY_POINT_GROUP) == scanned


def test_installing_a_distribution_changes_the_key(private_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    before = entry_point_cache.installation_key(ENTRY_POINT_GROUP)
    entry_point_cache.entry_points(ENTRY_POINT_GROUP)
    dist = site / "kerascheck_extra-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kerascheck-extra\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[kerascheck]\nextra = kerascheck_extra_rules\n", encoding="utf-8")
    assert entry_point_cache.installation_key(ENTRY_POINT_GROUP) != before
    found = entry_point_cache.entry_points(ENTRY_POINT_GROUP)
    assert ("extra", "kerascheck_extra_rules", "kerascheck-extra", "1.0") in [(e.name, e.value, e.distribution, e.version) for e in found]


def test_unwritable_cache_directory_falls_back_to_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert entry_point_cache.entry_points(ENTRY_POINT_GROUP) == entry_point_cache.scan(ENTRY_POINT_GROUP)
