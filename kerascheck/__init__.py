"""kerascheck: find the bugs that make Keras models behave differently from what you believe.

The public API. Everything not listed in ``__all__`` is internal and may change.
"""

from __future__ import annotations

from kerascheck import safe_path as _safe_path

if _safe_path.started_by_python_m():  # before anything else is imported: see safe_path
    _safe_path.drop_working_directory()

from kerascheck.findings import Applicability, Edit, Finding, Fix, Location, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.probes.base import Probe, ProbeContext
from kerascheck.python_api import check, probe
from kerascheck.report.base import Reporter, RunSummary
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.programs import ImportStatement, ModuleImports, Program, ProgramModel
from kerascheck.static.semantic import Binding, ModelObject, SemanticModel, Site, Value

__version__ = "0.1.0"

__all__ = [
    "Applicability",
    "Binding",
    "Edit",
    "FileContext",
    "Finding",
    "Fix",
    "ImportStatement",
    "Invalid",
    "Location",
    "ModelObject",
    "ModuleImports",
    "Probe",
    "ProbeContext",
    "Program",
    "ProgramModel",
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
