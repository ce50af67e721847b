"""The generated rule and probe pages (fast; the built site is tested in test_docs_site.py)."""

from __future__ import annotations

from urllib.parse import urlparse

from kerascheck.docsite import RULES_DIR, rule_pages
from kerascheck.findings import DEFAULT_DOCS_BASE_URL
from kerascheck.plugins import load_plugins

REGISTRY = load_plugins()
PAGES = rule_pages(REGISTRY.rules, REGISTRY.probes)


def test_a_page_per_rule_and_probe_and_an_index():
    assert set(PAGES) == {f"{RULES_DIR}/index.md"} | {f"{RULES_DIR}/{code}.md" for code in REGISTRY.checks}
    index = PAGES[f"{RULES_DIR}/index.md"]
    assert all(f"[{code}]({code}.md)" in index for code in REGISTRY.checks)


def test_pages_have_the_docs_sections_and_metadata():
    page = PAGES[f"{RULES_DIR}/KC602.md"]
    sections = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety")
    for part in ("# KC602 ", *sections, "| Fix | ", "| Keras versions | ", "| Default severity | "):
        assert part in page, part
    probe = PAGES[f"{RULES_DIR}/KP104.md"]
    assert "| Kind | probe |" in probe and "| Fix | no automatic fix |" in probe


def test_docs_urls_are_the_pages_paths():
    """``mkdocs`` serves ``rules/KC101.md`` at ``rules/KC101/``: where every docs_url points."""
    for code, check in REGISTRY.checks.items():
        if check.docs_url_template:
            continue
        path = urlparse(check.docs_url()).path
        assert path == urlparse(DEFAULT_DOCS_BASE_URL).path + f"{RULES_DIR}/{code}/"
