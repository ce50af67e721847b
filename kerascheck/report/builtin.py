"""The built-in output formats, registered through the same hook a plugin uses.

Each is imported when a run asks for it (a :class:`~kerascheck.class_table.ClassTable` of
``"module:Class"`` entries), so a run does not import the modules of the formats it does not use.
"""

from __future__ import annotations

from collections.abc import Mapping

from kerascheck.class_table import ClassTable
from kerascheck.hookspecs import hookimpl
from kerascheck.report.base import Reporter

_CONCISE = "kerascheck.report.concise:ConciseReporter"


@hookimpl
def kerascheck_register_reporters() -> Mapping[str, type[Reporter]]:
    return ClassTable(
        {
            "concise": _CONCISE,
            "text": _CONCISE,  # the original name of the concise format
            "full": "kerascheck.report.full:FullReporter",
            "grouped": "kerascheck.report.grouped:GroupedReporter",
            "json": "kerascheck.report.json_format:JsonReporter",
            "sarif": "kerascheck.report.sarif:SarifReporter",
            "github": "kerascheck.report.github:GithubReporter",
            "gitlab": "kerascheck.report.gitlab:GitlabReporter",
            "junit": "kerascheck.report.junit:JunitReporter",
        }
    )
