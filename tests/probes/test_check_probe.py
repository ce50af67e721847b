"""``kerascheck check --probe`` end to end: the static rules, then every model factory of the
checked code built and probed in the probe subprocess, findings on source lines.

The main TensorFlow runs are two ``check --probe`` of ``examples/factories/models.py`` (five
small factories: a stateful LSTM, a custom layer defaulting to ``training=True``, a one-unit
softmax, a layer mutating Python state, one that raises; and one needing an argument), with
and without the static rules, shared by the tests below. The last tests need no TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "factories" / "models.py"
SOURCE = EXAMPLE.read_text(encoding="utf-8").splitlines()


def _line(text: str, after: str | None = None) -> int:
    """1-based line of the first source line containing ``text`` (after the line containing ``after``)."""
    start = _line(after) if after else 0
    return next(i for i, line in enumerate(SOURCE, 1) if i > start and text in line)


def _cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=900, check=False
    )


Run = tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]


def _check_probe(*extra: str) -> Run:
    pytest.importorskip("tensorflow")
    result = _cli(
        "-m", "kerascheck", "check", "--probe", str(EXAMPLE.relative_to(ROOT)),
        "--output-format", "json", "--no-cache", "--probe-jobs", "2", *extra,
    )
    return result, json.loads(result.stdout)


@pytest.fixture(scope="module")
def probed() -> Run:
    """Static rules and probes: matching pairs merged."""
    return _check_probe()


@pytest.fixture(scope="module")
def probes_only() -> Run:
    """Probe findings alone (``--select KP``): where each one is reported."""
    return _check_probe("--select", "KP")


def _one(findings: list[dict[str, Any]], code: str) -> dict[str, Any]:
    (found,) = [f for f in findings if f["code"] == code]
    return found


def _at(finding: dict[str, Any]) -> tuple[int, int]:
    return finding["location"]["row"], finding["location"]["column"]


def _confirmed_by(finding: dict[str, Any]) -> str | None:
    verdict = finding.get("probe_verdict") or {}
    return verdict.get("probe") if verdict.get("verdict") == "confirmed" else None


@pytest.mark.tf
def test_exit_code_and_every_finding_on_a_source_line(probed: Run) -> None:
    result, findings = probed
    assert result.returncode == 1, result.stderr
    assert {f["filename"] for f in findings} == {"examples/factories/models.py"}
    assert all(f["logical_location"] is None for f in findings)


@pytest.mark.tf
def test_stateful_lstm(probed: Run, probes_only: Run) -> None:
    probe = _one(probes_only[1], "KP101")
    assert _at(probe) == (_line("layers.LSTM(8, stateful=True)"), 9)
    assert "stateful LSTM layer 'lstm'" in probe["message"]
    assert "(model built by forecaster())" in probe["message"]
    merged = _one(probed[1], "KC702")  # the repeated predict of forecaster()'s model, in __main__
    assert merged["location"]["row"] == _line("print(model.predict(window")
    assert _confirmed_by(merged) == "KP101"
    assert "KP101" not in {f["code"] for f in probed[1]}


@pytest.mark.tf
def test_custom_layer_defaulting_to_training_true(probed: Run, probes_only: Run) -> None:
    probe = _one(probes_only[1], "KP103")  # the behaviour of a user-defined layer: its ``call``
    assert _at(probe) == (_line("def call(self, inputs, training=True)"), 5)
    assert "custom layer 'noisy_dropout'" in probe["message"]
    merged = _one(probed[1], "KC202")
    assert merged["location"]["row"] == _line("def call(self, inputs, training=True)")
    assert _confirmed_by(merged) == "KP103"
    assert "KP103" not in {f["code"] for f in probed[1]}  # one finding, not two


@pytest.mark.tf
def test_one_unit_softmax(probed: Run, probes_only: Run) -> None:
    probe = _one(probes_only[1], "KP108")
    assert _at(probe) == (_line('layers.Dense(1, activation="softmax")'), 9)
    assert "softmax to a single unit" in probe["message"]
    assert _confirmed_by(_one(probed[1], "KC604")) == "KP108"
    assert _confirmed_by(_one(probed[1], "KC605")) == "KP108"  # the compile of the same model
    assert "KP108" not in {f["code"] for f in probed[1]}


@pytest.mark.tf
def test_layer_mutating_python_state(probed: Run, probes_only: Run) -> None:
    probe = _one(probes_only[1], "KP202")
    assert _at(probe) == (_line("def call(self, inputs):", after="class BatchCounter"), 5)
    assert "layer 'batch_counter'" in probe["message"] and "batches:" in probe["message"]
    merged = _one(probed[1], "KC701")
    assert merged["location"]["row"] == _line("self.batches += 1")
    assert _confirmed_by(merged) == "KP202"


@pytest.mark.tf
def test_raising_factory_is_kp001_at_its_def(probed: Run) -> None:
    finding = _one(probed[1], "KP001")
    assert _at(finding) == (_line("def pretrained_forecaster"), 1)
    assert "factory pretrained_forecaster() raised FileNotFoundError" in finding["message"]


@pytest.mark.tf
def test_factory_needing_arguments_is_skipped_with_a_note(probed: Run) -> None:
    result, findings = probed
    note = (
        f"kerascheck: note: examples/factories/models.py:{_line('def classifier')}: classifier() is not probed: "
        "parameter 'num_classes' has no default"
    )
    assert note in result.stderr.splitlines()
    assert not any("classifier()" in f["message"] for f in findings)


@pytest.mark.tf
def test_statistics_count_the_agreement(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    (tmp_path / "heads.py").write_text(
        "import keras\n"
        "\n"
        "\n"
        "def head():\n"
        "    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation='softmax')])\n"
        "    return model\n",
        encoding="utf-8",
    )
    result = _cli("-m", "kerascheck", "check", "--probe", "heads.py", "--no-cache", "--statistics", cwd=tmp_path)
    assert "1 static finding confirmed, 0 contradicted by probing" in result.stdout, result.stdout + result.stderr


@pytest.mark.tf
def test_noqa_on_the_reported_line_suppresses_a_probe_finding(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    (tmp_path / "nets.py").write_text(
        "import keras\n"
        "\n"
        "\n"
        "def always_one():\n"
        "    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation='softmax')])  # noqa: KP108\n"
        "\n"
        "\n"
        "def also_always_one():\n"
        "    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation='softmax')])\n",
        encoding="utf-8",
    )
    result = _cli(
        "-m", "kerascheck", "check", "--probe", "nets.py", "--select", "KP108", "--no-cache", "--probe-jobs", "2",
        "--output-format", "json", cwd=tmp_path,
    )
    findings = json.loads(result.stdout)
    # reported at the Dense layer's line: the noqa there silences the first, not the second
    assert [(f["code"], f["location"]["row"]) for f in findings] == [("KP108", 9)], result.stderr


@pytest.mark.tf
def test_static_method_factory_in_a_package_with_relative_imports(tmp_path: Path) -> None:
    """``Zoo.head`` is probed as ``zoo.py:Zoo.head``; its module is imported as ``nets.zoo``
    (from the package's parent) so its relative import works."""
    pytest.importorskip("tensorflow")
    package = tmp_path / "src" / "nets"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "blocks.py").write_text(
        "import keras\n\n\ndef classifier_head(units=1):\n    return keras.layers.Dense(units, activation='softmax')\n",
        encoding="utf-8",
    )
    (package / "zoo.py").write_text(
        "import keras\n"
        "\n"
        "from .blocks import classifier_head\n"
        "\n"
        "\n"
        "class Zoo:\n"
        "    @staticmethod\n"
        "    def head():\n"
        "        return keras.Sequential([keras.Input((5,)), classifier_head()])\n",
        encoding="utf-8",
    )
    result = _cli(
        "-m", "kerascheck", "check", "--probe", "src", "--select", "KP001,KP108", "--no-cache", "--output-format", "json", cwd=tmp_path
    )
    findings = json.loads(result.stdout)
    # built in another module: the layer maps to no line of zoo.py, so the def line it is
    assert [(f["code"], f["filename"], f["location"]["row"]) for f in findings] == [("KP108", "src/nets/zoo.py", 8)], result.stderr
    assert "(model built by Zoo.head())" in findings[0]["message"]


@pytest.mark.tf
def test_probe_timeout_is_kp001_at_the_factory(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    (tmp_path / "slow.py").write_text(
        "import time\n"
        "\n"
        "import keras\n"
        "\n"
        "\n"
        "def build():\n"
        "    time.sleep(600)\n"
        "    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n",
        encoding="utf-8",
    )
    result = _cli("-m", "kerascheck", "check", "--probe", "slow.py", "--probe-timeout", "2", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1
    (line,) = [ln for ln in result.stdout.splitlines() if "KP001" in ln]
    assert line.startswith("slow.py:6:1: KP001 [model-load-failed] probing timed out after 2 s"), line


# -- without TensorFlow -------------------------------------------------------------------------


def test_check_without_probe_imports_no_tensorflow() -> None:
    code = (
        "import sys\n"
        "from kerascheck.cli import main\n"
        f"code = main(['check', {str(EXAMPLE)!r}, '--no-cache', '-q'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))\n"
        "print('LOADED', loaded, code)\n"
    )
    result = _cli("-c", code)
    assert result.stdout.splitlines()[-1] == "LOADED [] 1", result.stderr


def test_help_says_it_runs_the_code() -> None:
    result = _cli("-m", "kerascheck", "check", "--help")
    text = " ".join(result.stdout.split())
    assert "--probe also IMPORT AND RUN the checked code" in text
    assert "'probe' extra" in text


def _site_packages_without_tensorflow(where: Path) -> Path:
    """A directory holding every installed distribution of this environment but TensorFlow
    and Keras (links), for an interpreter started with ``-S``: TensorFlow is really absent."""
    site = Path(sysconfig.get_paths()["purelib"])
    kept = where / "site"
    kept.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("tensorflow", "keras", "tf_keras", "__editable__")) or entry.suffix == ".pth":
            continue
        editable = entry / "direct_url.json"
        if editable.is_file() and '"editable": true' in editable.read_text(encoding="utf-8") and not name.startswith("kerascheck-"):
            continue  # other editable installs (plugins) need their .pth, which -S does not read
        (kept / entry.name).symlink_to(entry)
    return kept


def test_probe_without_tensorflow_is_a_clear_usage_error(tmp_path: Path) -> None:
    site = _site_packages_without_tensorflow(tmp_path)
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    probe = _cli("-S", "-m", "kerascheck", "check", "--probe", str(EXAMPLE), "--no-cache", env=env, cwd=tmp_path)
    assert probe.returncode == 2
    assert probe.stdout == ""
    assert "--probe builds and probes models, which needs tensorflow and keras" in probe.stderr
    assert "pip install 'kerascheck[probe]'" in probe.stderr
    assert "Traceback" not in probe.stderr
    # the same environment checks statically without TensorFlow
    static = _cli("-S", "-m", "kerascheck", "check", str(EXAMPLE), "--no-cache", env=env, cwd=tmp_path)
    assert static.returncode == 1 and "KC202" in static.stdout, static.stderr


def test_docs_page_shows_the_real_file_and_static_output() -> None:
    """docs/check-probe.md walks through examples/factories/models.py: its listing is the file,
    and its static output is what ``check`` prints (the probe outputs are the runs above)."""
    page = (ROOT / "docs" / "check-probe.md").read_text(encoding="utf-8")
    listing = "".join(f"{i:>3}  {line}\n" for i, line in enumerate(SOURCE, 1))
    assert f"```python\n{listing}```" in page
    static = _cli("-m", "kerascheck", "check", "examples/factories/models.py", "--no-cache")
    assert f"$ kerascheck check examples/factories/models.py\n{static.stdout}```" in page
