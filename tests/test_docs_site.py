"""The documentation site, built with MkDocs from the code, in real headless Chromium.

Built with ``mkdocs build`` (mkdocs.yml; the rule pages come from ``kerascheck.docsite``),
served on 127.0.0.1, and driven through chromedriver: every page reachable from the home page
renders (a title, a heading, no error page), every internal link and anchor resolves, and the
search box finds a rule by a word of its docs. Needs Debian's ``chromium`` and
``chromium-driver`` (``.ci/run`` installs them when it can) and the ``docs`` extra.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
#: Flags for a sandbox without a display, GPU or network.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-dev-shm-usage")


def _need_browser() -> None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium chromium-driver)")
    pytest.importorskip("selenium", reason="selenium (docs extra) drives Chromium")
    pytest.importorskip("mkdocs", reason="mkdocs (docs extra) builds the site")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The built site, served over HTTP on the loopback interface; yields its base URL."""
    _need_browser()
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert "WARNING" not in build.stderr, build.stderr  # unresolved links, missing pages
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser(site):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1200,900")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _internal_links(driver, base: str) -> list[str]:
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a[href]'), a => a.href)")
    return [h for h in hrefs if h.startswith(base)]


def test_every_page_renders_and_every_internal_link_resolves(site, browser):
    pages: dict[str, set[str]] = {}  # page URL -> the ids of its elements (link anchors)
    anchors: set[tuple[str, str, str]] = set()  # (from page, target page, fragment)
    queue, seen = [site], {site}
    while queue:
        url = queue.pop()
        browser.get(url)
        title = browser.title
        headings = browser.execute_script("return Array.from(document.querySelectorAll('h1'), h => h.textContent.trim())")
        assert _status(url) == 200, f"{url}: HTTP {_status(url)}"
        assert title and headings and headings[0] and headings[0] != "404", f"{url}: title {title!r}, headings {headings}"
        pages[url] = set(browser.execute_script("return Array.from(document.querySelectorAll('[id]'), e => e.id)"))
        for link in _internal_links(browser, site):
            target, fragment = urldefrag(link)
            if Path(urlparse(target).path).suffix not in ("", ".html"):
                continue  # a stylesheet, the sitemap...
            if fragment:
                anchors.add((url, target, fragment))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert len(pages) > 50, sorted(pages)  # guides plus a page per rule and probe
    assert urljoin(site, "rules/KC101/") in pages and urljoin(site, "rules/KP104/") in pages
    missing = sorted(f"{source} -> {target}#{fragment}" for source, target, fragment in anchors if fragment not in pages[target])
    assert not missing, "links to anchors that do not exist:\n" + "\n".join(missing)


def test_a_rule_page_has_its_sections_and_metadata(site, browser):
    browser.get(urljoin(site, "rules/KC602/"))
    text = browser.find_element("tag name", "body").text
    for part in ("KC602", "What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Default severity", "Keras versions"):
        assert part in text, part


def test_search_finds_a_rule_by_a_word_of_its_docs(site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(site)
    browser.find_element(By.CSS_SELECTOR, "[data-bs-target='#mkdocs_search_modal']").click()
    box = WebDriverWait(browser, 30).until(ec.element_to_be_clickable((By.ID, "mkdocs-search-query")))
    box.send_keys("predict_classes")

    def results(driver):
        links = driver.find_elements(By.CSS_SELECTOR, "#mkdocs-search-results a")
        if not links:  # typed before the index loaded in its web worker: search again
            driver.execute_script("document.getElementById('mkdocs-search-query').dispatchEvent(new KeyboardEvent('keyup'))")
        return [a.get_attribute("href") for a in links] or False

    hrefs = WebDriverWait(browser, 30).until(results)
    assert any("rules/KC101/" in href for href in hrefs), hrefs
