"""Group commit: concurrent deliveries share one durable commit.

Each request hands its verified event to :meth:`GroupCommitter.enqueue` and waits. One
flush at a time writes everything that queued up meanwhile in a single transaction;
the commit (the fsync) is paid once per batch instead of once per event, so latency
stays near one commit and throughput grows with concurrency.

A store that stalls (a stopped process, a write lock held elsewhere, a database server
that stops answering) must not hold requests: with ``commit_timeout``, every delivery
gets its answer within that many seconds, StoreUnavailable (a 503, so Stripe retries)
if its commit has not finished. One timer serves them all, not one per delivery. A
delivery still waiting in the queue is dropped from it; one whose batch was already
handed to the store may still commit after its 503: Stripe's retry then finds it
stored and is answered 200 as a duplicate, so nothing is lost or stored twice.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence

from ..errors import StoreUnavailable
from ..event import Event

__all__ = ["GroupCommitter"]

Insert = Callable[[Sequence[Event], float], Awaitable[list[bool]]]
# An event, the future of its commit, and when its answer is due (loop time).
Entry = tuple[Event, asyncio.Future[bool], float]


class GroupCommitter:
    def __init__(
        self,
        insert: Insert,
        *,
        max_batch: int = 1024,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[int], None] | None = None,
        commit_timeout: float = math.inf,
        observe_commit: Callable[[float], None] | None = None,
    ) -> None:
        """``observe_commit`` gets the seconds each batch's commit took (metrics)."""
        self._insert = insert
        self._max_batch = max_batch
        self._clock = clock
        self._on_commit = on_commit
        self.observe_commit = observe_commit
        self.commit_timeout = commit_timeout
        self._queue: list[Entry] = []
        self._in_flight: list[Entry] = []
        self._flushing = False
        self._flush_task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.committed = 0
        """Deliveries answered as new (stored)."""
        self.duplicates = 0
        """Deliveries answered as duplicates (their id was already stored)."""

    def enqueue(self, event: Event) -> asyncio.Future[bool]:
        """Queue ``event`` for the next flush; the future of its durable commit: True if
        new, False if its id was already stored. Its exception is :class:`StoreUnavailable`
        if the batch it rode in could not commit, or did not within ``commit_timeout`` (it
        may still commit later: see the module)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        due = loop.time() + self.commit_timeout
        self._queue.append((event, future, due))
        if self._timer is None and due < math.inf:
            self._timer = loop.call_at(due, self._expire)
        if not self._flushing:
            self._flushing = True
            # Held: the loop keeps only a weak reference to its tasks.
            self._flush_task = loop.create_task(self._flush_all())
        return future

    async def _flush_all(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._flush(batch)
        finally:
            self._flushing = False

    def _expire(self) -> None:
        """Answer every delivery whose commit is overdue; re-arm for the next one due."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        error = StoreUnavailable(
            f"the store did not commit within the commit timeout of {self.commit_timeout:g} s "
            "(if it still commits, the retry is answered as a duplicate)"
        )
        for _, future, due in self._in_flight:
            if due <= now and not future.done():
                future.set_exception(error)
        overdue = 0
        while overdue < len(self._queue) and self._queue[overdue][2] <= now:
            overdue += 1
        for _, future, _ in self._queue[:overdue]:
            if not future.done():
                future.set_exception(error)
        del self._queue[:overdue]  # never handed to the store: they are not stored
        waiting = [due for _, f, due in self._in_flight if not f.done()]
        if self._queue:
            waiting.append(self._queue[0][2])  # the oldest queued is the first due
        self._timer = loop.call_at(min(waiting), self._expire) if waiting else None

    async def _flush(self, batch: list[Entry]) -> None:
        events, seen, first = [], set(), []
        for event, _, _ in batch:
            # The same id twice in one batch: only the first can be new.
            first.append(event.id not in seen)
            if event.id not in seen:
                seen.add(event.id)
                events.append(event)
        self._in_flight = batch
        started = time.perf_counter()
        try:
            inserted = await self._insert(events, self._clock())
        except Exception as exc:
            error = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable(str(exc))
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(error)
            return
        finally:
            self._in_flight = []
        if self.observe_commit is not None:
            self.observe_commit(time.perf_counter() - started)
        new_by_id = dict(zip((e.id for e in events), inserted, strict=True))
        self.committed += sum(inserted)
        for (event, future, _), is_first in zip(batch, first, strict=True):
            if not future.done():
                new = is_first and new_by_id[event.id]
                future.set_result(new)
                self.duplicates += not new
        if self._on_commit is not None and any(inserted):
            self._on_commit(sum(inserted))
