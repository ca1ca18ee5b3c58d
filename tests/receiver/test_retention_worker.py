"""App(retention=...): the worker prunes in small batches, batch after batch while full,
then once per interval; a pending event is never pruned."""

from __future__ import annotations

import pytest

from appevents import ConfigurationError, Event, NotFound
from appevents.receiver import App, SQLiteStore
from appevents.receiver.inbox import Pruned, Status
from appevents.receiver.retention import Retention
from appevents.testing import make_event

pytestmark = pytest.mark.anyio
DAY = 86400
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def event(n: int, created: int) -> Event:
    return Event.parse(make_event("customer.created", account=f"acct_{n}", created=created,
                                  event_id=f"evt_keep{n}"))  # fmt: skip


async def test_the_worker_prunes_batch_after_batch_then_once_an_interval(tmp_path):
    clock = Clock(NOW - 35 * DAY)
    app = App(store=SQLiteStore(tmp_path / "inbox.db"), clock=clock,
              retention=Retention(done="30d", batch=2, interval=600))  # fmt: skip
    seen = []

    @app.on("customer.created")
    def handle(e, ctx):
        seen.append(e.id)

    store = app.open_store()
    async with store:
        worker = app.worker(store)
        old = [event(n, int(NOW) - 40 * DAY) for n in range(5)]
        await store.insert_events(old, clock())
        assert await worker.drain() == 5
        clock.now = NOW
        pending = event(9, int(NOW) - 40 * DAY)
        await store.insert_events([pending], clock())
        assert await worker.prune_due() == Pruned(2, 0)  # full: the next one at once
        assert await worker.prune_due() == Pruned(2, 0)
        assert await worker.prune_due() == Pruned(1, 0)  # the last: now wait an interval
        assert await worker.prune_due() is None
        clock.now += 601
        assert await worker.prune_due() == Pruned(0, 0)
        for gone in old:
            with pytest.raises(NotFound):
                await store.get_event(gone.id)
        assert (await store.get_event(pending.id)).status == Status.PENDING
    assert sorted(seen) == sorted(e.id for e in old)


def test_retention_must_be_a_retention():
    with pytest.raises(ConfigurationError, match=r"retention must be an appevents\.Retention"):
        App(retention="30d")  # type: ignore[arg-type]
    assert App(retention=Retention(done="7d")).retention == Retention(done=7 * DAY)
