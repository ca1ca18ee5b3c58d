"""Group commit: concurrent deliveries share one durable commit.

Each request hands its verified event to :meth:`GroupCommitter.submit` and waits. One
flush at a time writes everything that queued up meanwhile in a single transaction;
the commit (the fsync) is paid once per batch instead of once per event, so latency
stays near one commit and throughput grows with concurrency.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from ..errors import StoreUnavailable
from ..event import Event

__all__ = ["GroupCommitter"]

Insert = Callable[[Sequence[Event], float], Awaitable[list[bool]]]


class GroupCommitter:
    def __init__(
        self,
        insert: Insert,
        *,
        max_batch: int = 1024,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self._insert = insert
        self._max_batch = max_batch
        self._clock = clock
        self._on_commit = on_commit
        self._queue: list[tuple[Event, asyncio.Future[bool]]] = []
        self._flushing = False
        self._flush_task: asyncio.Task[None] | None = None
        self.batches = 0
        self.committed = 0

    async def submit(self, event: Event) -> bool:
        """Commit ``event`` durably; True if new, False if its id was already stored.

        Raises :class:`StoreUnavailable` if the batch it rode in could not commit.
        """
        return await self.enqueue(event)

    def enqueue(self, event: Event) -> asyncio.Future[bool]:
        """Queue ``event`` for the next flush; the future of :meth:`submit`'s answer."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.append((event, future))
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

    async def _flush(self, batch: list[tuple[Event, asyncio.Future[bool]]]) -> None:
        events, seen, first = [], set(), []
        for event, _ in batch:
            # The same id twice in one batch: only the first can be new.
            first.append(event.id not in seen)
            if event.id not in seen:
                seen.add(event.id)
                events.append(event)
        try:
            inserted = await self._insert(events, self._clock())
        except Exception as exc:
            error = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable(str(exc))
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        new_by_id = dict(zip((e.id for e in events), inserted, strict=True))
        self.batches += 1
        self.committed += sum(inserted)
        for (event, future), is_first in zip(batch, first, strict=True):
            if not future.done():
                future.set_result(is_first and new_by_id[event.id])
        if self._on_commit is not None and any(inserted):
            self._on_commit(sum(inserted))
