"""End-to-end probe runs on real (tiny) Keras models, each in a real child process.

Probe runs are batched: one ``run_probes`` call per settings combination, shared by the tests
through session fixtures, because TensorFlow start-up in each child dominates the cost.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from kerascheck.findings import Finding, Severity
from kerascheck.probes.builtin import BUILTIN_PROBES
from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes

from .conftest import EXAMPLES

pytestmark = pytest.mark.tf
pytest.importorskip("tensorflow")

CUSTOM = str(EXAMPLES / "custom_layers.py")
FACTORY = f"{EXAMPLES / 'build.py'}:build_lossy_config"


def by_target(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.location.path].append(finding)
    return grouped


@pytest.fixture(scope="session")
def broken_files(tmp_path_factory: pytest.TempPathFactory, example_models: dict[str, Path]) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("broken")
    corrupt = root / "corrupt.keras"
    corrupt.write_bytes(np.random.default_rng(0).bytes(2048))
    weights = root / "only.weights.h5"
    weights.write_bytes(example_models["mse.h5"].read_bytes())
    return {"corrupt": corrupt, "weights": weights, "missing": root / "missing.keras"}


@pytest.fixture(scope="session")
def main_run(example_models: dict[str, Path], broken_files: dict[str, Path]) -> dict[str, list[Finding]]:
    """All example models, the factory, and broken files, with the custom objects imported."""
    targets = [ProbeTarget(path=str(p)) for p in example_models.values()]
    targets += [ProbeTarget(factory=FACTORY)]
    targets += [ProbeTarget(path=str(p)) for p in broken_files.values()]
    # generous timeout: the machine running the suite may be busy (this is no timing test)
    settings = ProbeSettings(custom_objects=(CUSTOM,), allow_factory=True, allow_savedmodel=True, jobs=2, timeout=600)
    seen: list[str] = []
    findings = run_probes(targets, BUILTIN_PROBES, settings, on_progress=lambda i, n, label: seen.append(label))
    assert sorted(seen) == sorted(t.label for t in targets)
    return by_target(findings)


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


@pytest.mark.parametrize(
    ("model", "expected", "layer"),
    [
        ("stateful_lstm.keras", ["KP101"], "stateful_lstm"),
        ("mc_dropout.keras", ["KP102"], "always_dropout"),
        ("training_default.keras", ["KP103"], "noisy"),
        ("mse.h5", ["KP104"], None),
        ("untrained_bn.keras", ["KP106"], "bn"),
        ("rounding_predict.keras", ["KP107"], None),
        ("single_unit_softmax.keras", ["KP108"], "head"),
        ("dict_predict.keras", ["KP108"], None),
        ("nan_weights.keras", ["KP109"], "hidden"),  # and no KP108 "end with a softmax"
        ("batch_centre.keras", ["KP110"], None),
        ("numpy_round.keras", ["KP111"], None),
        ("half_precision.keras", ["KP112"], None),
        ("text.h5", ["KP104"], "vectorize"),  # .h5 dropped the vocabulary: one finding
    ],
)
def test_each_probe_fires_only_on_its_model(
    main_run: dict[str, list[Finding]], example_models: dict[str, Path], model: str, expected: list[str], layer: str | None
) -> None:
    found = main_run[str(example_models[model])]
    assert codes(found) == expected, [f.message for f in found]
    assert found[0].location.logical == layer
    assert found[0].docs_url and found[0].docs_url.endswith(f"{expected[0]}/")


def test_messages_name_the_cause(main_run: dict[str, list[Finding]], example_models: dict[str, Path]) -> None:
    def message(model: str) -> str:
        return main_run[str(example_models[model])][0].message

    assert "batch_size=2" in message("stateful_lstm.keras")
    assert "AlwaysDropout" in message("mc_dropout.keras")
    assert "training=True" in message("training_default.keras")
    assert "compile=False" in message("mse.h5") and "mse" in message("mse.h5")
    assert "always exactly 1.0" in message("single_unit_softmax.keras")
    assert "dict" in message("dict_predict.keras")
    assert "predict_step" in message("rounding_predict.keras")
    assert "NaN/infinite" in message("nan_weights.keras") and "predict returns" in message("nan_weights.keras")
    assert "batch of 4" in message("batch_centre.keras")
    assert "calls back into Python" in message("numpy_round.keras")
    assert "float16" in message("half_precision.keras") and "dtype='float32'" in message("half_precision.keras")
    assert "empty vocabulary" in message("text.h5") and ".keras" in message("text.h5")


@pytest.mark.parametrize("model", ["clean.keras", "clean_multi_input.keras", "clean_savedmodel", "clean_multi_savedmodel", "clean_text.keras"])
def test_clean_models_have_no_findings(
    main_run: dict[str, list[Finding]], example_models: dict[str, Path], model: str
) -> None:
    assert main_run.get(str(example_models[model]), []) == []


def test_factory_round_trip_names_the_layer(main_run: dict[str, list[Finding]]) -> None:
    found = main_run[FACTORY]
    assert codes(found) == ["KP104"]
    assert found[0].location.logical == "scale"
    assert "get_config" in found[0].message


def test_lambda_is_refused_without_unsafe(main_run: dict[str, list[Finding]], example_models: dict[str, Path]) -> None:
    (finding,) = main_run[str(example_models["lambda.keras"])]
    assert finding.code == "KP105"
    assert finding.severity is Severity.ERROR
    assert "--unsafe" in finding.message and "'double'" in finding.message


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("corrupt", "not a valid .keras archive"),
        ("missing", "not found"),
        ("weights", "weights only"),
    ],
)
def test_unloadable_files_are_kp001(
    main_run: dict[str, list[Finding]], broken_files: dict[str, Path], name: str, words: str
) -> None:
    (finding,) = main_run[str(broken_files[name])]
    assert finding.code == "KP001"
    assert words in finding.message


@pytest.fixture(scope="session")
def unsafe_run(example_models: dict[str, Path]) -> dict[str, list[Finding]]:
    """--unsafe and no custom objects: Lambda loads; custom layers are unknown."""
    targets = [ProbeTarget(path=str(example_models[n])) for n in ("lambda.keras", "training_default.keras")]
    return by_target(run_probes(targets, BUILTIN_PROBES, ProbeSettings(unsafe=True, jobs=2)))


def test_unsafe_loads_lambda_and_reports_it_as_info(unsafe_run: dict[str, list[Finding]], example_models: dict[str, Path]) -> None:
    (finding,) = unsafe_run[str(example_models["lambda.keras"])]
    assert (finding.code, finding.severity, finding.location.logical) == ("KP105", Severity.INFO, "double")


def test_unknown_custom_object_is_named(unsafe_run: dict[str, list[Finding]], example_models: dict[str, Path]) -> None:
    (finding,) = unsafe_run[str(example_models["training_default.keras"])]
    assert finding.code == "KP001"
    assert "unknown custom object 'NoisyWhenUntold'" in finding.message


def test_timeout_is_a_finding_and_the_next_target_still_runs(example_models: dict[str, Path], tmp_path: Path) -> None:
    targets = [ProbeTarget(path=str(example_models["clean.keras"])), ProbeTarget(path=str(tmp_path / "nope.keras"))]
    findings = run_probes(targets, BUILTIN_PROBES, ProbeSettings(timeout=0.5))
    assert [f.code for f in findings] == ["KP001", "KP001"]
    assert "timed out after 0.5 s" in findings[0].message
    assert "not found" in findings[1].message


def test_factory_needs_permission() -> None:
    (finding,) = run_probes([ProbeTarget(factory=FACTORY)], BUILTIN_PROBES, ProbeSettings())
    assert finding.code == "KP001" and "allow" in finding.message


def test_npz_sample_for_dict_inputs(example_models: dict[str, Path], tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    rng = np.random.default_rng(1)
    np.savez(good, tokens=rng.integers(0, 50, (3, 7)).astype("int32"), extra=rng.random((3, 2)).astype("float32"))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, rng.random((3, 2)).astype("float32"))
    target = [ProbeTarget(path=str(example_models["clean_multi_input.keras"]))]
    assert run_probes(target, BUILTIN_PROBES, ProbeSettings(sample=str(good))) == []
    (finding,) = run_probes(target, BUILTIN_PROBES, ProbeSettings(sample=str(wrong)))
    # one cause, one finding, naming every probe it stopped
    assert finding.code == "KP002"
    assert "'tokens'" in finding.message and "'extra'" in finding.message
    skipped = [p.code for p in BUILTIN_PROBES if p.runs_on_models() and p.needs_inputs]
    assert f"{len(skipped)} probes ({', '.join(skipped)}) not run" in finding.message
