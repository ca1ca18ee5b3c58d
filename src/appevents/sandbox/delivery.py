"""Delivering events to webhook endpoints: signed POSTs, Stripe's retry schedule, every
attempt recorded, failing endpoints disabled.

State lives in the ``deliveries`` table (owed deliveries survive a restart); the engine
is a loop that sends what is due, many at once, and sleeps until the next due time or
until the sandbox says something new is owed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..receiver.stores.lane import Lane
from ..signature import sign
from .schedule import DisablePolicy, RetrySchedule, advance_failure_streak
from .state.db import loads
from .state.events import pending_webhooks

__all__ = ["DeliveryEngine", "DeliverySettings"]

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


@dataclass(frozen=True, slots=True)
class _Due:
    delivery: int
    event_id: str
    endpoint: str
    url: str
    secret: str
    livemode: bool
    attempts: int
    first_attempt_at: float | None
    failing_since: float | None
    body: dict[str, Any]


class DeliveryEngine:
    def __init__(
        self,
        db: sqlite3.Connection,
        lane: Lane,
        *,
        settings: DeliverySettings | None = None,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.lane = lane
        self.settings = settings or DeliverySettings()
        self.clock = clock
        self._transport = transport
        self._wakeup = asyncio.Event()
        self._stopping = False
        self.sent = 0

    def notify(self) -> None:
        """Something became due: wake up now. Safe to call from the lane's thread."""
        loop = getattr(self, "_loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(self._wakeup.set)

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        limits = httpx.Limits(max_connections=self.settings.concurrency)
        async with httpx.AsyncClient(
            timeout=self.settings.timeout, follow_redirects=False, limits=limits,
            transport=self._transport,
        ) as client:  # fmt: skip
            while not self._stopping:
                self._wakeup.clear()
                sent = await self.run_once(client)
                if sent:
                    continue
                next_due = await self.lane.run(self._next_due)
                timeout = 1.0 if next_due is None else max(0.0, min(1.0, next_due - self.clock()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout)

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Send every delivery due now (up to a batch); returns how many were attempted."""
        due = await self.lane.run(self._due, self.clock())
        if not due:
            return 0
        semaphore = asyncio.Semaphore(self.settings.concurrency)

        async def attempt(
            item: _Due,
        ) -> tuple[_Due, float, float, int | None, str | None, str | None]:
            async with semaphore:
                return await self._post(client, item)

        results = await asyncio.gather(*(attempt(item) for item in due))
        await self.lane.run(self._record, results)
        self.sent += len(results)
        return len(results)

    async def _post(
        self, client: httpx.AsyncClient, item: _Due
    ) -> tuple[_Due, float, float, int | None, str | None, str | None]:
        item.body["pending_webhooks"] = item.body.get("pending_webhooks", 1)
        # Compact: the C encoder (indent= would fall back to the pure-Python one).
        payload = json.dumps(item.body).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
            "Stripe-Signature": sign(payload, item.secret, int(self.clock())),
        }
        started = self.clock()
        began = time.perf_counter()
        try:
            response = await client.post(item.url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            return item, started, _ms(began), None, None, f"{type(exc).__name__}: {exc}"
        excerpt = response.content[:RESPONSE_EXCERPT].decode("utf-8", errors="replace")
        return item, started, _ms(began), response.status_code, excerpt, None

    # -- on the lane ---------------------------------------------------------------------------

    def _due(self, now: float) -> list[_Due]:
        rows = self.db.execute(
            "SELECT d.id, d.event, d.endpoint, d.attempts, d.first_attempt_at, w.url, w.secret,"
            " w.failing_since, e.livemode, e.body FROM deliveries d"
            " JOIN webhook_endpoints w ON w.id = d.endpoint JOIN events e ON e.id = d.event"
            " WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.status = 'enabled'"
            " AND w.deleted = 0 ORDER BY d.next_attempt_at LIMIT ?",
            (now, self.settings.batch),
        ).fetchall()
        due = []
        for r in rows:
            body = loads(r["body"])
            body["pending_webhooks"] = pending_webhooks(self.db, r["event"])
            due.append(
                _Due(
                    r["id"],
                    r["event"],
                    r["endpoint"],
                    r["url"],
                    r["secret"],
                    bool(r["livemode"]),
                    r["attempts"],
                    r["first_attempt_at"],
                    r["failing_since"],
                    body,
                )
            )
        return due

    def _next_due(self) -> float | None:
        row = self.db.execute(
            "SELECT MIN(d.next_attempt_at) FROM deliveries d JOIN webhook_endpoints w"
            " ON w.id = d.endpoint WHERE d.status = 'pending' AND w.status = 'enabled'"
            " AND w.deleted = 0"
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def _record(
        self, results: list[tuple[_Due, float, float, int | None, str | None, str | None]]
    ) -> None:
        schedule, disable = self.settings.schedule, self.settings.disable
        self.db.execute("BEGIN IMMEDIATE")
        try:
            streaks: dict[str, float | None] = {}
            for item, at, duration, status, excerpt, error in results:
                ok = status is not None and 200 <= status < 300
                attempts = item.attempts + 1
                first = item.first_attempt_at if item.first_attempt_at is not None else at
                self.db.execute(
                    "INSERT INTO delivery_attempts (delivery, number, at, duration_ms, status_code,"
                    " response, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (item.delivery, attempts, at, duration, status, excerpt, error),
                )
                next_at = (
                    None if ok else schedule.next_attempt_at(item.livemode, attempts, first, at)
                )
                state = "succeeded" if ok else ("pending" if next_at is not None else "failed")
                self.db.execute(
                    "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                    " first_attempt_at = ?, last_attempt_at = ? WHERE id = ?",
                    (state, attempts, next_at, first, at, item.delivery),
                )
                streak = streaks.get(item.endpoint, item.failing_since)
                streaks[item.endpoint] = advance_failure_streak(streak, at, ok)
            for endpoint, streak in streaks.items():
                disabled = disable.should_disable(streak, self.clock())
                self.db.execute(
                    "UPDATE webhook_endpoints SET failing_since = ?,"
                    " status = CASE WHEN ? THEN 'disabled' ELSE status END WHERE id = ?",
                    (streak, disabled, endpoint),
                )
                if disabled:
                    log.warning("endpoint %s disabled: failing since %s", endpoint, streak)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000
