"""The two stores under test, and what the benchmark reads from them.

Each configuration of each run gets a fresh, empty store: a new PostgreSQL schema
(dropped afterwards) or a new SQLite file on disk. The benchmark reads it over its own
connection: the ids a load stored, the backlog, how many events reached ``done`` inside
the timed window (``completed_at`` is the worker's ``time.time()``, the same clock as
ours), and whether effects and done events match one for one.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import psycopg

__all__ = ["EffectsCheck", "Inbox", "postgres_inbox", "sqlite_inbox"]

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class EffectsCheck:
    done: int
    effects: int
    twice: int
    """Events with more than one effect row (an effect ran twice)."""
    done_without_effect: int
    effect_without_done: int
    unfinished: int
    """Events not done after the drain (pending, failed, dead, skipped)."""

    @property
    def ok(self) -> bool:
        return (
            self.done == self.effects
            and not self.twice
            and not self.done_without_effect
            and not self.effect_without_done
            and not self.unfinished
        )

    @property
    def detail(self) -> str:
        if self.ok:
            return f"effects == done ({self.done:,}), none twice"
        return (
            f"done {self.done}, effects {self.effects}, {self.twice} twice, "
            f"{self.done_without_effect} done without effect, "
            f"{self.effect_without_done} effect without done, {self.unfinished} unfinished"
        )


class Inbox(Protocol):
    kind: str
    store_url: str

    def stored_ids(self, tag: str) -> set[str]: ...
    def backlog(self) -> int: ...
    def done_between(self, start: float, end: float) -> int: ...
    def effects_check(self) -> EffectsCheck: ...


# Both stores answer these with the same SQL (placeholders aside).
_BACKLOG = "SELECT count(*) FROM events WHERE status IN ('pending', 'failed')"
_DONE_BETWEEN = (
    "SELECT count(*) FROM events WHERE status = 'done' AND completed_at >= ? AND completed_at < ?"
)
_EFFECTS = """
SELECT
  (SELECT count(*) FROM events WHERE status = 'done'),
  (SELECT count(*) FROM effects),
  (SELECT count(*) FROM (SELECT event_id FROM effects GROUP BY event_id HAVING count(*) > 1) t),
  (SELECT count(*) FROM events e WHERE e.status = 'done'
     AND NOT EXISTS (SELECT 1 FROM effects f WHERE f.event_id = e.id)),
  (SELECT count(*) FROM effects f WHERE NOT EXISTS
     (SELECT 1 FROM events e WHERE e.id = f.event_id AND e.status = 'done')),
  (SELECT count(*) FROM events WHERE status <> 'done')
"""


def _effects(row: tuple[Any, ...] | None) -> EffectsCheck:
    assert row is not None
    return EffectsCheck(*(int(v) for v in row))


class PostgresInbox:
    kind = "postgresql"

    def __init__(self, connection: psycopg.Connection[Any], store_url: str) -> None:
        self._connection = connection
        self.store_url = store_url

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        return self._connection.execute(sql.replace("?", "%s"), params).fetchone()

    def stored_ids(self, tag: str) -> set[str]:
        # starts_with, not a range on id: the database's collation may not sort like C.
        rows = self._connection.execute(
            "SELECT id FROM events WHERE starts_with(id, %s)", (f"evt_{tag}",)
        ).fetchall()
        return {row[0] for row in rows}

    def backlog(self) -> int:
        row = self._one(_BACKLOG)
        return int(row[0]) if row else 0

    def done_between(self, start: float, end: float) -> int:
        row = self._one(_DONE_BETWEEN, (start, end))
        return int(row[0]) if row else 0

    def effects_check(self) -> EffectsCheck:
        return _effects(self._one(_EFFECTS))


class SQLiteInbox:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store_url = f"sqlite:///{path}"

    def _connect(self) -> sqlite3.Connection:
        # Read-only, separate connection: WAL lets it read while the processes write.
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with contextlib.closing(self._connect()) as connection:
            row: tuple[Any, ...] | None = connection.execute(sql, params).fetchone()
            return row

    def stored_ids(self, tag: str) -> set[str]:
        prefix = f"evt_{tag}"
        with contextlib.closing(self._connect()) as connection:
            rows = connection.execute(
                "SELECT id FROM events WHERE id >= ? AND id < ?", (prefix, prefix + "~")
            ).fetchall()
        return {row[0] for row in rows}

    def backlog(self) -> int:
        row = self._one(_BACKLOG)
        return int(row[0]) if row else 0

    def done_between(self, start: float, end: float) -> int:
        row = self._one(_DONE_BETWEEN, (start, end))
        return int(row[0]) if row else 0

    def effects_check(self) -> EffectsCheck:
        return _effects(self._one(_EFFECTS))


def schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with ``search_path`` set to ``schema`` in the startup options."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options={quote(f'-c search_path={schema}')}"


@contextlib.contextmanager
def postgres_inbox(base_url: str) -> Iterator[PostgresInbox]:
    """A fresh schema for one configuration run, dropped (with everything in it) after."""
    schema = f"bench_scale_{secrets.token_hex(4)}"
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = schema_url(base_url, schema)
            with psycopg.connect(url, autocommit=True) as connection:
                yield PostgresInbox(connection, url)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def sqlite_inbox(folder: Path) -> Iterator[SQLiteInbox]:
    """A fresh SQLite file on disk (the fsyncs are this machine's disk's), removed after."""
    path = folder / f"scale-{secrets.token_hex(4)}.db"
    try:
        yield SQLiteInbox(path)
    finally:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
