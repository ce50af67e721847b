"""``kerascheck probe``: the CLI layer over :func:`kerascheck.probes.runner.run_probes`.

Same configuration, selection, reporters and exit codes as ``check``. There are no source lines
to put ``# noqa`` on, so suppression is config-level: ``ignore`` and ``per-file-ignores``
(matched against the model path). Failure findings (KP001, KP002: a model that could not be
loaded or a probe that could not run) are never filtered: a model that was not probed must not
pass.

Nothing the configuration names is executed unless a command-line flag says so: the
``custom-objects`` modules of ``[tool.kerascheck.probe]`` are imported only with
``--trust-config`` (paths resolve against the configuration file's directory).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascheck import config as configuration
from kerascheck.config import Config, check_probe_options
from kerascheck.findings import Finding
from kerascheck.probes.base import Probe
from kerascheck.probes.runner import ProbeSettings, ProbeTarget, run_probes
from kerascheck.records import record

#: ``[tool.kerascheck.probe]`` keys and their types (validated when the config is loaded).
PROBE_CONFIG_KEYS = configuration.PROBE_KEYS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "targets", nargs="+", metavar="TARGET",
        help="saved models (.keras, .h5, SavedModel dir) or, with --factory, file.py:fn / package.module:fn",
    )
    parser.add_argument("--factory", action="store_true", help="allow factory targets (imports and runs your code to build the model)")
    parser.add_argument("--unsafe", action="store_true", help="load with safe_mode=False: runs Lambda layers' Python code (trusted files only)")
    parser.add_argument(
        "--allow-savedmodel", action="store_true", help="probe SavedModel directories: runs their TensorFlow graph (trusted models only)"
    )
    parser.add_argument(
        "--custom-objects", action="append", default=None, metavar="MODULE",
        help="import this module (dotted name or .py path) before loading, so its registered custom objects resolve (repeatable)",
    )
    parser.add_argument(
        "--trust-config", action="store_true", help="import the custom-objects modules named in [tool.kerascheck.probe] (they run code)"
    )
    parser.add_argument("--sample", metavar="FILE", help="inputs to probe with (.npy, or .npz keyed by input name) instead of synthesised ones")
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS",
        help="per-model time limit, including TensorFlow start-up (default 120, more for models over 100 MB)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed for synthesised inputs (default 0)")
    parser.add_argument("--report", metavar="FILE.html", help="also write a self-contained HTML report (findings and per-layer divergence plots)")
    parser.add_argument("-j", "--jobs", type=int, metavar="N", help="models probed at the same time, each in its own process (default 1)")


def _probe_config(config: Config) -> dict[str, Any]:
    values = dict(config.probe)
    check_probe_options(values, str(config.path or "configuration"))
    return values


def _config_relative(config: Config, value: str) -> str:
    """A path from the configuration, taken relative to the configuration file's directory."""
    if config.path is None or Path(value).is_absolute():
        return value
    return str(Path(config.path).resolve().parent / value)


def custom_object_modules(args: argparse.Namespace, config: Config, file_settings: Mapping[str, Any]) -> tuple[str, ...]:
    """``--custom-objects`` modules; the configuration's only with ``--trust-config``."""
    if args.custom_objects:
        return tuple(args.custom_objects)
    configured = [str(entry) for entry in file_settings.get("custom-objects", ())]
    if not configured:
        return ()
    if not args.trust_config:
        sys.stderr.write(
            f"kerascheck: note: not importing probe.custom-objects from {config.path} "
            f"({', '.join(configured)}): importing runs code; pass --trust-config to allow it\n"
        )
        return ()
    from kerascheck.probes.loading import is_module_path

    return tuple(_config_relative(config, e) if is_module_path(e) else e for e in configured)


def _probe_selection(config: Config, probes: Mapping[str, Any]) -> Config:
    """A config ``select`` naming only static rules (``["KC1"]``) must not switch probes off."""
    if config.select is None:
        return config
    if any(configuration.selector_matches(s, p) for s in config.select for p in probes.values()):
        return config
    return config.with_overrides(select=None)


@record
class ProbePlan:
    """Which probes run, with the configuration they run under (shared by ``probe`` and
    ``check --probe``): a ``select`` naming only static rules leaves every probe on."""

    config: Config
    probes: tuple[type[Probe], ...]
    #: ``[tool.kerascheck.probe]`` (validated).
    file_settings: Mapping[str, Any]

    @classmethod
    def of(cls, session: Any) -> ProbePlan:
        config = _probe_selection(session.config, session.registry.probes)
        enabled = tuple(p for p in session.registry.probes.values() if configuration.is_enabled(config, p))
        return cls(config, enabled, _probe_config(config))

    def settings(
        self, *, timeout: float | None, seed: int | None, jobs: int | None, verbose: bool, **flags: Any
    ) -> ProbeSettings:
        """Settings from the command line, falling back on ``[tool.kerascheck.probe]``;
        ``flags`` are the remaining :class:`ProbeSettings` fields (unsafe, allow_factory...)."""
        file_settings = self.file_settings
        return ProbeSettings(
            options={p.code: self.config.options_for(p) for p in self.probes},
            timeout=timeout if timeout is not None else (float(file_settings["timeout"]) if "timeout" in file_settings else None),
            seed=seed if seed is not None else int(file_settings.get("seed", 0)),
            verbose=verbose,
            jobs=max(1, jobs or int(file_settings.get("jobs", 1))),
            **flags,
        )


class ProbeProgress:
    """``kerascheck: probing 2/5: label`` on one self-overwriting stderr line (terminals only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, index: int, total: int, label: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\033[Kkerascheck: probing {index + 1}/{total}: {label}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")


def run(args: argparse.Namespace) -> int:
    from kerascheck import __version__
    from kerascheck.cli_common import EXIT_ERROR, emit_findings, open_session_from_args
    from kerascheck.report.base import RunSummary

    targets = [ProbeTarget.parse(text) for text in args.targets]
    factories = [t.label for t in targets if t.factory is not None]
    if factories and not args.factory:
        sys.stderr.write(
            f"kerascheck: error: {factories[0]} names a factory function; building a model runs your "
            "code, so pass --factory to allow it\n"
        )
        return EXIT_ERROR
    first = next((t.path for t in targets if t.path), None)
    session = open_session_from_args(args, Path(first).parent if first and Path(first).parent.exists() else Path("."))
    plan = ProbePlan.of(session)
    file_settings = plan.file_settings
    settings = plan.settings(
        timeout=args.timeout,
        seed=args.seed,
        jobs=args.jobs,
        verbose=args.verbose,
        unsafe=args.unsafe,
        allow_factory=args.factory,
        allow_savedmodel=args.allow_savedmodel,
        custom_objects=custom_object_modules(args, plan.config, file_settings),
        sample=args.sample or (_config_relative(plan.config, file_settings["sample"]) if "sample" in file_settings else None),
    )
    progress = ProbeProgress(not args.quiet and sys.stderr.isatty() and len(targets) > 1)
    findings = run_probes(targets, plan.probes, settings, on_progress=progress)
    progress.done()
    findings = filter_findings(findings, plan.config, session.registry.probes)
    if args.report:
        from kerascheck.probes import html_report

        try:
            html_report.write(args.report, findings, [t.label for t in targets], __version__)
        except OSError as exc:
            sys.stderr.write(f"kerascheck: error: cannot write {args.report}: {exc.strerror or exc}\n")
            return EXIT_ERROR
    # Factory targets: each finding at the source line that built its layer (issue 17).
    from kerascheck.static.layer_sites import map_target_findings

    findings = map_target_findings(findings, [t.factory for t in targets if t.factory is not None])
    summary = RunSummary(files=len(targets), statistics=args.statistics, tool_version=__version__, kind="probe")
    return emit_findings(args, session, findings, summary)


def filter_findings(findings: Sequence[Finding], config: Config, probes: Mapping[str, Any]) -> list[Finding]:
    """Selection, per-file ignores (by model path) and severity overrides, as for ``check``.

    Failure findings (the runner's own codes, KP001/KP002) are kept whatever the selection.
    """
    from dataclasses import replace

    kept = []
    for finding in findings:
        probe = probes.get(finding.code)
        if probe is not None and probe.runner_emitted:
            kept.append(finding)
            continue
        if probe is not None and not configuration.is_enabled(config, probe, path=finding.location.path):
            continue
        if probe is not None and config.severity:
            finding = replace(finding, severity=configuration.severity_for(config, probe))
        kept.append(finding)
    return sorted(kept, key=Finding.sort_key)
