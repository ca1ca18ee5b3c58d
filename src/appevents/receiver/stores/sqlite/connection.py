"""The SQLite store's plumbing: connections on lanes, and who writes next."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ....errors import StoreError, StoreUnavailable
from ..lane import Lane
from ..queries import load_script
from .lock import WriterLock

__all__ = ["SCHEMA_VERSION", "Connection", "run_without_suspending"]

T = TypeVar("T")
SCHEMA_VERSION = 5
# The version a script reaches -> the script, which starts from the version before.
MIGRATIONS = {
    2: "0002_attempt_tenants.sql",
    3: "0003_payloads_apart.sql",
    4: "0004_workers.sql",
    5: "0005_catchup.sql",
}


class Connection:
    """A sqlite3 connection, the lane it lives on and its handle on the writer lock."""

    def __init__(self, path: Path, name: str, busy_timeout: float) -> None:
        self.path = path
        self.lane = Lane(name)
        self.busy_timeout = busy_timeout
        self.lock = WriterLock(path)
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None
        return self._db

    def connect(self, *, autocheckpoint: int = 1000) -> None:
        """``autocheckpoint``: WAL pages after which a commit of this connection also copies
        the WAL into the database (0: never; see SQLiteStore for who checkpoints)."""
        try:
            db = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            # Statement journals stay in memory: spilled, each multi-row INSERT would create,
            # write and delete a temporary file.
            db.execute("PRAGMA temp_store = MEMORY")
            db.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
            self.lock.open()
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open SQLite store {self.path}: {exc}") from exc
        self._db = db

    def migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION, in one transaction that holds the write lock, so
        processes opening the same new or old file at once migrate it exactly once."""
        with self.lock.for_worker():
            self._migrate()

    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = self.db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"SQLite store {self.path} has schema version {version}, newer than this "
                    f"appevents understands ({SCHEMA_VERSION}): upgrade appevents"
                )
            if version == 0:  # a new file: the schema as it is now
                scripts = ["schema.sql"]
            else:
                scripts = [
                    f"migrations/{MIGRATIONS[v]}" for v in range(version + 1, SCHEMA_VERSION + 1)
                ]
            for script in scripts:
                for statement in statements(load_script(__package__, script)):
                    self.db.execute(statement)
        except BaseException:
            self.rollback()
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self.lock.close()

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

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A write transaction taken after the writer lock, as the worker and CLI write."""
        with self.lock.for_worker(), self.transaction("BEGIN IMMEDIATE"):
            yield

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
