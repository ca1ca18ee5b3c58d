"""A batch on the async pool: apps with an ``async def`` handler (``inline=False``).

The batch's transaction runs on the event loop's ``psycopg.AsyncConnection``. Async
handlers get that connection as ``ctx.transaction``; sync ones run on a thread
(``Transaction.call``) and get a :class:`~.connection.SyncConnection`, which sends each
of their statements back to the loop. Installations are read once after the claim and
the batch is settled in one statement, as in ``sync_batch``.
"""

from __future__ import annotations

import asyncio
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
from .batch import (
    Installations,
    installation_keys,
    installations_of,
    kept_outcome,
    settlements,
)
from .connection import SyncConnection

__all__ = ["process_batch_async"]

T = TypeVar("T")
Q = load_queries(__package__, "queries.sql")
Connection = psycopg.AsyncConnection[Any]


async def process_batch_async(
    connection: Connection, *, claim: dict[str, Any], work: Work, time_budget: float
) -> list[tuple[StoredEvent, Outcome]]:
    """Claim, process and settle one batch in one transaction on ``connection``."""
    results: list[tuple[StoredEvent, Outcome]] = []
    async with connection.transaction():
        cursor = await connection.execute(Q["claim_due_heads"], claim)
        # A head whose account lock is taken is left alone (see the store's docstring);
        # its row lock ends with this transaction.
        heads = [stored_event_from_row(row) for row in await cursor.fetchall() if row[13]]
        if not heads:
            return results
        cursor = await connection.execute(Q["get_installations"], installation_keys(heads))
        found = [installation_from_row(row) for row in await cursor.fetchall()]
        tx = _Transaction(connection, installations_of(heads, found))
        started = time.monotonic()
        for head in heads:
            if results and time.monotonic() - started > time_budget:
                break
            claimed = head.next_attempt()
            outcome = await _attempt(connection, tx, claimed, work)
            results.append((claimed, outcome))
        await connection.execute(Q["settle_events"], settlements(results))
    return results


async def _attempt(
    connection: Connection, tx: _Transaction, claimed: StoredEvent, work: Work
) -> Outcome:
    """Run ``work`` in a savepoint, kept only if the outcome is a success."""
    tx.start_event()
    async with connection.transaction() as savepoint:
        outcome = await work(claimed, tx)
        aborted = connection.info.transaction_status == TransactionStatus.INERROR
        outcome = kept_outcome(outcome, aborted)
        if not outcome.succeeded:
            tx.roll_back_event()
            raise psycopg.Rollback(savepoint)
    return outcome


class _Transaction:
    """The processing transaction as ``work`` sees it: the batch's connection."""

    def __init__(self, connection: Connection, installations: Installations) -> None:
        self._connection = connection
        self._sync = SyncConnection(connection)
        self._installations = installations

    @property
    def connection(self) -> Connection:
        return self._connection

    @property
    def sync_connection(self) -> SyncConnection:
        return self._sync

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        # A thread, so sync code cannot block the loop that drives the connection.
        return await asyncio.to_thread(function, *args)

    async def get_installation(self, account: str, livemode: bool) -> Installation | None:
        key = (account, livemode)
        if key in self._installations:  # read with the batch's claim
            return self._installations.get(key)
        params = {"account": account, "livemode": livemode}
        cursor = await self._connection.execute(Q["get_installation"], params)
        row = await cursor.fetchone()
        return None if row is None else installation_from_row(row)

    async def save_installation(self, installation: Installation, now: float) -> None:
        await self._connection.execute(
            Q["save_installation"], installation_params(installation, now)
        )
        self._installations.saved(installation)

    def start_event(self) -> None:
        self._installations.start_event()

    def roll_back_event(self) -> None:
        self._installations.roll_back_event()

    async def erase_account(
        self, account: str, livemode: bool, *, through_created: int, now: float
    ) -> int:
        params = erase_params(account, livemode, through_created, now)
        cursor = await self._connection.execute(Q["erase_account"], params)
        await self._connection.execute(Q["erase_account_attempts"], params)
        return cursor.rowcount
