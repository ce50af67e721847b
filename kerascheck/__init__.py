"""kerascheck: find the bugs that make Keras models behave differently from what you believe.

The public API. Everything not listed in ``__all__`` is internal and may change.
"""

from __future__ import annotations

from kerascheck import safe_path as _safe_path

if _safe_path.started_by_python_m():  # before anything else is imported: see safe_path
    _safe_path.drop_working_directory()

from kerascheck.api import check, probe  # noqa: E402
from kerascheck.findings import Applicability, Edit, Finding, Fix, Location, Severity  # noqa: E402
from kerascheck.hookspecs import hookimpl  # noqa: E402
from kerascheck.probes.base import Probe, ProbeContext  # noqa: E402
from kerascheck.report.base import Reporter, RunSummary  # noqa: E402
from kerascheck.rule import Invalid, Rule, Valid  # noqa: E402
from kerascheck.static.context import FileContext, ProjectContext  # noqa: E402
from kerascheck.static.semantic import Binding, ModelObject, SemanticModel, Site, Value  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Applicability",
    "Binding",
    "Edit",
    "FileContext",
    "Finding",
    "Fix",
    "Invalid",
    "Location",
    "ModelObject",
    "Probe",
    "ProbeContext",
    "ProjectContext",
    "Reporter",
    "Rule",
    "RunSummary",
    "SemanticModel",
    "Severity",
    "Site",
    "Valid",
    "Value",
    "__version__",
    "check",
    "hookimpl",
    "probe",
]
