"""Issue 10, probe side: a probe runs nothing the user did not ask for.

Each test plants code that would leave a marker file if it ran, then checks the marker is
absent. TensorFlow tests start real children (the planted code targets the child's imports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kerascheck.probes.builtin import BUILTIN_PROBES
from kerascheck.probes.loading import keras_version_problem, lambda_layers_in_file
from kerascheck.probes.runner import (
    ProbeSettings,
    ProbeTarget,
    forwarded_sys_path,
    run_probes,
)

ROOT = Path(__file__).resolve().parents[2]


def plant(directory: Path, module: str, marker: Path) -> None:
    """A module that writes ``marker`` when imported."""
    (directory / f"{module}.py").write_text(
        f"open({str(marker)!r}, 'a').write({module!r} + '\\n')\n", encoding="utf-8"
    )


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kerascheck", *args],
        cwd=cwd, capture_output=True, text=True, env=environment, timeout=300, check=False,
    )


def test_forwarded_sys_path_drops_the_working_directory(tmp_path: Path) -> None:
    other = tmp_path / "plugins"
    assert forwarded_sys_path(["", str(tmp_path), ".", str(other)], str(tmp_path)) == [str(other)]


@pytest.mark.parametrize(
    ("version", "safe"),
    [
        ("3.0.0", False),
        ("3.10.0", False),
        ("3.11.2", False),  # .h5 ignores safe_mode (CVE-2025-9905)
        ("3.13.1", False),  # TFSMLayer bypass (CVE-2026-1462)
        ("3.12.1", True),  # the Python 3.10 security line
        ("3.14.0", True),
        ("3.15.1", True),
        ("3.16.0.dev2026", True),
    ],
)
def test_keras_with_known_safe_mode_bypasses_is_refused(version: str, safe: bool) -> None:
    problem = keras_version_problem(version)
    assert (problem is None) == safe
    if problem:
        assert f"Keras {version}" in problem and "--unsafe" in problem


def test_savedmodel_is_not_probed_without_explicit_flag(tmp_path: Path) -> None:
    saved = tmp_path / "exported"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"")  # refused before anything reads it
    (finding,) = run_probes([ProbeTarget(path=str(saved))], BUILTIN_PROBES, ProbeSettings())
    assert finding.code == "KP001"
    assert "runs its graph" in finding.message and "--allow-savedmodel" in finding.message



@pytest.mark.tf
def test_probe_child_does_not_import_from_working_directory(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    marker = tmp_path / "ran.txt"
    for module in ("numpy", "keras", "tensorflow", "h5py"):
        plant(tmp_path, module, marker)
    (tmp_path / "model.keras").write_bytes(b"PK not really a zip")
    result = cli("probe", "model.keras", "--output-format", "json", cwd=tmp_path)
    assert not marker.exists(), marker.read_text()
    findings = json.loads(result.stdout)
    assert [f["code"] for f in findings] == ["KP001"], result.stderr
    assert "not a valid .keras archive" in findings[0]["message"]  # the child did run


@pytest.mark.tf
def test_config_custom_objects_run_only_with_trust_config(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    repo = tmp_path / "repo"
    (repo / "tools").mkdir(parents=True)
    marker = tmp_path / "ran.txt"
    plant(repo / "tools", "layers", marker)
    (repo / "pyproject.toml").write_text(
        '[tool.kerascheck.probe]\ncustom-objects = ["tools/layers.py"]\n', encoding="utf-8"
    )
    (repo / "model.keras").write_bytes(b"PK not really a zip")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    model = str(repo / "model.keras")

    plain = cli("probe", model, cwd=elsewhere)
    assert not marker.exists()
    assert "--trust-config" in plain.stderr and plain.returncode == 1

    trusted = cli("probe", model, "--trust-config", cwd=elsewhere)
    # resolved against the config's directory, not the working directory
    assert marker.read_text() == "layers\n", trusted.stdout + trusted.stderr


@pytest.mark.tf
def test_savedmodel_graph_does_not_run_in_default_probe(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    marker = tmp_path / "graph-ran.txt"

    class Writer(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x):
            tf.io.write_file(str(marker), "ran")
            return {"y": x * 2.0}

    module = Writer()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures={"serving_default": module.serve})
    findings = run_probes([ProbeTarget(path=str(tmp_path / "sm"))], BUILTIN_PROBES, ProbeSettings())
    assert [f.code for f in findings] == ["KP001"]
    assert not marker.exists()


@pytest.mark.tf
def test_lambda_h5_is_refused_before_keras_loads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keras = pytest.importorskip("keras")
    marker = tmp_path / "lambda-ran.txt"

    def leaky(x):  # writes the marker whenever Keras calls it in the child
        import os as _os

        path = _os.environ.get("KC_LAMBDA_MARKER")
        if path:
            with open(path, "a") as handle:
                handle.write("ran\n")
        return x * 2.0

    inputs = keras.Input((3,))
    nested = keras.Sequential([keras.layers.Lambda(leaky, name="leaky")], name="inner")
    model = keras.Model(inputs, keras.layers.Dense(1)(nested(inputs)))
    path = tmp_path / "lambda.h5"
    model.save(path)
    assert lambda_layers_in_file(path) == ["leaky"]  # found in the HDF5 model_config

    monkeypatch.setenv("KC_LAMBDA_MARKER", str(marker))
    (finding,) = run_probes([ProbeTarget(path=str(path))], BUILTIN_PROBES, ProbeSettings())
    assert finding.code == "KP105" and "'leaky'" in finding.message and "--unsafe" in finding.message
    assert not marker.exists()
    np.testing.assert_equal(marker.exists(), False)
