"""The documentation site's rule and probe pages, generated from the loaded checks.

``mkdocs build`` (``mkdocs.yml`` at the repository root names this file under ``hooks``) adds
one page per rule and probe, ``rules/<CODE>/``, and an index ``rules/``, to the guides in
``docs/``. The pages come from the same registry as ``kerascheck rule CODE``: the class's
metadata (kind, severity, default, fix safety, options, Keras versions, plugin) and its
docstring sections (What it does / Why is this bad? / Example / Use instead / Fix safety).
Findings' ``docs_url`` point at these pages (``kerascheck.findings.docs_url_for``).

Nothing here imports MkDocs at module level: :func:`rule_pages` is plain Python (and tested as
such); the ``on_*`` functions are MkDocs hook callbacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kerascheck.checkdoc import Documented

#: Where the generated pages go inside the site (matches ``docs_url_for``).
RULES_DIR = "rules"
_FAMILIES = {
    "KC0": "Engine",
    "KC1": "Removed and changed Keras APIs",
    "KC2": "Inference and training mode",
    "KC3": "Seeds and determinism",
    "KC4": "Preprocessing and data leakage",
    "KC5": "Persistence and reloading",
    "KC6": "Prediction and outputs",
    "KC7": "Training loops and state",
    "KP0": "Probe runner",
    "KP1": "Probes of saved models",
    "KP2": "Training-time probes (callback)",
}


def _family(check: type[Documented]) -> str:
    return _FAMILIES.get(check.code[:3], f"{check.prefix()} ({check.plugin or 'plugin'})")


def _fix_safety(check: type[Documented]) -> str:
    text = check.sections().get("Fix safety", "")
    if not text:
        return "no automatic fix"
    lowered = text.lower()
    if "unsafe" in lowered and "safe" in lowered.replace("unsafe", ""):
        return "safe or unsafe, depending on the case (see Fix safety)"
    return "unsafe (applied with `--unsafe-fixes`)" if "unsafe" in lowered else "safe (applied by `--fix`)"


def rule_page(check: type[Documented], kind: str) -> str:
    """The markdown page of one rule or probe."""
    versions = getattr(check, "keras_versions", None)
    rows = [
        ("Code", f"`{check.code}`"),
        ("Name", f"`{check.name}`"),
        ("Kind", kind),
        ("Default severity", check.severity.value),
        ("Enabled", "by default" if check.default_enabled else f"only when selected (`--extend-select {check.code}`)"),
        ("Fix", _fix_safety(check)),
        ("Keras versions", f"`{versions}`" if versions else "all"),
        ("Plugin", check.plugin or "kerascheck"),
    ]
    lines = [f"# {check.code} {check.name}", "", f"{check.summary}.", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in rows]
    if check.options:
        lines += ["", "## Options", "", "| option | default |", "|---|---|"]
        lines += [f"| `{name}` | `{value!r}` |" for name, value in check.options.items()]
        lines += ["", f"Set them in `[tool.kerascheck.options.{check.code}]` (or the slug)."]
    lines += ["", check.docs().replace("## Options", "## Options (details)"), ""]
    lines += [
        "---",
        "",
        f"Suppress one finding with `# noqa: {check.code}`; disable the {kind} with "
        f"`ignore = [\"{check.code}\"]`. In a terminal: `kerascheck rule {check.code}`.",
        "",
    ]
    return "\n".join(lines)


def index_page(checks: Iterable[tuple[type[Documented], str]]) -> str:
    """``rules/index.md``: every rule and probe, by family."""
    lines = [
        "# Rules and probes",
        "",
        "Rules (`KC`) read source code; probes (`KP`) load a saved model and run it. "
        "Each page says what the check finds, why it matters, an example, what to write "
        "instead, and whether it can fix it.",
    ]
    family = None
    for check, _kind in sorted(checks, key=lambda pair: pair[0].code):
        if _family(check) != family:
            family = _family(check)
            lines += ["", f"## {family}", "", "| code | name | summary |", "|---|---|---|"]
        off = " (off by default)" if not check.default_enabled else ""
        lines.append(f"| [{check.code}]({check.code}.md) | `{check.name}` | {check.summary}{off} |")
    return "\n".join(lines) + "\n"


def rule_pages(rules: Mapping[str, type[Documented]], probes: Mapping[str, type[Documented]]) -> dict[str, str]:
    """``{site path: markdown}`` of the index and every rule and probe page."""
    checks = [(c, "rule") for c in rules.values()] + [(c, "probe") for c in probes.values()]
    pages = {f"{RULES_DIR}/index.md": index_page(checks)}
    for check, kind in checks:
        pages[f"{RULES_DIR}/{check.code}.md"] = rule_page(check, kind)
    return pages


# -- MkDocs hooks ------------------------------------------------------------------------------

_OUTSIDE_DOCS = re.compile(r"\[([^\]]+)\]\((\.\./[^)\s]+)\)")


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages (``hooks`` in mkdocs.yml)."""
    from mkdocs.structure.files import File

    from kerascheck.plugins import load_plugins

    registry = load_plugins()
    for path, text in rule_pages(registry.rules, registry.probes).items():
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Links that leave ``docs/`` (``../plugins/...``) name the repository path instead."""
    return _OUTSIDE_DOCS.sub(lambda m: f"{m.group(1)} (`{m.group(2).lstrip('./')}` in the source repository)", markdown)
