"""The group committer's commit timeout, against an insert that does not return until told."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from appevents import Event
from appevents.errors import StoreUnavailable
from appevents.receiver.ingest import GroupCommitter

pytestmark = pytest.mark.anyio
TIMEOUT = 0.1


class StalledInsert:
    """An insert that stalls until released, recording what it was handed."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.batches: list[list[str]] = []

    async def __call__(self, events: Sequence[Event], received_at: float) -> list[bool]:
        self.batches.append([e.id for e in events])
        await self.released.wait()
        return [True] * len(events)


async def answer(future: asyncio.Future[bool]) -> tuple[str, float]:
    started = time.monotonic()
    try:
        outcome = "new" if await future else "duplicate"
    except StoreUnavailable as exc:
        outcome = f"unavailable: {exc}"
    return outcome, time.monotonic() - started


async def test_overdue_deliveries_are_answered_unavailable_and_queued_ones_dropped(make_event):
    insert = StalledInsert()
    committer = GroupCommitter(insert, commit_timeout=TIMEOUT)
    handed = committer.enqueue(make_event(1))
    await asyncio.sleep(0)  # its flush starts: the batch is in the store's hands
    queued = committer.enqueue(make_event(2))
    results = await asyncio.wait_for(asyncio.gather(answer(handed), answer(queued)), 2)
    for outcome, elapsed in results:
        assert outcome.startswith("unavailable: the store did not commit within the commit ")
        assert "timeout of 0.1 s" in outcome
        assert TIMEOUT * 0.9 <= elapsed < 1.0
    insert.released.set()
    later = committer.enqueue(make_event(3))
    assert await asyncio.wait_for(later, 2) is True
    # The stalled batch finished late and is counted; the queued one never reached the store.
    assert insert.batches == [["evt_000001"], ["evt_000003"]]
    assert committer.committed == 2


async def test_each_delivery_has_its_own_deadline(make_event):
    insert = StalledInsert()
    committer = GroupCommitter(insert, commit_timeout=TIMEOUT * 3)
    first = committer.enqueue(make_event(1))
    await asyncio.sleep(TIMEOUT * 2)
    second = committer.enqueue(make_event(2))
    (outcome, _) = await asyncio.wait_for(answer(first), 2)
    assert outcome.startswith("unavailable")
    assert not second.done()  # a third of its time left: still waiting
    insert.released.set()
    assert await asyncio.wait_for(second, 2) is True
    assert insert.batches == [["evt_000001"], ["evt_000002"]]


async def test_without_a_stall_the_timer_answers_nothing(make_event):
    calls: list[int] = []

    async def insert(events: Sequence[Event], received_at: float) -> list[bool]:
        calls.append(len(events))
        return [True] * len(events)

    committer = GroupCommitter(insert, commit_timeout=TIMEOUT)
    futures = [committer.enqueue(make_event(n)) for n in range(5)]
    assert await asyncio.gather(*futures) == [True] * 5
    await asyncio.sleep(TIMEOUT * 2)  # the timer fires over finished futures only
    assert [f.result() for f in futures] == [True] * 5
    assert await asyncio.wait_for(committer.enqueue(make_event(5)), 2) is True
    assert calls == [5, 1]
