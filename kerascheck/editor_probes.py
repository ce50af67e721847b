"""Probe results as editor diagnostics: the language server's opt-in ``probe`` mode.

With ``initializationOptions: {"probe": true}`` (off by default: probing imports the file and
calls its model factories, so it runs the project's code), the server probes the model
factories of a saved Python file in the background, exactly as ``kerascheck check --probe``
does, and adds what the probes measured to that file's diagnostics, on the lines that built the
layers, merged with the static findings they confirm (:mod:`kerascheck.agreement`).

Results are kept per file for the text that was probed: while the editor's text differs from
it (unsaved edits) only the static diagnostics are shown, and the next save probes again.
Nothing here imports TensorFlow: the probes run in the probe subprocess.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascheck.agreement import ProbedFactory, factory_probe_run, reconcile
from kerascheck.findings import Finding
from kerascheck.records import record

logger = logging.getLogger(__name__)
#: The initialization option that turns probing on.
OPTION = "probe"


@record
class FileProbe:
    """What probing one file's factories found, for the exact text that was probed."""

    text: str
    findings: tuple[Finding, ...]
    probed: tuple[ProbedFactory, ...]


def probe_file(path: str, text: str, session: Any) -> FileProbe:
    """Probe every model factory of ``path`` (whose saved content is ``text``) with the
    session's probe selection; findings at source lines. Blocking: TensorFlow starts in each
    probe subprocess."""
    from kerascheck.probes.command import ProbePlan
    from kerascheck.probes.runner import ProbeTarget, run_probes
    from kerascheck.static.model_factories import scan_source

    factories = scan_source(text, path).factories
    if not factories:
        return FileProbe(text, (), ())
    plan = ProbePlan.of(session)
    settings = plan.settings(timeout=None, seed=None, jobs=None, verbose=False, allow_factory=True)
    raw = run_probes([ProbeTarget(factory=f.target) for f in factories], plan.probes, settings)
    # The same join as ``check --probe`` (kerascheck.agreement), on the text that was probed.
    ran = [p.code for p in plan.probes if p.runs_on_models()]
    run = factory_probe_run(raw, factories, ran, {f.path: text for f in factories})
    # Only this document's diagnostics: a (plugin) probe finding located elsewhere is not shown here.
    return FileProbe(text, tuple(f for f in run.findings if f.location.path == path), run.probed)


def merged(static: Sequence[Finding], probe: FileProbe) -> list[Finding]:
    """The file's diagnostics: static findings (confirmed ones say so in their message) and the
    probe findings no static finding explains."""
    result = reconcile(static, probe.findings, probe.probed)
    shown = []
    for finding in result.findings:
        verdict = finding.probe_verdict
        if verdict is not None and verdict.confirmed:
            finding = dataclasses.replace(finding, message=f"{finding.message} ({verdict.describe()})")
        shown.append(finding)
    return shown


class EditorProbes:
    """The server's probe mode: off until the client opts in, one background probe per file."""

    def __init__(self, probe: Callable[[str, str, Any], FileProbe] = probe_file) -> None:
        self.enabled = False
        self._probe = probe
        self._results: dict[str, FileProbe] = {}
        self._running: dict[str, str] = {}

    def configure(self, options: object) -> None:
        """Read the client's ``initializationOptions`` (``{"probe": true}`` opts in)."""
        self.enabled = isinstance(options, Mapping) and options.get(OPTION) is True

    def diagnostics(self, path: str, text: str, static: Sequence[Finding], session: Any, again: Callable[[], None]) -> list[Finding]:
        """``static`` plus the probe results for ``text`` when they exist; when the file on
        disk is ``text`` (saved) and was not probed yet, starts probing it and calls ``again``
        (re-lint the document) when the results are in."""
        if not self.enabled or session is None or not path.endswith(".py"):
            return list(static)
        known = self._results.get(path)
        if known is not None and known.text == text:
            return merged(static, known)
        if self._running.get(path) != text and _saved_text(path) == text:
            self._running[path] = text
            asyncio.get_running_loop().create_task(self._run(path, text, session, again))
        return list(static)

    async def _run(self, path: str, text: str, session: Any, again: Callable[[], None]) -> None:
        try:
            self._results[path] = await asyncio.to_thread(self._probe, path, text, session)
        except Exception:  # a probe bug must not kill the editor session; static diagnostics stay
            logger.exception("kerascheck: probing the factories of %s failed", path)
            return
        finally:
            if self._running.get(path) == text:
                del self._running[path]
        again()


def _saved_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
