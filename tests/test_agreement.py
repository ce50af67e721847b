"""Agreement between static findings and probe findings (kerascheck.agreement).

The static findings are real (``kerascheck.check`` on tests/data/probe_map/factories.py). The
probe findings of the first tests are made by the probes' own builder (``Probe.finding_on``), in
the shape the probes give (code, message, ``path::layer`` location, ``extra["layers"]`` and
``extra["cause"]``); the ``tf``-marked tests at the end run the real probe on the same factories.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kerascheck
from kerascheck import causes
from kerascheck.agreement import PAIRS, ProbedFactory, factory_probe_run, probed_factory, reconcile, reconcile_factories
from kerascheck.findings import Finding
from kerascheck.probes.builtin import BUILTIN_PROBES
from kerascheck.probes.failures import ModelLoadFailed, grouped_probe_failures
from kerascheck.static.layer_sites import map_probe_findings, map_target_findings
from kerascheck.static.model_factories import scan_source

DATA = Path(__file__).parent / "data" / "probe_map" / "factories.py"


@pytest.fixture(scope="module")
def static() -> list[Finding]:
    return kerascheck.check([DATA], select=["KC"])


PROBES = {probe.code: probe for probe in BUILTIN_PROBES}


def probe_finding(code: str, message: str, factory: str, layers: tuple[str, ...] = (), cause: str | None = None) -> Finding:
    target = f"{DATA}:{factory}"
    logical = layers[0] if len(layers) == 1 else None
    extra = (("layers", layers),) if len(layers) > 1 else ()
    finding = PROBES[code].finding_on(target, message, layer=logical, extra=extra + (causes.tagged(cause) if cause else ()))
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
    kp108 = probe_finding("KP108", message, "one_unit_softmax", ("dense_1",), causes.ONE_UNIT_SOFTMAX)
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
    names = {code: probe.name for code, probe in PROBES.items()}
    (failed,) = grouped_probe_failures(target, [("KP103", "not run: no inputs"), ("KP107", "not run: no inputs")], names)
    assert failed.message == "2 probes (KP103, KP107) not run: no inputs"
    assert probed_factory(target, str(DATA), "stateful_lstm", {"KP101", "KP103", "KP107"}, [failed]).probes == {"KP101"}
    # what did not run is read from the finding's data, not from its words
    (other,) = grouped_probe_failures(target, [("KP107", "raised ValueError: KP101 is not a layer")], names)
    assert probed_factory(target, str(DATA), "stateful_lstm", {"KP101", "KP107"}, [other]).probes == {"KP101"}
    broken = ModelLoadFailed.finding_on(target, "factory stateful_lstm() raised ValueError")
    assert probed_factory(target, str(DATA), "stateful_lstm", {"KP101"}, [broken]).probes == frozenset()


# == one cause, by name: KC605 and KP108 each cover several (kerascheck.causes) ==================

MISMATCHES = """\
import keras
from keras import layers


def tagger():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="sigmoid")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def logits_twice():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    return model
"""


def test_kc605_names_its_cause_and_the_result_cache_keeps_it() -> None:
    from kerascheck.static import cache_format

    found = kerascheck.check([DATA], select=["KC605"])
    assert [causes.cause_of(f) for f in found] == [causes.ONE_UNIT_SOFTMAX]
    (cached,) = cache_format.loads(cache_format.dumps(found), cache_format.Decoder(()))
    assert causes.cause_of(cached) == causes.ONE_UNIT_SOFTMAX  # a warm check --probe still agrees


def test_kp108_not_a_probability_confirms_only_the_kc605_causes_it_measures(tmp_path: Path) -> None:
    path = tmp_path / "mismatches.py"
    path.write_text(MISMATCHES, encoding="utf-8")
    static = kerascheck.check([path], select=["KC605"])
    assert [(causes.cause_of(f), f.location.line) for f in static] == [
        (causes.CATEGORICAL_LOSS_ON_SIGMOID, 7), (causes.FROM_LOGITS_AFTER_ACTIVATION, 13)
    ]
    factories = scan_source(MISMATCHES, str(path)).factories
    message = "the model is compiled with categorical_crossentropy (from_logits=False) but its output is not a probability"
    raw = [PROBES["KP108"].finding_on(f.target, message, extra=causes.tagged(causes.OUTPUT_NOT_PROBABILITY)) for f in factories]
    result = reconcile_factories(static, raw, factories, {"KP108"})
    # tagger's KP108 merged into its KC605; logits_twice's stays on its def line, beside its KC605
    assert codes(result.findings) == [("KC605", 7, "confirmed"), ("KP108", 11, None), ("KC605", 13, None)]
    assert result.confirmed == 1 and result.contradicted == 0  # from_logits=True after softmax: no probe measures it


def test_a_kp108_finding_of_another_cause_neither_confirms_nor_hides_a_contradiction(static: list[Finding]) -> None:
    message = "predict() returns a dict (keys ['out']) while model(x) returns Tensor"
    other = probe_finding("KP108", message, "one_unit_softmax", cause=causes.PREDICT_RETURNS_DICT)
    result = reconcile(static, [other], [probed("one_unit_softmax", "KP108")])
    assert ("KC605", 54, None) in codes(result.findings)
    # KP108 ran on the model and did not report the one-unit softmax KC604 names (formerly any
    # KP108 finding on the model, of whatever cause, kept this from counting as a contradiction)
    assert ("KC604", 52, "contradicted") in codes(result.findings)


# == the probe side of the join: findings to source lines, what ran ============================


def test_factory_probe_run_places_findings_and_reads_what_ran() -> None:
    text = DATA.read_text(encoding="utf-8")
    factories = [f for f in scan_source(text, str(DATA)).factories if f.qualname in ("stateful_lstm", "counting")]
    lstm, counting = factories
    raw = [
        PROBES["KP101"].finding_on(lstm.target, "stateful LSTM layer 'lstm': differs", layer="lstm"),
        PROBES["KP104"].finding_on("elsewhere.keras", "reload differs"),
        *grouped_probe_failures(counting.target, [("KP101", "not run: no inputs")], {"KP101": "stateful-layers"}),
    ]
    run = factory_probe_run(raw, factories, {"KP101", "KP103"})
    assert [(f.code, f.location.path, f.location.line) for f in run.findings] == [
        ("KP101", str(DATA), 36), ("KP104", "elsewhere.keras", 1), ("KP002", str(DATA), counting.location.line)
    ]
    assert [(p.factory, p.probes) for p in run.probed] == [("stateful_lstm", {"KP101", "KP103"}), ("counting", {"KP103"})]


def test_a_factory_gone_from_its_file_keeps_the_def_line_of_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    path.write_text(MISMATCHES, encoding="utf-8")
    (factory, _) = scan_source(MISMATCHES, str(path)).factories
    path.write_text("# the factories moved away\n", encoding="utf-8")  # changed after the scan
    raw = [PROBES["KP108"].finding_on(factory.target, "Dense 'dense' applies softmax to a single unit", layer="dense")]
    (placed,) = factory_probe_run(raw, [factory], {"KP108"}).findings
    assert placed.location == factory.location


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
    from kerascheck.probes.determinism import TrainingFlagSensitive
    from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes

    harmless = DATA.parent / "harmless_default.py"
    static = kerascheck.check([harmless], select=["KC"])
    assert [(f.code, f.location.line) for f in static] == [("KC202", 9)]
    label = f"{harmless}:doubled"
    raw = run_probes([ProbeTarget(factory=label)], [TrainingFlagSensitive], ProbeSettings(allow_factory=True))
    assert raw == []  # the layer does not depend on training: model(x) == predict(x)
    factories = scan_source(harmless.read_text(encoding="utf-8"), str(harmless)).factories
    assert [f.target for f in factories] == [label]
    result = reconcile_factories(static, raw, factories, {"KP103"})
    assert (result.confirmed, result.contradicted) == (0, 1)
    (finding,) = result.findings
    assert finding.probe_verdict is not None and finding.probe_verdict.verdict == "contradicted"
    assert finding.probe_verdict.describe() == f"contradicted by probing {label}: KP103 ran on this model and measured nothing of the kind"
