"""Who writes the SQLite file next: the receiver first, across threads and processes.

SQLite allows one writer at a time. Left to its busy handler, a writer that finds the
file locked sleeps in steps of up to 100 ms, and a worker committing in a loop keeps
winning: the receiver's latency would follow the worker's backlog. So every writer
takes two ``flock(2)`` locks on files beside the database before ``BEGIN IMMEDIATE``:

- ``<db>-writer.lock``, exclusive: the right to write, held until COMMIT;
- ``<db>-intent.lock``: the receiver holds it exclusively while it waits for and holds
  the writer lock; the worker takes it shared only on its way in, and tests it
  between events. A receiver that wants to write therefore stops new worker batches
  from starting and makes the running one commit after its current event.

``flock`` waits wake up as soon as the lock is released (no sleeping in steps; a
receiver's wait, bounded by its busy timeout, tries every 0.1 to 5 ms instead), locks
belong to open files (two connections of one process exclude each other like two
processes do), and the kernel drops them when a process dies, so a crash never leaves
the file locked. Connections that skip these locks (another program) still meet
SQLite's own lock and busy timeout: correctness never depends on this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["WriterLock"]


class WriterLock:
    """One connection's handle on the two lock files (open one per connection)."""

    def __init__(self, database: Path) -> None:
        self.paths = (Path(f"{database}-writer.lock"), Path(f"{database}-intent.lock"))
        self._writer = -1
        self._intent = -1

    def open(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        writer_path, intent_path = self.paths
        self._writer = os.open(writer_path, flags, 0o600)
        self._intent = os.open(intent_path, flags, 0o600)

    def close(self) -> None:
        for fd in (self._writer, self._intent):
            if fd >= 0:
                os.close(fd)  # closing the file releases its locks
        self._writer = self._intent = -1

    @contextlib.contextmanager
    def for_ingest(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the write right with priority over workers (blocks the calling thread).

        ``timeout``: seconds to wait for it at most, then ``sqlite3.OperationalError``, as
        SQLite's own busy timeout ends a wait: a receiver's commit must not wait without
        bound behind a worker that itself waits for another program's lock."""
        deadline = None if timeout is None else time.monotonic() + timeout
        _flock(self._intent, deadline, timeout)
        try:
            _flock(self._writer, deadline, timeout)
            try:
                yield
            finally:
                fcntl.flock(self._writer, fcntl.LOCK_UN)
        finally:
            fcntl.flock(self._intent, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def for_worker(self) -> Iterator[None]:
        """Hold the write right once no receiver is waiting for it (blocks the thread)."""
        fcntl.flock(self._intent, fcntl.LOCK_SH)
        try:
            fcntl.flock(self._writer, fcntl.LOCK_EX)
        finally:
            fcntl.flock(self._intent, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._writer, fcntl.LOCK_UN)

    def ingest_waiting(self) -> bool:
        """Whether a receiver (of any process) wants the write right now."""
        try:
            fcntl.flock(self._intent, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._intent, fcntl.LOCK_UN)
        return False


_FIRST_STEP, _LONGEST_STEP = 0.0001, 0.005  # seconds between tries of a bounded wait


def _flock(fd: int, deadline: float | None, timeout: float | None) -> None:
    """Take ``fd``'s lock exclusively: a blocking wait, or tries until ``deadline``."""
    if deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    step = _FIRST_STEP
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise sqlite3.OperationalError(
                f"database is locked: another appevents connection held its writer lock "
                f"for more than {timeout:g} s"
            )
        time.sleep(step)
        step = min(step * 2, _LONGEST_STEP)
