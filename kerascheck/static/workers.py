"""Worker processes that check files, so that one file can never sink the run.

Each worker holds a pipe of its own and takes one file at a time (plus one queued, so it is
never idle waiting for the parent). The parent therefore always knows which file a worker was
checking: when a worker dies (a segfault in a native parser, the kernel's OOM killer, an abort
in Rust) or exceeds the per-file time limit, that file alone gets a result saying so, the files
queued behind it go back to the queue, and a fresh worker takes the dead one's place. No other
file's findings are lost. Workers are started once per run, never once per file.
"""

from __future__ import annotations

import collections
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from kerascheck.process_exit import killed_by
from kerascheck.records import record

#: A worker checking one file for longer than this is stopped and the file reported instead.
TASK_TIMEOUT = 300.0
#: Files sent to a worker ahead of the one it is checking.
_QUEUED_PER_WORKER = 2


@record
class Crash:
    """Why a file has no result: its worker died or was stopped while checking it."""

    path: Any  # what the task was given: a path (or, for a recheck, a path and rule codes)
    reason: str


def _serve(connection: Connection, initializer: Callable[..., None], initargs: tuple[Any, ...], task: Callable[[Any], Any]) -> None:
    """A worker's main loop: paths in, results out, until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    initializer(*initargs)
    while True:
        try:
            path = connection.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        connection.send(task(path))


class _Worker:
    def __init__(self, context: Any, initializer: Callable[..., None], initargs: tuple[Any, ...], task: Callable[[Any], Any]) -> None:
        self.connection, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, initializer, initargs, task), daemon=True)
        self.process.start()
        child.close()
        self.queue: collections.deque[int] = collections.deque()  # indexes, oldest = being checked
        self.started = time.monotonic()  # when the oldest queued file became the current one

    def send(self, index: int, path: Any) -> None:
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append(index)
        self.connection.send(path)

    def stop(self, *, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except OSError:
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def _death_reason(process: Any) -> str:
    code = process.exitcode
    name = killed_by(code) if code is not None else None
    if name is not None:
        hint = ", out of memory?" if name == "SIGKILL" else ""
        return f"the parser crashed on this file (the worker checking it was killed by {name}{hint})"
    return f"the parser crashed on this file (the worker checking it exited with status {code})"


def run(
    paths: Sequence[Any],
    *,
    workers: int,
    context: Any,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    task: Callable[[Any], Any],
    timeout: float = TASK_TIMEOUT,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, result)`` for every path, in completion order; a path whose worker died
    or timed out yields a :class:`Crash` instead of a result."""
    pending = collections.deque(range(len(paths)))
    pool = [_Worker(context, initializer, initargs, task) for _ in range(max(1, min(workers, len(paths))))]
    try:
        while pending or any(worker.queue for worker in pool):
            for worker in pool:
                while pending and len(worker.queue) < _QUEUED_PER_WORKER:
                    index = pending.popleft()
                    try:
                        worker.send(index, paths[index])
                    except OSError:  # died before we could send: handled below
                        worker.queue.append(index)
                        break
            busy = [worker for worker in pool if worker.queue]
            deadline = min(worker.started for worker in busy) + timeout
            ready = wait(
                [worker.connection for worker in busy] + [worker.process.sentinel for worker in busy],
                timeout=max(0.0, deadline - time.monotonic()),
            )
            for position, worker in enumerate(pool):
                if not worker.queue:
                    continue
                lost = False
                if worker.connection in ready:
                    try:
                        result = worker.connection.recv()
                    except (EOFError, OSError):
                        lost = True  # the worker is gone (its sentinel may not be ready yet)
                    else:
                        index = worker.queue.popleft()
                        worker.started = time.monotonic()
                        yield index, result
                        continue
                if lost or worker.process.sentinel in ready or not worker.process.is_alive():
                    worker.process.join(timeout=5)
                    reason = _death_reason(worker.process)
                elif time.monotonic() - worker.started >= timeout:
                    reason = f"checking this file took longer than {timeout:.0f} s (the worker was stopped)"
                else:
                    continue
                culprit = worker.queue.popleft()
                pending.extendleft(reversed(worker.queue))  # queued behind it: try again
                worker.queue.clear()
                worker.stop(kill=True)
                pool[position] = _Worker(context, initializer, initargs, task)
                yield culprit, Crash(paths[culprit], reason)
    finally:
        for worker in pool:
            worker.stop(kill=bool(worker.queue))

