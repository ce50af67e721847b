"""A file created on disk after the language server started joins the project: its facts reach
the open documents' diagnostics, which stay those ``kerascheck check .`` gives.

With a client that watches files, the server learns of the file from the client's
``workspace/didChangeWatchedFiles`` events (and re-checks the open documents at once); with a
client that cannot watch, at the next save (or periodic re-listing). Real sessions (pytest-lsp)
with ``kerascheck lsp`` over stdio.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import LanguageClient, client_capabilities  # noqa: E402

pytestmark = pytest.mark.slow

TIMEOUT = 60
#: Trains; seeded only when ``seed.py`` exists and seeds (KC301 follows the import into it).
TRAIN = "import keras\nimport seed\nmodel = keras.Sequential()\nmodel.fit(x)\n"
SEEDED = "import keras\nkeras.utils.set_random_seed(0)\n"


def _check_json(project: Path, name: str) -> list[tuple[str, int, int, str]]:
    """What ``kerascheck check .`` reports for ``name`` (the whole project, as the server sees it)."""
    run = subprocess.run(
        [sys.executable, "-m", "kerascheck", "check", ".", "--output-format", "json"], capture_output=True, text=True, cwd=project, timeout=120
    )
    assert run.returncode in (0, 1), run.stderr
    return sorted(
        (f["code"], f["location"]["row"] - 1, f["location"]["column"] - 1, f["message"]) for f in json.loads(run.stdout) if f["filename"] == name
    )


def _shown(diagnostics: list[types.Diagnostic]) -> list[tuple[str, int, int, str]]:
    return sorted((str(d.code), d.range.start.line, d.range.start.character, d.message) for d in diagnostics)


@contextlib.asynccontextmanager
async def _session(project: Path, watch: bool) -> AsyncIterator[tuple[LanguageClient, list[types.Registration]]]:
    client = LanguageClient()
    registrations: list[types.Registration] = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(client: LanguageClient, params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)  # as VS Code does: accept and remember

    await client.start_io(sys.executable, "-m", "kerascheck", "lsp")
    capabilities = client_capabilities("visual-studio-code")
    if not watch:
        assert capabilities.workspace is not None
        capabilities.workspace.did_change_watched_files = None  # a client that cannot watch files
    await client.initialize_session(types.InitializeParams(capabilities=capabilities, root_uri=project.as_uri()))
    try:
        yield client, registrations
    finally:
        await client.shutdown_session()
        await client.stop()


async def _published_after(client: LanguageClient, uri: str, action: Callable[[], None]) -> list[types.Diagnostic]:
    """Do ``action``; the diagnostics of ``uri`` in the next publication for it."""
    while True:
        published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        action()
        params = await asyncio.wait_for(published, TIMEOUT)
        if params.uri == uri:
            return list(params.diagnostics)
        action = lambda: None  # noqa: E731  # another document's: wait for this one's


def _open(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )


def _events(client: LanguageClient, *changes: tuple[Path, types.FileChangeType]) -> Callable[[], None]:
    params = types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=kind) for path, kind in changes])
    return lambda: client.workspace_did_change_watched_files(params)


async def _open_train(client: LanguageClient, project: Path) -> str:
    """Write ``train.py`` (``TRAIN``; ``seed.py`` does not exist yet) and open it: KC301."""
    train = project / "train.py"
    train.write_text(TRAIN, encoding="utf-8")
    uri = train.as_uri()
    unseeded = await _published_after(client, uri, lambda: _open(client, uri, TRAIN))
    assert _agreed(unseeded, project) == ["KC301"]
    return uri


def _agreed(diagnostics: list[types.Diagnostic], project: Path) -> list[str]:
    """The codes of ``train.py``'s diagnostics, once they are seen to equal ``kerascheck check .``."""
    assert _shown(diagnostics) == _check_json(project, "train.py")
    return [str(d.code) for d in diagnostics]


@pytest.mark.asyncio
async def test_with_a_watching_client_created_changed_and_deleted_files_reach_the_diagnostics(tmp_path: Path) -> None:
    seed = tmp_path / "seed.py"
    async with _session(tmp_path, watch=True) as (client, registrations):
        uri = await _open_train(client, tmp_path)
        options = [r.register_options for r in registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        watched = [w["globPattern"] for option in options if option for w in option["watchers"]]  # raw JSON
        assert "**/*.py" in watched and "**/*" in watched, watched  # asked at start-up

        # seed.py appears on disk after start-up (a git checkout, another tool): the client's
        # event makes it join the project and train.py is checked again, with no edit of it.
        seed.write_text(SEEDED, encoding="utf-8")
        assert _agreed(await _published_after(client, uri, _events(client, (seed, types.FileChangeType.Created))), tmp_path) == []

        seed.write_text("import keras\n", encoding="utf-8")  # the seed removed on disk
        assert _agreed(await _published_after(client, uri, _events(client, (seed, types.FileChangeType.Changed))), tmp_path) == ["KC301"]

        seed.write_text(SEEDED, encoding="utf-8")
        assert await _published_after(client, uri, _events(client, (seed, types.FileChangeType.Changed))) == []
        seed.unlink()
        assert _agreed(await _published_after(client, uri, _events(client, (seed, types.FileChangeType.Deleted))), tmp_path) == ["KC301"]


@pytest.mark.asyncio
async def test_without_a_watching_client_a_new_file_joins_at_the_next_save(tmp_path: Path) -> None:
    seed = tmp_path / "seed.py"
    async with _session(tmp_path, watch=False) as (client, registrations):
        uri = await _open_train(client, tmp_path)
        assert registrations == []  # nothing to register with such a client

        seed.write_text(SEEDED, encoding="utf-8")
        params = types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        assert _agreed(await _published_after(client, uri, lambda: client.text_document_did_save(params)), tmp_path) == []

        # A known file changed on disk is seen at the next check (mtime and size, no event).
        seed.write_text("import keras\n# no seed any more\n", encoding="utf-8")
        assert _agreed(await _published_after(client, uri, lambda: client.text_document_did_save(params)), tmp_path) == ["KC301"]

def test_while_the_client_watches_only_reported_files_are_read_again(tmp_path: Path) -> None:
    """No ``stat`` of every project file per check: a file is read again when an event says it
    changed (a client that cannot watch gets the mtime and size comparison instead)."""
    from kerascheck.lsp import Linter

    train, seed = tmp_path / "train.py", tmp_path / "seed.py"
    train.write_text(TRAIN, encoding="utf-8")
    seed.write_text(SEEDED, encoding="utf-8")
    watching, polling = Linter(lambda: str(tmp_path)), Linter(lambda: str(tmp_path))
    watching.watch()

    def codes(linter: Linter) -> list[str]:
        return [f.code for f in linter.check(str(train), TRAIN).findings]

    assert codes(watching) == codes(polling) == []
    seed.write_text("import keras\n", encoding="utf-8")  # a different size: mtime and size differ
    assert codes(polling) == ["KC301"]
    assert codes(watching) == []  # no event yet: the file is not looked at
    watching.disk_changed([str(seed)])
    assert codes(watching) == ["KC301"]
