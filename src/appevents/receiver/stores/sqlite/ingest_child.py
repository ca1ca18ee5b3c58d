"""The SQLite ingest process itself (started by ``ingest_process.IngestProcess``).

    python -m appevents.receiver.stores.sqlite.ingest_child PATH --fd N --busy-timeout S
        --autocheckpoint PAGES

Not imported by the package: running it with ``-m`` loads it once, as ``__main__``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import socket
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ....errors import StoreUnavailable
from .connection import Connection
from .ingest import insert_rows
from .ingest_process import FRAME_LENGTH, frame

__all__ = ["main"]

_MAX_FRAMES = 1000
_MAX_BYTES = 16 << 20


class _Frames:
    """Frames from a blocking socket: the first one waited for, then all already there."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.closed = False

    def read(self) -> list[Any]:
        frames = self._complete()
        while not frames and not self.closed:
            self._receive(0)
            frames = self._complete()
        # Whatever else is already there joins this transaction, up to a bound: a parent
        # that keeps writing must not keep the batches it sent first from committing.
        while not self.closed and len(frames) < _MAX_FRAMES and len(self.buffer) < _MAX_BYTES:
            try:
                self._receive(socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            frames += self._complete()
        return frames

    def _receive(self, flags: int) -> None:
        data = self.sock.recv(1 << 20, flags)
        if not data:
            self.closed = True
        self.buffer += data

    def _complete(self) -> list[Any]:
        frames = []
        while len(self.buffer) >= FRAME_LENGTH.size:
            (length,) = FRAME_LENGTH.unpack_from(self.buffer)
            end = FRAME_LENGTH.size + length
            if len(self.buffer) < end:
                break
            frames.append(pickle.loads(self.buffer[FRAME_LENGTH.size : end]))  # noqa: S301
            del self.buffer[:end]
        return frames


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="appevents: the SQLite ingest process")
    parser.add_argument("path", type=Path)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--busy-timeout", type=float, required=True)
    parser.add_argument("--autocheckpoint", type=int, required=True)
    args = parser.parse_args(argv)
    # ^C and SIGTERM reach the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    connection = Connection(args.path, "appevents-sqlite-ingest", args.busy_timeout)
    try:
        connection.connect(autocheckpoint=args.autocheckpoint)
    except StoreUnavailable as exc:
        sock.sendall(frame(("error", str(exc))))
        return 1
    try:
        sock.sendall(frame(("ready", None)))
        frames = _Frames(sock)
        while batches := frames.read():
            rows = [row for batch in batches for row in batch]
            try:
                new = insert_rows(connection, rows)
            except sqlite3.Error as exc:
                message = f"SQLite store {args.path} could not commit: {exc}"
                sock.sendall(b"".join(frame(("error", message)) for _ in batches))
                continue
            answers, start = [], 0
            for batch in batches:
                answers.append(frame(("ok", new[start : start + len(batch)])))
                start += len(batch)
            sock.sendall(b"".join(answers))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone: nobody waits for an answer
    finally:
        connection.close()
        os.close(sock.detach())
    return 0


if __name__ == "__main__":
    sys.exit(main())
