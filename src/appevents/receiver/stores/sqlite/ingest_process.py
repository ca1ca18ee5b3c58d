"""The SQLite store's ingest commits, in a child process of their own.

Why a process: sqlite3 lets go of the GIL for every statement it runs and must take it
back to return. On a thread beside a busy event loop, each of the half-dozen calls of
one commit (lock, BEGIN, SELECT, INSERT, COMMIT, unlock) waits for the loop to yield
the GIL (measured: that doubles a commit's time, and so every request's latency).
In a child process the commit has an interpreter to itself, and the event loop only
writes a batch to a socket and reads the answer.

Protocol, over a socketpair: frames of a 4-byte big-endian length and a pickle.

- parent -> child: a list of :data:`~.ingest.Row`, one frame per batch;
- child -> parent: first ``("ready", None)`` or ``("error", message)``; then, for each
  batch in the order received, ``("ok", [new?...])`` or ``("error", message)``.

The child commits every batch that has arrived meanwhile in one transaction (a group
commit of group commits; at most 1,000 batches or 16 MB), then answers each. It ignores
SIGINT and SIGTERM, which reach the whole process group, and stops at end-of-file: when
the parent closes its end, or dies, even by SIGKILL. A batch already read is committed
and answered before it stops.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import pickle
import socket
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ....errors import StoreUnavailable
from .ingest import Row

__all__ = ["FRAME_LENGTH", "IngestProcess", "frame"]

_CHILD = __name__.rpartition(".")[0] + ".ingest_child"

FRAME_LENGTH = struct.Struct(">I")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def frame(message: object) -> bytes:
    # A socketpair between this process and its own child: nothing else can write to it,
    # so unpickling what arrives is safe.
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_LENGTH.pack(len(data)) + data


class IngestProcess:
    """The parent's side: start the child, send it batches, await their answers."""

    def __init__(self, path: Path, *, busy_timeout: float, autocheckpoint: int) -> None:
        self.path = path
        self._arguments = [str(path), "--busy-timeout", str(busy_timeout),
                           "--autocheckpoint", str(autocheckpoint)]  # fmt: skip
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._answers: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[list[bool]]] = collections.deque()
        self._starting: asyncio.Lock | None = None

    async def start(self) -> None:
        """Start the child and wait until its connection is open (raises StoreUnavailable)."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._writer is None:
                await self._spawn()

    async def insert(self, rows: Sequence[Row]) -> list[bool]:
        """Have the child commit ``rows`` (see :func:`insert_rows`); StoreUnavailable if not."""
        if self._writer is None:  # the child died: the next batch starts another one
            await self.start()
        assert self._writer is not None
        answer: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        self._writer.write(frame(rows))
        return await answer

    async def stop(self) -> None:
        """Let the child commit what it was sent, then wait for it to exit."""
        writer, process = self._writer, self._process
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.write_eof()  # the child reads end-of-file once it has read the rest
        if self._answers is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._answers), STOP_TIMEOUT)
        if process is not None:
            await _reap(process)
        self._close_socket()

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", _CHILD, *self._arguments, "--fd", str(theirs.fileno())]
        try:
            # Our own interpreter and module; the arguments are the store's own settings.
            self._process = await asyncio.create_subprocess_exec(
                *command, pass_fds=(theirs.fileno(),)
            )
        except OSError as exc:
            ours.close()
            raise StoreUnavailable(
                f"cannot start the ingest process for {self.path}: {exc}"
            ) from exc
        finally:
            theirs.close()
        self._reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        try:
            status, detail = await asyncio.wait_for(self._read(), START_TIMEOUT)
        except (OSError, EOFError, asyncio.IncompleteReadError, TimeoutError) as exc:
            status, detail = "error", f"it exited before it was ready ({exc!r})"
        if status != "ready":
            process = self._process
            self._close_socket()
            if process is not None:
                await _reap(process)
            raise StoreUnavailable(f"the ingest process for {self.path} did not start: {detail}")
        self._answers = asyncio.get_running_loop().create_task(
            self._read_answers(), name="appevents-ingest-answers"
        )

    async def _read(self) -> Any:
        assert self._reader is not None
        (length,) = FRAME_LENGTH.unpack(await self._reader.readexactly(FRAME_LENGTH.size))
        return pickle.loads(await self._reader.readexactly(length))  # noqa: S301 (see frame)

    async def _read_answers(self) -> None:
        try:
            while True:
                status, value = await self._read()
                answer = self._waiting.popleft()
                if answer.done():
                    continue
                if status == "ok":
                    answer.set_result(value)
                else:
                    answer.set_exception(StoreUnavailable(str(value)))
        except (OSError, EOFError, asyncio.IncompleteReadError):
            pass
        code = self._process.returncode if self._process is not None else None
        how = "its connection closed" if code is None else f"exit status {code}"
        error = StoreUnavailable(
            f"the ingest process for {self.path} stopped ({how}) before it answered: the "
            "batch may or may not be stored; Stripe will deliver it again"
        )
        self._close_socket()
        while self._waiting:
            answer = self._waiting.popleft()
            if not answer.done():
                answer.set_exception(error)

    def _close_socket(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        self._answers = None


async def _reap(process: asyncio.subprocess.Process) -> None:
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
