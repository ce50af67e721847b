"""On a project of more than ``kerascheck.lsp.BACKGROUND_FACTS`` files, the language server
publishes a document's diagnostics at once without the project rules', collects the other files'
facts in the background (from the result cache that ``kerascheck check`` and earlier sessions
wrote, else by checking them) and then publishes the project rules' findings too, equal to what
``kerascheck check .`` reports. Real sessions (pytest-lsp) with ``kerascheck lsp`` over stdio and
real ``kerascheck check`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import make_test_lsp_client  # noqa: E402

from kerascheck.findings import Location  # noqa: E402
from kerascheck.lsp import BACKGROUND_FACTS, FACTS_READY, FACTS_STORED  # noqa: E402
from kerascheck.static.cache import ResultCache, relocated  # noqa: E402
from kerascheck.static.engine import FileResult  # noqa: E402

pytestmark = pytest.mark.slow

TIMEOUT = 60.0
#: Several programs, each starting a different project rule's finding from another file's facts
#: (or its absence), plus one single-file finding (KC102) the first publication already has.
PROJECT = {
    "kerascheck.toml": "",
    "unseeded.py": "import keras\nimport utils.data\nmodel = keras.Sequential()\nmodel.fit(x, y)\nmodel.predict_proba(x)\n",
    "seeding.py": "import keras\nkeras.utils.set_random_seed(0)\n",
    "seeded.py": "import keras\nimport seeding\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
    "utils/__init__.py": "",
    "utils/data.py": "import numpy as np\nx = np.zeros((4, 2))\ny = np.zeros(4)\n",
    "utils/seed.py": "import tensorflow as tf\n\ndef seed_everything(s):\n    tf.random.set_seed(s)\n",
    "train_partial.py": "import keras\nfrom utils.seed import seed_everything\nseed_everything(1)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
    "prepare.py": (
        "import keras\nfrom sklearn.preprocessing import StandardScaler\nfrom artifacts import save_artifacts\n\n"
        "scaler = StandardScaler()\nx_train = scaler.fit_transform(x_train)\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
        "model.fit(x_train, y_train)\nmodel.save('model.keras')\n"
    ),
    "artifacts.py": "import joblib\n\ndef save_artifacts(history):\n    joblib.dump(history, 'history.joblib')\n",
    "layers.py": "import keras\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n        return x * 2\n",
    "train_layers.py": "import keras\nfrom layers import Scale\nmodel = keras.Sequential([Scale()])\nmodel.save('m.keras')\n",
    **{f"misc/module_{i}.py": f"def helper_{i}(x):\n    return x + {i}\n" for i in range(BACKGROUND_FACTS + 2)},
}
OPENED = ("unseeded.py", "seeded.py", "utils/seed.py", "prepare.py", "layers.py")
PROJECT_CODES = ("KC301", "KC302", "KC304", "KC401", "KC404")
SOURCES = sum(1 for name in PROJECT if name.endswith(".py"))


def _write(project: Path) -> None:
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")


def _check_json(project: Path) -> dict[str, list[tuple[str, int, int, str]]]:
    """``kerascheck check .`` in ``project`` (it writes the result cache): findings per file."""
    run = subprocess.run(
        [sys.executable, "-m", "kerascheck", "check", ".", "--output-format", "json"], capture_output=True, text=True, cwd=project, timeout=120
    )
    assert run.returncode in (0, 1), run.stderr
    found: dict[str, list[tuple[str, int, int, str]]] = {}
    for f in json.loads(run.stdout):
        found.setdefault(f["filename"], []).append((f["code"], f["location"]["row"] - 1, f["location"]["column"] - 1, f["message"]))
    return {name: sorted(rows) for name, rows in found.items()}


def _shown(diagnostics: list[types.Diagnostic] | tuple[types.Diagnostic, ...]) -> list[tuple[str, int, int, str]]:
    return sorted((str(d.code), d.range.start.line, d.range.start.character, d.message) for d in diagnostics)


@contextlib.asynccontextmanager
async def _session(project: Path) -> AsyncIterator[LanguageClient]:
    client = make_test_lsp_client()  # records diagnostics and log messages

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(client: LanguageClient, params: types.RegistrationParams) -> None:
        pass  # accepted, as VS Code does

    await client.start_io(sys.executable, "-m", "kerascheck", "lsp")
    await client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=project.as_uri()))
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def _open(client: LanguageClient, path: Path) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=path.read_text(encoding="utf-8"))
        )
    )


async def _first_publication(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    """Open ``path``; the diagnostics of the first publication for it."""
    uri = path.as_uri()
    while True:
        published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if uri not in client.diagnostics:
            _open(client, path)
        params = await asyncio.wait_for(published, TIMEOUT)
        if params.uri == uri:
            return list(params.diagnostics)


async def _facts_collected(client: LanguageClient) -> tuple[int, int, int]:
    """(files, from the result cache, checked) of the server's log once the collection is done."""
    pattern = re.compile(rf"{FACTS_READY}: (\d+) files .*\((\d+) from the result cache, (\d+) checked\)")
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for message in client.log_messages:
            match = pattern.search(message.message)
            if match:
                files, cached, checked = (int(group) for group in match.groups())
                return files, cached, checked
        await asyncio.sleep(0.05)
    raise AssertionError(f"no '{FACTS_READY}' message: {[m.message for m in client.log_messages]}")


async def _logged(client: LanguageClient, text: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not any(text in message.message for message in client.log_messages):
        assert time.monotonic() < deadline, f"no {text!r} message: {[m.message for m in client.log_messages]}"
        await asyncio.sleep(0.05)


async def _settled(client: LanguageClient, path: Path, expected: list[tuple[str, int, int, str]]) -> list[tuple[str, int, int, str]]:
    """The diagnostics of ``path`` once they equal ``expected`` (what the command line reports),
    or the last ones published when they never do (the caller's assertion then shows both)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        shown = _shown(client.diagnostics.get(path.as_uri(), []))
        if shown == expected:
            return shown
        await asyncio.sleep(0.05)
    return _shown(client.diagnostics.get(path.as_uri(), []))


async def _project_findings_agree(client: LanguageClient, project: Path, expected: dict[str, list[tuple[str, int, int, str]]]) -> None:
    for name in OPENED:
        path = project / name
        if path.as_uri() not in client.diagnostics:
            await _first_publication(client, path)
        assert await _settled(client, path, expected.get(name, [])) == expected.get(name, []), name


@pytest.mark.asyncio
async def test_first_publication_waits_for_no_project_facts_and_the_complete_one_equals_the_command_line(tmp_path: Path) -> None:
    _write(tmp_path)
    async with _session(tmp_path) as client:
        first = await _first_publication(client, tmp_path / "unseeded.py")
        # Published before any other file was read: the single-file finding, no project rule's.
        assert [str(d.code) for d in first] == ["KC102"]
        files, cached, checked = await _facts_collected(client)
        assert (files, cached, checked) == (SOURCES - 1, 0, SOURCES - 1)  # a cold cache: every other file checked
        expected = _check_json(tmp_path)
        assert {code for rows in expected.values() for code, *_ in rows} >= {"KC301", "KC302", "KC401", "KC404"}
        await _project_findings_agree(client, tmp_path, expected)
        await _logged(client, f"{FACTS_STORED}: {SOURCES - 1} files")  # after the publications

    # A second session reads the facts the first one stored.
    async with _session(tmp_path) as client:
        await _first_publication(client, tmp_path / "unseeded.py")
        assert await _facts_collected(client) == (SOURCES - 1, SOURCES - 1, 0)
        await _project_findings_agree(client, tmp_path, expected)


@pytest.mark.asyncio
async def test_a_project_checked_on_the_command_line_opens_from_its_cache(tmp_path: Path) -> None:
    _write(tmp_path)
    expected = _check_json(tmp_path)  # as pre-commit or CI would have: every file's facts cached
    async with _session(tmp_path) as client:
        first = await _first_publication(client, tmp_path / "unseeded.py")
        assert not {str(d.code) for d in first} & set(PROJECT_CODES)
        assert await _facts_collected(client) == (SOURCES - 1, SOURCES - 1, 0)  # none checked again
        await _project_findings_agree(client, tmp_path, expected)


def test_a_cached_result_of_a_run_from_the_project_root_is_relocated_to_absolute_paths(tmp_path: Path) -> None:
    """``kerascheck check .`` names files relative to where it runs; the server names them by
    absolute path: the entry is found under the relative name and every path made absolute."""
    target = tmp_path / "pkg" / "train.py"
    target.parent.mkdir()
    target.write_text("import keras\n", encoding="utf-8")
    (tmp_path / "pkg" / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    cache = ResultCache(tmp_path / "cache", "0" * 20, b"k" * 32)
    stored = FileResult(
        "pkg/train.py",
        facts={"KC301": [Location("pkg/train.py", 2, 1)], "KC302": [Location("pkg/train.py", 2, 1)]},
        dependencies=(("pkg/helpers.py", _digest(tmp_path / "pkg" / "helpers.py")),),
    )
    cache.store("pkg/train.py", bytes.fromhex(_digest(target)), stored)

    found = cache.lookup(str(target), run_from=str(tmp_path))
    assert found is not None
    assert found.path == str(target)
    assert found.facts["KC301"] == [Location(str(target), 2, 1)]
    assert found.facts["KC301"] is found.facts["KC302"]  # equal lists of one family shared again
    assert found.dependencies == ((str(tmp_path / "pkg" / "helpers.py"), _digest(tmp_path / "pkg" / "helpers.py")),)
    assert cache.lookup(str(target)) is None  # the absolute name is another entry
    (tmp_path / "pkg" / "helpers.py").write_text("x = 2\n", encoding="utf-8")
    assert cache.lookup(str(target), run_from=str(tmp_path)) is None  # a dependency changed: read from its absolute path
    assert relocated(FileResult("/abs/a.py"), str(tmp_path)).path == "/abs/a.py"


def _digest(path: Path) -> str:
    from kerascheck.static.cache_key import digest

    return digest(path.read_bytes()).hex()


@pytest.mark.asyncio
async def test_a_left_out_helper_changed_on_disk_is_read_again_by_the_project_phase(tmp_path: Path) -> None:
    """The project phase keeps what it read of the files the pre-filter left out for the whole
    session; a change the editor reports makes it read the file again. ``helper.py`` names no
    Keras and no ``fit``: left out, brought back only once it seeds."""
    (tmp_path / "kerascheck.toml").write_text("", encoding="utf-8")
    train = tmp_path / "train.py"
    train.write_text("import keras\nfrom helper import seed_all\nseed_all()\nmodel = keras.Sequential()\nmodel.fit(x, y)\n", encoding="utf-8")
    helper = tmp_path / "helper.py"
    helper.write_text("def seed_all():\n    pass\n", encoding="utf-8")
    async with _session(tmp_path) as client:
        first = _shown(await _first_publication(client, train))
        assert first == _check_json(tmp_path)["train.py"] and [code for code, *_ in first] == ["KC301"]
        for version in range(2, 5):  # checks of unchanged files reuse what was read
            await _published_after_change(client, train, version)
        helper.write_text("import random\n\ndef seed_all():\n    random.seed(0)\n", encoding="utf-8")
        changed = types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=helper.as_uri(), type=types.FileChangeType.Changed)])
        published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        client.workspace_did_change_watched_files(changed)
        params = await asyncio.wait_for(published, TIMEOUT)
        assert params.uri == train.as_uri()
        assert _shown(params.diagnostics) == _check_json(tmp_path).get("train.py", []) == []  # seeded now: no KC301


async def _published_after_change(client: LanguageClient, path: Path, version: int) -> None:
    """Send ``path``'s text again as ``version``; wait for its diagnostics."""
    published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=path.read_text(encoding="utf-8"))],
        )
    )
    await asyncio.wait_for(published, TIMEOUT)


@pytest.mark.asyncio
async def test_without_a_configuration_file_the_cache_of_another_directory_is_neither_read_nor_written(tmp_path: Path) -> None:
    """No configuration file: the configuration's root is the server's working directory (this
    test's), not the workspace, so the server uses no cache (it would write one elsewhere)."""
    _write(tmp_path)
    (tmp_path / "kerascheck.toml").unlink()
    async with _session(tmp_path) as client:
        await _first_publication(client, tmp_path / "unseeded.py")
        assert await _facts_collected(client) == (SOURCES - 1, 0, SOURCES - 1)
        await _logged(client, f"{FACTS_STORED}: 0 files")
    assert not (tmp_path / ".kerascheck_cache").exists()
