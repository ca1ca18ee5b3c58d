"""Owed deliveries, on the lane: what the delivery engine sends and what it records.

The ``deliveries`` table is the truth (a restart resumes from it); the engine only keeps
in memory the rows it is working on, *claimed* here so that no row is sent twice:

* a new event's deliveries are handed to the engine as soon as their transaction
  commits (:meth:`Ledger.hand_over`). Their ``next_attempt_at`` is a lease, :data:`LEASE`
  seconds ahead, so the engine's scan of the table does not see them while they are in
  memory; a restart voids the leases of rows never attempted (:meth:`Ledger.start`);
* the scan (:meth:`Ledger.due`) finds retries, resends and whatever a restart left, for the
  endpoints the engine holds none of (so one endpoint's backlog never fills a scan's batch
  while others' retries fall due);
* :meth:`Ledger.record` writes a group of attempts in one transaction and releases their
  claims. An attempt only updates its row if the row is still as it was claimed (same
  ``next_attempt_at``): a resend or a deleted endpoint in the meantime wins.

Every method runs on the lane (the thread that owns the connection).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from .schedule import DisablePolicy, RetrySchedule, advance_failure_streak
from .state import endpoints
from .state.db import StateDB
from .state.events import pending_webhooks
from .state.thin_events import THIN_ACCOUNT

__all__ = ["LEASE", "Attempt", "Ledger", "Owed", "payload_of"]

log = logging.getLogger("appevents.sandbox.delivery")

LEASE = 120.0
"""Seconds a new delivery's row stays out of the scan while the engine holds it."""


@dataclass(frozen=True, slots=True)
class Owed:
    """One delivery to attempt, with the signed body's bytes ready."""

    delivery: int
    event_id: str
    endpoint: str
    livemode: bool
    attempts: int
    first_attempt_at: float | None
    claimed_at: float | None
    """The row's ``next_attempt_at`` when it was claimed: recording checks it is unchanged."""
    payload: bytes
    scanned: bool = False
    """Found by the scan (a retry, a resend, left by a restart), not handed over fresh."""


@dataclass(frozen=True, slots=True)
class Attempt:
    owed: Owed
    at: float
    duration_ms: float
    status: int | None
    response: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def payload_of(stored_body: str, pending: int) -> bytes:
    """The delivered JSON: the event as stored (compact, without ``pending_webhooks``)
    with ``pending_webhooks`` appended, without parsing and re-encoding it."""
    return f'{stored_body[:-1]},"pending_webhooks":{pending}}}'.encode()


class Ledger:
    def __init__(
        self,
        db: StateDB,
        *,
        schedule: RetrySchedule,
        disable: DisablePolicy,
        clock: Callable[[], float],
    ) -> None:
        self.db = db
        self.schedule = schedule
        self.disable = disable
        self.clock = clock
        self.claimed: set[int] = set()

    def hand_over(self, owed: list[Owed]) -> None:
        """New deliveries (just committed) go to the engine from memory."""
        self.claimed.update(o.delivery for o in owed)

    def start(self) -> None:
        """The engine starts: leases taken by a previous run are void."""
        with self.db.transaction() as db:
            now = self.clock()
            db.execute(
                "UPDATE deliveries SET next_attempt_at = ? WHERE status = 'pending'"
                " AND attempts = 0 AND next_attempt_at > ?",
                (now, now),
            )

    def due(self, now: float, limit: int, skip: Collection[str] = ()) -> list[Owed]:
        """Rows due by ``now`` to enabled endpoints, that the engine does not hold yet,
        leaving out the endpoints in ``skip`` (the engine holds enough of theirs)."""
        rows = self.db.execute(
            "SELECT d.id, d.event, d.endpoint, d.attempts, d.first_attempt_at,"
            " d.next_attempt_at, e.livemode FROM deliveries d"
            " JOIN webhook_endpoints w ON w.id = d.endpoint JOIN events e ON e.id = d.event"
            " WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.status = 'enabled'"
            " AND w.deleted = 0 AND d.endpoint NOT IN (SELECT value FROM json_each(?))"
            " ORDER BY d.next_attempt_at LIMIT ?",
            (now, json.dumps(list(skip)), limit),
        ).fetchall()
        owed = []
        for r in rows:
            if r["id"] in self.claimed:
                continue
            body, account = self.db.execute(
                "SELECT body, account FROM events WHERE id = ?", (r["event"],)
            ).fetchone()
            # A thin event's row (account '') holds its notification, sent as it is.
            thin = account == THIN_ACCOUNT
            payload = (
                body.encode() if thin else payload_of(body, pending_webhooks(self.db, r["event"]))
            )
            owed.append(
                Owed(r["id"], r["event"], r["endpoint"], bool(r["livemode"]), r["attempts"],
                     r["first_attempt_at"], r["next_attempt_at"], payload, scanned=True)
            )  # fmt: skip
        self.claimed.update(o.delivery for o in owed)
        endpoints.live_endpoints(self.db)  # loaded for the engine's checks before sending
        return owed

    def next_due(self, skip: Collection[str] = ()) -> float | None:
        """When the next row to an enabled endpoint not in ``skip`` falls due."""
        row = self.db.execute(
            "SELECT MIN(d.next_attempt_at) FROM deliveries d JOIN webhook_endpoints w"
            " ON w.id = d.endpoint WHERE d.status = 'pending' AND w.status = 'enabled'"
            " AND w.deleted = 0 AND d.endpoint NOT IN (SELECT value FROM json_each(?))",
            (json.dumps(list(skip)),),
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def record(self, attempts: list[Attempt], released: list[Owed]) -> bool:
        """Write attempts (and the failure streaks they change) in one transaction; put
        ``released`` rows (their endpoint was disabled meanwhile) back to the scan.

        Returns True when some row had changed since it was claimed, so the scan should
        look again (a resend waiting for the claim to go)."""
        schedule = self.schedule
        changed = False
        with self.db.transaction() as db:
            db.executemany(
                "INSERT INTO delivery_attempts (delivery, number, at, duration_ms, status_code,"
                " response, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(a.owed.delivery, a.owed.attempts + 1, a.at, a.duration_ms, a.status,
                  a.response, a.error) for a in attempts],
            )  # fmt: skip
            updates = []
            for a in attempts:
                o, ok, number = a.owed, a.ok, a.owed.attempts + 1
                first = o.first_attempt_at if o.first_attempt_at is not None else a.at
                next_at = None if ok else schedule.next_attempt_at(o.livemode, number, first, a.at)
                state = "succeeded" if ok else ("pending" if next_at is not None else "failed")
                updates.append((state, number, next_at, first, a.at, o.delivery, o.claimed_at))
            cursor = db.executemany(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " first_attempt_at = ?, last_attempt_at = ? WHERE id = ? AND next_attempt_at IS ?",
                updates,
            )
            changed = cursor.rowcount < len(updates)
            if released:
                now = self.clock()
                db.executemany(
                    "UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending'"
                    " AND next_attempt_at IS ?",
                    [(now, o.delivery, o.claimed_at) for o in released],
                )
            self._streaks(db, attempts)
        self.claimed.difference_update(a.owed.delivery for a in attempts)
        self.claimed.difference_update(o.delivery for o in released)
        return changed

    def forget(self, attempts: list[Attempt], released: list[Owed]) -> None:
        """Recording failed: let the scan find these rows again when their lease ends."""
        self.claimed.difference_update(a.owed.delivery for a in attempts)
        self.claimed.difference_update(o.delivery for o in released)

    def _streaks(self, db: StateDB, attempts: list[Attempt]) -> None:
        """Advance each endpoint's failure streak; disable those failing for too long."""
        live = endpoints.live_endpoints(db)
        streaks: dict[str, float | None] = {}
        for a in attempts:
            endpoint = live.get(a.owed.endpoint)
            if endpoint is None:
                continue  # deleted meanwhile
            streak = streaks.get(endpoint.id, endpoint.failing_since)
            streaks[endpoint.id] = advance_failure_streak(streak, a.at, a.ok)
        now = self.clock()
        for endpoint_id, streak in streaks.items():
            endpoint = live[endpoint_id]
            disable = endpoint.status == "enabled" and self.disable.should_disable(streak, now)
            if streak != endpoint.failing_since or disable:
                endpoints.set_failure_streak(db, endpoint_id, streak, disable=disable)
            if disable:
                log.warning("endpoint %s disabled: failing since %s", endpoint_id, streak)
