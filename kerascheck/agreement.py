"""Agreement between the static and the dynamic half: one finding when both see one cause.

:func:`reconcile` takes the static findings of a run and the probe findings of the factories
it probed (already moved to source lines by :func:`kerascheck.static.layer_sites.map_probe_findings`)
and returns one list:

* **confirmed**: a static finding and a probe finding of a known pair describe the same cause
  at the same place: the static finding is kept (its line is where the fix goes) with
  ``probe_verdict`` saying running the model confirmed it, and the probe finding is dropped;
* **contradicted**: the probe that can measure a static finding's cause ran to completion on
  the model that holds it and measured nothing: the static finding is kept, with a
  ``probe_verdict`` recording the contradiction (shown with ``-v``, counted by ``--statistics``);
* everything else passes through unchanged.

"Same place" (see docs/probe-mapping.md):

* *layer pairs* (KC202/KC203/KC701 with KP103/KP102/KP202, KC604 with KP108): the static
  finding overlaps a source span of the probed layer: its constructor call, or the
  user-defined layer class it is an instance of;
* *model pairs* (KC702/KC703 with KP101, KC605 with KP108): the static finding is on a use of
  the model (``predict``/``fit``/``compile``) that the probed factory built, or inside the
  factory.

"Same cause": where a code covers several causes (KC605, KP108), a pair names the causes it is
about and the findings say theirs in ``extra["cause"]`` (:mod:`kerascheck.causes`).

:func:`reconcile_factories` is the whole join for a run that probed model factories (``check
--probe``): :func:`factory_probe_run` moves the probe findings to source lines and works out
what really ran, then :func:`reconcile` merges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from kerascheck import causes
from kerascheck.findings import Finding, Location, ProbeVerdict, findings_by_path
from kerascheck.probes.failures import NOT_RUN, ModelLoadFailed, ProbeFailed
from kerascheck.records import record
from kerascheck.static import layer_sites
from kerascheck.static.layer_sites import FactorySites
from kerascheck.static.model_factories import ModelFactory


@record
class Pair:
    """One cause that static codes report and probe codes measure."""

    static: frozenset[str]
    probes: frozenset[str]
    #: "layer": same layer site; "model": same model (the factory's).
    place: str
    #: The probe can show the cause absent (its silence contradicts the static finding).
    refutable: frozenset[str] = frozenset()
    #: For codes that cover several causes: the ``extra["cause"]`` of the static and of the
    #: probe findings this pair is about (:mod:`kerascheck.causes`); empty: every finding.
    static_causes: frozenset[str] = frozenset()
    probe_causes: frozenset[str] = frozenset()

    def covers_static(self, finding: Finding) -> bool:
        return finding.code in self.static and (not self.static_causes or causes.cause_of(finding) in self.static_causes)

    def covers_probe(self, finding: Finding) -> bool:
        return finding.code in self.probes and (not self.probe_causes or causes.cause_of(finding) in self.probe_causes)


#: The pairs of issue 17, checked against the catalogue (docs/probe-mapping.md explains each).
#: KC203 (a literal ``training=`` forced inside ``call``) is also confirmed by KP102: forcing
#: ``training=True`` on dropout makes ``predict`` itself random, and KP103 stays silent then.
#: KP108 measures two of KC605's causes: a one-unit softmax (on the layer) and an output that
#: is not a probability. Only causes a probe always measures are refutable: KP103 cannot see a
#: forced ``training=False`` (KC203), KP108 cannot see ``from_logits=True`` after softmax
#: (KC605), and KP202 runs only in the training callback.
PAIRS: tuple[Pair, ...] = (
    Pair(frozenset({"KC202", "KC203"}), frozenset({"KP103", "KP102"}), "layer", frozenset({"KC202"})),
    Pair(frozenset({"KC701"}), frozenset({"KP202"}), "layer"),
    Pair(frozenset({"KC604"}), frozenset({"KP108"}), "layer", frozenset({"KC604"}), probe_causes=frozenset({causes.ONE_UNIT_SOFTMAX})),
    Pair(frozenset({"KC702", "KC703"}), frozenset({"KP101"}), "model", frozenset({"KC702", "KC703"})),
    Pair(
        frozenset({"KC605"}), frozenset({"KP108"}), "model",
        static_causes=frozenset({causes.ONE_UNIT_SOFTMAX}), probe_causes=frozenset({causes.ONE_UNIT_SOFTMAX}),
    ),
    Pair(
        frozenset({"KC605"}), frozenset({"KP108"}), "model",
        static_causes=frozenset({causes.CATEGORICAL_LOSS_ONE_UNIT, causes.CATEGORICAL_LOSS_ON_SIGMOID, causes.BINARY_LOSS_ON_SOFTMAX}),
        probe_causes=frozenset({causes.OUTPUT_NOT_PROBABILITY}),
    ),
)


@record
class ProbedFactory:
    """One factory the run probed: its source file, its qualname and the probe codes that ran
    to completion on its model (not failed, not deselected)."""

    path: str
    factory: str
    probes: frozenset[str]
    #: How probe findings name it (``Location.path`` before mapping: ``file.py:build``).
    target: str = ""


def probed_factory(target: str, path: str, factory: str, enabled: Iterable[str], findings: Iterable[Finding]) -> ProbedFactory:
    """What really ran on one factory target: every enabled probe, minus those a KP002 names
    (could not run); none when the model was not built or the run did not finish (KP001:
    load failure, timeout, crash), so silence is never read as a contradiction."""
    codes = set(enabled)
    for finding in findings:
        if finding.location.path != target and dict(finding.extra).get("factory") != target:
            continue
        if finding.code == ModelLoadFailed.code:
            return ProbedFactory(path, factory, frozenset(), target)
        if finding.code == ProbeFailed.code:
            codes -= set(dict(finding.extra).get(NOT_RUN, ()))
    return ProbedFactory(path, factory, frozenset(codes), target)


@record
class Agreement:
    """The merged findings of one run and how the halves agreed."""

    findings: tuple[Finding, ...]
    #: Static findings confirmed by a probe finding (each merged into one finding).
    confirmed: int
    #: Static findings whose cause a probe that ran did not measure.
    contradicted: int
    #: Probe findings merged into a static finding (dropped from ``findings``).
    merged_probe_findings: int


@record
class FactoryProbeRun:
    """What probing model factories found, moved to source lines, and what ran on each."""

    findings: tuple[Finding, ...]
    probed: tuple[ProbedFactory, ...]


def factory_probe_run(raw_probe_findings: Iterable[Finding], factories: Iterable[ModelFactory], enabled: Iterable[str],
                      sources: Mapping[str, str] | None = None) -> FactoryProbeRun:
    """The probe side of the join: ``raw_probe_findings`` as the runner returns them (located at
    ``file.py:fn`` or ``file.py:fn::layer``), moved to the source lines of the ``factories``
    that were probed (:func:`kerascheck.static.layer_sites.map_probe_findings`; ``sources``:
    the text each file had when it was probed, else it is read), and what really ran on each
    (:func:`probed_factory`; ``enabled``: the codes of the probes that run on models).

    A finding of a factory whose ``def`` can no longer be found (the file changed since it was
    scanned) goes to the ``def`` line the scan saw; findings of other targets are unchanged.
    """
    raw = list(raw_probe_findings)
    codes = set(enabled)
    by_target = {factory.target: factory for factory in factories}
    placed: list[Finding] = []
    for target, mine in findings_by_path(raw).items():
        factory = by_target.get(target)
        if factory is None:
            placed.extend(mine)
            continue
        mapped = layer_sites.map_probe_findings(mine, factory.path, factory.qualname, (sources or {}).get(factory.path))
        placed.extend(f if f.location.path != target else dataclasses.replace(f, location=factory.location) for f in mapped)
    probed = (probed_factory(target, f.path, f.qualname, codes, raw) for target, f in by_target.items())
    return FactoryProbeRun(tuple(placed), tuple(probed))


def reconcile_factories(static_findings: Iterable[Finding], raw_probe_findings: Iterable[Finding], factories: Iterable[ModelFactory],
                        enabled: Iterable[str], keep: Callable[[list[Finding]], list[Finding]] | None = None) -> Agreement:
    """The whole join for a run that probed model factories: :func:`factory_probe_run`, then
    :func:`reconcile` with ``static_findings``. ``keep`` filters the source-mapped probe
    findings first, as the static ones were (selection, ``# noqa`` on the reported line)."""
    run = factory_probe_run(raw_probe_findings, factories, enabled)
    findings = list(run.findings) if keep is None else keep(list(run.findings))
    return reconcile(static_findings, findings, run.probed)


def reconcile(static_findings: Iterable[Finding], probe_findings: Iterable[Finding], probed: Sequence[ProbedFactory] = ()) -> Agreement:
    """Merge static and (source-mapped) probe findings; see the module docstring.

    ``probed`` lists the factories that were probed (a clean probe leaves no finding to tell),
    needed to count contradictions; without it nothing is called contradicted.
    """
    statics = list(static_findings)
    probes = list(probe_findings)
    places = _Places(probed)
    used: set[int] = set()
    result: list[Finding] = []
    confirmed = contradicted = 0
    for finding in statics:
        match = next((p for p in probes if _confirms(finding, p, places)), None)
        if match is not None:
            used.add(id(match))
            target = str(dict(match.extra).get("factory", ""))
            verdict = ProbeVerdict("confirmed", match.code, match.message, target)
            result.append(dataclasses.replace(finding, probe_verdict=verdict))
            confirmed += 1
            continue
        refuting = _refuting_run(finding, probes, places)
        if refuting is not None:
            factory, codes = refuting
            verdict = ProbeVerdict("contradicted", "/".join(sorted(codes)),
                                   "ran on this model and measured nothing of the kind", factory.target or f"{factory.path}:{factory.factory}")
            result.append(dataclasses.replace(finding, probe_verdict=verdict))
            contradicted += 1
            continue
        result.append(finding)
    # A probe finding that confirmed several static findings (one stateful model predicted in
    # two places) is dropped once; every other probe finding stays.
    result.extend(p for p in probes if id(p) not in used)
    result.sort(key=Finding.sort_key)
    return Agreement(tuple(result), confirmed, contradicted, len(used))


class _Places:
    """Factory sites and model uses, computed once per file and factory."""

    def __init__(self, probed: Sequence[ProbedFactory]) -> None:
        self.probed = list(probed)
        self._sites: dict[tuple[str, str], FactorySites | None] = {}

    def sites(self, path: str, factory: str) -> FactorySites | None:
        key = (path, factory)
        if key not in self._sites:
            self._sites[key] = layer_sites.factory_sites(path, factory)
        return self._sites[key]

    def factory_of(self, probe: Finding) -> tuple[str, str] | None:
        """(source path, qualname) of the factory a mapped probe finding came from."""
        target = dict(probe.extra).get("factory")
        if not isinstance(target, str):
            return None
        for known in self.probed:
            if known.target == target:
                return known.path, known.factory
        resolved = layer_sites.factory_source(target)
        if resolved is None:
            return None
        return str(resolved[0]), resolved[1]

    def uses_model_of(self, finding: Finding, path: str, factory: str) -> bool:
        """The static finding is on a use of the model ``factory`` builds, or inside it."""
        loc = finding.location
        if not _same_file(loc.path, path) or loc.cell is not None:
            return False
        sites = self.sites(path, factory)
        if sites is not None and _overlaps(loc, sites.body):
            return True
        return factory in layer_sites.factories_using(path, loc.line, loc.column)


def _confirms(static: Finding, probe: Finding, places: _Places) -> bool:
    if static.probe_verdict is not None:
        return False
    return any(pair.covers_static(static) and pair.covers_probe(probe) and _same_place(pair, static, probe, places) for pair in PAIRS)


def _same_place(pair: Pair, static: Finding, probe: Finding, places: _Places) -> bool:
    if pair.place == "layer":
        return _on_probed_layer(static, probe, places)
    factory = places.factory_of(probe)
    return factory is not None and places.uses_model_of(static, *factory)


def _on_probed_layer(static: Finding, probe: Finding, places: _Places) -> bool:
    """The static finding overlaps a constructor call or class of a layer the probe named."""
    factory = places.factory_of(probe)
    if factory is None or not _same_file(static.location.path, factory[0]):
        return False
    sites = places.sites(*factory)
    if sites is None:
        return False
    layers = dict(probe.extra).get("layers") or ()
    for layer in layers:
        site = sites.site_of(str(layer))
        if site is not None and any(_overlaps(static.location, anchor) for anchor in site.anchors()):
            return True
    return False


def _refuting_run(static: Finding, probes: list[Finding], places: _Places) -> tuple[ProbedFactory, frozenset[str]] | None:
    """A probed factory holding the static finding's cause on which a probe able to measure
    it ran and reported nothing of that code."""
    for pair in PAIRS:
        if static.code not in pair.refutable or not pair.covers_static(static):
            continue
        for factory in places.probed:
            ran = pair.probes & factory.probes
            if not ran or not _holds_cause(static, factory, pair, places):
                continue
            reported = any(pair.covers_probe(p) and dict(p.extra).get("factory") == factory.target for p in probes)
            if not reported:
                return factory, ran
    return None


def _holds_cause(static: Finding, factory: ProbedFactory, pair: Pair, places: _Places) -> bool:
    if pair.place == "model":
        return places.uses_model_of(static, factory.path, factory.factory)
    if not _same_file(static.location.path, factory.path):
        return False
    sites = places.sites(factory.path, factory.factory)
    return sites is not None and any(_overlaps(static.location, anchor) for site in sites.sites for anchor in site.anchors())


def _same_file(left: str, right: str) -> bool:
    if left == right:
        return True
    try:
        return Path(left).resolve() == Path(right).resolve()
    except OSError:
        return False


def _overlaps(location: Location, anchor: Location) -> bool:
    """Two source spans share a position (line and column)."""
    start = (location.line, location.column)
    end = (location.end_line or location.line, location.end_column or location.column)
    anchor_start = (anchor.line, anchor.column)
    anchor_end = (anchor.end_line or anchor.line, anchor.end_column or anchor.column)
    return start <= anchor_end and anchor_start <= end
