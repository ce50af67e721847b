"""kerascheck: find the bugs that make Keras models behave differently from what you believe.

The public API. Everything not listed in ``__all__`` is internal and may change.
"""

from __future__ import annotations

from kerascheck.api import check, probe
from kerascheck.findings import Applicability, Edit, Finding, Fix, Location, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.probes.base import Probe
from kerascheck.report.base import Reporter, RunSummary
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.programs import ImportStatement, ModuleImports, Program, ProgramModel

__version__ = "0.1.0"

__all__ = [
    "Applicability",
    "Edit",
    "FileContext",
    "Finding",
    "Fix",
    "ImportStatement",
    "Invalid",
    "Location",
    "ModuleImports",
    "Probe",
    "Program",
    "ProgramModel",
    "ProjectContext",
    "Reporter",
    "Rule",
    "RunSummary",
    "Severity",
    "Valid",
    "__version__",
    "check",
    "hookimpl",
    "probe",
]
