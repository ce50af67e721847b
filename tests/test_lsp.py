"""The language server, driven by a real LSP client over stdio (pytest-lsp).

Each test starts ``python -m kerascheck lsp`` as a subprocess, initialises a session with VS
Code's capabilities and talks to it the way an editor does.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from kerascheck.lsp import noqa_edit, suppression_code_at  # noqa: E402

pytestmark = pytest.mark.slow

TIMEOUT = 60

BUGGY = "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict_proba(x)\n"
FIXED = "import keras\nmodel = keras.models.load_model('m.keras')\nprobs = model.predict(x)\n"
CONFIG = '[project]\nname = "demo"\n\n[tool.kerascheck]\ntarget-keras = "3"\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "train.py").write_text(BUGGY, encoding="utf-8")
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "kerascheck", "lsp"]))
async def client(lsp_client: LanguageClient, project: Path):
    registrations: list[types.Registration] = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(client: LanguageClient, params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)  # as VS Code does: accept and remember

    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="demo")],
        )
    )
    yield
    await lsp_client.shutdown_session()


class _Next:
    """The next notification of ``method``, listened for *before* the action that causes it
    (a notification that arrives before anyone waits for it would otherwise be missed)."""

    def __init__(self, client: LanguageClient, method: str) -> None:
        self.client = client
        self.future = client.protocol.wait_for_notification_async(method)

    async def wait(self) -> object:
        return await asyncio.wait_for(self.future, TIMEOUT)


async def _after(client: LanguageClient, uri: str, action) -> list[types.Diagnostic]:
    """Do ``action`` and return the document's diagnostics from the next publishDiagnostics."""
    published = _Next(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    action()
    await published.wait()
    return list(client.diagnostics[uri])


def _open(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )


def _replace(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII text, so UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


@pytest.mark.asyncio
async def test_diagnostics_follow_the_document(client: LanguageClient, project: Path) -> None:
    uri = (project / "train.py").as_uri()
    diagnostics = await _after(client, uri, lambda: _open(client, uri, BUGGY))
    assert [d.code for d in diagnostics] == ["KC102"]
    diagnostic = diagnostics[0]
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.source == "kerascheck"
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("/KC102/")
    assert "predict_proba" in diagnostic.message
    # Line 3 (0-based 2), the call starts at column 9 (1-based) -> character 8.
    assert diagnostic.range.start == types.Position(line=2, character=8)
    assert diagnostic.range.end == types.Position(line=2, character=len("probs = model.predict_proba(x)"))

    # The in-memory text is what counts, not the file on disk (which still has the bug).
    assert await _after(client, uri, lambda: _replace(client, uri, FIXED, version=2)) == []

    assert [d.code for d in await _after(client, uri, lambda: _replace(client, uri, BUGGY, version=3))] == ["KC102"]
    save = types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    assert [d.code for d in await _after(client, uri, lambda: client.text_document_did_save(save))] == ["KC102"]


@pytest.mark.asyncio
async def test_code_actions_fix_and_ignore(client: LanguageClient, project: Path) -> None:
    uri = (project / "train.py").as_uri()
    diagnostics = await _after(client, uri, lambda: _open(client, uri, BUGGY))
    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=types.Position(line=2, character=10), end=types.Position(line=2, character=10)),
                context=types.CodeActionContext(diagnostics=diagnostics),
            )
        ),
        TIMEOUT,
    )
    assert actions is not None
    by_title = {action.title: action for action in actions}
    fix = next(a for a in actions if "predict" in a.title and not a.title.startswith("Ignore"))
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.is_preferred is True  # KC102's fix is safe
    assert fix.diagnostics and fix.diagnostics[0].code == "KC102"
    assert _apply(BUGGY, list(fix.edit.changes[uri])) == FIXED

    ignore = by_title["Ignore KC102 on this line"]
    assert not ignore.is_preferred
    ignored = _apply(BUGGY, list(ignore.edit.changes[uri]))
    assert ignored == BUGGY.replace("predict_proba(x)\n", "predict_proba(x)  # noqa: KC102\n")

    # Applying the ignore edit silences the finding (and no KC003 unused-suppression appears).
    assert await _after(client, uri, lambda: _replace(client, uri, ignored, version=2)) == []

    # An existing noqa comment for another tool is extended, not duplicated.
    with_noqa = BUGGY.replace("predict_proba(x)\n", "predict_proba(x)  # noqa: E501\n")
    diagnostics = await _after(client, uri, lambda: _replace(client, uri, with_noqa, version=3))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    ignore = next(a for a in actions if a.title.startswith("Ignore"))
    assert _apply(with_noqa, list(ignore.edit.changes[uri])).endswith("predict_proba(x)  # noqa: E501, KC102\n")


@pytest.mark.asyncio
async def test_hover_on_suppressed_code_shows_rule_docs(client: LanguageClient, project: Path) -> None:
    uri = (project / "train.py").as_uri()
    text = BUGGY.replace("predict_proba(x)\n", "predict_proba(x)  # noqa: E501, KC102\n")
    await _after(client, uri, lambda: _open(client, uri, text))
    line = text.splitlines()[2]
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=2, character=line.index("KC102") + 2),
        )
    )
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "removed-predict-proba" in hover.contents.value
    assert "## What it does" in hover.contents.value
    assert "https://" in hover.contents.value
    # Elsewhere on the line (in code, or on a code kerascheck does not own) there is nothing.
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=3))
    )
    assert nothing is None
    foreign = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=2, character=line.index("E501") + 1),
        )
    )
    assert foreign is None


@pytest.mark.asyncio
async def test_config_changes_are_picked_up(client: LanguageClient, project: Path) -> None:
    config = project / "pyproject.toml"
    config.write_text(CONFIG + 'ignore = ["KC102"]\n', encoding="utf-8")
    uri = (project / "train.py").as_uri()
    assert await _after(client, uri, lambda: _open(client, uri, BUGGY)) == []

    # At start-up the server asked the client to watch the configuration files.
    watched = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert watched, client.registrations
    patterns = [w["globPattern"] for w in watched[0].register_options["watchers"]]  # raw JSON
    assert set(patterns) == {"**/pyproject.toml", "**/kerascheck.toml"}

    # The editor reports the change (workspace/didChangeWatchedFiles): the config is re-read.
    config.write_text(CONFIG, encoding="utf-8")
    changed = types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
    )
    assert [d.code for d in await _after(client, uri, lambda: client.workspace_did_change_watched_files(changed))] == ["KC102"]

    # Without a notification, the next lint still notices the file changed (size/mtime).
    config.write_text(CONFIG + 'ignore = ["removed-predict-proba"]\n', encoding="utf-8")
    assert await _after(client, uri, lambda: _replace(client, uri, BUGGY + "\n", version=2)) == []


@pytest.mark.asyncio
async def test_broken_config_is_reported_not_fatal(client: LanguageClient, project: Path) -> None:
    config = project / "pyproject.toml"
    config.write_text(CONFIG + 'select = "KC1"\n', encoding="utf-8")
    uri = (project / "train.py").as_uri()
    shown = _Next(client, types.WINDOW_SHOW_MESSAGE)
    published = _Next(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    _open(client, uri, BUGGY)
    await shown.wait()
    await published.wait()
    message = client.messages[-1]
    assert message.type == types.MessageType.Error
    assert str(config) in message.message
    assert "select" in message.message
    # Stale diagnostics are cleared rather than computed with a configuration the user did not write.
    assert list(client.diagnostics[uri]) == []

    # Once the file is repaired the server works again (it did not crash).
    config.write_text(CONFIG, encoding="utf-8")
    changed = types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
    )
    assert [d.code for d in await _after(client, uri, lambda: client.workspace_did_change_watched_files(changed))] == ["KC102"]


# -- the text helpers behind the actions (no server needed) ---------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("x = f(1)\n", 1, (0, 8, 8, "  # noqa: KC1")),
        ("x = f(1)   \n", 1, (0, 8, 11, "  # noqa: KC1")),
        # A statement over several lines: the comment goes on its last line.
        ("x = f(\n    1,\n)\n", 1, (2, 1, 1, "  # noqa: KC1")),
        # A string spanning lines: never inside it.
        ('x = f("""\n# noqa\n""")\n', 1, (2, 4, 4, "  # noqa: KC1")),
        ("x = f(1)  # noqa: E501\n", 1, (0, 22, 22, ", KC1")),
        ("x = f(1)  # keep this\n", 1, (0, 21, 21, "  # noqa: KC1")),
    ],
)
def test_noqa_edit(source: str, line: int, expected: tuple[int, int, int, str]) -> None:
    spec = noqa_edit(source, line, "KC1")
    assert spec is not None
    assert (spec.line, spec.column, spec.end_column, spec.text) == expected


def test_noqa_edit_already_suppressed() -> None:
    assert noqa_edit("x = f(1)  # noqa\n", 1, "KC101") is None
    assert noqa_edit("x = f(1)  # noqa: KC101\n", 1, "KC101") is None


def test_suppression_code_at() -> None:
    line = "x = 1  # noqa: E501, KC101  # kerascheck: ignore[KC3, removed-predict-proba]"
    assert suppression_code_at(line, line.index("KC101")) == "KC101"
    assert suppression_code_at(line, line.index("KC101") + 5) == "KC101"
    assert suppression_code_at(line, line.index("E501") + 1) == "E501"
    assert suppression_code_at(line, line.index("removed") + 3) == "removed-predict-proba"
    assert suppression_code_at(line, 2) is None


def test_without_pygls_the_command_says_how_to_install_it() -> None:
    import subprocess

    code = (
        "import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
        "from kerascheck.cli import main\n"
        "raise SystemExit(main(['lsp']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'pip install "kerascheck[lsp]"' in proc.stderr
    assert "Traceback" not in proc.stderr


# -- project rules in the editor: facts from the other files of the project ------------------------

PROJECT_RULE_PLUGIN = '''
from dataclasses import dataclass

import libcst as cst
from kerascheck import Location, Rule, hookimpl


class TrainsUnseeded(Rule):
    """
    ## What it does
    Test rule: a program that calls ``fit`` while no file seeds.

    ## Why is this bad?
    Test.

    ## Example
    ```python
    model.fit(x)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(0)
    ```
    """

    code = "XP201"
    name = "test-trains-unseeded"
    summary = "Trains without a seed anywhere in the project"

    def visit_Call(self, node):
        if self.context.qualified(node.func) == "keras.utils.set_random_seed":
            self.record("seeded")
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "fit":
            self.record(self.context.location(node).line)

    @classmethod
    def finish(cls, project):
        facts = [(path, fact) for path, items in project.facts.items() for fact in items]
        if any(fact == "seeded" for _, fact in facts):
            return
        for path, fact in facts:
            yield cls.finding_at(Location(path, fact), "trains, and nothing seeds")


@hookimpl
def kerascheck_register_rules():
    return [TrainsUnseeded]
'''


def test_project_rules_see_the_other_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    from kerascheck.lsp import Linter, LintSettings

    (tmp_path / "kc_lsp_project_rule.py").write_text(PROJECT_RULE_PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "kerascheck.toml").write_text('plugins = ["kc_lsp_project_rule"]\n', encoding="utf-8")  # trusted: see below
    train = project / "train.py"
    train_text = "import keras\nmodel = keras.Sequential()\nmodel.fit(x)\n"
    train.write_text(train_text, encoding="utf-8")
    seed = project / "seed.py"
    seed.write_text("import keras\nkeras.utils.set_random_seed(0)\n", encoding="utf-8")

    linter = Linter(settings=LintSettings(allow_config_plugins=True))  # kerascheck lsp --allow-config-plugins

    def codes(open_documents: dict[str, str] | None = None) -> list[str]:
        outcome = linter.check(str(train), train_text, open_documents)
        assert outcome.loaded.error is None, outcome.loaded.error
        return [f.code for f in outcome.findings if f.code.startswith("XP")]

    assert codes() == []  # seed.py seeds the program
    # The editor's unsaved text of seed.py wins over the file on disk.
    assert codes({str(seed): "import keras\n"}) == ["XP201"]
    # A change on disk is noticed (the per-file fact cache is keyed by mtime and size).
    seed.write_text("import keras\n# the seed was removed\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(seed, (later, later))
    assert codes() == ["XP201"]

    # kerascheck's own project rules get the same view: KC301 (missing-global-seed) follows the
    # imports of train.py into seed.py, as `kerascheck check` does.
    seed.write_text("import keras\nkeras.utils.set_random_seed(0)\n", encoding="utf-8")
    os.utime(seed, (later + 5, later + 5))
    unseeded = [f.code for f in linter.check(str(train), train_text).findings]
    assert "KC301" in unseeded
    imports_seed = "import keras\nimport seed\nmodel = keras.Sequential()\nmodel.fit(x)\n"
    assert "KC301" not in [f.code for f in linter.check(str(train), imports_seed).findings]


class _History(dict):
    """``client.diagnostics`` that also remembers every publication, in order."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.published: list[list[types.Diagnostic]] = []

    def __setitem__(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.published.append(list(diagnostics))
        super().__setitem__(uri, diagnostics)


@pytest.mark.asyncio
async def test_lsp_converges_after_burst_of_changes(client: LanguageClient, project: Path) -> None:
    """Hundreds of didChange notifications in a row (fast typing, a paste, an editor macro):
    the server must not fall behind checking every version. Its last diagnostics must be those
    of the final text, and no stale result may be published after them."""
    uri = (project / "train.py").as_uri()
    assert [d.code for d in await _after(client, uri, lambda: _open(client, uri, BUGGY))] == ["KC102"]
    history = _History(client.diagnostics)
    client.diagnostics = history

    def text_of(version: int) -> str:
        # Odd versions hold the bug, each on its own line (after ``version`` blank lines), so
        # the diagnostics say which version they were computed for.
        return "\n" * version + BUGGY if version % 2 else FIXED

    versions = 601
    for version in range(2, versions + 1):
        _replace(client, uri, text_of(version), version)
    final_line = versions + 2  # 0-based line of ``predict_proba`` in the final text

    def final_published() -> bool:
        last = history.published[-1] if history.published else None
        return bool(last) and last[0].code == "KC102" and last[0].range.start.line == final_line

    async def converged() -> None:
        while not final_published():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(converged(), TIMEOUT)
    await asyncio.sleep(1.0)  # nothing stale may follow the final diagnostics
    assert final_published()
    assert [d.code for d in history.published[-1]] == ["KC102"]
    # Debounced: far fewer checks were published than versions sent.
    assert len(history.published) < versions / 4
