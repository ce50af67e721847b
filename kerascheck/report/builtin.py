"""The built-in output formats, registered through the same hook a plugin uses."""

from __future__ import annotations

from collections.abc import Mapping

from kerascheck.hookspecs import hookimpl
from kerascheck.report.base import Reporter
from kerascheck.report.concise import ConciseReporter
from kerascheck.report.full import FullReporter
from kerascheck.report.github import GithubReporter
from kerascheck.report.gitlab import GitlabReporter
from kerascheck.report.grouped import GroupedReporter
from kerascheck.report.json_format import JsonReporter
from kerascheck.report.junit import JunitReporter
from kerascheck.report.sarif import SarifReporter


@hookimpl
def kerascheck_register_reporters() -> Mapping[str, type[Reporter]]:
    return {
        "concise": ConciseReporter,
        "text": ConciseReporter,  # the original name of the concise format
        "full": FullReporter,
        "grouped": GroupedReporter,
        "json": JsonReporter,
        "sarif": SarifReporter,
        "github": GithubReporter,
        "gitlab": GitlabReporter,
        "junit": JunitReporter,
    }
