"""The inbox: the store interface every backend implements, and its value types.

A store keeps three things: the events received (raw payload, status, attempts), the
attempts log, and the installations. Three implementations share this interface and
one test suite: ``stores.memory`` (unit tests), ``stores.sqlite`` (embedded default) and
``stores.postgres`` (many receivers and workers on many machines).

Processing is the store's job too, because its guarantees live in transactions:
``process_due`` picks the due head event of each account (oldest ``created``, then id,
among the account's unfinished events; one account never has two in flight), and for
each calls the worker's ``work`` inside a savepoint of one transaction. ``work`` returns
an :class:`Outcome`; a failed outcome rolls back whatever the handlers wrote through the
transaction, and every outcome is recorded in that same transaction, so a handler's
effect commits exactly once with its event's ``done``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from ..errors import StoreError
from ..event import Event
from .installations import Installation

__all__ = [
    "AccountLag",
    "Attempt",
    "Backlog",
    "CatchupProgress",
    "Outcome",
    "Pruned",
    "Source",
    "Status",
    "Store",
    "StoredEvent",
    "Transaction",
    "Work",
    "WorkerBeat",
    "check_replayable",
]

T = TypeVar("T")


class Status(StrEnum):
    PENDING = "pending"
    """Received, not processed yet."""
    FAILED = "failed"
    """A handler failed; another attempt is scheduled at ``available_at``."""
    DONE = "done"
    DEAD = "dead"
    """Failed ``max_attempts`` times; waits for ``appevents inbox replay``."""
    SKIPPED = "skipped"
    """Recorded but not dispatched: the account had uninstalled the app."""


UNFINISHED = (Status.PENDING, Status.FAILED)


class Source(StrEnum):
    """How an event reached the inbox."""

    DELIVERED = "delivered"
    """Stripe delivered it to the webhook endpoint."""
    CATCHUP = "catchup"
    """``appevents catchup`` listed it from the API: its delivery never arrived."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    account: str | None
    livemode: bool
    type: str
    created: int
    status: Status
    attempts: int
    received_at: float
    available_at: float
    completed_at: float | None
    last_error: str | None
    erased_at: float | None
    payload: bytes | None
    """The raw body as received; None once erased (the account uninstalled the app)."""
    source: Source = Source.DELIVERED

    def next_attempt(self) -> StoredEvent:
        """This event as claimed for its next attempt."""
        return replace(self, attempts=self.attempts + 1)

    def event(self) -> Event:
        if self.payload is None:
            raise ValueError(f"event {self.id} was erased at {self.erased_at}")
        return Event.parse(self.payload)

    def to_dict(self, *, with_payload: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "account": self.account,
            "livemode": self.livemode,
            "type": self.type,
            "created": self.created,
            "status": str(self.status),
            "attempts": self.attempts,
            "received_at": self.received_at,
            "available_at": self.available_at,
            "completed_at": self.completed_at,
            "last_error": self.last_error,
            "erased": self.erased_at is not None,
            "source": str(self.source),
        }
        if with_payload:
            result["payload"] = None if self.payload is None else self.payload.decode()
        return result


@dataclass(frozen=True, slots=True)
class Attempt:
    event_id: str
    number: int
    started_at: float
    finished_at: float
    status: Status
    error: str | None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one :meth:`Store.prune` batch removed."""

    deleted: int
    """Events removed whole (created before Stripe's 30 days: nothing can send them again)."""
    stripped: int
    """Events kept as their id and state only (payload and attempts dropped), so that a
    late delivery, a resend or a catch-up of them is still recognised as a duplicate."""

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(self.deleted + other.deleted, self.stripped + other.stripped)


@dataclass(frozen=True, slots=True)
class CatchupProgress:
    """How far a catch-up of one account's events got (``appevents catchup``)."""

    account: str | None
    """None: the platform's own events."""
    livemode: bool
    since: int
    """The start of the period asked for (epoch seconds)."""
    until: int
    """Its end, excluded: when the run started."""
    through: int
    """Every event created before this is in the inbox; the run is over once it reaches
    ``until``."""
    updated_at: float

    @property
    def finished(self) -> bool:
        return self.through >= self.until


@dataclass(frozen=True, slots=True)
class AccountLag:
    """One account's unfinished events: how many, and since when the oldest waits."""

    account: str | None
    unfinished: int
    oldest_received_at: float


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """A worker's last sign of life, as it recorded it in the store."""

    name: str
    started_at: float
    beat_at: float


@dataclass(frozen=True, slots=True)
class Backlog:
    """What waits to be processed, read in one bounded query (:meth:`Store.backlog`)."""

    pending: int
    failed_due: int
    """Failed events whose next attempt is due now."""
    failed_later: int
    """Failed events waiting for their retry time."""
    oldest_pending_at: float | None
    """``received_at`` of the oldest pending event (None: none is pending)."""
    busiest: tuple[AccountLag, ...]
    """The accounts with the most unfinished events, most first."""
    workers: tuple[WorkerBeat, ...]
    """The workers that beat most recently, latest first."""

    @property
    def due(self) -> int:
        """The backlog: pending events and failed ones due again."""
        return self.pending + self.failed_due


WORKER_FORGOTTEN_AFTER = 3600.0
"""Seconds after its last beat a worker's row is removed (a crashed worker never ends it)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt at an event ended, as decided by the worker."""

    status: Status
    """DONE, SKIPPED (recorded, not dispatched), FAILED (retry) or DEAD."""
    started_at: float
    finished_at: float
    error: str | None = None
    retry_at: float | None = None
    erase_payload: bool = False
    """Erase this event's own payload (it belongs to an uninstalled account)."""

    @property
    def succeeded(self) -> bool:
        return self.status in (Status.DONE, Status.SKIPPED)


class Transaction(Protocol):
    """What ``work`` may do inside the processing transaction."""

    @property
    def connection(self) -> Any:
        """The database connection async handlers write their own effects through."""

    @property
    def sync_connection(self) -> Any:
        """The connection sync handlers get (run by :meth:`call`, maybe on another thread)."""

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run sync code (a sync handler) where the connection may be used."""

    async def get_installation(self, account: str, livemode: bool) -> Installation | None: ...

    async def save_installation(self, installation: Installation, now: float) -> None: ...

    async def erase_account(
        self, account: str, livemode: bool, *, through_created: int, now: float
    ) -> int:
        """Erase the payloads of the account's events created up to ``through_created``."""


Work = Callable[[StoredEvent, Transaction], Coroutine[Any, Any, Outcome]]


class Store(abc.ABC):
    """The narrow interface the receiver, worker and CLI use."""

    url: str

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create or migrate the schema; idempotent."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def setup(self, function: Callable[[Any], Any]) -> None:
        """Run the app's schema set-up ``function(connection)`` in a transaction."""

    @abc.abstractmethod
    async def insert_events(
        self, events: Sequence[Event], received_at: float, *, source: Source = Source.DELIVERED
    ) -> list[bool]:
        """Durably add events in one commit; True per event that is new, False if a duplicate.

        ``source`` is recorded with the new ones (a duplicate keeps its own).

        Raises :class:`~appevents.errors.StoreUnavailable` when it cannot commit.
        """

    @abc.abstractmethod
    async def process_due(
        self,
        *,
        now: float,
        limit: int,
        work: Work,
        time_budget: float = 0.25,
        inline: bool = False,
    ) -> list[tuple[StoredEvent, Outcome]]:
        """Process up to ``limit`` due head events (see the module docstring).

        ``inline`` promises that ``work`` never suspends unless the transaction's own
        methods do (the app's handlers are all sync): a store whose connection lives on a
        thread may then run the whole batch there in one go.
        """

    @abc.abstractmethod
    async def next_due_at(self) -> float | None:
        """The earliest ``available_at`` among unfinished events, or None if none."""

    @abc.abstractmethod
    async def get_event(self, event_id: str) -> StoredEvent:
        """Raises :class:`~appevents.errors.NotFound`."""

    @abc.abstractmethod
    async def list_events(
        self,
        *,
        status: Status | None = None,
        account: str | None = None,
        limit: int = 100,
    ) -> list[StoredEvent]:
        """Newest first."""

    @abc.abstractmethod
    async def attempts(self, event_id: str) -> list[Attempt]: ...

    @abc.abstractmethod
    async def replay(self, event_ids: Sequence[str], *, now: float) -> list[str]:
        """Make these DONE/DEAD/FAILED events pending again, due now; returns those changed.

        Raises :class:`~appevents.errors.NotFound` for an unknown id.
        """

    @abc.abstractmethod
    async def replay_dead(self, *, now: float) -> list[str]: ...

    @abc.abstractmethod
    async def list_installations(self) -> list[Installation]: ...

    @abc.abstractmethod
    async def counts(self) -> dict[Status, int]: ...

    @abc.abstractmethod
    async def backlog(self, *, now: float, top: int = 10) -> Backlog:
        """The backlog, its oldest pending event, the ``top`` busiest accounts and the
        ``top`` latest worker heartbeats, in one query that reads only unfinished events
        (never the ones done): what metrics read at every scrape."""

    @abc.abstractmethod
    async def counts_by_type(self, *, top: int = 10) -> list[tuple[str, dict[Status, int]]]:
        """The ``top`` event types with the most events, each with its counts by status
        (a scan of every event: for ``appevents inbox stats``, not for every scrape)."""

    @abc.abstractmethod
    async def beat(self, worker: str, *, started_at: float, now: float) -> None:
        """Record that ``worker`` is alive at ``now``; forget workers silent for
        WORKER_FORGOTTEN_AFTER seconds."""

    @abc.abstractmethod
    async def forget_worker(self, worker: str) -> None:
        """Remove ``worker``'s heartbeat (it stopped)."""

    @abc.abstractmethod
    async def newest_created(self, account: str | None, livemode: bool) -> int | None:
        """The largest ``created`` among the account's stored events (None: the
        platform's own), or None if none is stored: where ``catchup --since-last`` starts."""

    @abc.abstractmethod
    async def catchup_progress(self, account: str | None, livemode: bool) -> CatchupProgress | None:
        """The account's last saved catch-up progress, if any."""

    @abc.abstractmethod
    async def save_catchup_progress(self, progress: CatchupProgress) -> None:
        """Keep ``progress`` (replacing the account's previous one)."""

    @abc.abstractmethod
    async def prune(
        self,
        *,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int = 500,
    ) -> Pruned:
        """One batch of at most ``limit`` finished events past their retention: DONE and
        SKIPPED ones completed before ``done_before``, DEAD ones received before
        ``dead_before`` (None: keep them). Those created before ``created_before`` are
        deleted; the others lose their payload and attempts (``erased_at`` = ``now``) but
        keep their id. Pending and failed events are never touched."""

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def check_replayable(event: StoredEvent) -> None:
    """Raise :class:`StoreError` if ``event`` cannot be made pending again."""
    if event.payload is None:
        raise StoreError(
            f"event {event.id} cannot be replayed: its payload was erased when account "
            f"{event.account} uninstalled the app"
        )
    if event.status == Status.SKIPPED:
        raise StoreError(
            f"event {event.id} cannot be replayed: it was skipped because account "
            f"{event.account} had uninstalled the app when it was processed"
        )
