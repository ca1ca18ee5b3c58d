"""Delivering events to webhook endpoints: signed POSTs, Stripe's retry schedule, every
attempt recorded, failing endpoints disabled.

The engine is a pipeline on the event loop:

* **in**: a new event's deliveries arrive from the lane as soon as their transaction
  commits (:meth:`DeliveryEngine.hand_over`); retries, resends and what a restart left
  come from a scan of the ``deliveries`` table, when due;
* **senders**: ``concurrency`` workers POST what is queued, each on a keep-alive
  connection, checking first that the endpoint is still enabled (and where it points now);
* **out**: attempts are written to the table in groups, one transaction per group, while
  the next ones are being sent (:meth:`owed.Ledger.record`).

The table stays the truth: what is in memory is also owed there (see owed.py), so a
crash loses nothing and a restart sends each owed delivery once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..signature import sign
from .http_client import Answer, DeliveryError, HttpClient
from .lane import Lane
from .owed import Attempt, Ledger, Owed
from .schedule import DisablePolicy, RetrySchedule
from .state import endpoints
from .state.db import StateDB

__all__ = ["DeliveryEngine", "DeliverySettings", "Poster"]

log = logging.getLogger("appevents.sandbox.delivery")

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
RESPONSE_EXCERPT = 5000


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    timeout: float = 30.0
    """Seconds to wait for an endpoint's answer (the Stripe CLI forwarder uses 30)."""
    concurrency: int = 16
    """Deliveries in flight at once; local receivers gain nothing from more."""
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    disable: DisablePolicy = field(default_factory=DisablePolicy)
    batch: int = 256
    """Rows read per scan of the table."""


class Poster(Protocol):
    """What sends a delivery: :class:`HttpClient`, or a test's stand-in."""

    async def post(self, url: str, headers: Sequence[tuple[str, str]], body: bytes) -> Answer: ...

    async def aclose(self) -> None: ...


class DeliveryEngine:
    def __init__(
        self,
        db: StateDB,
        lane: Lane,
        *,
        settings: DeliverySettings | None = None,
        clock: Callable[[], float] = time.time,
        client: Poster | None = None,
    ) -> None:
        self.db = db
        self.lane = lane
        self.settings = settings or DeliverySettings()
        self.clock = clock
        s = self.settings
        self.ledger = Ledger(db, schedule=s.schedule, disable=s.disable, clock=clock)
        self._client = client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: list[Owed] = []
        self._handover_lock = threading.Lock()
        self._queue: deque[Owed] = deque()
        self._idle: deque[asyncio.Future[Owed | None]] = deque()
        self._attempts: list[Attempt] = []
        self._released: list[Owed] = []
        self._recorder: asyncio.Task[None] | None = None
        self._scanned_left = 0
        self._scan_done = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self.sent = 0
        """Attempts recorded so far."""

    # -- from other threads ---------------------------------------------------------------

    def hand_over(self, owed: list[Owed]) -> None:
        """New deliveries, just committed: send them. Called on the lane's thread."""
        self.ledger.hand_over(owed)
        with self._handover_lock:
            loop = self._loop
            if loop is None:  # not started yet: run() takes them
                self._early.extend(owed)
                return
        loop.call_soon_threadsafe(self._accept, owed)

    def notify(self) -> None:
        """Something in the table became due (a resend, an endpoint enabled again): scan.
        Safe to call from the lane's thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wakeup.set)

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        self._scan_done.set()

    # -- on the event loop ----------------------------------------------------------------

    async def run(self) -> None:
        own_client = self._client is None
        client = self._client or HttpClient(
            timeout=self.settings.timeout,
            max_connections=self.settings.concurrency,
            excerpt=RESPONSE_EXCERPT,
        )
        await self.lane.run(self.ledger.start)
        with self._handover_lock:
            self._loop = asyncio.get_running_loop()
            early, self._early = self._early, []
        workers = [
            asyncio.ensure_future(self._worker(client)) for _ in range(self.settings.concurrency)
        ]
        self._accept(early)
        try:
            await self._scan()
        finally:
            self._stopping = True
            self._queue.clear()  # still owed in the table: sent after a restart
            while self._idle:
                waiter = self._idle.popleft()
                if not waiter.done():
                    waiter.set_result(None)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*workers)
            await self._flush()
            if own_client:
                await client.aclose()

    async def _scan(self) -> None:
        """Send what the table says is due; sleep until the next due time or a notify."""
        while not self._stopping:
            self._wakeup.clear()
            scanned_at = self.clock()
            owed = await self.lane.run(self.ledger.due, scanned_at, self.settings.batch)
            if owed:
                # Wait until this batch is recorded, so the next scan sees its outcome.
                self._scanned_left += len(owed)
                self._scan_done.clear()
                self._accept(owed)
                await self._scan_done.wait()
                continue
            next_due = await self.lane.run(self.ledger.next_due)
            if next_due is None or next_due <= scanned_at:
                timeout = 1.0  # nothing, or only rows the engine holds already
            else:
                timeout = max(0.0, min(1.0, next_due - self.clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    def _accept(self, owed: list[Owed]) -> None:
        for item in owed:
            while self._idle:
                waiter = self._idle.popleft()
                if not waiter.done():
                    waiter.set_result(item)
                    break
            else:
                self._queue.append(item)

    async def _worker(self, client: Poster) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._queue:
                item: Owed | None = self._queue.popleft()
            elif self._stopping:
                return
            else:
                waiter: asyncio.Future[Owed | None] = loop.create_future()
                self._idle.append(waiter)
                item = await waiter
            if item is None:
                return
            try:
                await self._deliver(client, item)
            except Exception:  # never lose the item: its row is still owed
                log.exception("delivery %s failed unexpectedly", item.delivery)
                self._released.append(item)
            self._record_soon()

    async def _deliver(self, client: Poster, item: Owed) -> None:
        live = self.db.cache.endpoints
        if live is None:  # the caches were just reset (a rollback): reload them
            live = await self.lane.run(endpoints.live_endpoints, self.db)
        endpoint = live.get(item.endpoint)
        if endpoint is None or endpoint.status != "enabled":
            self._released.append(item)  # deleted or disabled since it was owed
            return
        started = self.clock()
        headers = (
            ("Content-Type", "application/json; charset=utf-8"),
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*; q=0.5, application/xml"),
            ("Cache-Control", "no-cache"),
            ("Stripe-Signature", sign(item.payload, endpoint.secret, int(started))),
        )
        began = time.perf_counter()
        try:
            answer = await client.post(endpoint.url, headers, item.payload)
        except DeliveryError as exc:
            attempt = Attempt(item, started, _ms(began), None, None, str(exc))
        else:
            excerpt = answer.excerpt[:RESPONSE_EXCERPT].decode("utf-8", errors="replace")
            attempt = Attempt(item, started, _ms(began), answer.status, excerpt, None)
        self._attempts.append(attempt)

    def _record_soon(self) -> None:
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        """Record what was attempted, one transaction per group: while one is written the
        next group gathers (group commit)."""
        while self._attempts or self._released:
            attempts, self._attempts = self._attempts, []
            released, self._released = self._released, []
            try:
                rescan = await self.lane.run(self.ledger.record, attempts, released)
            except Exception:
                log.exception("recording %d delivery attempts failed", len(attempts))
                rescan = False
                await self.lane.run(self.ledger.forget, [*attempts], released)
            self.sent += len(attempts)
            scanned = sum(a.owed.scanned for a in attempts) + sum(o.scanned for o in released)
            if scanned:
                self._scanned_left -= scanned
                if self._scanned_left <= 0:
                    self._scanned_left = 0
                    self._scan_done.set()
            if rescan:
                self._wakeup.set()


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000
