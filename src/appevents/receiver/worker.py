"""The worker: processes due events with the app's handlers, retries, dead-letters.

Each event is processed inside the store's transaction (see ``inbox``): the
installation lifecycle is applied, ``on_install`` / ``on_uninstall`` and the business
handlers run, and the outcome is recorded with their effects. A handler that raises
rolls its effects back; the pure :class:`RetryPolicy` decides when to try again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..errors import StoreError
from ..event import Event
from .handlers import Context, Handler, HandlerRegistry
from .inbox import Outcome, Pruned, Status, Store, StoredEvent, Transaction
from .installations import Installation, plan
from .retention import Retention
from .retry import DeadLetter, RetryPolicy
from .stripe_api import StripeAPI
from .stripe_client import StripeClients

__all__ = ["BatchObserver", "Handlers", "Worker", "WorkerStats"]

log = logging.getLogger("appevents.worker")

_MAX_ERROR_LENGTH = 4000

BatchObserver = Callable[[Sequence[tuple[StoredEvent, Outcome]]], None]
"""Called with each batch's results (metrics count them; see ``receiver.metrics``)."""


@dataclass(frozen=True, slots=True)
class Handlers:
    """The app's handlers, as the worker needs them."""

    business: HandlerRegistry
    install: Sequence[Handler]
    uninstall: Sequence[Handler]

    @property
    def all_sync(self) -> bool:
        """No handler is async: processing never has to wait on the event loop."""
        return not any(h.is_async for h in (*self.business.all(), *self.install, *self.uninstall))


@dataclass
class WorkerStats:
    processed: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> None:
        self.processed += 1
        self.by_status[outcome.status] = self.by_status.get(outcome.status, 0) + 1
        if outcome.status == Status.FAILED:
            self.failed += 1
        elif outcome.status == Status.DEAD:
            self.dead += 1
        elif outcome.status == Status.SKIPPED:
            self.skipped += 1


class Worker:
    def __init__(
        self,
        store: Store,
        handlers: Handlers,
        *,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        random_fraction: Callable[[], float] = random.random,
        batch_size: int = 64,
        poll_interval: float = 1.0,
        handler_timeout: float | None = 60.0,
        batch_time_budget: float = 0.05,
        api: StripeAPI | None = None,
        heartbeat_interval: float = 5.0,
        stripe_clients: StripeClients | None = None,
        retention: Retention | None = None,
    ) -> None:
        """``retention``: prune finished events past it, a batch every
        ``retention.interval`` seconds (batch after batch while there are more).
        ``api``: what ``ctx.fetch_event()`` asks (the App's key and base URL);
        ``stripe_clients``: where ``ctx.stripe`` comes from (one client per account).
        ``heartbeat_interval``: seconds between the worker's beats in the store, which
        metrics, ``/readyz`` and ``appevents inbox stats`` read to tell it is alive."""
        self.store = store
        self.handlers = handlers
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.random_fraction = random_fraction
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.handler_timeout = handler_timeout
        # SQLite holds its write lock for a whole batch; a short budget keeps the
        # receiver's commits (and so its latency) from waiting behind slow handlers.
        self.batch_time_budget = batch_time_budget
        self.stats = WorkerStats()
        self.api = api
        self.stripe_clients = stripe_clients
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.heartbeat_interval = heartbeat_interval
        self.retention = retention
        self._next_prune = float("-inf")
        self.observer: BatchObserver | None = None
        self._started_at: float | None = None
        self._last_beat = float("-inf")
        self._wakeup = asyncio.Event()
        self._stopping = False

    def notify(self) -> None:
        """Wake the worker now: something was just received (same process)."""
        self._wakeup.set()

    async def run_once(self) -> list[tuple[StoredEvent, Outcome]]:
        """Process one batch of due events; returns what happened to each."""
        results = await self.store.process_due(
            now=self.clock(),
            limit=self.batch_size,
            work=self._work,
            time_budget=self.batch_time_budget,
            inline=self.handlers.all_sync,
        )
        if results and self.observer is not None:
            self.observer(results)
        for event, outcome in results:
            self.stats.count(outcome)
            if outcome.status in (Status.FAILED, Status.DEAD):
                log.warning(
                    "event %s (%s) attempt %d %s: %s",
                    event.id,
                    event.type,
                    event.attempts,
                    outcome.status,
                    (outcome.error or "").strip().rpartition("\n")[2],
                )
        return results

    async def drain(self, *, max_batches: int = 10_000) -> int:
        """Process until nothing is due now; returns the number of attempts made."""
        total = 0
        for _ in range(max_batches):
            done = await self.run_once()
            if not done:
                break
            total += len(done)
        return total

    async def run(self) -> None:
        """Process forever (until :meth:`stop`), sleeping until the next due time."""
        try:
            await self._run()
        finally:
            if self._started_at is not None:
                with contextlib.suppress(StoreError):
                    await self.store.forget_worker(self.name)
            await self.close()

    async def close(self) -> None:
        """Release what handlers used (the API's connections); idempotent."""
        if self.api is not None:
            await self.api.aclose()
        if self.stripe_clients is not None:
            await self.stripe_clients.aclose()

    async def _run(self) -> None:
        self._started_at = self.clock()
        while not self._stopping:
            await self._beat()
            await self.prune_due()
            try:
                if await self.run_once():
                    continue
                next_due = await self.store.next_due_at()
            except StoreError as exc:
                log.error("worker: store error, retrying in %.1fs: %s", self.poll_interval, exc)
                next_due = None
            except Exception:
                # A bug must not silently end the worker task: log it and keep going.
                log.exception("worker: unexpected error, retrying in %.1fs", self.poll_interval)
                next_due = None
            timeout = self.poll_interval
            if next_due is not None:
                timeout = max(0.0, min(timeout, next_due - self.clock()))
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    async def prune_due(self) -> Pruned | None:
        """One pruning batch if ``retention`` asks for one now; None if it did not run.

        One batch between two processing batches: pruning a large backlog of old events
        never holds the store for long."""
        retention = self.retention
        now = self.clock()
        if retention is None or now < self._next_prune:
            return None
        done_before, dead_before, created_before = retention.thresholds(now)
        self._next_prune = now + retention.interval
        try:
            pruned = await self.store.prune(
                done_before=done_before,
                dead_before=dead_before,
                created_before=created_before,
                now=now,
                limit=retention.batch,
            )
        except StoreError as exc:
            log.error("worker: pruning failed, next try in %.0fs: %s", retention.interval, exc)
            return None
        if pruned.deleted + pruned.stripped >= retention.batch:
            self._next_prune = now  # more to prune: the next batch at the next turn
        if pruned.deleted or pruned.stripped:
            log.info("worker: pruned %d event(s), kept %d id(s)", pruned.deleted, pruned.stripped)
        return pruned

    async def _beat(self) -> None:
        """Record in the store that this worker is alive, every ``heartbeat_interval``."""
        now = self.clock()
        if now - self._last_beat < self.heartbeat_interval or self._started_at is None:
            return
        self._last_beat = now
        try:
            await self.store.beat(self.name, started_at=self._started_at, now=now)
        except StoreError as exc:
            log.warning("worker: could not record its heartbeat (retrying): %s", exc)

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def _work(self, stored: StoredEvent, tx: Transaction) -> Outcome:
        started = self.clock()
        try:
            dispatched = await self._apply(stored, tx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._failure(stored, started, exc)
        return Outcome(Status.DONE if dispatched else Status.SKIPPED, started, self.clock())

    async def _apply(self, stored: StoredEvent, tx: Transaction) -> bool:
        """Apply the lifecycle and run the handlers; False if the event was not dispatched."""
        if stored.payload is None:
            # An uninstall erased it before its turn (created in the uninstall's second, or
            # committed while the uninstall ran): the account's data is gone, and so is
            # anything to dispatch.
            return False
        event = stored.event()
        if event.account is None:
            ctx = Context(
                event, None, event.livemode, None, None, tx.connection, stored.attempts,
                self.api, self.stripe_clients,
            )  # fmt: skip
            await self._run_all(self.handlers.business.for_type(event.type), event, ctx, tx)
            return True
        current = await tx.get_installation(event.account, event.livemode)
        decision = plan(event, current)
        installation: Installation | None = decision.installation or current
        if decision.installation is not None:
            await tx.save_installation(decision.installation, self.clock())
        ctx = Context(
            event, event.account, event.livemode, installation, current, tx.connection,
            stored.attempts, self.api, self.stripe_clients,
        )  # fmt: skip
        if decision.run_install:
            await self._run_all(self.handlers.install, event, ctx, tx)
        if decision.dispatch:
            await self._run_all(self.handlers.business.for_type(event.type), event, ctx, tx)
        if decision.run_uninstall:
            await self._run_all(self.handlers.uninstall, event, ctx, tx)
        if decision.erase_through is not None:
            await tx.erase_account(
                event.account, event.livemode, through_created=decision.erase_through,
                now=self.clock(),
            )  # fmt: skip
        return decision.dispatch

    async def _run_all(
        self, handlers: Sequence[Handler], event: Event, ctx: Context, tx: Transaction
    ) -> None:
        for handler in handlers:
            if handler.is_async:
                if self.handler_timeout is None:
                    await handler.call_async(event, ctx)
                else:
                    async with asyncio.timeout(self.handler_timeout):
                        await handler.call_async(event, ctx)
            else:
                sync_ctx = replace(ctx, transaction=tx.sync_connection)
                await tx.call(handler.function, *handler.arguments(event, sync_ctx))

    def _failure(self, stored: StoredEvent, started: float, exc: Exception) -> Outcome:
        finished = self.clock()
        error = "".join(traceback.format_exception(exc))[-_MAX_ERROR_LENGTH:]
        decision = self.retry.decide(stored.attempts, finished, self.random_fraction())
        if isinstance(decision, DeadLetter):
            return Outcome(Status.DEAD, started, finished, error=error)
        return Outcome(Status.FAILED, started, finished, error=error, retry_at=decision.at)
