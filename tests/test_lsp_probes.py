"""The language server's opt-in probe mode (kerascheck.editor_probes), with a real LSP client.

Off by default: the server never runs the project's code unless the client's
``initializationOptions`` say ``{"probe": true}``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from kerascheck.editor_probes import EditorProbes  # noqa: E402

pytestmark = pytest.mark.slow

SOURCE = '''import keras
from keras import layers


def build():
    inputs = keras.Input(batch_shape=(2, 5, 3))
    x = layers.Dense(3)(inputs)
    x = layers.LSTM(4, stateful=True)(x)
    return keras.Model(inputs, layers.Dense(1)(x))


if __name__ == "__main__":
    model = build()
    x = keras.random.normal((2, 5, 3))
    first = model.predict(x, batch_size=2)
    second = model.predict(x, batch_size=2)
'''


def _session(probe: bool):  # type: ignore[no-untyped-def]
    @pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "kerascheck", "lsp"]))
    async def client(lsp_client: LanguageClient, tmp_path: Path):
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
        (tmp_path / "models.py").write_text(SOURCE, encoding="utf-8")

        @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register_capability(client: LanguageClient, params: types.RegistrationParams) -> None:
            pass  # the server asks to watch configuration files: accept, as VS Code does

        await lsp_client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=tmp_path.as_uri(),
                initialization_options={"probe": True} if probe else None,
            )
        )
        yield
        await lsp_client.shutdown_session()

    return client


plain_client = _session(probe=False)
probing_client = _session(probe=True)


async def _diagnostics_until(client: LanguageClient, uri: str, done, timeout: float) -> list[types.Diagnostic]:  # type: ignore[no-untyped-def]
    """Wait for publishDiagnostics of ``uri`` until ``done(diagnostics)`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        diagnostics = list(client.diagnostics.get(uri, []))
        if done(diagnostics):
            return diagnostics
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no such diagnostics in {timeout} s; last: {[(d.code, d.range.start.line) for d in diagnostics]}")
        try:
            await asyncio.wait_for(client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), remaining)
        except asyncio.TimeoutError:
            continue


def _open(client: LanguageClient, uri: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE))
    )


def test_probe_mode_is_off_unless_the_client_opts_in() -> None:
    probes = EditorProbes()
    assert probes.enabled is False
    for options in (None, {}, {"probe": "yes"}, {"probe": 1}, ["probe"]):
        probes.configure(options)
        assert probes.enabled is False
    probes.configure({"probe": True})
    assert probes.enabled is True


@pytest.mark.asyncio
async def test_without_the_option_only_static_diagnostics(plain_client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "models.py").as_uri()
    _open(plain_client, uri)
    diagnostics = await _diagnostics_until(plain_client, uri, lambda ds: any(d.code == "KC702" for d in ds), 60)
    await asyncio.sleep(1.0)  # nothing else arrives: no probe was started
    assert all(str(d.code).startswith("KC") for d in plain_client.diagnostics[uri])
    assert not any("confirmed" in d.message for d in diagnostics)


@pytest.mark.tf
@pytest.mark.asyncio
async def test_opted_in_probe_results_appear_on_the_right_lines(probing_client: LanguageClient, tmp_path: Path) -> None:
    pytest.importorskip("keras")
    pytest.importorskip("kerascheck.static.model_factories")  # factory discovery (check --probe)
    uri = (tmp_path / "models.py").as_uri()
    _open(probing_client, uri)
    confirmed = await _diagnostics_until(
        probing_client, uri, lambda ds: any(d.code == "KC702" and "confirmed by running the model" in d.message for d in ds), 240
    )
    kc702 = [d for d in confirmed if d.code == "KC702"]
    assert [d.range.start.line for d in kc702] == [15]  # the second predict (0-based line)
    assert "KP101: stateful LSTM layer 'lstm'" in kc702[0].message
    assert not any(d.code == "KP101" for d in confirmed)  # merged into KC702, not repeated
