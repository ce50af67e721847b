"""``kerascheck probe --report``: a self-contained HTML page, rendered in real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES

pytestmark = pytest.mark.tf
pytest.importorskip("tensorflow")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def report(example_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run(
        [
            sys.executable, "-m", "kerascheck", "probe",
            str(example_models["mc_dropout.keras"]), str(example_models["clean.keras"]),
            f"{EXAMPLES / 'build.py'}:build_lossy_config", "--factory",
            "--custom-objects", str(EXAMPLES / "custom_layers.py"), "--report", str(out), "-j", "2",
        ],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )
    return out, result


def test_report_lists_every_model_with_its_findings(report: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    path, result = report
    assert result.returncode == 1, result.stderr
    page = path.read_text(encoding="utf-8")
    assert page.count('<section class="model"') == 3
    assert "No findings." in page  # clean.keras
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def chromium_flags(profile: Path) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]


def rendered_dom(page: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    dom = subprocess.run([CHROMIUM, *chromium_flags(profile), "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=300, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Uncaught" not in dom.stderr and "CONSOLE" not in dom.stderr  # no script or console errors
    return dom


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_report_renders_divergence_plots_in_headless_chromium(report: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    path, _ = report
    flags = chromium_flags(tmp_path / "profile")
    dom = rendered_dom(path, tmp_path / "profile")
    # the browser built the plots: one per diverging finding, the culprit layer highlighted
    figures = re.findall(r'<figure class="divergence" data-code="(KP10[24])">', dom.stdout)
    assert sorted(figures) == ["KP102", "KP104"]
    assert re.search(r'<rect class="bar culprit" data-layer="always_dropout"', dom.stdout)
    assert re.search(r'<rect class="bar culprit" data-layer="scale"', dom.stdout)
    shot = tmp_path / "page.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,1600", path.as_uri()],
                   capture_output=True, timeout=300, check=False)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_training_report_shows_the_curve_and_the_best_to_last_gap(tmp_path: Path) -> None:
    from kerascheck.callback import KerascheckCallback

    page = tmp_path / "fit.html"
    check = KerascheckCallback(verbose=False, select=("KP201",), report=page)
    for epoch, value in enumerate([1.0, 0.6, 0.4, 0.45, 0.52]):  # best at epoch 3, then worse
        check.on_epoch_end(epoch, {"val_loss": value, "loss": value / 2})
    check.on_train_end()
    (finding,) = check.findings
    assert finding.code == "KP201"
    dom = rendered_dom(page, tmp_path / "profile").stdout
    points = re.search(r'<polyline class="curve" points="([^"]+)"', dom)
    assert points and len(points.group(1).split()) == 5
    assert '<circle class="best"' in dom and '<circle class="last"' in dom and '<line class="gap"' in dom
    assert "reached 0.4;" in dom  # the finding is on the page too
