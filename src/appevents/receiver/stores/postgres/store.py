"""The PostgreSQL store: many receivers and workers, on many machines, on one database.

Ingest is one statement per batch (``INSERT … SELECT FROM unnest(…) ON CONFLICT DO
NOTHING RETURNING id``) on an autocommit connection: the statement is its own
transaction, so a batch costs one round trip and its commit is durable
(``synchronous_commit=on``) before the receiver answers 2xx.

Processing claims the due head of each account and runs a whole batch in one
transaction with a savepoint per event, like the SQLite store. Two locks make it safe
with any number of workers:

* ``FOR UPDATE SKIP LOCKED`` on the head row: workers skip the heads others hold, so
  they spread over the accounts instead of queueing behind each other.
* ``pg_try_advisory_xact_lock(account)``: the row lock alone cannot keep one account to
  one event in flight. While a worker holds head B, an older event A of the same
  account may arrive (Stripe does not order deliveries); A is now the head and nobody
  holds its row. The account lock, taken for every claimed head and held to the end of
  the batch, makes the second worker pass over A until the first one commits. It is a
  *try* lock, so no worker ever waits for another.

There is no lease column and no heartbeat: the lease is the connection. Both locks
belong to the batch's transaction, so a worker that crashes, is killed or loses the
network has its transaction aborted and its locks released by the server, and its
events are simply due again with nothing recorded. A worker that hangs inside a batch
is cut off by ``idle_in_transaction_session_timeout``, a vanished machine by TCP
keepalives (see ``connection``).

A batch of an app whose handlers are all sync runs on a sync connection, on one thread
(``sync_batch``); the others on the async pool (``async_batch``). Both read the batch's
installations once after the claim and settle the whole batch in one statement
(``batch``).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from ....errors import NotFound, StoreError, StoreUnavailable
from ....event import Event
from ...inbox import (
    WORKER_FORGOTTEN_AFTER,
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
    check_replayable,
)
from ...installations import Installation
from ..params import insert_params, prune_params
from ..queries import load_queries
from ..rows import backlog_from_rows, installation_from_row, stored_event_from_row
from .async_batch import process_batch_async
from .connection import SyncConnection, connection_string, describe_server
from .migrations import LOCK_CLASS, migrate
from .sync_batch import process_batch

__all__ = ["PostgresStore"]

Q = load_queries(__package__, "queries.sql")
Connection = psycopg.AsyncConnection[Any]


class PostgresStore(Store):
    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        schema: str | None = None,
        connect_timeout: float = 10.0,
        idle_in_transaction_timeout: float = 300.0,
        application_name: str = "appevents",
    ) -> None:
        """``schema``: keep appevents' tables in this schema (created if missing) instead of
        the first schema of the search_path. ``idle_in_transaction_timeout``: seconds a
        batch may wait between statements (longer than your slowest handler) before the
        server ends it and releases its events to other workers."""
        self.url = describe_server(url)
        """The server and database, without the password: safe to print."""
        self.schema = schema
        self.min_size = min_size
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self._conninfo = connection_string(
            url,
            schema=schema,
            connect_timeout=connect_timeout,
            idle_in_transaction_timeout=idle_in_transaction_timeout,
            application_name=application_name,
        )
        self._password = str(psycopg.conninfo.conninfo_to_dict(url).get("password") or "")
        self.schema_version: int | None = None
        self.applied_migrations: list[str] = []
        """The migrations the last :meth:`open` applied (empty if it was up to date)."""
        self._pool: AsyncConnectionPool[Connection] | None = None
        # Opened by the first all-sync batch: receivers that run no worker never need it.
        self._sync_pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._sync_pool_lock = threading.Lock()

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            # A direct connection first: its failure says why (refused, auth, no such
            # database), where a pool would only time out.
            async with await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            ) as connection:
                self.schema_version, self.applied_migrations = await migrate(
                    connection, schema=self.schema, server=self.url
                )
            pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
                self._conninfo,
                min_size=self.min_size,
                max_size=self.max_size,
                kwargs={"autocommit": True},
                timeout=self.connect_timeout,
                name=f"appevents {self.url}",
                open=False,
            )
            await pool.open(wait=True, timeout=self.connect_timeout)
        except psycopg.Error as exc:
            raise self._unavailable("cannot be opened", exc) from exc
        self._pool = pool

    async def close(self) -> None:
        with self._sync_pool_lock:
            sync_pool, self._sync_pool = self._sync_pool, None
        if sync_pool is not None:
            await asyncio.to_thread(sync_pool.close)
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _sync_connections(self) -> ConnectionPool[psycopg.Connection[Any]]:
        """The sync pool (opened on first use, on the calling thread: never the loop's)."""
        self._connections  # noqa: B018 - refuses a store that is not open
        with self._sync_pool_lock:
            if self._sync_pool is None:
                pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self.max_size,
                    kwargs={"autocommit": True},
                    timeout=self.connect_timeout,
                    name=f"appevents sync {self.url}",
                    open=False,
                )
                try:
                    pool.open(wait=True, timeout=self.connect_timeout)
                except BaseException as exc:
                    pool.close()  # its threads would go on trying to connect
                    if isinstance(exc, PoolTimeout):
                        # The pool only says it timed out; a connection says why.
                        psycopg.connect(self._conninfo).close()
                    raise
                self._sync_pool = pool
            return self._sync_pool

    @property
    def _connections(self) -> AsyncConnectionPool[Connection]:
        if self._pool is None:
            raise StoreError(f"store {self.url} is not open: call `await store.open()` first")
        return self._pool

    async def setup(self, function: Callable[[Any], Any]) -> None:
        """Run the app's ``function`` in one transaction, one process at a time.

        An ``async def`` function gets the ``psycopg.AsyncConnection``; a plain function
        runs on a thread and gets a :class:`SyncConnection` (``execute``,
        ``executescript``), as a sync handler's ``ctx.transaction`` is.
        """
        try:
            async with self._connections.connection() as connection, connection.transaction():
                await connection.execute(Q["lock_setup"], {"lock_class": LOCK_CLASS})
                if inspect.iscoroutinefunction(function):
                    await function(connection)
                else:
                    result = await asyncio.to_thread(function, SyncConnection(connection))
                    if inspect.isawaitable(result):
                        await result
        except psycopg.OperationalError as exc:
            raise self._unavailable("could not run the app's setup", exc) from exc
        except psycopg.Error as exc:
            name = getattr(function, "__qualname__", repr(function))
            raise StoreError(
                f"setup function {name} failed on PostgreSQL store {self.url}: "
                f"{self._redact(exc)}; fix its SQL for PostgreSQL"
            ) from exc

    async def insert_events(
        self, events: Sequence[Event], received_at: float, *, source: Source = Source.DELIVERED
    ) -> list[bool]:
        if not events:
            return []
        if self._pool is None:
            raise StoreUnavailable(f"store {self.url} is not open")
        batch = insert_params(events, received_at, source)
        try:
            async with self._pool.connection() as connection:
                cursor = await connection.execute(Q["insert_events"], batch)
                inserted = {row[0] for row in await cursor.fetchall()}
        except psycopg.Error as exc:
            raise self._unavailable("could not commit the received events", exc) from exc
        new = []
        for event in events:  # the same id twice in one batch: only the first is new
            new.append(event.id in inserted)
            inserted.discard(event.id)
        return new

    async def process_due(
        self,
        *,
        now: float,
        limit: int,
        work: Work,
        time_budget: float = 0.25,
        inline: bool = False,
    ) -> list[tuple[StoredEvent, Outcome]]:
        """``inline`` (every handler is sync): the batch runs on a sync connection on one
        thread, and sync handlers' ``ctx.transaction`` is its ``psycopg.Connection``."""
        claim = {"now": now, "limit": limit, "lock_class": LOCK_CLASS}
        try:
            if inline:
                return await asyncio.to_thread(self._process_inline, claim, work, time_budget)
            return await self._process_async(claim, work, time_budget)
        except psycopg.Error as exc:
            raise self._unavailable("could not process events (nothing was recorded)", exc) from exc

    def _process_inline(
        self, claim: dict[str, Any], work: Work, time_budget: float
    ) -> list[tuple[StoredEvent, Outcome]]:
        with self._sync_connections().connection() as connection:
            return process_batch(connection, claim=claim, work=work, time_budget=time_budget)

    async def _process_async(
        self, claim: dict[str, Any], work: Work, time_budget: float
    ) -> list[tuple[StoredEvent, Outcome]]:
        async with self._connections.connection() as connection:
            return await process_batch_async(
                connection, claim=claim, work=work, time_budget=time_budget
            )

    async def next_due_at(self) -> float | None:
        row = await self._fetchone(Q["next_due_at"], {})
        return None if row is None or row[0] is None else float(row[0])

    async def get_event(self, event_id: str) -> StoredEvent:
        row = await self._fetchone(Q["get_event"], {"id": event_id})
        if row is None:
            raise NotFound(f"no event {event_id!r} in the inbox at {self.url}")
        return stored_event_from_row(row, row[13])

    async def list_events(
        self, *, status: Status | None = None, account: str | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        params = {"status": None if status is None else str(status), "account": account}
        rows = await self._fetchall(Q["list_events"], {**params, "limit": limit})
        return [stored_event_from_row(row, row[13]) for row in rows]

    async def attempts(self, event_id: str) -> list[Attempt]:
        await self.get_event(event_id)
        rows = await self._fetchall(Q["list_attempts"], {"id": event_id})
        return [Attempt(r[0], r[1], r[2], r[3], Status(r[4]), r[5]) for r in rows]

    async def replay(self, event_ids: Sequence[str], *, now: float) -> list[str]:
        for event_id in event_ids:
            check_replayable(await self.get_event(event_id))
        rows = await self._fetchall(Q["replay_events"], {"ids": list(event_ids), "now": now})
        changed = {row[0] for row in rows}
        return [event_id for event_id in dict.fromkeys(event_ids) if event_id in changed]

    async def replay_dead(self, *, now: float) -> list[str]:
        rows = await self._fetchall(Q["dead_ids"], {})
        return await self.replay([row[0] for row in rows], now=now)

    async def list_installations(self) -> list[Installation]:
        return [
            installation_from_row(row) for row in await self._fetchall(Q["list_installations"], {})
        ]

    async def counts(self) -> dict[Status, int]:
        result = dict.fromkeys(Status, 0)
        result.update({Status(s): n for s, n in await self._fetchall(Q["counts"], {})})
        return result

    async def backlog(self, *, now: float, top: int = 10) -> Backlog:
        rows = await self._fetchall(Q["backlog"], {"now": now, "top": top})
        return backlog_from_rows(rows, platform="")

    async def counts_by_type(self, *, top: int = 10) -> list[tuple[str, dict[Status, int]]]:
        by_type: dict[str, dict[Status, int]] = {}
        for kind, status, n in await self._fetchall(Q["counts_by_type"], {"top": top}):
            by_type.setdefault(kind, dict.fromkeys(Status, 0))[Status(status)] = n
        return sorted(by_type.items(), key=lambda item: (-sum(item[1].values()), item[0]))

    async def beat(self, worker: str, *, started_at: float, now: float) -> None:
        params = {
            "name": worker,
            "started_at": started_at,
            "now": now,
            "forget": now - WORKER_FORGOTTEN_AFTER,
        }
        await self._execute(Q["beat"], params, "could not record the worker's heartbeat")

    async def forget_worker(self, worker: str) -> None:
        await self._execute(Q["forget_worker"], {"name": worker}, "could not forget a worker")

    async def _execute(self, sql: str, params: dict[str, Any], what: str) -> None:
        try:
            async with self._connections.connection() as connection:
                await connection.execute(sql, params)
        except psycopg.Error as exc:
            raise self._unavailable(what, exc) from exc

    async def newest_created(self, account: str | None, livemode: bool) -> int | None:
        params = {"account": account or "", "livemode": livemode}
        row = await self._fetchone(Q["newest_created"], params)
        return None if row is None or row[0] is None else int(row[0])

    async def catchup_progress(self, account: str | None, livemode: bool) -> CatchupProgress | None:
        params = {"account": account or "", "livemode": livemode}
        row = await self._fetchone(Q["get_catchup_progress"], params)
        if row is None:
            return None
        return CatchupProgress(row[0] or None, bool(row[1]), row[2], row[3], row[4], row[5])

    async def save_catchup_progress(self, progress: CatchupProgress) -> None:
        p = progress
        params = {
            "account": p.account or "",
            "livemode": p.livemode,
            "since": p.since,
            "until": p.until,
            "through": p.through,
            "updated_at": p.updated_at,
        }
        try:
            async with self._connections.connection() as connection:
                await connection.execute(Q["save_catchup_progress"], params)
        except psycopg.Error as exc:
            raise self._unavailable("could not save the catch-up's progress", exc) from exc

    async def prune(
        self,
        *,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int = 500,
    ) -> Pruned:
        params = prune_params(done_before, dead_before, created_before, now, limit)
        row = await self._fetchone(Q["prune"], params)
        assert row is not None  # the statement always returns its one row of counts
        return Pruned(int(row[0]), int(row[1]))

    async def _fetchall(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            async with self._connections.connection() as connection:
                cursor = await connection.execute(sql, params)
                return await cursor.fetchall()
        except psycopg.Error as exc:
            raise self._unavailable("could not be read", exc) from exc

    async def _fetchone(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    def _unavailable(self, what: str, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"PostgreSQL store {self.url} {what}: {self._redact(exc)}")

    def _redact(self, exc: BaseException) -> str:
        """The error's message on one line, with the password masked should it appear."""
        message = " ".join(str(exc).split()) or type(exc).__name__
        return message.replace(self._password, "***") if self._password else message
