"""The sandbox's lane: calls that queue up share one transaction, each in a savepoint,
and nobody is answered before the commit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from appevents.sandbox.lane import Lane
from appevents.sandbox.state.db import StateDB, connect

pytestmark = pytest.mark.anyio


@pytest.fixture
def lane(tmp_path):
    lane = Lane("test-lane")
    db = lane.submit(connect, str(tmp_path / "s.db"))
    lane.db = db
    lane.submit(db.execute, "CREATE TABLE t (n INTEGER PRIMARY KEY)")
    yield lane
    lane.submit(db.close)
    lane.shutdown()


def insert(db: StateDB, n: int, hooks: list[int]) -> int:
    db.execute("INSERT INTO t (n) VALUES (?)", (n,))
    db.after_commit(lambda: hooks.append(n))
    if n % 3 == 0:
        raise ValueError(f"call {n} fails")
    return n


def rows(path) -> list[int]:
    with sqlite3.connect(path) as other:  # what another reader sees: committed rows only
        return [n for (n,) in other.execute("SELECT n FROM t ORDER BY n")]


async def test_a_failing_call_is_undone_alone_and_the_others_commit(lane, tmp_path):
    hooks: list[int] = []
    gate = threading.Event()
    blocker = asyncio.ensure_future(lane.run(gate.wait))  # the next calls queue up meanwhile
    await asyncio.sleep(0.05)
    calls = [asyncio.ensure_future(lane.run(insert, lane.db, n, hooks)) for n in range(1, 8)]
    await asyncio.sleep(0.05)
    gate.set()
    await blocker
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert [o if isinstance(o, int) else str(o) for o in outcomes] == [
        1, 2, "call 3 fails", 4, 5, "call 6 fails", 7,
    ]  # fmt: skip
    assert rows(tmp_path / "s.db") == [1, 2, 4, 5, 7]
    assert hooks == [1, 2, 4, 5, 7]  # failed calls' hooks never run


async def test_callers_are_answered_after_the_commit(lane, tmp_path):
    seen: list[list[int]] = []

    def write_then_look(n: int) -> None:
        lane.db.execute("INSERT INTO t (n) VALUES (?)", (n,))
        lane.db.after_commit(lambda: seen.append(rows(tmp_path / "s.db")))

    await asyncio.gather(*(lane.run(write_then_look, n) for n in (1, 2, 3)))
    assert rows(tmp_path / "s.db") == [1, 2, 3]
    assert all(seen) and seen[-1] == [1, 2, 3]  # hooks run once it is committed


async def test_nested_transactions_join_the_group_and_a_rollback_clears_the_caches(lane):
    def cached_then_fail() -> None:
        lane.db.cache.keys["sk_x"] = object()  # type: ignore[assignment]
        with lane.db.transaction():
            lane.db.execute("INSERT INTO t (n) VALUES (10)")
            raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await lane.run(cached_then_fail)
    assert lane.db.cache.keys == {}
    assert await lane.run(lambda: lane.db.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 0


async def test_many_concurrent_calls_are_all_answered(lane, tmp_path):
    hooks: list[int] = []
    results = await asyncio.gather(
        *(lane.run(insert, lane.db, n, hooks) for n in range(1, 301) if n % 3),
    )
    assert sorted(results) == [n for n in range(1, 301) if n % 3]
    assert len(rows(tmp_path / "s.db")) == 200
