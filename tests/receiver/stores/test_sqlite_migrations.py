"""SQLite migrations reach exactly what sqlite_schema.sql creates, data kept."""

from __future__ import annotations

import sqlite3

import pytest

from appevents.receiver import SQLiteStore
from appevents.receiver.stores.queries import load_script
from appevents.receiver.stores.sqlite_connection import SCHEMA_VERSION, statements

pytestmark = pytest.mark.anyio


def shape(path) -> dict[str, list[tuple[object, ...]]]:
    """Tables, their columns (name, type, not null, default, pk) and indexes."""
    with sqlite3.connect(path) as db:
        tables = [
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        ]
        result = {
            t: sorted(tuple(c[1:]) for c in db.execute(f"PRAGMA table_info({t})")) for t in tables
        }
        result["indexes"] = sorted(
            db.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        )
        result["version"] = [db.execute("PRAGMA user_version").fetchone()]
    return result


VERSION_1 = """
CREATE TABLE events (id TEXT PRIMARY KEY, account TEXT NOT NULL, livemode INTEGER NOT NULL,
    type TEXT NOT NULL, created INTEGER NOT NULL, order_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'failed', 'done', 'dead', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0, received_at REAL NOT NULL, available_at REAL NOT NULL,
    completed_at REAL, last_error TEXT, erased_at REAL, payload BLOB);
CREATE INDEX events_unfinished ON events (account, order_key) WHERE status IN ('pending', 'failed');
CREATE INDEX events_by_account ON events (account, livemode, created);
CREATE TABLE attempts (event_id TEXT NOT NULL, number INTEGER NOT NULL, started_at REAL NOT NULL,
    finished_at REAL NOT NULL, status TEXT NOT NULL, error TEXT);
CREATE INDEX attempts_by_event ON attempts (event_id);
CREATE TABLE installations (account TEXT NOT NULL, livemode INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'uninstalled')),
    source TEXT NOT NULL CHECK (source IN ('authorized', 'implied')), application_id TEXT,
    application_name TEXT, installed_at INTEGER, uninstalled_at INTEGER,
    lifecycle_created INTEGER, lifecycle_event_id TEXT, last_deauthorized_at INTEGER,
    active_since_evidence INTEGER, updated_at REAL NOT NULL,
    PRIMARY KEY (account, livemode)) WITHOUT ROWID;
INSERT INTO events (id, account, livemode, type, created, order_key, received_at, available_at)
    VALUES ('evt_1', 'acct_1', 1, 'charge.succeeded', 5, '000000000005evt_1', 1.0, 1.0);
INSERT INTO attempts VALUES ('evt_1', 1, 1.0, 2.0, 'done', NULL);
PRAGMA user_version = 1;
"""


async def test_a_version_1_file_migrates_to_the_schema_with_its_rows(tmp_path):
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    async with SQLiteStore(fresh):
        pass
    sqlite3.connect(old).executescript(VERSION_1)
    async with SQLiteStore(old) as store:
        attempts = await store.attempts("evt_1")
    assert shape(old) == shape(fresh)
    assert shape(fresh)["version"] == [(SCHEMA_VERSION,)]
    assert [(a.number, str(a.status)) for a in attempts] == [(1, "done")]
    with sqlite3.connect(old) as db:
        assert db.execute("SELECT account, livemode FROM attempts").fetchall() == [("acct_1", 1)]


def test_statements_split_a_script_whole():
    parts = list(statements(load_script("sqlite_schema.sql")))
    assert parts[0].startswith("-- The SQLite inbox") or parts[0].startswith("CREATE TABLE")
    assert all(sqlite3.complete_statement(p) for p in parts)
    assert parts[-1] == f"PRAGMA user_version = {SCHEMA_VERSION};"
