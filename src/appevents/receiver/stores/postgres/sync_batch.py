"""An all-sync batch: the whole batch on one thread, on a sync ``psycopg.Connection``.

When every handler of the app is sync, the worker says so (``process_due(inline=True)``)
and the store runs the batch in one ``asyncio.to_thread`` on a connection of its sync
pool. Sync handlers then get that ``psycopg.Connection`` as ``ctx.transaction`` and run
right there, instead of hopping onto a thread each and sending every statement back to
the event loop (:class:`~.connection.SyncConnection`): about five thread hops and loop
round trips per event were most of a worker's time.

The statements of a batch: the claim, the installations of its accounts, a savepoint;
per event the handlers' own statements and one more (``RELEASE`` and the next
``SAVEPOINT`` in one message, or ``ROLLBACK TO`` after a failure, which keeps the
savepoint for the next event); then one ``settle_events`` and the commit. A failed
handler's effects are rolled back to its savepoint while the others' are kept, and all
outcomes commit together with the effects, as in the async path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.pq import TransactionStatus

from ...inbox import Outcome, StoredEvent, Work
from ...installations import Installation
from ..params import erase_params, installation_params
from ..queries import load_queries
from ..rows import installation_from_row, stored_event_from_row
from ..sqlite.connection import run_without_suspending
from .batch import (
    Installations,
    installation_keys,
    installations_of,
    kept_outcome,
    settlements,
)

__all__ = ["SyncTransaction", "process_batch"]

T = TypeVar("T")
Q = load_queries(__package__, "queries.sql")
SyncConnection = psycopg.Connection[Any]

_SAVEPOINT = "SAVEPOINT appevents_event"
# One message, two statements (no parameters, so psycopg sends it as a simple query).
_NEXT_SAVEPOINT = "RELEASE SAVEPOINT appevents_event; SAVEPOINT appevents_event"
_ROLLBACK = "ROLLBACK TO SAVEPOINT appevents_event"


def process_batch(
    connection: SyncConnection,
    *,
    claim: dict[str, Any],
    work: Work,
    time_budget: float,
) -> list[tuple[StoredEvent, Outcome]]:
    """Claim, process and settle one batch in one transaction (on the calling thread)."""
    results: list[tuple[StoredEvent, Outcome]] = []
    with connection.transaction():
        rows = connection.execute(Q["claim_due_heads"], claim).fetchall()
        # A head whose account lock is taken is left alone (see the store's docstring).
        heads = [stored_event_from_row(row) for row in rows if row[13]]
        if not heads:
            return results
        found = connection.execute(Q["get_installations"], installation_keys(heads)).fetchall()
        tx = SyncTransaction(
            connection, installations_of(heads, [installation_from_row(r) for r in found])
        )
        connection.execute(_SAVEPOINT)
        fresh = True  # the savepoint marks where this event starts
        started = time.monotonic()
        for head in heads:
            if results and time.monotonic() - started > time_budget:
                break
            if not fresh:
                connection.execute(_NEXT_SAVEPOINT)
            claimed = head.next_attempt()
            tx.start_event()
            outcome = run_without_suspending(work(claimed, tx))
            aborted = connection.info.transaction_status == TransactionStatus.INERROR
            outcome = kept_outcome(outcome, aborted)
            if outcome.succeeded:
                fresh = False
            else:
                connection.execute(_ROLLBACK)
                tx.roll_back_event()
                fresh = True
            results.append((claimed, outcome))
        connection.execute(Q["settle_events"], settlements(results))
    return results


class SyncTransaction:
    """The processing transaction as ``work`` sees it in an all-sync batch.

    Its coroutines never suspend: each statement runs at once on the calling thread
    (the batch's), which is what lets the batch run as one call on one thread.
    """

    def __init__(self, connection: SyncConnection, installations: Installations) -> None:
        self._connection = connection
        self._installations = installations

    @property
    def connection(self) -> SyncConnection:
        return self._connection

    @property
    def sync_connection(self) -> SyncConnection:
        return self._connection

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return function(*args)

    async def get_installation(self, account: str, livemode: bool) -> Installation | None:
        key = (account, livemode)
        if key in self._installations:
            return self._installations.get(key)
        params = {"account": account, "livemode": livemode}
        row = self._connection.execute(Q["get_installation"], params).fetchone()
        return None if row is None else installation_from_row(row)

    async def save_installation(self, installation: Installation, now: float) -> None:
        self._connection.execute(Q["save_installation"], installation_params(installation, now))
        self._installations.saved(installation)

    def start_event(self) -> None:
        self._installations.start_event()

    def roll_back_event(self) -> None:
        self._installations.roll_back_event()

    async def erase_account(
        self, account: str, livemode: bool, *, through_created: int, now: float
    ) -> int:
        params = erase_params(account, livemode, through_created, now)
        erased = self._connection.execute(Q["erase_account"], params).rowcount
        self._connection.execute(Q["erase_account_attempts"], params)
        return erased
