"""JUnit XML for CI test-report views: one ``<testsuite>`` per file, one failing
``<testcase>`` per finding; a run without findings is one passing test case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby

from kerascheck.findings import Finding
from kerascheck.report.base import Reporter, RunSummary


class JunitReporter(Reporter):
    def report(self, findings: Sequence[Finding], summary: RunSummary) -> None:
        total = max(len(findings), 1)
        root = ET.Element("testsuites", name="kerascheck", tests=str(total), failures=str(len(findings)), errors="0")
        if not findings:
            suite = ET.SubElement(root, "testsuite", name="kerascheck", tests="1", failures="0", errors="0", skipped="0")
            ET.SubElement(suite, "testcase", name="kerascheck", classname="kerascheck")
        ordered = sorted(findings, key=Finding.sort_key)
        for path, group in groupby(ordered, key=lambda f: f.location.path):
            items = list(group)
            suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(items)), failures=str(len(items)), errors="0", skipped="0")
            for finding in items:
                loc = finding.location
                case = ET.SubElement(
                    suite,
                    "testcase",
                    name=f"{finding.code} [{finding.name}] {loc.display()}",
                    classname=path,
                    file=path,
                    line=str(loc.line),
                )
                failure = ET.SubElement(case, "failure", message=finding.message, type=finding.code)
                failure.text = f"{loc.display()}: {finding.code} [{finding.name}] {finding.message}"
        ET.indent(root)
        self.stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.stream.write(ET.tostring(root, encoding="unicode"))
        self.stream.write("\n")
