"""Metadata and documentation shared by static rules and dynamic probes."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from kerascheck.findings import Finding, Fix, Location, Severity, docs_url_for

#: Documentation sections every rule and probe docstring carries (ruff's layout).
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
OPTIONAL_SECTIONS = ("Fix safety", "Options", "Keras versions")

_SECTION_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
_CODE_RE = re.compile(r"^[A-Z]{1,6}[0-9]{3}$")
_SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Documented:
    """A check with a code, a slug, a summary, docs and options.

    The class docstring holds the documentation in markdown sections (``## What it does``,
    ``## Why is this bad?``, ``## Example``, ``## Use instead``, optionally ``## Fix safety``).
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    #: Per-check options: ``{"option-name": default}``; configured in
    #: ``[tool.kerascheck.options.CODE]`` (or the slug).
    options: ClassVar[Mapping[str, Any]] = {}
    #: Off unless selected explicitly (``select``/``extend-select``).
    default_enabled: ClassVar[bool] = True
    #: Set by the plugin manager: the distribution (or module) that registered the check.
    plugin: ClassVar[str] = ""
    #: A plugin's own documentation page for the check, with ``{code}`` and ``{name}`` filled
    #: in (``"https://my-plugin.example/rules/{code}/"``); None: kerascheck's site.
    docs_url_template: ClassVar[str | None] = None

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The docstring split into ``{section title: body}``."""
        text = cls.docs()
        parts = _SECTION_RE.split(text)
        result: dict[str, str] = {}
        for title, body in zip(parts[1::2], parts[2::2], strict=True):
            result[title.strip()] = body.strip()
        return result

    @classmethod
    def docs_url(cls, base: str | None = None) -> str:
        """The check's documentation page: the plugin's own (``docs_url_template``) or its page
        on kerascheck's site at ``base`` (the ``docs-base-url`` setting; None: the default)."""
        if cls.docs_url_template:
            return cls.docs_url_template.format(code=cls.code, name=cls.name)
        return docs_url_for(cls.code, base)

    @classmethod
    def finding_at(
        cls,
        location: Location,
        message: str,
        fix: Fix | None = None,
        severity: Severity | None = None,
        extra: tuple[tuple[str, Any], ...] = (),
    ) -> Finding:
        """A finding of this check at ``location`` (the check's severity unless ``severity``):
        the one place a rule's or a probe's finding is built. ``extra`` is structured data for
        reports and for :mod:`kerascheck.agreement` (``("cause", ...)``, ``("layers", ...)``)."""
        return Finding(
            code=cls.code,
            name=cls.name,
            message=message,
            severity=severity or cls.severity,
            location=location,
            fix=fix,
            docs_url=cls.docs_url(),
            extra=extra,
        )

    @classmethod
    def prefix(cls) -> str:
        """The alphabetic part of the code (``KC`` for ``KC101``)."""
        return cls.code.rstrip("0123456789")

    @classmethod
    def metadata_problems(cls) -> list[str]:
        """What is wrong with this check's metadata (empty when it is well-formed)."""
        problems = []
        if not _CODE_RE.match(cls.code):
            problems.append(f"code {cls.code!r} is not letters followed by three digits")
        if not _SLUG_RE.match(cls.name):
            problems.append(f"name {cls.name!r} is not a lowercase-dashed slug")
        if not cls.summary:
            problems.append("summary is empty")
        sections = cls.sections()  # once: parsing the docstring is most of a plugin's registration
        missing = [s for s in REQUIRED_SECTIONS if s not in sections]
        if missing:
            problems.append(f"docstring lacks sections: {', '.join(missing)}")
        return problems


def with_docs_urls(findings: Sequence[Finding], checks: Mapping[str, type[Documented]], base: str | None) -> list[Finding]:
    """``findings`` with the documentation URL of their check on the site at ``base``.

    Findings are made where no configuration is at hand (worker and probe processes, the
    cache), so every output resolves the configured base here, in one place.
    """
    if not base:
        return list(findings)
    result = []
    for finding in findings:
        check = checks.get(finding.code)
        result.append(replace(finding, docs_url=check.docs_url(base)) if check is not None else finding)
    return result


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.strip().split(".") if part.isdigit())


def version_matches(spec: str | None, target: str) -> bool:
    """Whether ``target`` (``"3"``, ``"2.15"``) is in ``spec`` (``">=3"``, ``">=2.13,<3"``).

    Versions compare by their given components only, so target ``"3"`` satisfies ``">=3.0"``.
    """
    if not spec:
        return True
    version = _version_tuple(target)
    for clause in spec.split(","):
        clause = clause.strip()
        op = next((o for o in (">=", "<=", "==", "!=", ">", "<") if clause.startswith(o)), "==")
        bound = _version_tuple(clause[len(op) :] if clause.startswith(op) else clause)
        width = min(len(bound), len(version)) or 1
        left, right = version[:width], bound[:width]
        ok = {
            ">=": left >= right, "<=": left <= right, "==": left == right,
            "!=": left != right, ">": left > right, "<": left < right,
        }[op]
        if not ok:
            return False
    return True
