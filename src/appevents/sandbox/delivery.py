"""Delivering events to webhook endpoints: signed POSTs, Stripe's retry schedule, every
attempt recorded, failing endpoints disabled.

The engine is a pipeline on the event loop:

* **in**: a new event's deliveries arrive from the lane as soon as their transaction
  commits (:meth:`DeliveryEngine.hand_over`); retries, resends and what a restart left
  come from a scan of the ``deliveries`` table, when due, batch by batch, each endpoint's
  next batch once its last one is recorded;
* **senders** POST what is owed, each on a keep-alive connection, checking first that the
  endpoint is still enabled (and where it points now). Which delivery goes next is
  dispatch.py's decision: endpoints take turns, each gets a bounded share of the senders,
  and one that fails or answers slowly gets a single delivery at a time from a pool of its
  own, so endpoints that hang never hold up the others;
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
from .dispatch import Dispatcher, require_count
from .http_client import Answer, DeliveryError, HttpClient
from .lane import Lane
from .owed import Attempt, Ledger, Owed
from .schedule import DisablePolicy, RetrySchedule, require_positive_number
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
    concurrency: int = 20
    """Deliveries in flight at once to endpoints in good standing: a lone endpoint keeps 16
    in flight (local receivers gain nothing from more) and 4 stay free for any other."""
    per_endpoint: int = 4
    """Deliveries in flight to one endpoint while others wait for senders; alone, it may
    borrow idle ones, up to ``concurrency - per_endpoint``."""
    troubled_concurrency: int = 4
    """Deliveries in flight to endpoints in trouble (their last attempt failed, or took
    longer than ``slow_after``), one each, all of them together, beside ``concurrency``."""
    slow_after: float | None = None
    """Seconds after which an attempt still in flight puts its endpoint in trouble; None
    means a quarter of ``timeout``, at most 5."""
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    disable: DisablePolicy = field(default_factory=DisablePolicy)
    batch: int = 256
    """Rows read per scan of the table."""

    def __post_init__(self) -> None:
        require_positive_number(
            "timeout", self.timeout, "the seconds to wait for an answer, e.g. 30.0"
        )
        if self.slow_after is not None:
            require_positive_number(
                "slow_after", self.slow_after, "e.g. 5.0, or None for a quarter of the timeout"
            )
        require_count("concurrency", self.concurrency, "deliveries in flight at once")
        require_count("per_endpoint", self.per_endpoint, "deliveries in flight to one endpoint")
        require_count(
            "troubled_concurrency",
            self.troubled_concurrency,
            "deliveries in flight to endpoints in trouble, all together",
        )
        require_count("batch", self.batch, "rows read per scan")

    @property
    def slow_seconds(self) -> float:
        """When an attempt in flight counts as slow (see ``slow_after``)."""
        if self.slow_after is not None:
            return self.slow_after
        return min(5.0, self.timeout / 4)

    @property
    def senders(self) -> int:
        """Senders, the hard bound on deliveries in flight: room for both pools and for
        those that were in flight when their endpoint fell into trouble."""
        return 2 * self.concurrency + self.troubled_concurrency


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
        self._dispatch: Dispatcher[Owed] = Dispatcher(
            concurrency=s.concurrency,
            per_endpoint=s.per_endpoint,
            troubled=s.troubled_concurrency,
        )
        self._idle: deque[asyncio.Future[tuple[str, Owed] | None]] = deque()
        self._attempts: list[Attempt] = []
        self._released: list[Owed] = []
        self._recorder: asyncio.Task[None] | None = None
        self._scanned: dict[str, int] = {}
        """Per endpoint, rows found by the scan and not recorded yet: the scan skips these
        endpoints until they are, so no endpoint's backlog holds up another's retries."""
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

    # -- on the event loop ----------------------------------------------------------------

    async def run(self) -> None:
        own_client = self._client is None
        client = self._client or HttpClient(
            timeout=self.settings.timeout,
            max_connections=self.settings.senders,
            excerpt=RESPONSE_EXCERPT,
        )
        await self.lane.run(self.ledger.start)
        with self._handover_lock:
            self._loop = asyncio.get_running_loop()
            early, self._early = self._early, []
        workers = [
            asyncio.ensure_future(self._worker(client)) for _ in range(self.settings.senders)
        ]
        self._accept(early)
        try:
            await self._scan()
        finally:
            self._stopping = True
            self._dispatch.clear()  # still owed in the table: sent after a restart
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
            # Rows of endpoints in trouble with a backlog here would only wait in memory;
            # and held long enough, their leases end: they would fill every batch.
            skip = (*self._scanned, *self._dispatch.troubled_with_backlog())
            owed = await self.lane.run(self.ledger.due, scanned_at, self.settings.batch, skip)
            if owed:
                for item in owed:
                    self._scanned[item.endpoint] = self._scanned.get(item.endpoint, 0) + 1
                self._accept(owed)
                continue  # other endpoints' rows may be due beyond this batch
            next_due = await self.lane.run(self.ledger.next_due, skip)
            if next_due is None or next_due <= scanned_at:
                timeout = 1.0  # nothing, or only rows the engine holds already
            else:
                timeout = max(0.0, min(1.0, next_due - self.clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    def _accept(self, owed: list[Owed]) -> None:
        for item in owed:
            self._dispatch.add(item.endpoint, item)
        self._wake()

    def _wake(self) -> None:
        """Give idle senders what may go now."""
        idle = self._idle
        while idle:
            if idle[0].done():
                idle.popleft()
                continue
            taken = self._dispatch.take()
            if taken is None:
                return
            idle.popleft().set_result(taken)

    def _slow(self, endpoint: str) -> None:
        self._dispatch.slow(endpoint)
        self._wake()  # its deliveries left the good-standing pool: others may go

    async def _worker(self, client: Poster) -> None:
        loop = asyncio.get_running_loop()
        taken = self._dispatch.take()
        while True:
            if taken is None:
                if self._stopping:
                    return
                waiter: asyncio.Future[tuple[str, Owed] | None] = loop.create_future()
                self._idle.append(waiter)
                taken = await waiter
                if taken is None:
                    return
            endpoint, item = taken
            healthy: bool | None = None
            try:
                healthy = await self._deliver(client, item)
            except Exception:  # never lose the item: its row is still owed
                log.exception("delivery %s failed unexpectedly", item.delivery)
                self._released.append(item)
            self._dispatch.done(endpoint, healthy)
            self._record_soon()
            taken = self._dispatch.take()
            self._wake()  # a prompt answer may have freed more than this sender's turn

    async def _deliver(self, client: Poster, item: Owed) -> bool | None:
        """Attempt ``item``: True for a prompt 2xx, False for a failure or a slow answer,
        None if it was not attempted (its endpoint is gone or disabled)."""
        live = self.db.cache.endpoints
        if live is None:  # the caches were just reset (a rollback): reload them
            live = await self.lane.run(endpoints.live_endpoints, self.db)
        endpoint = live.get(item.endpoint)
        if endpoint is None or endpoint.status != "enabled":
            self._released.append(item)  # deleted or disabled since it was owed
            return None
        started = self.clock()
        headers = (
            ("Content-Type", "application/json; charset=utf-8"),
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*; q=0.5, application/xml"),
            ("Cache-Control", "no-cache"),
            ("Stripe-Signature", sign(item.payload, endpoint.secret, int(started))),
        )
        slow_after = self.settings.slow_seconds
        slow = asyncio.get_running_loop().call_later(slow_after, self._slow, item.endpoint)
        began = time.perf_counter()
        try:
            answer = await client.post(endpoint.url, headers, item.payload)
        except DeliveryError as exc:
            attempt = Attempt(item, started, _ms(began), None, None, str(exc))
        else:
            excerpt = answer.excerpt[:RESPONSE_EXCERPT].decode("utf-8", errors="replace")
            attempt = Attempt(item, started, _ms(began), answer.status, excerpt, None)
        finally:
            slow.cancel()
        self._attempts.append(attempt)
        return attempt.ok and attempt.duration_ms < slow_after * 1000

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
            for item in [*(a.owed for a in attempts), *released] if self._scanned else ():
                if item.scanned:
                    left = self._scanned[item.endpoint] - 1
                    if left:
                        self._scanned[item.endpoint] = left
                    else:  # recorded: the scan sees its outcome, and its further rows
                        del self._scanned[item.endpoint]
                        rescan = True
            if rescan:
                self._wakeup.set()


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000
