"""The sandbox's SQLite database: open, migrate, transactions, JSON columns.

The sandbox process is the only writer of its database, and every write goes through
the functions of this package on one lane (thread). That lets the connection carry
in-memory caches of what the hot paths read (keys, installs, endpoints...): each write
function updates or drops the entries it changes, and a rolled-back transaction drops
them all, so the caches never show a state the database does not hold.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from ...errors import ConfigurationError, StoreError
from .cache import StateCache

__all__ = ["Outcome", "StateDB", "cache_of", "connect", "dumps", "loads"]

Outcome = tuple[bool, Any]
"""A call's result: (True, its value) or (False, the exception it raised)."""

SCHEMA_VERSION = 6  # every version's schema.sql is idempotent: it upgrades older files


class StateDB(sqlite3.Connection):
    """A connection with the sandbox's caches and commit hooks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = StateCache()
        self._after_commit: list[Callable[[], None]] = []

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StateDB]:
        """One write transaction; nested uses join the outer one, which commits."""
        if self.in_transaction:
            yield self
            return
        self.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK")
            self._after_commit.clear()
            self.cache.clear()  # entries read or written inside it may never have been
            raise
        self.execute("COMMIT")
        self._run_hooks()

    def run_group(self, calls: Iterator[Callable[[], Any]]) -> list[Outcome]:
        """Run ``calls`` in one transaction, each in a savepoint: one that raises is rolled
        back (with its commit hooks) and the others still commit. If the commit itself
        fails, every call fails with its error. ``calls`` is consumed as the group runs,
        so it may yield calls that arrived meanwhile."""
        self.execute("BEGIN IMMEDIATE")
        outcomes: list[Outcome] = []
        taken = 0
        try:
            for call in calls:
                taken += 1
                hooks = len(self._after_commit)
                self.execute("SAVEPOINT call")
                try:
                    value = call()
                except BaseException as exc:
                    self.execute("ROLLBACK TO call")
                    self.execute("RELEASE call")
                    del self._after_commit[hooks:]
                    self.cache.clear()
                    outcomes.append((False, exc))
                else:
                    self.execute("RELEASE call")
                    outcomes.append((True, value))
            self.execute("COMMIT")
        except BaseException as exc:
            if self.in_transaction:
                self.execute("ROLLBACK")
            self._after_commit.clear()
            self.cache.clear()
            return [(False, exc)] * taken
        self._run_hooks()
        return outcomes

    def _run_hooks(self) -> None:
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            hook()

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the current transaction commits (never if it rolls back)."""
        if not self.in_transaction:
            hook()
            return
        self._after_commit.append(hook)


def cache_of(db: sqlite3.Connection) -> StateCache | None:
    """The connection's caches; None for a plain connection (then every read is SQL)."""
    return db.cache if isinstance(db, StateDB) else None


def connect(path: str | Path) -> StateDB:
    """Open (creating and migrating) the state database at ``path`` (or ``:memory:``)."""
    if str(path) != ":memory:" and not Path(path).parent.exists():
        raise ConfigurationError(
            f"sandbox data file {str(path)!r}: folder {str(Path(path).parent)!r} does not exist"
        )
    db = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=10, factory=StateDB
    )
    assert isinstance(db, StateDB)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # a dev tool: survive crashes, not power loss
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB: the default 2 MiB spills to reads soon
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"sandbox data {path} has schema version {version}, newer than this appevents "
            f"({SCHEMA_VERSION}): upgrade appevents or use `appevents sandbox --reset`"
        )
    if version < SCHEMA_VERSION:
        schema = (files("appevents.sandbox") / "sql" / "schema.sql").read_text()
        db.executescript(f"BEGIN IMMEDIATE;\n{schema}\nCOMMIT;")
    return db


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # json.dumps would build one per call


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def loads(text: str) -> Any:
    return json.loads(text)
