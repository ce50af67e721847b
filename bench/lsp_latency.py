"""Time from ``textDocument/didChange`` to the ``publishDiagnostics`` for that change, through a
real LSP session with ``kerascheck lsp`` (stdio), on a ~1,000-line Keras file.

    python bench/lsp_latency.py                      # keras-io's vision/cait.py, 20 edits at its end
    python bench/lsp_latency.py --where middle       # edits inside a function halfway down
    python bench/lsp_latency.py FILE --edits 50
    python bench/lsp_latency.py --burst 1500 --burst-seconds 29   # also: typing, then convergence
    python bench/lsp_latency.py --ranged             # changes sent as ranges, as VS Code does
    python bench/lsp_latency.py --in-process [--full-parse]       # where one re-check's CPU goes
    python bench/lsp_latency.py --project DIR [--project DIR2] --edits 5 --idle 60   # a big project

Each edit adds a line (a new version: a comment at the end of the file, or with ``--where middle``
an assignment inside a function body halfway down); the clock stops when diagnostics for the new
text arrive. Edits are sent one at a time, each once the previous one's diagnostics arrived, so
each is an isolated change (checked at once; ``kerascheck.lsp.DEBOUNCE_SECONDS`` applies to
bursts). Also reported: the server process's CPU time (user + system, from ``/proc``) per change,
which other load on the machine does not inflate (``/proc`` counts 10 ms ticks: each change's
figure is a multiple of 0.01 s, their median is what to compare).
With ``--burst N``, N changes are sent back to back and the time from the last one to the final
diagnostics is reported (issue 10: 85 s before debouncing).
With ``--in-process``, the same edits are checked in this process by the server's ``Linter`` and
each re-check's CPU time is split: the engine's work before the parse (read, suppressions,
CPython's syntax verdict, imports), the parse, the walk with every rule, positions of findings,
the project phase, and building and serializing the diagnostics. ``--full-parse`` parses every
version in full (the incremental parse off), for comparison.
With ``--project DIR`` (repeatable), a copy of each DIR's tree sits beside the edited file in the
workspace, so project rules collect facts from all of it (e.g. the CPython standard library plus
keras-io: ~1,900 files, under ``kerascheck.lsp.MAX_PROJECT_FILES``); ``--idle S`` then reports the
server's CPU over S seconds without any request after the edits. The client accepts the server's
file-watcher registration as VS Code does, unless ``--no-watch`` (a client that cannot watch).

First open of a big project (the server publishes the document's own diagnostics at once, then
the project rules' once the other files' facts are collected, from the result cache when it can):

    python bench/lsp_latency.py --project DIR --config --edits 5                 # cold cache
    python bench/lsp_latency.py --project DIR --config --cli-first --edits 5     # after `kerascheck check .`
    python bench/lsp_latency.py --project DIR --config --sessions 2 --edits 5    # the 2nd session: warm from the 1st

``--config`` puts a ``kerascheck.toml`` at the workspace root (the cache lives in a project's
root: with no configuration file, only when the server runs from the workspace); ``--cli-first``
runs ``kerascheck check .`` there before the session (not timed). Reported per session: the time
and server CPU from ``didOpen`` to the first diagnostics and to the complete ones (those after
the server's "project facts collected" log message; a server without that message publishes
complete diagnostics at once).
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
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

#: The shared corpus sits beside the checkout (``/work/main``) or its worktrees (``/work/wt/x``).
_SHARED = next((p / "shared" for p in Path(__file__).resolve().parents if (p / "shared" / "corpus").is_dir()), Path("shared"))
DEFAULT = _SHARED / "corpus" / "keras-io" / "examples" / "vision" / "cait.py"


async def _session(workspace: Path, watch: bool = True) -> LanguageClient:
    client = LanguageClient()
    client.facts_ready = []  # type: ignore[attr-defined]  # futures of the publication after each "facts collected"

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(client: LanguageClient, params: types.RegistrationParams) -> None:
        pass  # accepted, as VS Code does (this client sends no file events: nothing changes on disk)

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log_message(client: LanguageClient, params: types.LogMessageParams) -> None:
        if _FACTS_READY and _FACTS_READY in params.message:
            # Asked now, before any later message is read: the next publication is the complete one.
            client.facts_ready.append((params.message, client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)))  # type: ignore[attr-defined]

    await client.start_io(sys.executable, "-m", "kerascheck", "lsp")
    capabilities = client_capabilities("visual-studio-code")
    if not watch and capabilities.workspace is not None:
        capabilities.workspace.did_change_watched_files = None
    await client.initialize_session(types.InitializeParams(capabilities=capabilities, root_uri=workspace.as_uri()))
    return client


def _facts_ready_message() -> str | None:
    """The server's log message for "project facts collected" (None: a server that publishes
    complete diagnostics at once, from before background collection)."""
    from kerascheck import lsp

    return getattr(lsp, "FACTS_READY", None)


_FACTS_READY = _facts_ready_message()


def _server_cpu(client: LanguageClient) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux ``/proc``)."""
    import os

    fields = Path(f"/proc/{client._server.pid}/stat").read_text().rsplit(")", 1)[1].split()  # type: ignore[union-attr]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Counting(dict):
    """``client.diagnostics`` counting the publications it receives."""

    published = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        self.published += 1
        super().__setitem__(key, value)


def _change(client: LanguageClient, uri: str, old: str, new: str, version: int, ranged: bool) -> None:
    """Send ``new`` as the whole text, or (``ranged``, as VS Code does with a server asking for
    incremental sync) as the one range of ``old`` that changed."""
    change: types.TextDocumentContentChangeWholeDocument | types.TextDocumentContentChangePartial
    if not ranged:
        change = types.TextDocumentContentChangeWholeDocument(text=new)
    else:
        start = _common_length(old, new)
        kept = _common_length(old[start:][::-1], new[start:][::-1])
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=_position(old, start), end=_position(old, len(old) - kept)), text=new[start : len(new) - kept]
        )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change])
    )


def _common_length(a: str, b: str) -> int:
    """Length of the common prefix of ``a`` and ``b`` (binary search: the client must not slow
    the server down by comparing long texts character by character)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if a[low:middle] == b[low:middle] else (low, middle - 1)
    return low


def _position(text: str, offset: int) -> types.Position:
    """``offset`` of ``text`` as an LSP position (UTF-16 code units)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=text.count("\n", 0, offset), character=len(text[line_start:offset].encode("utf-16-le")) // 2)


def _edited(text: str, version: int, where: str) -> str:
    """``text`` with one more line: a comment at its end, or an assignment in a function body
    halfway down (at the first place from the middle where it compiles)."""
    if where == "end":
        return text + f"# edit {version}\n"
    lines = text.splitlines(keepends=True)
    for index in range(len(lines) // 2, len(lines)):
        line = lines[index]
        indent = line[: len(line) - len(line.lstrip(" "))]
        if indent and line.strip() and not line.lstrip().startswith(("#", ")", "]", "}", "else", "elif", "except", "finally")):
            candidate = "".join([*lines[:index], f"{indent}edit_{version} = {version}\n", *lines[index:]])
            try:
                compile(candidate, "bench", "exec", dont_inherit=True)
            except SyntaxError:
                continue
            return candidate
    raise SystemExit("no place for an edit in the second half of the file")


def _in_process(path: str, text: str, edits: int, where: str, full_parse: bool) -> None:
    """Check each version with the server's ``Linter`` in this process; print where the CPU goes."""
    import json
    import time
    from collections import defaultdict

    from lsprotocol.converters import get_converter
    from pygls.workspace import TextDocument

    from kerascheck import lsp
    from kerascheck.static import engine, incremental_parse, positions

    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()  # the parse and walk run on the engine's deep-stack thread
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.thread_time() - began

        return wrapper

    def parse_in_full(self: Any, text: str) -> Any:
        return libcst.parse_module(text)

    import libcst

    if full_parse:
        incremental_parse.IncrementalParser.parse = parse_in_full  # type: ignore[method-assign]
    incremental_parse.IncrementalParser.parse = timed("parse", incremental_parse.IncrementalParser.parse)  # type: ignore[method-assign]
    positions.NodePositions.span = timed("positions", positions.NodePositions.span)  # type: ignore[method-assign]
    engine.Engine._parse_and_walk = timed("parse and walk", engine.Engine._parse_and_walk)  # type: ignore[method-assign]
    engine.Engine.finish = timed("project phase", engine.Engine.finish)  # type: ignore[method-assign]
    linter = lsp.Linter(lambda: str(Path(path).parent))
    converter = get_converter()
    linter.check(path, text)
    rows = []
    for version in range(2, edits + 2):
        text = _edited(text, version, where)
        spent.clear()
        began = time.process_time()
        outcome = linter.check(path, text)
        document = TextDocument(Path(path).as_uri(), text)
        lines = text.splitlines()
        published = time.process_time()
        diagnostics = [lsp.to_diagnostic(document, lines, f) for f in outcome.findings]
        params = types.PublishDiagnosticsParams(uri=document.uri, version=version, diagnostics=diagnostics)
        json.dumps(converter.unstructure(params))
        row = dict(spent)
        row["publish"] = time.process_time() - published
        row["total"] = time.process_time() - began
        row["walk and rules"] = row["parse and walk"] - row.get("parse", 0.0) - row.get("positions", 0.0)
        row["before the parse"] = row["total"] - row["parse and walk"] - row.get("project phase", 0.0) - row["publish"]
        rows.append(row)
    print(f"in-process re-check, {'full' if full_parse else 'incremental'} parse, median of {len(rows)} edits ({where}), CPU ms:")
    for name in ("total", "before the parse", "parse", "walk and rules", "positions", "project phase", "publish"):
        values = [row.get(name, 0.0) * 1000 for row in rows]
        print(f"  {name:17} {statistics.median(values):7.1f}  (min {min(values):.1f}, max {max(values):.1f}, mean {statistics.mean(values):.1f})")
    print(f"  findings: {len(outcome.findings)}")


async def main() -> int:
    import logging

    logging.disable(logging.WARNING)  # the bare client logs every notification it has no handler for
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--where", choices=("end", "middle"), default="end", help="where each edit adds its line")
    parser.add_argument("--burst", type=int, default=0)
    parser.add_argument("--burst-seconds", type=float, default=0.0, help="spread the burst over this long (issue 10: 1,500 in 29 s)")
    parser.add_argument("--ranged", action="store_true", help="send each change as the range that changed (as VS Code does), not the whole text")
    parser.add_argument("--in-process", action="store_true", help="no server: split one re-check's CPU time in this process")
    parser.add_argument("--full-parse", action="store_true", help="with --in-process: parse every version in full")
    parser.add_argument("--project", action="append", default=[], metavar="DIR", help="copy DIR's tree into the workspace (repeatable)")
    parser.add_argument("--idle", type=float, default=0.0, metavar="S", help="report the server's CPU over S idle seconds after the edits")
    parser.add_argument("--no-watch", action="store_true", help="a client without file watching (no dynamic registration)")
    parser.add_argument("--config", action="store_true", help="a kerascheck.toml at the workspace root (where the result cache then lives)")
    parser.add_argument("--cli-first", action="store_true", help="run `kerascheck check .` in the workspace before the session (not timed)")
    parser.add_argument("--sessions", type=int, default=1, help="sessions one after the other on the same workspace (default 1)")
    args = parser.parse_args()

    workspace = Path(tempfile.mkdtemp(prefix="kerascheck-lsp-bench-"))
    for tree in args.project:
        shutil.copytree(tree, workspace / Path(tree).resolve().name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    target = workspace / Path(args.file).name
    shutil.copy(args.file, target)
    if args.config:
        (workspace / "kerascheck.toml").write_text("", encoding="utf-8")
    text = target.read_text(encoding="utf-8")
    try:
        if args.in_process:
            _in_process(str(target), text, args.edits, args.where, args.full_parse)
            return 0
        if args.cli_first:
            import subprocess

            run = subprocess.run([sys.executable, "-m", "kerascheck", "check", ".", "-q"], cwd=workspace, capture_output=True, text=True)
            print(f"kerascheck check . before the session: exit {run.returncode}")
        for session in range(1, args.sessions + 1):
            if args.sessions > 1:
                print(f"-- session {session}")
            await _measure(args, workspace, target, text)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return 0


async def _measure(args: argparse.Namespace, workspace: Path, target: Path, text: str) -> None:
    """One session: open ``target``, then the edits (and burst, idle) the options ask for."""
    import os

    uri = target.as_uri()
    client = await _session(workspace, watch=not args.no_watch)
    try:
        published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        began = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )
        await asyncio.wait_for(published, 120)
        first, first_cpu = time.perf_counter() - began, _server_cpu(client)
        sync = "ranged changes" if args.ranged else "whole-text changes"
        print(f"file: {args.file} ({len(text.splitlines())} lines), edits at the {args.where}, {sync}")
        if args.project:
            sources = sum(1 for p in workspace.rglob("*") if p.suffix in (".py", ".pyi", ".ipynb") and ".kerascheck_cache" not in p.parts)
            print(f"project: {sources} source files in {', '.join(args.project)}; client {'cannot watch' if args.no_watch else 'watches'} files")
        print(f"didOpen -> diagnostics: {first:.3f} s, server CPU {first_cpu:.2f} s (includes start-up, loading config and plugins)")
        if args.project and _FACTS_READY:
            while not client.facts_ready:  # type: ignore[attr-defined]
                await asyncio.sleep(0.01)
            message, complete = client.facts_ready[0]  # type: ignore[attr-defined]
            await asyncio.wait_for(complete, 120)
            print(
                f"didOpen -> complete diagnostics (project rules): {time.perf_counter() - began:.3f} s, server CPU {_server_cpu(client):.2f} s; "
                f"load average {os.getloadavg()[0]:.2f}; server: {message.removeprefix('kerascheck: ')}"
            )
        timings, cpu = [], []
        for version in range(2, args.edits + 2):
            old, text = text, _edited(text, version, args.where)
            published = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            cpu_before = _server_cpu(client)
            began = time.perf_counter()
            _change(client, uri, old, text, version, args.ranged)
            await asyncio.wait_for(published, 120)
            timings.append(time.perf_counter() - began)
            cpu.append(_server_cpu(client) - cpu_before)
        print(
            f"didChange -> diagnostics over {len(timings)} edits: median {statistics.median(timings):.3f} s, "
            f"min {min(timings):.3f} s, max {max(timings):.3f} s; server CPU per change: median {statistics.median(cpu):.3f} s, "
            f"total {sum(cpu):.2f} s"
        )
        if args.burst:
            # The final version ends with a KC102 call on its last line: only diagnostics
            # computed for the final text report it there (cait.py imports keras).
            pause = args.burst_seconds / args.burst
            cpu_began = _server_cpu(client)
            counted = _Counting(client.diagnostics)
            client.diagnostics = counted
            for _ in range(args.burst - 1):
                version += 1
                old, text = text, text + "x = 1\n"
                _change(client, uri, old, text, version, args.ranged)
                if pause:
                    await asyncio.sleep(pause)
            version += 1
            old = text
            text += "burst_model = keras.models.load_model('m.keras')\nprobs = burst_model.predict_proba(x)\n"
            final_line = len(text.splitlines()) - 1
            _change(client, uri, old, text, version, args.ranged)
            sent = time.perf_counter()
            cpu_sent = _server_cpu(client)
            during = counted.published
            while True:
                params = await asyncio.wait_for(client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 300)
                if any(d.code == "KC102" and d.range.start.line == final_line for d in params.diagnostics):
                    break
            print(
                f"burst of {args.burst} changes: diagnostics for the final text {time.perf_counter() - sent:.3f} s after the last change "
                f"was sent; {during} checks published during the burst; server CPU {cpu_sent - cpu_began:.2f} s during the burst, "
                f"{_server_cpu(client) - cpu_sent:.3f} s after it"
            )
        if args.idle:
            idle_began = _server_cpu(client)
            await asyncio.sleep(args.idle)
            print(f"idle {args.idle:.0f} s: server CPU {_server_cpu(client) - idle_began:.3f} s")
    finally:
        await client.shutdown_session()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
