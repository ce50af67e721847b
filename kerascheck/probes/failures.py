"""Codes the runner itself emits: the model could not be loaded, or a probe could not run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from kerascheck.findings import Finding, Severity
from kerascheck.probes.base import Probe, ProbeContext


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
