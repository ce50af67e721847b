"""The built-in probe plugin: registers kerascheck's own probes through the public hook."""

from __future__ import annotations

from kerascheck.hookspecs import hookimpl
from kerascheck.probes.base import Probe
from kerascheck.probes.determinism import (
    NondeterministicPredict,
    PredictPathsDisagree,
    TrainingFlagSensitive,
)
from kerascheck.probes.failures import ModelLoadFailed, ProbeFailed
from kerascheck.probes.numerics import (
    BatchDependentOutput,
    HalfPrecisionOutput,
    NonFiniteValues,
)
from kerascheck.probes.persistence import ReloadMismatch, UnsafeArtifact
from kerascheck.probes.serving import ServingMismatch
from kerascheck.probes.state import StatefulLayers
from kerascheck.probes.structure import BatchNormNeverTrained, OutputStructure
from kerascheck.probes.training import BestEpochNotRestored, PythonStateInTraining

#: Every built-in probe class in code order; KP001/KP002 and KP2xx are documentation-only
#: for the runner (``runs_on_models()`` is False for them).
BUILTIN_PROBES: tuple[type[Probe], ...] = (
    ModelLoadFailed,
    ProbeFailed,
    StatefulLayers,
    NondeterministicPredict,
    TrainingFlagSensitive,
    ReloadMismatch,
    UnsafeArtifact,
    BatchNormNeverTrained,
    PredictPathsDisagree,
    OutputStructure,
    NonFiniteValues,
    BatchDependentOutput,
    ServingMismatch,
    HalfPrecisionOutput,
    BestEpochNotRestored,
    PythonStateInTraining,
)


@hookimpl
def kerascheck_register_probes() -> list[type[Probe]]:
    return list(BUILTIN_PROBES)
