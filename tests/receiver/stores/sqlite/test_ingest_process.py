"""The SQLite ingest child: batches in flight together, answered each, and its life tied to
the store's and the parent's."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from appevents import StoreUnavailable
from appevents.receiver import SQLiteStore
from appevents.receiver.stores.sqlite.ingest import event_rows
from appevents.receiver.stores.sqlite.ingest_process import IngestProcess
from servers import exited, poll_until

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


def stored(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT id FROM events ORDER BY seq")]


def child_pid(store: SQLiteStore) -> int:
    process = store._ingest_child._process  # type: ignore[union-attr]
    assert process is not None
    return process.pid


async def test_batches_in_flight_together_are_answered_each_duplicates_across_them_once(
    tmp_path, make_event
):
    path = tmp_path / "inbox.db"
    async with SQLiteStore(path, ingest_process=True) as store:
        answers = await asyncio.gather(
            store.insert_events([make_event(1), make_event(2)], NOW),
            store.insert_events([make_event(2), make_event(3)], NOW),
            store.insert_events([make_event(3), make_event(3), make_event(4)], NOW),
        )
        assert answers == [[True, True], [False, True], [False, False, True]]
        assert (await store.get_event("evt_000004")).payload == make_event(4).raw
    assert stored(path) == ["evt_000001", "evt_000002", "evt_000003", "evt_000004"]


async def test_a_killed_child_fails_its_batch_then_the_next_batch_starts_another(
    tmp_path, make_event
):
    path = tmp_path / "inbox.db"
    async with SQLiteStore(path, ingest_process=True) as store:
        assert await store.insert_events([make_event(1)], NOW) == [True]
        first = child_pid(store)
        os.kill(first, signal.SIGKILL)
        # The batch sent to the dead child is refused (503, Stripe retries), not lost as new.
        with pytest.raises(StoreUnavailable, match=r"stopped .* before it answered"):
            for _ in range(100):  # until the parent has seen the socket close
                await store.insert_events([make_event(2)], NOW)
                await asyncio.sleep(0.01)
        assert await store.insert_events([make_event(2), make_event(3)], NOW) in (
            [True, True],
            [False, True],  # 2 was committed by the dying child's last transaction
        )
        assert child_pid(store) != first
    assert stored(path) == ["evt_000001", "evt_000002", "evt_000003"]


async def test_closing_the_store_commits_what_was_sent_then_the_child_exits(tmp_path, make_event):
    path = tmp_path / "inbox.db"
    store = SQLiteStore(path, ingest_process=True)
    await store.open()
    pid = child_pid(store)
    sent = asyncio.ensure_future(store.insert_events([make_event(i) for i in range(1, 50)], NOW))
    await asyncio.sleep(0)  # the batch is written to the child, not yet answered
    await store.close()
    assert await sent == [True] * 49
    assert exited(pid)
    assert len(stored(path)) == 49


async def test_the_child_ignores_sigint_and_sigterm_meant_for_its_process_group(
    tmp_path, make_event
):
    async with SQLiteStore(tmp_path / "inbox.db", ingest_process=True) as store:
        pid = child_pid(store)
        os.kill(pid, signal.SIGINT)
        os.kill(pid, signal.SIGTERM)
        assert await store.insert_events([make_event(1)], NOW) == [True]
        assert not exited(pid)


async def test_a_child_that_cannot_open_the_file_says_why(tmp_path):
    directory = tmp_path / "a-directory"
    directory.mkdir()
    child = IngestProcess(directory, busy_timeout=1.0, autocheckpoint=1000)
    with pytest.raises(StoreUnavailable, match="did not start: cannot open SQLite store"):
        await child.start()


def test_the_child_exits_when_its_parent_is_killed(tmp_path):
    path = tmp_path / "inbox.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from appevents.receiver import SQLiteStore

        async def main():
            store = SQLiteStore({str(path)!r}, ingest_process=True)
            await store.open()
            print(store._ingest_child._process.pid, flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not exited(pid)
        parent.kill()  # SIGKILL: no chance to stop its child
        parent.wait(10)
        poll_until(lambda: exited(pid), what="the orphaned ingest child's exit")
    finally:
        parent.kill()
        parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()


def test_rows_carry_what_the_insert_needs(make_event):
    event = make_event(7, account=None)
    ((event_id, account, livemode, type_, created, order_key, received, available, source, raw),) = (
        event_rows([event], NOW)
    )  # fmt: skip
    assert (event_id, account, livemode, type_) == (event.id, "", event.livemode, event.type)
    assert source == "delivered"
    assert (created, received, available, raw) == (event.created, NOW, NOW, event.raw)
    assert order_key == f"{event.created:012d}{event.id}"
