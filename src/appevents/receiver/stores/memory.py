"""The in-memory store: the reference implementation of the inbox semantics, for tests.

Nothing survives the process. Handlers get ``ctx.transaction = None``; the
installation changes and erasures a failed attempt made are discarded, as a rollback
would discard them in the SQL stores.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ...errors import NotFound, StoreUnavailable
from ...event import Event
from ..inbox import (
    UNFINISHED,
    WORKER_FORGOTTEN_AFTER,
    AccountLag,
    Attempt,
    Backlog,
    CatchupProgress,
    Outcome,
    Pruned,
    Source,
    Status,
    Store,
    StoredEvent,
    Work,
    WorkerBeat,
    check_replayable,
)
from ..installations import Installation

__all__ = ["MemoryStore"]

T = TypeVar("T")


@dataclass
class _Staged:
    """One attempt's changes, applied only if it succeeds."""

    store: MemoryStore
    installations: dict[tuple[str, bool], Installation] = field(default_factory=dict)
    erasures: list[tuple[str, bool, int, float]] = field(default_factory=list)

    @property
    def connection(self) -> Any:
        return None

    @property
    def sync_connection(self) -> Any:
        return None

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return function(*args)

    async def get_installation(self, account: str, livemode: bool) -> Installation | None:
        key = (account, livemode)
        return self.installations.get(key) or self.store._installations.get(key)

    async def save_installation(self, installation: Installation, now: float) -> None:
        self.installations[(installation.account, installation.livemode)] = installation

    async def erase_account(
        self, account: str, livemode: bool, *, through_created: int, now: float
    ) -> int:
        self.erasures.append((account, livemode, through_created, now))
        return sum(
            1
            for e in self.store._events.values()
            if e.account == account
            and e.livemode == livemode
            and e.created <= through_created
            and e.payload is not None
        )


class MemoryStore(Store):
    def __init__(self) -> None:
        self.url = "memory://"
        self._events: dict[str, StoredEvent] = {}
        self._attempts: dict[str, list[Attempt]] = {}
        self._installations: dict[tuple[str, bool], Installation] = {}
        self._processing = asyncio.Lock()
        self._workers: dict[str, WorkerBeat] = {}
        self._catchup: dict[tuple[str | None, bool], CatchupProgress] = {}
        self.unavailable: Exception | None = None
        """Set to an exception to simulate a store that cannot commit."""

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def setup(self, function: Callable[[Any], Any]) -> None:
        function(None)

    async def insert_events(
        self, events: Sequence[Event], received_at: float, *, source: Source = Source.DELIVERED
    ) -> list[bool]:
        if self.unavailable is not None:
            raise StoreUnavailable(f"memory store set unavailable: {self.unavailable}")
        inserted = []
        for event in events:
            new = event.id not in self._events
            if new:
                self._events[event.id] = StoredEvent(
                    id=event.id,
                    account=event.account,
                    livemode=event.livemode,
                    type=event.type,
                    created=event.created,
                    status=Status.PENDING,
                    attempts=0,
                    received_at=received_at,
                    available_at=received_at,
                    completed_at=None,
                    last_error=None,
                    erased_at=None,
                    payload=event.raw,
                    source=source,
                )
            inserted.append(new)
        return inserted

    def _due_heads(self, now: float, limit: int) -> list[StoredEvent]:
        heads: dict[str | None, StoredEvent] = {}
        for e in self._events.values():
            if e.status in UNFINISHED:
                head = heads.get(e.account)
                if head is None or (e.created, e.id) < (head.created, head.id):
                    heads[e.account] = e
        due = sorted((e for e in heads.values() if e.available_at <= now), key=_due_order)
        return due[:limit]

    async def process_due(
        self,
        *,
        now: float,
        limit: int,
        work: Work,
        time_budget: float = 0.25,
        inline: bool = False,  # nothing to gain: the connection is not on a thread
    ) -> list[tuple[StoredEvent, Outcome]]:
        results: list[tuple[StoredEvent, Outcome]] = []
        async with self._processing:
            started = time.monotonic()
            for head in self._due_heads(now, limit):
                if results and time.monotonic() - started > time_budget:
                    break
                claimed = head.next_attempt()
                staged = _Staged(self)
                outcome = await work(claimed, staged)
                if outcome.succeeded:
                    self._installations.update(staged.installations)
                    for account, livemode, through, at in staged.erasures:
                        self._erase(account, livemode, through, at)
                self._settle(claimed, outcome)
                results.append((claimed, outcome))
        return results

    def _erase(self, account: str, livemode: bool, through: int, at: float) -> None:
        for e in list(self._events.values()):
            if (
                e.account == account
                and e.livemode == livemode
                and e.created <= through
                and e.payload is not None
            ):
                self._events[e.id] = replace(e, payload=None, last_error=None, erased_at=at)
                self._attempts[e.id] = [
                    replace(x, error=None) for x in self._attempts.get(e.id, [])
                ]

    def _settle(self, claimed: StoredEvent, outcome: Outcome) -> None:
        current = self._events[claimed.id]
        erased = outcome.erase_payload and current.payload is not None
        self._events[claimed.id] = replace(
            current,
            status=outcome.status,
            attempts=claimed.attempts,
            available_at=outcome.retry_at if outcome.retry_at is not None else current.available_at,
            completed_at=outcome.finished_at if outcome.succeeded else None,
            last_error=outcome.error,
            payload=None if erased else current.payload,
            erased_at=outcome.finished_at if erased else current.erased_at,
        )
        self._attempts.setdefault(claimed.id, []).append(
            Attempt(
                claimed.id,
                claimed.attempts,
                outcome.started_at,
                outcome.finished_at,
                outcome.status,
                outcome.error,
            )
        )

    async def next_due_at(self) -> float | None:
        heads = self._due_heads(float("inf"), len(self._events) or 1)
        return min((e.available_at for e in heads), default=None)

    async def get_event(self, event_id: str) -> StoredEvent:
        try:
            return self._events[event_id]
        except KeyError:
            raise NotFound(f"no event {event_id!r} in the inbox") from None

    async def list_events(
        self, *, status: Status | None = None, account: str | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        rows = [
            e
            for e in self._events.values()
            if (status is None or e.status == status) and (account is None or e.account == account)
        ]
        rows.sort(key=lambda e: (e.received_at, e.created, e.id), reverse=True)
        return rows[:limit]

    async def attempts(self, event_id: str) -> list[Attempt]:
        await self.get_event(event_id)
        return list(self._attempts.get(event_id, []))

    async def replay(self, event_ids: Sequence[str], *, now: float) -> list[str]:
        changed = []
        for event_id in event_ids:
            event = await self.get_event(event_id)
            check_replayable(event)
            self._events[event_id] = replace(
                event, status=Status.PENDING, attempts=0, available_at=now, completed_at=None
            )
            changed.append(event_id)
        return changed

    async def replay_dead(self, *, now: float) -> list[str]:
        dead = [e.id for e in self._events.values() if e.status == Status.DEAD]
        return await self.replay(dead, now=now)

    async def list_installations(self) -> list[Installation]:
        return sorted(self._installations.values(), key=lambda i: (i.account, i.livemode))

    async def counts(self) -> dict[Status, int]:
        result = dict.fromkeys(Status, 0)
        for e in self._events.values():
            result[e.status] += 1
        return result

    async def backlog(self, *, now: float, top: int = 10) -> Backlog:
        self._check_available()
        unfinished = [e for e in self._events.values() if e.status in UNFINISHED]
        pending = [e.received_at for e in unfinished if e.status == Status.PENDING]
        failed_due = sum(
            1 for e in unfinished if e.status == Status.FAILED and e.available_at <= now
        )
        accounts: dict[str | None, list[float]] = {}
        for e in unfinished:
            accounts.setdefault(e.account, []).append(e.received_at)
        busiest = sorted(accounts.items(), key=lambda item: (-len(item[1]), item[0] or ""))
        workers = sorted(self._workers.values(), key=lambda w: w.beat_at, reverse=True)
        return Backlog(
            pending=len(pending),
            failed_due=failed_due,
            failed_later=len(unfinished) - len(pending) - failed_due,
            oldest_pending_at=min(pending, default=None),
            busiest=tuple(AccountLag(a, len(t), min(t)) for a, t in busiest[:top]),
            workers=tuple(workers[:top]),
        )

    async def counts_by_type(self, *, top: int = 10) -> list[tuple[str, dict[Status, int]]]:
        self._check_available()
        by_type: dict[str, dict[Status, int]] = {}
        for e in self._events.values():
            counts = by_type.setdefault(e.type, dict.fromkeys(Status, 0))
            counts[e.status] += 1
        ranked = sorted(by_type.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        return ranked[:top]

    async def beat(self, worker: str, *, started_at: float, now: float) -> None:
        self._check_available()
        forget = now - WORKER_FORGOTTEN_AFTER
        self._workers = {n: w for n, w in self._workers.items() if w.beat_at >= forget}
        self._workers[worker] = WorkerBeat(worker, started_at, now)

    async def forget_worker(self, worker: str) -> None:
        self._workers.pop(worker, None)

    async def newest_created(self, account: str | None, livemode: bool) -> int | None:
        self._check_available()
        return max(
            (e.created for e in self._events.values()
             if e.account == account and e.livemode == livemode),
            default=None,
        )  # fmt: skip

    async def catchup_progress(self, account: str | None, livemode: bool) -> CatchupProgress | None:
        self._check_available()
        return self._catchup.get((account, livemode))

    async def save_catchup_progress(self, progress: CatchupProgress) -> None:
        self._check_available()
        self._catchup[(progress.account, progress.livemode)] = progress

    async def prune(
        self,
        *,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int = 500,
    ) -> Pruned:
        self._check_available()
        deleted = stripped = 0
        for e in list(self._events.values()):
            if deleted + stripped >= limit:
                break
            expired = (
                done_before is not None
                and e.status in (Status.DONE, Status.SKIPPED)
                and e.completed_at is not None
                and e.completed_at < done_before
            ) or (
                dead_before is not None and e.status == Status.DEAD and e.received_at < dead_before
            )
            if not expired:
                continue
            if e.created < created_before:
                del self._events[e.id]
                self._attempts.pop(e.id, None)
                deleted += 1
            elif e.erased_at is None:
                self._events[e.id] = replace(e, payload=None, last_error=None, erased_at=now)
                self._attempts.pop(e.id, None)
                stripped += 1
        return Pruned(deleted, stripped)

    def _check_available(self) -> None:
        if self.unavailable is not None:
            raise StoreUnavailable(f"memory store set unavailable: {self.unavailable}")


def _due_order(e: StoredEvent) -> tuple[float, int, str]:
    return (e.available_at, e.created, e.id)
