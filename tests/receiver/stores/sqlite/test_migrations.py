"""SQLite migrations reach exactly what sqlite/sql/schema.sql creates, data kept."""

from __future__ import annotations

import sqlite3

import pytest

from appevents.receiver import SQLiteStore
from appevents.receiver.inbox import Outcome, Status
from appevents.receiver.stores.queries import load_script
from appevents.receiver.stores.sqlite.connection import SCHEMA_VERSION, statements

SQLITE = "appevents.receiver.stores.sqlite"

pytestmark = pytest.mark.anyio


def shape(path) -> dict[str, list[tuple[object, ...]]]:
    """Tables and views, their columns (name, type, not null, default, pk), indexes with
    their definitions, and the version."""
    with sqlite3.connect(path) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY 1"
            )
        ]
        result = {
            t: sorted(tuple(c[1:]) for c in db.execute(f"PRAGMA table_info({t})")) for t in tables
        }
        result["indexes"] = sorted(
            (name, table, " ".join(sql.split()))
            for name, table, sql in db.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
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
    parts = list(statements(load_script(SQLITE, "schema.sql")))
    assert parts[0].startswith("-- The SQLite inbox") or parts[0].startswith("CREATE TABLE")
    assert all(sqlite3.complete_statement(p) for p in parts)
    assert parts[-1] == f"PRAGMA user_version = {SCHEMA_VERSION};"


VERSION_2_ROWS = """
INSERT INTO events (id, account, livemode, type, created, order_key, status, attempts,
                    received_at, available_at, completed_at, last_error, erased_at, payload)
VALUES
 ('evt_done', 'acct_1', 0, 't', 1, '000000000001evt_done', 'done', 1, 1.0, 1.0, 2.0, NULL,
  NULL, CAST('{"id": "evt_done"}' AS BLOB)),
 ('evt_erased', 'acct_2', 0, 't', 2, '000000000002evt_erased', 'skipped', 1, 1.0, 1.0, 2.0,
  NULL, 3.0, NULL),
 ('evt_later', 'acct_1', 0, 't', 9, '000000000009evt_later', 'pending', 0, 1.5, 1.5, NULL,
  NULL, NULL, CAST('{"id": "evt_later"}' AS BLOB)),
 ('evt_failed', 'acct_1', 0, 't', 4, '000000000004evt_failed', 'failed', 2, 1.0, 5.0, NULL,
  'boom', NULL, CAST('{"id": "evt_failed"}' AS BLOB));
INSERT INTO attempts VALUES ('evt_done', 1, 1.0, 2.0, 'done', NULL, 'acct_1', 0),
                            ('evt_failed', 1, 1.0, 2.0, 'failed', 'boom', 'acct_1', 0),
                            ('evt_failed', 2, 3.0, 4.0, 'failed', 'boom', 'acct_1', 0);
"""


async def test_a_version_2_file_moves_payloads_apart_and_keeps_every_state(tmp_path):
    """2 -> 3: each event keeps its status, times, error and payload (or its erasure),
    its attempts, and its place in its account's queue."""
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    async with SQLiteStore(fresh):
        pass
    with sqlite3.connect(old) as db:
        db.executescript(VERSION_1)
        for statement in statements(load_script(SQLITE, "migrations/0002_attempt_tenants.sql")):
            db.execute(statement)
        db.executescript(VERSION_2_ROWS)
    with sqlite3.connect(old) as db:
        before = db.execute("SELECT * FROM events ORDER BY rowid").fetchall()
    async with SQLiteStore(old) as store:
        done, erased = await store.get_event("evt_done"), await store.get_event("evt_erased")
        failed = await store.get_event("evt_failed")
        attempts = await store.attempts("evt_failed")
        counts = await store.counts()
        seen = []

        async def work(stored, tx):
            seen.append((stored.id, stored.attempts, stored.payload))
            return Outcome(Status.DONE, 10.0, 11.0)

        for _ in range(3):
            await store.process_due(now=10.0, limit=10, work=work)
    assert shape(old) == shape(fresh)
    assert (done.status, done.payload, done.completed_at) == (
        Status.DONE,
        b'{"id": "evt_done"}',
        2.0,
    )
    assert (erased.status, erased.payload, erased.erased_at) == (Status.SKIPPED, None, 3.0)
    assert (failed.status, failed.attempts, failed.last_error) == (Status.FAILED, 2, "boom")
    assert [(a.number, a.error) for a in attempts] == [(1, "boom"), (2, "boom")]
    assert (counts[Status.PENDING], counts[Status.FAILED], counts[Status.DONE]) == (2, 1, 1)
    # acct_1's queue in created order: failed (4), version 1's evt_1 (5), pending (9).
    assert seen == [
        ("evt_failed", 3, b'{"id": "evt_failed"}'),
        ("evt_1", 1, None),
        ("evt_later", 1, b'{"id": "evt_later"}'),
    ]
    with sqlite3.connect(old) as db:
        after = db.execute("SELECT * FROM events WHERE id IN ('evt_done', 'evt_erased')")
        # The view reads as the table did: seq, the old columns, the payload's encoding,
        # then (since 5) the source, 'delivered' for every event a delivery brought.
        after = after.fetchall()
        assert {row[-1] for row in after} == {"delivered"}
        assert sorted(row[1:-2] for row in after) == sorted(
            row for row in before if row[0] in ("evt_done", "evt_erased")
        )
        # Moved payloads stay as they were; erased ones (and evt_1's) have none.
        encodings = db.execute("SELECT id, payload_encoding FROM events").fetchall()
        assert dict(encodings) == {
            "evt_1": None, "evt_done": "identity", "evt_erased": None,
            "evt_failed": "identity", "evt_later": "identity",
        }  # fmt: skip
        (orphans,) = db.execute("SELECT COUNT(*) FROM attempts WHERE event_seq = 0").fetchone()
        assert orphans == 0
