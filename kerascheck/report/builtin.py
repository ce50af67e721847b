"""The built-in output formats, registered through the same hook a plugin uses."""

from __future__ import annotations

from collections.abc import Mapping

from kerascheck.hookspecs import hookimpl
from kerascheck.report.base import Reporter
from kerascheck.report.github import GithubReporter
from kerascheck.report.json_format import JsonReporter
from kerascheck.report.sarif import SarifReporter
from kerascheck.report.text import TextReporter


@hookimpl
def kerascheck_register_reporters() -> Mapping[str, type[Reporter]]:
    return {"text": TextReporter, "json": JsonReporter, "sarif": SarifReporter, "github": GithubReporter}
