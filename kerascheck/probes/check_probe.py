"""``kerascheck check --probe``: build the models the checked code builds, probe them, and
report what the probes measured at the source lines, next to the static findings.

Opt-in only: probing a factory imports its module and calls it, which runs the project's code
(in the probe subprocess, as ``kerascheck probe --factory file.py:fn`` does). The factories are
found statically (:mod:`kerascheck.static.model_factories`); each is probed with exactly the
machinery of ``kerascheck probe --factory``: the same probes, selection, timeouts, safe-mode
reloads and reporters. A probe finding that names a layer is reported where the layer was
constructed when that place can be found (:mod:`kerascheck.static.layer_sites`); every other
one (a factory that raises: KP001) on the factory's ``def`` line
(:func:`kerascheck.agreement.factory_probe_run`). A static finding and a probe
finding of the same cause at the same place become one "confirmed" finding
(:mod:`kerascheck.agreement`).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kerascheck.findings import Finding, findings_by_path

if TYPE_CHECKING:  # imported when probing: building check's parser must stay cheap
    from kerascheck.static import suppress
    from kerascheck.static.model_factories import FactoryScan

#: What ``--probe`` needs in the interpreter the probe subprocess runs.
REQUIRED_MODULES = ("tensorflow", "keras")
PROBE_HELP = (
    "also IMPORT AND RUN the checked code: find the functions that build a Keras model (model "
    "factories callable without arguments), call each in a subprocess and probe the model it "
    "returns, reporting at the lines that built it (needs the 'probe' extra; only for code you trust)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``check``'s options for probing (all inert without ``--probe``)."""
    parser.add_argument("--probe", action="store_true", help=PROBE_HELP)
    parser.add_argument(
        "--probe-timeout", type=float, metavar="SECONDS",
        help="with --probe: time limit per factory, TensorFlow start-up included (default: [tool.kerascheck.probe] timeout, else 120)",
    )
    parser.add_argument(
        "--probe-jobs", type=int, metavar="N", help="with --probe: factories probed at the same time, each in its own process (default 1)"
    )


def missing_requirements() -> str | None:
    """Why ``--probe`` cannot run in this interpreter (TensorFlow or Keras not installed), or None.

    ``find_spec`` looks the packages up without importing them: the static run stays TF-free.
    """
    missing = []
    for name in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if not missing:
        return None
    return (
        f"--probe builds and probes models, which needs {' and '.join(missing)}, not installed for "
        f"{sys.executable}: install the 'probe' extra (pip install 'kerascheck[probe]'), or run "
        "'kerascheck check' without --probe"
    )


def scan_files(paths: Sequence[str]) -> list[FactoryScan]:
    """The model factories of the checked Python files (notebooks cannot be imported)."""
    from kerascheck.static.model_factories import scan_source

    scans = []
    for path in paths:
        if not path.endswith(".py"):
            continue
        try:
            source = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # ``check`` has reported the unreadable file already
        scans.append(scan_source(source, path))
    return scans


def probe_factories(args: argparse.Namespace, session: Any, static_findings: Sequence[Finding], results: Sequence[Any]) -> list[Finding]:
    """The static findings merged with what probing every factory of the checked files found
    (``results``: the engine's per-file results).

    Probe findings are moved to the source, filtered like static ones (selection, per-file
    ignores, ``# noqa: KPnnn`` on the reported line), then reconciled with the static findings
    (:func:`kerascheck.agreement.reconcile_factories`): a static finding a probe confirmed
    carries that verdict and absorbs the probe finding; one a completed probe contradicted
    carries that verdict too (``-v``, ``--statistics``).
    """
    from kerascheck.agreement import reconcile_factories
    from kerascheck.probes.command import ProbePlan, ProbeProgress, filter_findings
    from kerascheck.probes.runner import ProbeTarget, run_probes

    scans = scan_files([r.path for r in results])
    if not args.quiet:
        _notes(scans)
    factories = {f.target: f for scan in scans for f in scan.factories}
    if not factories:
        return list(static_findings)
    plan = ProbePlan.of(session)
    settings = plan.settings(
        timeout=args.probe_timeout, seed=None, jobs=args.probe_jobs, verbose=args.verbose, allow_factory=True
    )
    targets = [ProbeTarget(factory=name) for name in factories]
    progress = ProbeProgress(not args.quiet and sys.stderr.isatty())
    found = run_probes(targets, plan.probes, settings, on_progress=progress)
    progress.done()
    ran = [p.code for p in plan.probes if p.runs_on_models()]
    suppressions = {r.path: r.suppressions for r in results}

    def kept(placed: list[Finding]) -> list[Finding]:
        return _unsuppressed(filter_findings(placed, plan.config, session.registry.probes), suppressions)

    return list(reconcile_factories(static_findings, found, factories.values(), ran, keep=kept).findings)


def _notes(scans: Sequence[FactoryScan]) -> None:
    """Say on stderr what is not probed and why (the run goes on)."""
    for scan in scans:
        if scan.file_skipped:
            sys.stderr.write(f"kerascheck: note: {scan.path}: its factories are not probed: {scan.file_skipped}\n")
        for skipped in scan.skipped:
            sys.stderr.write(
                f"kerascheck: note: {skipped.path}:{skipped.location.line}: {skipped.qualname}() is not probed: {skipped.reason}\n"
            )


def _unsuppressed(findings: Sequence[Finding], suppressions: Mapping[str, suppress.SuppressionMap]) -> list[Finding]:
    """Drop findings a ``# noqa``/``# kerascheck: ignore[...]`` comment covers."""
    from kerascheck.static import suppress

    kept: list[Finding] = []
    for path, mine in findings_by_path(findings).items():
        known = suppressions.get(path)
        if known is None:
            kept.extend(mine)
            continue
        kept.extend(suppress.apply(mine, known, known_prefixes=(), enabled_codes=lambda code: False, make_unused=None))
    return sorted(kept, key=Finding.sort_key)
