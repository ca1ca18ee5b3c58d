"""The SQLite store's plumbing: connections on lanes, and who writes next."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ...errors import StoreError, StoreUnavailable
from .lane import Lane
from .queries import load_script

__all__ = ["SCHEMA_VERSION", "Connection", "WriteGate", "run_without_suspending"]

T = TypeVar("T")
SCHEMA_VERSION = 2
MIGRATIONS = {2: "0002_attempt_tenants.sql"}  # version reached -> script from the one before


class WriteGate:
    """Who writes next, decided in-process rather than by SQLite's busy handler.

    SQLite allows one writer; left to its busy handler, the waiting side sleeps in steps
    of up to 100 ms and the worker, committing in a loop, keeps winning. Here the
    receiver's commits queue on a FIFO lock, and the worker yields between events as
    soon as one is waiting. Other processes on the same file still meet the busy handler.
    """

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self.ingest_waiting = 0

    def _get(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    @contextlib.asynccontextmanager
    async def for_ingest(self) -> AsyncIterator[None]:
        lock = self._get()
        self.ingest_waiting += 1
        try:
            await lock.acquire()
        finally:
            self.ingest_waiting -= 1
        try:
            yield
        finally:
            lock.release()

    @contextlib.asynccontextmanager
    async def for_worker(self) -> AsyncIterator[None]:
        async with self._get():
            yield


class Connection:
    """A sqlite3 connection and the lane it lives on."""

    def __init__(self, path: Path, name: str, busy_timeout: float) -> None:
        self.path = path
        self.lane = Lane(name)
        self.busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None
        return self._db

    def connect(self) -> None:
        try:
            db = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite store {self.path}: {exc}") from exc
        self._db = db

    def migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION, in one transaction that holds the write lock, so
        processes opening the same new or old file at once migrate it exactly once."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = self.db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"SQLite store {self.path} has schema version {version}, newer than this "
                    f"appevents understands ({SCHEMA_VERSION}): upgrade appevents"
                )
            if version == 0:  # a new file: the schema as it is now
                scripts = ["sqlite_schema.sql"]
            else:
                scripts = [
                    f"sqlite_migrations/{MIGRATIONS[v]}"
                    for v in range(version + 1, SCHEMA_VERSION + 1)
                ]
            for script in scripts:
                for statement in statements(load_script(script)):
                    self.db.execute(statement)
        except BaseException:
            self.rollback()
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def rollback(self) -> None:
        if self._db is not None and self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @contextlib.contextmanager
    def transaction(self, begin: str = "BEGIN") -> Any:
        self.db.execute(begin)
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.db.execute("COMMIT")

    def fetchone(self, sql: str, params: Sequence[Any]) -> Any:
        return self.db.execute(sql, params).fetchone()

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self.db.execute(sql, params).fetchall()


def run_without_suspending(coroutine: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never really waits (an inline batch's ``work``)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError(
        "work suspended during an inline batch: only apps whose handlers are all sync may "
        "be processed inline"
    )


def statements(script: str) -> Iterator[str]:
    """The statements of a SQL script, one at a time (executescript would commit)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
