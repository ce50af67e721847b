"""Codes the runner itself emits: the model could not be loaded, or a probe could not run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from kerascheck.findings import Finding, Severity
from kerascheck.probes.base import Probe, ProbeContext

#: ``Finding.extra`` key of a KP002 finding: the codes of the probes it says did not run, so
#: :func:`kerascheck.agreement.probed_factory` knows what ran without reading the message.
NOT_RUN = "probes"


class _RunnerEmitted(Probe):
    runner_emitted: ClassVar[bool] = True

    def run(self, ctx: ProbeContext) -> Iterable[Finding]:
        return ()  # emitted by the runner, never run as a probe


class ModelLoadFailed(_RunnerEmitted):
    """## What it does
    Reports a model that kerascheck could not load or probe at all: the file is missing, is not a
    valid `.keras` zip / HDF5 file, names a custom object that was not imported, is a weights-only
    file, or the probe subprocess timed out, ran out of memory or crashed. The message names the
    cause (for a crash, the last line the subprocess printed).

    ## Why is this bad?
    A model that cannot be loaded in a clean process cannot be served either: whatever loads it
    in production will fail the same way, usually far from the code that saved it.

    ## Example
    ```python
    @keras.saving.register_keras_serializable()
    class Scale(keras.layers.Layer): ...

    model.save("model.keras")
    # later, in a process that never imported the module defining Scale:
    keras.saving.load_model("model.keras")  # TypeError: Could not locate class 'Scale'
    ```

    ## Use instead
    Import the module that registers the custom objects before loading
    (`kerascheck probe model.keras --custom-objects mypkg.layers`), save in the `.keras`
    format, and keep the probe's `--timeout` above the model's load time.
    """

    code = "KP001"
    name = "model-load-failed"
    summary = "The model cannot be loaded or probed (the message names the cause)"
    severity = Severity.ERROR


class ProbeFailed(_RunnerEmitted):
    """## What it does
    Reports a probe that could not run on a model that did load: the probe raised (for a
    third-party probe, a bug in the plugin), or no inputs could be made for the model (a
    subclassed model without an input signature, a string input). Other probes still run.

    ## Why is this bad?
    Nothing is wrong with the model necessarily, but the check you asked for did not happen,
    and silence would read as "no problem found".

    ## Example
    ```python
    class Net(keras.Model):          # subclassed, never called on keras.Input
        def call(self, x): ...
    ```

    ## Use instead
    Give real inputs with `--sample inputs.npz` (one array per input name), or report the
    probe's error to the plugin that provides it.
    """

    code = "KP002"
    name = "probe-failed"
    summary = "A probe could not run on this model (the message names the cause)"
    severity = Severity.WARNING


def grouped_probe_failures(label: str, failures: Sequence[tuple[str, str]], names: Mapping[str, str]) -> list[Finding]:
    """One KP002 per distinct cause: ``failures`` are ``(probe code, cause)`` pairs.

    Six probes skipped because no inputs could be made are one problem, reported once with the
    probes it stopped (named in the message, and listed in ``extra`` under :data:`NOT_RUN`).
    """
    by_cause: dict[str, list[str]] = {}
    for code, cause in failures:
        by_cause.setdefault(cause, []).append(code)
    findings = []
    for cause, codes in by_cause.items():
        if len(codes) == 1:
            subject = f"{codes[0]} ({names.get(codes[0], 'probe')})"
        else:
            subject = f"{len(codes)} probes ({', '.join(codes)})"
        findings.append(ProbeFailed.finding_on(label, f"{subject} {cause}", extra=((NOT_RUN, tuple(codes)),)))
    return findings
