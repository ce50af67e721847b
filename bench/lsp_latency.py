"""Time from ``textDocument/didChange`` to the ``publishDiagnostics`` for that change, through a
real LSP session with ``kerascheck lsp`` (stdio), on a ~1,000-line Keras file.

    python bench/lsp_latency.py                      # keras-io's vision/cait.py, 20 edits
    python bench/lsp_latency.py FILE --edits 50
    python bench/lsp_latency.py --burst 1500 --burst-seconds 29   # also: typing, then convergence

Each edit appends a comment line (a new version); the clock stops when diagnostics for the new
text arrive. The time includes the server's debounce (``kerascheck.lsp.DEBOUNCE_SECONDS``, which
an isolated change does not wait for). Also reported: the server process's CPU time (user +
system, from ``/proc``) per change, which other load on the machine does not inflate.
With ``--burst N``, N changes are sent back to back and the time from the last one to the final
diagnostics is reported (issue 10: 85 s before debouncing).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

#: The shared corpus sits beside the checkout (``/work/main``) or its worktrees (``/work/wt/x``).
_SHARED = next((p / "shared" for p in Path(__file__).resolve().parents if (p / "shared" / "corpus").is_dir()), Path("shared"))
DEFAULT = _SHARED / "corpus" / "keras-io" / "examples" / "vision" / "cait.py"


async def _session(workspace: Path) -> LanguageClient:
    client = LanguageClient()
    await client.start_io(sys.executable, "-m", "kerascheck", "lsp")
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=workspace.as_uri())
    )
    return client


def _server_cpu(client: LanguageClient) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux ``/proc``)."""
    import os

    fields = Path(f"/proc/{client._server.pid}/stat").read_text().rsplit(")", 1)[1].split()  # type: ignore[union-attr]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def main() -> int:
    import logging

    logging.disable(logging.WARNING)  # the bare client logs every notification it has no handler for
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--burst", type=int, default=0)
    parser.add_argument("--burst-seconds", type=float, default=0.0, help="spread the burst over this long (issue 10: 1,500 in 29 s)")
    args = parser.parse_args()

    workspace = Path(tempfile.mkdtemp(prefix="kerascheck-lsp-bench-"))
    target = workspace / Path(args.file).name
    shutil.copy(args.file, target)
    text = target.read_text(encoding="utf-8")
    uri = target.as_uri()
    client = await _session(workspace)
    try:
        published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        began = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )
        await asyncio.wait_for(published, 120)
        print(f"file: {args.file} ({len(text.splitlines())} lines)")
        print(f"didOpen -> diagnostics: {time.perf_counter() - began:.3f} s (includes loading config and plugins)")
        timings, cpu = [], []
        for version in range(2, args.edits + 2):
            text += f"# edit {version}\n"
            published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            cpu_before = _server_cpu(client)
            began = time.perf_counter()
            _change(client, uri, text, version)
            await asyncio.wait_for(published, 120)
            timings.append(time.perf_counter() - began)
            cpu.append(_server_cpu(client) - cpu_before)
        print(
            f"didChange -> diagnostics over {len(timings)} edits: median {statistics.median(timings):.3f} s, "
            f"min {min(timings):.3f} s, max {max(timings):.3f} s; server CPU per change: median {statistics.median(cpu):.3f} s"
        )
        if args.burst:
            # The final version ends with a KC102 call on its last line: only diagnostics
            # computed for the final text report it there (cait.py imports keras).
            pause = args.burst_seconds / args.burst
            for _ in range(args.burst - 1):
                version += 1
                text += "x = 1\n"
                _change(client, uri, text, version)
                if pause:
                    await asyncio.sleep(pause)
            version += 1
            text += "burst_model = keras.models.load_model('m.keras')\nprobs = burst_model.predict_proba(x)\n"
            final_line = len(text.splitlines()) - 1
            _change(client, uri, text, version)
            sent = time.perf_counter()
            while True:
                params = await asyncio.wait_for(client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 300)
                if any(d.code == "KC102" and d.range.start.line == final_line for d in params.diagnostics):
                    break
            print(f"burst of {args.burst} changes: diagnostics for the final text {time.perf_counter() - sent:.3f} s after the last change was sent")
    finally:
        await client.shutdown_session()
        shutil.rmtree(workspace, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
