"""Agreement between static findings and probe findings (kerascheck.agreement).

The static findings are real (``kerascheck.check`` on tests/data/probe_map/factories.py). The
probe findings of the first tests have the exact shape the probes give (code, message,
``path::layer`` location, ``extra["layers"]``); the ``tf``-marked tests at the end run the real
probe on the same factories.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kerascheck
from kerascheck.agreement import PAIRS, ProbedFactory, probed_factory, reconcile
from kerascheck.findings import Finding, Location, Severity
from kerascheck.static.layer_sites import map_probe_findings, map_target_findings

DATA = Path(__file__).parent / "data" / "probe_map" / "factories.py"


@pytest.fixture(scope="module")
def static() -> list[Finding]:
    return kerascheck.check([DATA], select=["KC"])


def probe_finding(code: str, message: str, factory: str, layers: tuple[str, ...] = ()) -> Finding:
    target = f"{DATA}:{factory}"
    logical = layers[0] if len(layers) == 1 else None
    finding = Finding(code, "probe", message, Severity.WARNING, Location(target, logical=logical), extra=(("layers", layers),) if layers else ())
    return map_probe_findings([finding], DATA, factory)[0]


def probed(factory: str, *codes: str) -> ProbedFactory:
    return ProbedFactory(str(DATA), factory, frozenset(codes), f"{DATA}:{factory}")


def codes(findings: tuple[Finding, ...] | list[Finding]) -> list[tuple[str, int, str | None]]:
    return [(f.code, f.location.line, f.probe_verdict.verdict if f.probe_verdict else None) for f in findings]


def test_the_static_side_reports_what_the_factories_hold(static: list[Finding]) -> None:
    assert [(f.code, f.location.line) for f in static] == [("KC202", 16), ("KC701", 30), ("KC604", 52), ("KC605", 54), ("KC702", 83)]


def test_layer_pair_merges_into_one_confirmed_finding(static: list[Finding]) -> None:
    message = "custom layer 'noisy_block': model(x) without training= differs from predict(x)"
    kp103 = probe_finding("KP103", message, "noisy_default", ("noisy_block",))
    result = reconcile(static, [kp103], [probed("noisy_default", "KP103")])
    assert result.confirmed == 1 and result.contradicted == 0 and result.merged_probe_findings == 1
    merged = [f for f in result.findings if f.code == "KC202"]
    assert len(merged) == 1 and merged[0].probe_verdict is not None
    assert merged[0].probe_verdict.probe == "KP103" and merged[0].probe_verdict.target.endswith(":noisy_default")
    assert "confirmed by running the model" in merged[0].probe_verdict.describe()
    assert not any(f.code == "KP103" for f in result.findings)  # one finding, not two


def test_model_pair_matches_a_use_of_the_factory_model_elsewhere(static: list[Finding]) -> None:
    kp101 = probe_finding("KP101", "stateful LSTM layer 'lstm': its state persists across predict calls", "stateful_lstm", ("lstm",))
    assert kp101.location.line == 36  # mapped to the LSTM(...) line
    result = reconcile(static, [kp101], [probed("stateful_lstm", "KP101")])
    assert ("KC702", 83, "confirmed") in codes(result.findings)


def test_kc604_and_kc605_with_one_unit_softmax(static: list[Finding]) -> None:
    message = "Dense 'dense_1' applies softmax to a single unit: its output is always exactly 1.0"
    kp108 = probe_finding("KP108", message, "one_unit_softmax", ("dense_1",))
    assert kp108.location.line == 52
    result = reconcile(static, [kp108], [probed("one_unit_softmax", "KP108")])
    assert ("KC604", 52, "confirmed") in codes(result.findings)
    assert ("KC605", 54, "confirmed") in codes(result.findings)  # same cause: binary loss on a one-unit softmax
    assert result.merged_probe_findings == 1


def test_a_probe_that_ran_and_saw_nothing_contradicts(static: list[Finding]) -> None:
    result = reconcile(static, [], [probed("stateful_lstm", "KP101"), probed("one_unit_softmax", "KP108")])
    assert ("KC702", 83, "contradicted") in codes(result.findings)
    assert ("KC604", 52, "contradicted") in codes(result.findings)
    assert ("KC605", 54, None) in codes(result.findings)  # KP108 cannot see every KC605 cause
    assert result.contradicted == 2


def test_nothing_is_contradicted_by_a_probe_that_did_not_run_or_another_model(static: list[Finding]) -> None:
    result = reconcile(static, [], [probed("stateful_lstm", "KP102"), probed("noisy_default", "KP101")])
    assert result.contradicted == 0 and result.confirmed == 0
    assert list(result.findings) == sorted(static, key=Finding.sort_key)


def test_a_probe_finding_elsewhere_is_not_merged(static: list[Finding]) -> None:
    other = probe_finding("KP103", "custom layer 'call_counter': differs", "counting", ("call_counter",))
    result = reconcile(static, [other], [probed("counting", "KP103")])
    assert result.confirmed == 0
    assert ("KP103", 29, None) in codes(result.findings)  # stays, at CallCounter.call


def test_pairs_cover_the_issue_catalogue() -> None:
    pairs = {(s, p) for pair in PAIRS for s in pair.static for p in pair.probes}
    issue = {("KC202", "KP103"), ("KC203", "KP103"), ("KC702", "KP101"), ("KC703", "KP101"),
             ("KC604", "KP108"), ("KC605", "KP108"), ("KC701", "KP202")}
    assert issue <= pairs


def test_finding_json_carries_the_verdict_only_when_set(static: list[Finding]) -> None:
    kp103 = probe_finding("KP103", "custom layer 'noisy_block': differs", "noisy_default", ("noisy_block",))
    result = reconcile(static, [kp103], [probed("noisy_default", "KP103")])
    merged = next(f for f in result.findings if f.code == "KC202")
    assert merged.to_dict()["probe_verdict"]["verdict"] == "confirmed"
    assert "probe_verdict" not in static[1].to_dict()


def test_probed_factory_reads_what_really_ran() -> None:
    target = f"{DATA}:stateful_lstm"
    failed = Finding("KP002", "probe-failed", "2 probes (KP103, KP107) not run: no inputs", Severity.WARNING, Location(target))
    assert probed_factory(target, str(DATA), "stateful_lstm", {"KP101", "KP103", "KP107"}, [failed]).probes == {"KP101"}
    broken = Finding("KP001", "model-load-failed", "factory stateful_lstm() raised ValueError", Severity.ERROR, Location(target))
    assert probed_factory(target, str(DATA), "stateful_lstm", {"KP101"}, [broken]).probes == frozenset()


# == the real thing: factories built and probed by TensorFlow in the probe subprocess ============

FACTORIES = ("stateful_lstm", "noisy_default", "one_unit_softmax", "counting")


@pytest.fixture(scope="module")
def real_probe_run() -> tuple[list[Finding], list[ProbedFactory], set[str]]:
    pytest.importorskip("keras")
    from kerascheck.probes.determinism import NondeterministicPredict, TrainingFlagSensitive
    from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes
    from kerascheck.probes.state import StatefulLayers
    from kerascheck.probes.structure import OutputStructure
    from kerascheck.probes.training import PythonStateInTraining

    candidates = (StatefulLayers, NondeterministicPredict, TrainingFlagSensitive, OutputStructure, PythonStateInTraining)
    probes = [p for p in candidates if p.runs_on_models()]  # KP202 runs on models once probe-run's change is in
    labels = [f"{DATA}:{name}" for name in FACTORIES]
    raw = run_probes([ProbeTarget(factory=label) for label in labels], probes, ProbeSettings(allow_factory=True, jobs=2))
    enabled = {p.code for p in probes}
    probed = [probed_factory(label, str(DATA), name, enabled, raw) for label, name in zip(labels, FACTORIES, strict=True)]
    return map_target_findings(raw, labels), probed, enabled


@pytest.mark.tf
def test_real_probe_findings_land_on_the_constructing_lines(real_probe_run: tuple[list[Finding], list[ProbedFactory], set[str]]) -> None:
    mapped, probed, enabled = real_probe_run
    assert all(p.probes == enabled for p in probed)  # every selected probe ran on every factory
    where = {(f.code, f.location.line) for f in mapped}
    assert ("KP101", 36) in where  # layers.LSTM(4, stateful=True)
    assert ("KP103", 16) in where  # NoisyBlock.call(self, x, training=True)
    assert ("KP108", 52) in where  # layers.Dense(1, activation="softmax")
    if "KP202" in enabled:
        assert ("KP202", 29) in where  # CallCounter.call, where self.calls += 1 runs
    assert all(f.location.path == str(DATA) and f.location.logical is None for f in mapped)


@pytest.mark.tf
def test_real_probe_findings_confirm_the_static_findings(
    static: list[Finding], real_probe_run: tuple[list[Finding], list[ProbedFactory], set[str]]
) -> None:
    mapped, probed, enabled = real_probe_run
    result = reconcile(static, mapped, probed)
    verdicts = {(f.code, f.location.line): f.probe_verdict for f in result.findings if f.code.startswith("KC")}
    assert {key: (v.verdict, v.probe) if v else None for key, v in verdicts.items()} == {
        ("KC202", 16): ("confirmed", "KP103"),
        ("KC701", 30): ("confirmed", "KP202") if "KP202" in enabled else None,
        ("KC604", 52): ("confirmed", "KP108"),
        ("KC605", 54): ("confirmed", "KP108"),
        ("KC702", 83): ("confirmed", "KP101"),
    }
    assert result.contradicted == 0
    # one finding per cause: the probe findings that confirmed are not reported again
    assert not {f.code for f in result.findings} & {"KP101", "KP103", "KP108"}


@pytest.mark.tf
def test_probe_factory_command_reports_at_source_lines(run_cli) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("keras")
    result = run_cli("probe", "--factory", "factories.py:stateful_lstm", "--select", "KP101", cwd=DATA.parent)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("factories.py:36:9: KP101 [stateful-layers] stateful LSTM layer 'lstm': ")
    assert "(model built by stateful_lstm())" in result.stdout


@pytest.mark.tf
def test_a_probe_that_measures_nothing_contradicts_for_real() -> None:
    pytest.importorskip("keras")
    from kerascheck.agreement import reconcile_factories
    from kerascheck.probes.determinism import TrainingFlagSensitive
    from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes

    harmless = DATA.parent / "harmless_default.py"
    static = kerascheck.check([harmless], select=["KC"])
    assert [(f.code, f.location.line) for f in static] == [("KC202", 9)]
    label = f"{harmless}:doubled"
    raw = run_probes([ProbeTarget(factory=label)], [TrainingFlagSensitive], ProbeSettings(allow_factory=True))
    assert raw == []  # the layer does not depend on training: model(x) == predict(x)
    result = reconcile_factories(static, raw, [(label, str(harmless), "doubled")], {"KP103"})
    assert (result.confirmed, result.contradicted) == (0, 1)
    (finding,) = result.findings
    assert finding.probe_verdict is not None and finding.probe_verdict.verdict == "contradicted"
    assert finding.probe_verdict.describe() == f"contradicted by probing {label}: KP103 ran on this model and measured nothing of the kind"
