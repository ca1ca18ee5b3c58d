"""The SQLite layout's promises: the receiver's commit stays out of the per-account
indexes, the worker admits new rows before it picks heads (in bounded transactions,
order kept), the queue's queries go through their indexes, and payloads are stored
compressed yet read back as signed."""

from __future__ import annotations

import re
import sqlite3

import pytest

from appevents import StoreError
from appevents.receiver import SQLiteStore
from appevents.receiver.inbox import Outcome, Status
from appevents.receiver.stores.sqlite import store as sqlite_store
from appevents.receiver.stores.sqlite.payloads import decode_payload, encode_payload
from appevents.receiver.stores.sqlite.store import Q

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


def admitted(path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, admitted FROM inbox ORDER BY seq").fetchall()


def record(seen: list[str]):
    async def work(stored, tx):
        seen.append(stored.id)
        return Outcome(Status.DONE, NOW, NOW)

    return work


async def test_received_rows_wait_outside_the_account_indexes_until_the_worker_admits_them(
    tmp_path, make_event
):
    path = tmp_path / "inbox.db"
    async with SQLiteStore(path) as store:
        await store.insert_events([make_event(1), make_event(2, account="acct_2")], NOW)
        assert admitted(path) == [("evt_000001", 0), ("evt_000002", 0)]
        # Not admitted yet, but every reader sees them.
        assert [e.id for e in await store.list_events(account="acct_2")] == ["evt_000002"]
        assert (await store.counts())[Status.PENDING] == 2
        assert (await store.get_event("evt_000001")).payload == make_event(1).raw
        assert await store.next_due_at() == NOW
        seen: list[str] = []
        await store.process_due(now=NOW, limit=10, work=record(seen))
        assert admitted(path) == [("evt_000001", 1), ("evt_000002", 1)]
        assert sorted(seen) == ["evt_000001", "evt_000002"]
        assert await store.next_due_at() is None


async def test_admission_in_bounded_transactions_still_finds_the_earliest_created_head(
    tmp_path, make_event, monkeypatch
):
    """Five rows, two admitted per transaction: the batch waits for all five, so the event
    created first (received last) goes first."""
    monkeypatch.setattr(sqlite_store, "_ADMIT_AT_ONCE", 2)
    path = tmp_path / "inbox.db"
    async with SQLiteStore(path) as store:
        for n in (5, 4, 3, 2, 1):
            await store.insert_events([make_event(n)], NOW)
        seen: list[str] = []
        for inline in (False, True):
            await store.process_due(now=NOW, limit=10, work=record(seen), inline=inline)
        await store.insert_events([make_event(0)], NOW)  # created before all of them
        await store.process_due(now=NOW, limit=10, work=record(seen))
    assert seen == ["evt_000001", "evt_000002", "evt_000000"]
    assert {flag for _, flag in admitted(path)} == {1}


QUEUE_QUERIES = {
    # query: (parameters, indexes its plan must use)
    "due_accounts": ((NOW, 10), {"inbox_unfinished"}),
    "account_head": (("acct_1", NOW), {"inbox_unfinished"}),
    "next_due_at": ((), {"inbox_unfinished", "inbox_unadmitted"}),
    "has_unadmitted": ((), {"inbox_unadmitted"}),
    "admit": ((100,), {"inbox_unadmitted"}),
    "erase_account": ((NOW, "acct_1", 0, 5), {"inbox_by_account"}),
    "erase_account_payloads": ((NOW, "acct_1", 0, 5), {"inbox_by_account"}),
    "erase_account_attempts": ((NOW, "acct_1", 0, 5), {"inbox_by_account", "attempts_by_event"}),
    "list_attempts": (("evt_1",), {"attempts_by_event"}),
    "get_event": (("evt_1",), {"sqlite_autoindex_inbox_1"}),
}


@pytest.mark.parametrize("name", sorted(QUEUE_QUERIES))
async def test_queue_queries_use_their_indexes_and_never_scan_a_table(tmp_path, name):
    """A full scan here would make the worker's cost grow with everything ever stored."""
    async with SQLiteStore(tmp_path / "inbox.db"):
        pass
    params, indexes = QUEUE_QUERIES[name]
    with sqlite3.connect(tmp_path / "inbox.db") as db:
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {Q[name]}", params)]
    used = {
        m[1] for line in plan for m in [re.search(r"USING (?:COVERING )?INDEX (\w+)", line)] if m
    }
    assert indexes <= used, plan
    full_scans = [
        line for line in plan if re.match(r"SCAN (inbox|payloads|attempts|i|p)\b(?! USING)", line)
    ]
    assert full_scans == [], plan


async def test_payloads_are_stored_compressed_and_read_back_byte_for_byte(tmp_path, make_event):
    path = tmp_path / "inbox.db"
    event = make_event(1)
    raw = event.raw.replace(b"{", b"{\n  " + b" " * 2000, 1)  # Stripe pretty-prints
    big = type(event).parse(raw)
    async with SQLiteStore(path) as store:
        await store.insert_events([big], NOW)
        stored = await store.get_event(big.id)
    assert stored.payload == raw
    with sqlite3.connect(path) as db:
        body, encoding = db.execute("SELECT body, encoding FROM payloads").fetchone()
    assert (encoding, len(body) < len(raw) // 4) == ("zlib", True)


def test_payload_encoding_keeps_what_does_not_shrink_and_refuses_the_unknown():
    assert encode_payload(b"{}") == (b"{}", "identity")
    packed, encoding = encode_payload(b'{"a": "' + b"x" * 500 + b'"}')
    assert (
        encoding == "zlib" and decode_payload(packed, encoding) == b'{"a": "' + b"x" * 500 + b'"}'
    )
    assert decode_payload(None, None) is None
    with pytest.raises(StoreError, match=r"'brotli'.*upgrade appevents"):
        decode_payload(b"...", "brotli")
