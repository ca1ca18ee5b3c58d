"""One suite, every store: the inbox semantics the worker and receiver rely on."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from appevents import NotFound, StoreError
from appevents.receiver import SQLiteStore
from appevents.receiver.inbox import Outcome, Status
from appevents.receiver.installations import Installation

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


def done(status=Status.DONE, **kw):
    async def work(stored, tx):
        return Outcome(status, NOW, NOW + 0.5, **kw)

    return work


async def test_insert_reports_new_and_duplicate_ids(store, make_event):
    a, b = make_event(1), make_event(2)
    assert await store.insert_events([a, b], NOW) == [True, True]
    assert await store.insert_events([b, make_event(3)], NOW) == [False, True]
    stored = await store.get_event("evt_000001")
    assert (stored.status, stored.attempts, stored.payload) == (Status.PENDING, 0, a.raw)
    assert (stored.account, stored.type, stored.received_at) == ("acct_1", a.type, NOW)
    assert stored.event() == a


async def test_unknown_event_is_not_found(store):
    with pytest.raises(NotFound, match="evt_nope"):
        await store.get_event("evt_nope")


async def test_platform_events_keep_account_none(store, make_event):
    await store.insert_events([make_event(1, account=None)], NOW)
    assert (await store.get_event("evt_000001")).account is None


async def test_process_due_takes_the_head_of_each_account_in_created_order(store, make_event):
    # acct_1's events arrive in reverse order; processing follows created, then id.
    await store.insert_events(
        [make_event(3), make_event(2), make_event(1), make_event(4, account="acct_2")], NOW
    )
    seen = []

    async def work(stored, tx):
        seen.append(stored.id)
        return Outcome(Status.DONE, NOW, NOW)

    for _ in range(4):
        await store.process_due(now=NOW, limit=10, work=work)
    assert seen[:2] == ["evt_000001", "evt_000004"]  # one per account per batch
    assert seen[2:] == ["evt_000002", "evt_000003"]
    assert (await store.get_event("evt_000003")).status == Status.DONE


async def test_same_second_events_are_ordered_by_id(store, make_event):
    await store.insert_events([make_event(2, created=5), make_event(1, created=5)], NOW)
    results = await store.process_due(now=NOW, limit=10, work=done())
    assert [e.id for e, _ in results] == ["evt_000001"]


async def test_a_failed_head_blocks_its_account_until_due_but_not_others(store, make_event):
    await store.insert_events([make_event(1), make_event(2), make_event(3, account="acct_2")], NOW)
    failing = done(Status.FAILED, error="boom", retry_at=NOW + 60)
    first = await store.process_due(now=NOW, limit=1, work=failing)
    assert [(e.id, e.attempts) for e, _ in first] == [("evt_000001", 1)]
    failed = await store.get_event("evt_000001")
    assert (failed.status, failed.attempts, failed.available_at, failed.last_error) == (
        Status.FAILED, 1, NOW + 60, "boom",
    )  # fmt: skip
    # acct_1 waits for its head; acct_2 goes on.
    second = await store.process_due(now=NOW + 1, limit=10, work=done())
    assert [e.id for e, _ in second] == ["evt_000003"]
    assert await store.next_due_at() == NOW + 60
    third = await store.process_due(now=NOW + 60, limit=10, work=done())
    assert [(e.id, e.attempts) for e, _ in third] == [("evt_000001", 2)]
    attempts = await store.attempts("evt_000001")
    assert [(a.number, a.status, a.error) for a in attempts] == [
        (1, Status.FAILED, "boom"), (2, Status.DONE, None),
    ]  # fmt: skip


async def test_dead_events_unblock_their_account_and_can_be_replayed(store, make_event):
    await store.insert_events([make_event(1), make_event(2)], NOW)
    await store.process_due(now=NOW, limit=10, work=done(Status.DEAD, error="gave up"))
    assert (await store.get_event("evt_000001")).status == Status.DEAD
    results = await store.process_due(now=NOW, limit=10, work=done())
    assert [e.id for e, _ in results] == ["evt_000002"]
    assert await store.replay_dead(now=NOW + 5) == ["evt_000001"]
    replayed = await store.get_event("evt_000001")
    assert (replayed.status, replayed.attempts, replayed.available_at) == (
        Status.PENDING, 0, NOW + 5,
    )  # fmt: skip
    assert [e.id for e, _ in await store.process_due(now=NOW + 5, limit=10, work=done())] == [
        "evt_000001"
    ]


async def test_replay_of_unknown_or_erased_events_is_refused(store, make_event):
    await store.insert_events([make_event(1)], NOW)

    async def uninstall(stored, tx):
        await tx.erase_account("acct_1", False, through_created=stored.created, now=NOW)
        return Outcome(Status.DONE, NOW, NOW)

    await store.process_due(now=NOW, limit=10, work=uninstall)
    with pytest.raises(StoreError, match="erased"):
        await store.replay(["evt_000001"], now=NOW)
    with pytest.raises(NotFound):
        await store.replay(["evt_missing"], now=NOW)


async def test_installations_saved_in_a_failed_attempt_are_discarded(store, make_event):
    await store.insert_events([make_event(1)], NOW)
    installation = Installation("acct_1", False, "active", "implied", installed_at=1)

    async def save_then_fail(stored, tx):
        await tx.save_installation(installation, NOW)
        assert await tx.get_installation("acct_1", False) == installation
        return Outcome(Status.FAILED, NOW, NOW, error="x", retry_at=NOW)

    await store.process_due(now=NOW, limit=10, work=save_then_fail)
    assert await store.list_installations() == []

    async def save(stored, tx):
        await tx.save_installation(installation, NOW)
        return Outcome(Status.DONE, NOW, NOW)

    await store.process_due(now=NOW, limit=10, work=save)
    assert await store.list_installations() == [installation]
    updated = replace(installation, status="uninstalled", uninstalled_at=9)

    async def update(stored, tx):
        await tx.save_installation(updated, NOW)
        return Outcome(Status.DONE, NOW, NOW)

    await store.insert_events([make_event(2)], NOW)
    await store.process_due(now=NOW, limit=10, work=update)
    assert await store.list_installations() == [updated]


async def test_erase_account_touches_only_that_account_mode_and_period(store, make_event):
    await store.insert_events(
        [
            make_event(1, created=10),
            make_event(2, created=20),
            make_event(3, created=30),
            make_event(4, account="acct_2", created=10),
            make_event(5, livemode=True, created=10),
        ],
        NOW,
    )

    async def erase(stored, tx):
        erased = await tx.erase_account("acct_1", False, through_created=20, now=NOW)
        assert erased == 2
        return Outcome(Status.DONE, NOW, NOW)

    await store.process_due(now=NOW, limit=1, work=erase)
    payloads = {e.id: e.payload is not None for e in await store.list_events(limit=10)}
    assert payloads == {
        "evt_000001": False, "evt_000002": False, "evt_000003": True,
        "evt_000004": True, "evt_000005": True,
    }  # fmt: skip
    assert (await store.get_event("evt_000001")).erased_at == NOW


async def test_list_filters_and_counts(store, make_event):
    await store.insert_events([make_event(1), make_event(2, account="acct_2")], NOW)
    await store.process_due(now=NOW, limit=1, work=done())
    assert [e.id for e in await store.list_events(account="acct_2")] == ["evt_000002"]
    assert [e.id for e in await store.list_events(status=Status.DONE)] == ["evt_000001"]
    assert len(await store.list_events(limit=1)) == 1
    counts = await store.counts()
    assert (counts[Status.DONE], counts[Status.PENDING], counts[Status.DEAD]) == (1, 1, 0)


async def test_time_budget_stops_a_batch_early(store, make_event):
    await store.insert_events([make_event(i, account=f"acct_{i}") for i in range(1, 6)], NOW)
    results = await store.process_due(now=NOW, limit=10, work=done(), time_budget=0)
    assert len(results) == 1
    assert (await store.counts())[Status.PENDING] == 4


async def test_nothing_due_returns_nothing(store, make_event):
    assert await store.process_due(now=NOW, limit=10, work=done()) == []
    assert await store.next_due_at() is None


# -- SQLite only -------------------------------------------------------------------------


async def test_sqlite_handler_writes_commit_with_done_and_roll_back_with_failure(
    tmp_path, make_event
):
    store = SQLiteStore(tmp_path / "inbox.db")
    async with store:
        await store.setup(lambda db: db.execute("CREATE TABLE effects (event_id TEXT)"))
        await store.insert_events([make_event(1), make_event(2, account="acct_2")], NOW)

        async def work(stored, tx):
            await tx.call(tx.connection.execute, "INSERT INTO effects VALUES (?)", (stored.id,))
            failed = stored.id == "evt_000002"
            return Outcome(Status.FAILED if failed else Status.DONE, NOW, NOW, retry_at=NOW + 9)

        await store.process_due(now=NOW, limit=10, work=work)
    db = sqlite3.connect(tmp_path / "inbox.db")
    assert db.execute("SELECT event_id FROM effects").fetchall() == [("evt_000001",)]


async def test_sqlite_survives_reopening(tmp_path, make_event):
    path = tmp_path / "inbox.db"
    async with SQLiteStore(path) as store:
        await store.insert_events([make_event(1)], NOW)
    async with SQLiteStore(path) as store:
        assert (await store.get_event("evt_000001")).status == Status.PENDING
        assert await store.insert_events([make_event(1)], NOW) == [False]


@pytest.mark.parametrize("ingest_process", [False, True], ids=["thread", "process"])
async def test_sqlite_locked_database_is_unavailable_not_lost(tmp_path, make_event, ingest_process):
    from appevents import StoreUnavailable

    path = tmp_path / "inbox.db"
    store = SQLiteStore(path, busy_timeout=0.05, ingest_process=ingest_process)
    async with store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreUnavailable, match="could not commit"):
            await store.insert_events([make_event(1)], NOW)
        blocker.execute("ROLLBACK")
        assert await store.insert_events([make_event(1)], NOW) == [True]


async def test_sqlite_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "inbox.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer than this appevents"):
        await SQLiteStore(path).open()


def test_sqlite_url_parsing(tmp_path):
    from appevents import ConfigurationError
    from appevents.receiver import open_store_url

    assert SQLiteStore.from_url("sqlite:///rel/inbox.db").path.as_posix() == "rel/inbox.db"
    assert SQLiteStore.from_url("sqlite:////abs/inbox.db").path.as_posix() == "/abs/inbox.db"
    for bad in ("sqlite://", "sqlite:///", "inbox.db", "mysql://x/y"):
        with pytest.raises(ConfigurationError):
            open_store_url(bad)


async def test_the_same_id_twice_in_one_batch_is_new_once(store, make_event):
    assert await store.insert_events([make_event(1), make_event(1), make_event(2)], NOW) == [
        True, False, True,
    ]  # fmt: skip
    assert (
        await store.insert_events([make_event(i) for i in range(1, 1203)], NOW)
        == [False, False] + [True] * 1200
    )


async def test_erasure_also_clears_error_texts(store, make_event):
    await store.insert_events([make_event(1), make_event(2, account="acct_2")], NOW)
    failing = done(Status.FAILED, error="KeyError: 'secret customer name'", retry_at=NOW)
    await store.process_due(now=NOW, limit=10, work=failing)

    async def uninstall(stored, tx):
        await tx.erase_account("acct_1", False, through_created=stored.created, now=NOW)
        return Outcome(Status.DONE, NOW, NOW)

    await store.insert_events([make_event(3, created=1_800_000_000)], NOW)
    await store.process_due(now=NOW, limit=1, work=uninstall)  # acct_1's head is evt_1
    assert (await store.get_event("evt_000001")).last_error is None
    assert [a.error for a in await store.attempts("evt_000001")] == [None, None]
    # Another account's errors are kept.
    assert (await store.get_event("evt_000002")).last_error == "KeyError: 'secret customer name'"
