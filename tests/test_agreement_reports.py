"""How reporters show what running the model said about static findings (``probe_verdict``)."""

from __future__ import annotations

import io
import json

from kerascheck.findings import Finding, Location, ProbeVerdict, Severity
from kerascheck.report.base import RunSummary
from kerascheck.report.concise import ConciseReporter
from kerascheck.report.full import FullReporter
from kerascheck.report.json_format import JsonReporter
from kerascheck.report.sarif import SarifReporter
from kerascheck.rules.inference import CallTrainingDefaultTrue
from kerascheck.rules.state import StatefulPredictWithoutReset

CONFIRMED = Finding(
    "KC202", "call-training-default-true", "`Noisy.call` defaults to `training=True`", Severity.WARNING, Location("m.py", 16, 23, 16, 36),
    probe_verdict=ProbeVerdict("confirmed", "KP103", "custom layer 'noisy': model(x) differs from predict(x)", "m.py:build"),
)
CONTRADICTED = Finding(
    "KC702", "stateful-predict-without-reset", "stateful RNN model `model` is predicted repeatedly", Severity.WARNING, Location("m.py", 40, 5),
    probe_verdict=ProbeVerdict("contradicted", "KP101", "ran on this model and measured nothing of the kind", "m.py:build"),
)
PLAIN = Finding("KC702", "stateful-predict-without-reset", "predicted again", Severity.WARNING, Location("m.py", 50, 5))
CHECKS = {"KC202": CallTrainingDefaultTrue, "KC702": StatefulPredictWithoutReset}


def render(reporter: type, findings: list[Finding], **summary: object) -> str:
    stream = io.StringIO()
    reporter(stream, checks=CHECKS).report(findings, RunSummary(files=1, **summary))  # type: ignore[arg-type]
    return stream.getvalue()


def test_concise_marks_confirmed_findings_and_shows_details_with_verbose() -> None:
    quiet = render(ConciseReporter, [CONFIRMED, CONTRADICTED, PLAIN])
    line = "m.py:16:23: KC202 [call-training-default-true] `Noisy.call` defaults to `training=True` (confirmed by running the model: KP103)\n"
    assert line in quiet
    assert "contradicted" not in quiet  # only with -v
    verbose = render(ConciseReporter, [CONFIRMED, CONTRADICTED, PLAIN], verbose=True)
    assert "    confirmed by running the model m.py:build (KP103: custom layer 'noisy': model(x) differs from predict(x))\n" in verbose
    assert "    contradicted by probing m.py:build: KP101 ran on this model and measured nothing of the kind\n" in verbose


def test_full_reporter_marks_confirmed_findings() -> None:
    assert "(confirmed by running the model: KP103)" in render(FullReporter, [CONFIRMED])


def test_statistics_count_confirmed_and_contradicted() -> None:
    text = render(ConciseReporter, [CONFIRMED, CONTRADICTED, PLAIN], statistics=True)
    assert "1 static finding confirmed, 1 contradicted by probing\n" in text
    assert "0 static findings confirmed, 0 contradicted by probing" in render(ConciseReporter, [PLAIN], statistics=True, probed=True)
    assert "by probing" not in render(ConciseReporter, [PLAIN], statistics=True)  # no probing, no line


def test_json_and_sarif_carry_the_verdict() -> None:
    data = json.loads(render(JsonReporter, [CONFIRMED, PLAIN]))
    assert data[0]["probe_verdict"] == {"verdict": "confirmed", "probe": "KP103", "detail": CONFIRMED.probe_verdict.detail, "target": "m.py:build"}  # type: ignore[union-attr]
    assert "probe_verdict" not in data[1]
    sarif = json.loads(render(SarifReporter, [CONFIRMED, CONTRADICTED, PLAIN], tool_version="0"))
    results = sarif["runs"][0]["results"]
    assert results[0]["properties"]["probeVerdict"]["verdict"] == "confirmed"
    assert "confirmed by running the model" in results[0]["message"]["text"]
    assert results[1]["properties"]["probeVerdict"]["verdict"] == "contradicted"
    assert "properties" not in results[2]


def test_the_verdict_survives_the_result_cache_and_old_entries_still_decode() -> None:
    from kerascheck.static import cache_format

    decoder = cache_format.Decoder(())
    assert cache_format.loads(cache_format.dumps([CONFIRMED]), decoder)[0].probe_verdict == CONFIRMED.probe_verdict
    old = cache_format.dumps([PLAIN]).replace(b',["probe_verdict",null]', b"")
    assert b"probe_verdict" not in old
    assert cache_format.loads(old, decoder) == [PLAIN]
