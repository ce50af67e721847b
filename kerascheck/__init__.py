"""kerascheck: find the bugs that make Keras models behave differently from what you believe.

The public API. Everything not listed in ``__all__`` is internal and may change.

The names are imported on first use (PEP 562): ``import kerascheck`` alone must stay cheap,
because a fully cached ``kerascheck check`` answers without ever importing libcst or a rule
module (:mod:`kerascheck.static.cache_run`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kerascheck import safe_path as _safe_path

if _safe_path.started_by_python_m():  # before anything else is imported: see safe_path
    _safe_path.drop_working_directory()

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "check": "kerascheck.python_api",
    "probe": "kerascheck.python_api",
    "Applicability": "kerascheck.findings",
    "Edit": "kerascheck.findings",
    "Finding": "kerascheck.findings",
    "Fix": "kerascheck.findings",
    "Location": "kerascheck.findings",
    "Severity": "kerascheck.findings",
    "hookimpl": "kerascheck.hookspecs",
    "Probe": "kerascheck.probes.base",
    "ProbeContext": "kerascheck.probes.base",
    "Reporter": "kerascheck.report.base",
    "RunSummary": "kerascheck.report.base",
    "Invalid": "kerascheck.rule",
    "Rule": "kerascheck.rule",
    "Valid": "kerascheck.rule",
    "FileContext": "kerascheck.static.context",
    "ProjectContext": "kerascheck.static.context",
    "ImportStatement": "kerascheck.static.programs",
    "ModuleImports": "kerascheck.static.programs",
    "Program": "kerascheck.static.programs",
    "ProgramModel": "kerascheck.static.programs",
    "Binding": "kerascheck.static.semantic",
    "ModelObject": "kerascheck.static.semantic",
    "SemanticModel": "kerascheck.static.semantic",
    "Site": "kerascheck.static.semantic",
    "Value": "kerascheck.static.semantic",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kerascheck' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups do not come here again
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from kerascheck.findings import Applicability, Edit, Finding, Fix, Location, Severity
    from kerascheck.hookspecs import hookimpl
    from kerascheck.probes.base import Probe, ProbeContext
    from kerascheck.python_api import check, probe
    from kerascheck.report.base import Reporter, RunSummary
    from kerascheck.rule import Invalid, Rule, Valid
    from kerascheck.static.context import FileContext, ProjectContext
    from kerascheck.static.programs import ImportStatement, ModuleImports, Program, ProgramModel
    from kerascheck.static.semantic import Binding, ModelObject, SemanticModel, Site, Value

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
