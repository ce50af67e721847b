"""The editor recipes in docs/editors.md, run as far as this machine can run them.

* Neovim: the "Neovim 0.7" snippet, as printed, in the Neovim Debian ships (0.7.2),
  ``--headless``: diagnostics and code actions from the real server.
* VS Code: the extension in editors/vscode, built and installed with the guide's commands into
  a real VS Code (code-server, the same workbench served to a browser; installed by
  editors/vscode/install-code-server.sh), driven in headless Chromium: the squiggle, the
  Problems panel, the quick fixes, and applying the preferred one.
* The Generic LSP Client extension (Marketplace only) and Helix (no Debian 12 package; its
  releases are on GitHub) cannot be installed here: their settings are parsed from the guide,
  and the command they name is started and spoken to over stdio the way those clients do
  (initialize, didOpen, publishDiagnostics, codeAction, shutdown, exit).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "editors.md"
BUGGY = 'import keras\nmodel = keras.models.load_model("m.keras")\nprobs = model.predict_proba(x)\n'


def guide_block(language: str, contains: str) -> str:
    for match in re.finditer(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S):
        if contains in match.group(1):
            return match.group(1)
    raise AssertionError(f"docs/editors.md has no {language} block containing {contains!r}")


@pytest.fixture
def shim(tmp_path) -> Path:
    """A ``kerascheck`` command on PATH that runs this interpreter's kerascheck."""
    pytest.importorskip("pygls", reason="the lsp extra runs the server")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    command = bindir / "kerascheck"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kerascheck "$@"\n', encoding="utf-8")
    command.chmod(0o755)
    return command


@pytest.fixture
def project(tmp_path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "buggy.py").write_text(BUGGY, encoding="utf-8")
    return project


def _env(shim: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}


# -- Neovim ----------------------------------------------------------------------------------------

HARNESS = """
local ok = vim.wait(90000, function() return #vim.diagnostic.get(0) > 0 end, 200)
local out = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, string.format("diagnostic %d:%d %s %s", d.lnum + 1, d.col + 1, tostring(d.code), d.source or ""))
end
local params = vim.lsp.util.make_range_params()
params.range = { start = { line = 2, character = 0 }, ["end"] = { line = 2, character = 0 } }
params.context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(0, 2) }
local responses = vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 30000) or {}
for _, response in pairs(responses) do
  for _, action in ipairs(response.result or {}) do
    table.insert(out, "action " .. action.title)
  end
end
vim.fn.writefile(out, "nvim-result.txt")
vim.cmd("qa!")
"""


def test_neovim_07_snippet_runs_in_debians_neovim(shim, project):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("Neovim is not installed (apt-get install neovim gives Debian's 0.7.2)")
    snippet = guide_block("lua", "-- kerascheck: Neovim 0.7")
    (project / "init.lua").write_text(snippet, encoding="utf-8")
    (project / "harness.lua").write_text(HARNESS, encoding="utf-8")
    proc = subprocess.run(
        [nvim, "--headless", "-u", "init.lua", "buggy.py", "-c", "luafile harness.lua"],
        cwd=project, env=_env(shim), capture_output=True, text=True, timeout=300,
    )
    result = (project / "nvim-result.txt").read_text(encoding="utf-8") if (project / "nvim-result.txt").exists() else ""
    assert "diagnostic 3:9 KC102 kerascheck" in result, proc.stdout + proc.stderr + result
    actions = [line for line in result.splitlines() if line.startswith("action ")]
    assert any("Ignore KC102" in a for a in actions) and len(actions) >= 2, actions  # the fix and the ignore


# -- a generic LSP client (what VS Code's extension and Helix do) -----------------------------------


class StdioClient:
    """The part of an LSP client these recipes rely on, over the server's stdin/stdout."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 0

    def send(self, method: str, params: Any, *, request: bool) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        ident = None
        if request:
            self.next_id += 1
            ident = message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()
        return ident

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = self.process.stdout.readline()
            assert line, "the server closed its output: " + (self.process.stderr.read().decode() if self.process.stderr else "")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def until(self, predicate) -> dict[str, Any]:
        for _ in range(200):
            message = self.receive()
            if "id" in message and "method" in message:  # a request from the server: accept it
                self.respond(message["id"])
            if predicate(message):
                return message
        raise AssertionError("the expected message never came")

    def respond(self, ident: Any) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": ident, "result": None}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()


def lsp_session(argv: list[str], project: Path, env: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """initialize, didOpen the buggy file, its diagnostics, code actions on line 3, shutdown."""
    client = StdioClient(argv, project, env)
    try:
        uri = (project / "buggy.py").as_uri()
        ident = client.send("initialize", {"processId": os.getpid(), "rootUri": project.as_uri(), "capabilities": {}}, request=True)
        capabilities = client.until(lambda m: m.get("id") == ident)["result"]["capabilities"]
        client.send("initialized", {}, request=False)
        client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BUGGY}}, request=False)
        published = client.until(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["diagnostics"])
        diagnostics = published["params"]["diagnostics"]
        line = {"line": 2, "character": 0}
        request = {"textDocument": {"uri": uri}, "range": {"start": line, "end": line}, "context": {"diagnostics": diagnostics}}
        ident = client.send("textDocument/codeAction", request, request=True)
        actions = [a["title"] for a in client.until(lambda m: m.get("id") == ident)["result"] or []]
        ident = client.send("shutdown", None, request=True)
        client.until(lambda m: m.get("id") == ident)
        client.send("exit", None, request=False)
        assert client.process.wait(timeout=60) == 0
        return capabilities, diagnostics, actions
    finally:
        if client.process.poll() is None:
            client.process.kill()
            client.process.wait()


def _assert_working_session(argv: list[str], project: Path, shim: Path) -> None:
    capabilities, diagnostics, actions = lsp_session(argv, project, _env(shim))
    assert capabilities.get("codeActionProvider") and capabilities.get("hoverProvider")
    (kc102,) = [d for d in diagnostics if d.get("code") == "KC102"]
    assert kc102["source"] == "kerascheck" and kc102["range"]["start"] == {"line": 2, "character": 8}
    assert kc102["codeDescription"]["href"].endswith("/rules/KC102/")
    assert any("KC102" in title for title in actions) and len(actions) >= 2, actions


def test_vscode_generic_client_settings_start_a_working_server(shim, project):
    settings = json.loads(guide_block("json", "glspc.server.command"))
    assert set(settings) == {"glspc.server.command", "glspc.server.commandArguments", "glspc.server.languageId"}
    assert settings["glspc.server.languageId"] == ["python"]
    assert settings["glspc.server.command"].endswith("/bin/kerascheck")  # a path the reader fills in
    _assert_working_session([str(shim), *settings["glspc.server.commandArguments"]], project, shim)


def test_helix_languages_toml_starts_a_working_server(shim, project):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads(guide_block("toml", "[language-server.kerascheck]"))
    server = config["language-server"]["kerascheck"]
    (python,) = [lang for lang in config["language"] if lang["name"] == "python"]
    assert "kerascheck" in python["language-servers"]
    assert server["command"] == "kerascheck"
    _assert_working_session([shutil.which(server["command"], path=str(shim.parent)) or "", *server["args"]], project, shim)


def test_editor_links_use_the_configured_docs_base_url(shim, project):
    (project / "pyproject.toml").write_text('[tool.kerascheck]\ndocs-base-url = "https://docs.example.com/kc/"\n', encoding="utf-8")
    _, diagnostics, _ = lsp_session([str(shim), "lsp"], project, _env(shim))
    (kc102,) = [d for d in diagnostics if d.get("code") == "KC102"]
    assert kc102["codeDescription"]["href"] == "https://docs.example.com/kc/rules/KC102/"


# -- VS Code: the editors/vscode extension in code-server, driven in Chromium -----------------------

EXTENSION = ROOT / "editors" / "vscode"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _build_vsix(tmp_path: Path) -> Path:
    """The guide's build commands, on a copy of editors/vscode (npm fetches vscode-languageclient
    and @vscode/vsce from the npm registry)."""
    console = guide_block("console", "vsce package")
    source = tmp_path / "extension"
    shutil.copytree(EXTENSION, source)
    for line in console.splitlines():
        if not line.startswith("$ ") or line.startswith(("$ cd ", "$ code")):
            continue
        command = line[2:].split("#")[0].split()
        proc = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{line}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    return source / "kerascheck.vsix"


@pytest.fixture
def code_server(tmp_path, shim, project):
    """code-server with the built extension installed and the guide's settings.json (the command
    is the reader's path: here the shim), serving ``project`` on a free local port."""
    executable = os.environ.get("KERASCHECK_CODE_SERVER") or shutil.which("code-server")
    if executable is None:
        pytest.skip("code-server is not installed (editors/vscode/install-code-server.sh installs it from the npm registry)")
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium", reason="the docs extra drives Chromium")
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the extension cannot be built")
    vsix = _build_vsix(tmp_path)
    data, extensions = tmp_path / "user-data", tmp_path / "extensions"
    # Everything code-server writes stays in tmp_path (its config file too, not ~/.config).
    common = ["--user-data-dir", str(data), "--extensions-dir", str(extensions), "--config", str(tmp_path / "code-server.yaml")]
    installed = subprocess.run([executable, *common, "--install-extension", str(vsix)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0 and "successfully installed" in installed.stdout, installed.stdout + installed.stderr
    settings = json.loads(guide_block("json", '"kerascheck.command"'))
    assert settings["kerascheck.command"][0].endswith("/bin/kerascheck")  # a path the reader fills in
    settings["kerascheck.command"][0] = str(shim)
    settings["workbench.startupEditor"] = "none"
    (data / "User").mkdir(parents=True, exist_ok=True)
    (data / "User" / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen(
        [executable, *common, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry", "--disable-update-check",
         "--disable-workspace-trust", str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "HTTP server listening" in line:
                break
        else:
            raise AssertionError("code-server exited before listening")
        yield f"http://127.0.0.1:{port}/?folder={project}"
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_vscode_extension_shows_diagnostics_and_applies_the_fix_in_code_server(code_server, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--window-size=1400,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)

    def chord(*keys: str) -> None:
        *modifiers, key = keys
        actions = ActionChains(driver)
        for modifier in modifiers:
            actions.key_down(modifier)
        actions.send_keys(key)
        for modifier in reversed(modifiers):
            actions.key_up(modifier)
        actions.perform()

    def rows(selector: str) -> list[str]:
        return [row.text for row in driver.find_elements(By.CSS_SELECTOR, selector)]

    try:
        driver.get(code_server)
        WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".monaco-workbench .part.statusbar"))
        chord(Keys.CONTROL, "p")  # Quick Open
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".quick-input-widget input"))
        ActionChains(driver).send_keys("buggy.py").perform()
        WebDriverWait(driver, 60).until(lambda d: any("buggy.py" in row for row in rows(".quick-input-list .monaco-list-row")))
        ActionChains(driver).send_keys(Keys.ENTER).perform()
        WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".squiggly-error"))

        chord(Keys.CONTROL, Keys.SHIFT, "m")  # the Problems panel
        WebDriverWait(driver, 60).until(lambda d: any("KC102" in row for row in rows(".markers-panel .monaco-list-row")))
        (problem,) = [row for row in rows(".markers-panel .monaco-list-row") if "KC102" in row]
        assert "`predict_proba` was removed" in problem and "kerascheck" in problem and "[Ln 3, Col 9]" in problem

        driver.find_element(By.CSS_SELECTOR, ".monaco-editor .view-lines").click()
        chord(Keys.CONTROL, "g")  # Go to Line
        ActionChains(driver).pause(1).send_keys("3:10", Keys.ENTER).pause(1).perform()
        chord(Keys.CONTROL, ".")  # Quick Fix
        WebDriverWait(driver, 60).until(lambda d: len(rows(".action-widget .monaco-list-row")) >= 3)
        assert rows(".action-widget .monaco-list-row")[1:] == ["Use `predict` (KC102)", "Ignore KC102 on this line"]
        ActionChains(driver).send_keys(Keys.ENTER).perform()  # the first, preferred (safe) fix
        WebDriverWait(driver, 60).until(lambda d: "model.predict(x)" in d.find_element(By.CSS_SELECTOR, ".monaco-editor .view-lines").text)
        WebDriverWait(driver, 60).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".squiggly-error"))
    except Exception:
        driver.save_screenshot(str(tmp_path / "vscode.png"))  # what the editor showed, for the failure report
        raise
    finally:
        driver.quit()
