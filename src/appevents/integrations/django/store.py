"""The Django database as the store (``"STORE": "django"``): one transaction for the
handlers' ORM writes and their event's outcome.

Django connections belong to the thread that opened them, and the ORM is sync, so the
store runs on two lanes (one thread each, as the SQLite store's connections do): one
commits what the receiver accepts, one processes. A batch is one
``transaction.atomic(using=DATABASE)`` on the processing lane, each event a nested
``atomic()`` (a savepoint) around its handlers and the lifecycle; the outcome is
written after it, in the batch's transaction. A handler that raises rolls back its
savepoint, so neither its rows nor a ``done`` outcome remain; a handler's own
``atomic()`` blocks nest inside. Handlers run on the processing lane's thread, which
is why they must be plain functions: an ``async def`` one would write through another
connection, outside the transaction, and is refused when the store is made.

The SQL is the URL stores' own (:mod:`.sql_sqlite`, :mod:`.sql_postgres`), on the
Django connection's backend. The tables are created and migrated by :meth:`open`, not
by a Django migration: the same versioned schema scripts as ``sqlite:///`` and
``postgresql://``, so the ``appevents`` command line reads the same tables, and one
schema history is kept rather than two that could drift.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, InterfaceError, connections, transaction

from ...errors import NotFound, StoreUnavailable
from ...event import Event
from ...receiver.inbox import (
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
from ...receiver.installations import Installation
from ...receiver.stores.lane import Lane
from ...receiver.stores.rows import backlog_from_rows, installation_from_row
from ...receiver.stores.sqlite.connection import run_without_suspending
from .batch import BatchTransaction
from .sql_postgres import PostgresSQL
from .sql_sqlite import SQLiteSQL

__all__ = ["DjangoStore"]

T = TypeVar("T")
# A handler that caught a database error leaves Django's transaction unusable, so its
# success cannot be kept; the store cannot ask the retry policy, so it waits this long.
_BROKEN_RETRY_DELAY = 60.0


class _RolledBack(Exception):
    """Raised inside an event's savepoint to roll its writes back (a failed outcome)."""


class DjangoStore(Store):
    def __init__(self, alias: str = "default", *, app: Any = None) -> None:
        """``alias``: the Django database (``settings.DATABASES``) that keeps the inbox.
        ``app``: the App whose handlers will run, checked to be plain functions."""
        connection = connections[alias]
        if connection.vendor == "sqlite":
            self._sql: SQLiteSQL | PostgresSQL = SQLiteSQL()
        elif connection.vendor == "postgresql":
            self._sql = PostgresSQL()
        else:
            raise ImproperlyConfigured(
                f"settings.APPEVENTS['STORE'] = 'django' keeps the inbox in database "
                f"{alias!r}, whose backend is {connection.vendor!r}: appevents runs on "
                "PostgreSQL and SQLite; choose one of those, or a store URL"
            )
        self.alias = alias
        self.url = f"django:{alias}"
        if app is not None:
            _check_sync_handlers(app)
        self._ingest: Lane | None = None
        self._work: Lane | None = None

    # -- running on the lanes -----------------------------------------------------------

    def _cursor(self) -> Any:
        return connections[self.alias].cursor()

    async def _on(self, lane: Lane | None, what: str, function: Callable[..., T], *args: Any) -> T:
        if lane is None:
            raise StoreUnavailable(f"store {self.url} is not open: call `await store.open()`")

        def guarded() -> T:
            try:
                return function(*args)
            except (DatabaseError, InterfaceError):
                # Django reconnects at request boundaries only: a lane's broken connection
                # (a server restart, a dropped session) is closed here, so the next call
                # connects again instead of failing forever.
                connections[self.alias].close_if_unusable_or_obsolete()
                raise

        try:
            return await lane.run(guarded)
        except (DatabaseError, InterfaceError) as exc:
            raise StoreUnavailable(
                f"Django database {self.alias!r} {what}: {' '.join(str(exc).split())}"
            ) from exc

    async def _read(self, name: str, **params: Any) -> list[Any]:
        def read() -> list[Any]:
            with self._cursor() as cursor:
                return list(self._sql.execute(cursor, name, params).fetchall())

        return await self._on(self._work, "could not be read", read)

    async def _write(self, what: str, function: Callable[[Any], T]) -> T:
        def write() -> T:
            with transaction.atomic(using=self.alias), self._cursor() as cursor:
                return function(cursor)

        return await self._on(self._work, what, write)

    # -- the Store interface ------------------------------------------------------------

    async def open(self) -> None:
        if self._work is not None:
            return
        self._work = Lane(f"appevents-django-{self.alias}-work")
        self._ingest = Lane(f"appevents-django-{self.alias}-ingest")

        def migrate() -> None:
            where = f"Django database {self.alias!r}"
            if isinstance(self._sql, SQLiteSQL):  # it takes the write lock itself
                with self._cursor() as cursor:
                    self._sql.migrate(cursor, where)
                return
            with transaction.atomic(using=self.alias), self._cursor() as cursor:
                self._sql.migrate(cursor, where)

        try:
            await self._on(self._work, "could not create appevents' tables", migrate)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for lane in (self._ingest, self._work):
            if lane is not None:
                await lane.run(self._close_connection)
                lane.shutdown()
        self._ingest = self._work = None

    def _close_connection(self) -> None:
        connections[self.alias].close()  # this thread's own: run on its lane

    async def setup(self, function: Callable[[Any], Any]) -> None:
        """Run the App's ``function(cursor)`` (a Django cursor) in a transaction; with
        Django, your own tables are better made by your app's migrations."""
        await self._write("could not run the app's setup", function)

    async def insert_events(
        self, events: Sequence[Event], received_at: float, *, source: Source = Source.DELIVERED
    ) -> list[bool]:
        if not events:
            return []
        sql = self._sql

        def insert() -> list[bool]:
            with self._cursor() as cursor:
                if sql.begin_ingest is None:
                    with transaction.atomic(using=self.alias):
                        return sql.insert(cursor, events, received_at, source)
                cursor.execute(sql.begin_ingest)
                try:
                    new = sql.insert(cursor, events, received_at, source)
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
                return new

        return await self._on(self._ingest, "could not commit the received events", insert)

    async def process_due(
        self,
        *,
        now: float,
        limit: int,
        work: Work,
        time_budget: float = 0.25,
        inline: bool = False,
    ) -> list[tuple[StoredEvent, Outcome]]:
        # Always inline, on the processing lane's thread: the handlers must be plain
        # functions (DjangoStore(app=) checks), and a ``work`` that suspends is refused.
        return await self._on(
            self._work, "could not process events (nothing was recorded)",
            self._batch, now, limit, work, time_budget,
        )  # fmt: skip

    def _batch(
        self, now: float, limit: int, work: Work, time_budget: float
    ) -> list[tuple[StoredEvent, Outcome]]:
        """One batch, on the processing lane: the whole of it in one go."""
        results: list[tuple[StoredEvent, Outcome]] = []
        connection = connections[self.alias]
        with transaction.atomic(using=self.alias), self._cursor() as cursor:
            heads = self._sql.claim(cursor, now, limit)
            tx = BatchTransaction(self._sql, cursor)
            started = time.monotonic()
            for key, head in heads:
                if results and time.monotonic() - started > time_budget:
                    break
                claimed = head.next_attempt()
                outcome: Outcome | None = None
                try:
                    with transaction.atomic(using=self.alias):  # the event's savepoint
                        outcome = run_without_suspending(work(claimed, tx))
                        if outcome.succeeded and connection.needs_rollback:
                            outcome = _broken(outcome)
                        if not outcome.succeeded:
                            raise _RolledBack
                except _RolledBack:
                    pass
                assert outcome is not None
                self._sql.settle(cursor, key, claimed, outcome)
                results.append((claimed, outcome))
        return results

    async def next_due_at(self) -> float | None:
        rows = await self._read("next_due_at")
        return None if not rows or rows[0][0] is None else float(rows[0][0])

    async def get_event(self, event_id: str) -> StoredEvent:
        rows = await self._read("get_event", id=event_id)
        if not rows:
            raise NotFound(f"no event {event_id!r} in the inbox in Django database {self.alias!r}")
        return self._sql.event(rows[0])

    async def list_events(
        self, *, status: Status | None = None, account: str | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        def read() -> list[StoredEvent]:
            with self._cursor() as cursor:
                wanted = None if status is None else str(status)
                return self._sql.list_events(cursor, wanted, account, limit)

        return await self._on(self._work, "could not be read", read)

    async def attempts(self, event_id: str) -> list[Attempt]:
        await self.get_event(event_id)
        rows = await self._read("list_attempts", id=event_id)
        return [Attempt(r[0], r[1], r[2], r[3], Status(r[4]), r[5]) for r in rows]

    async def replay(self, event_ids: Sequence[str], *, now: float) -> list[str]:
        for event_id in event_ids:
            check_replayable(await self.get_event(event_id))
        return await self._write(
            "could not queue the replay", lambda c: self._sql.replay(c, event_ids, now)
        )

    async def replay_dead(self, *, now: float) -> list[str]:
        return await self.replay([row[0] for row in await self._read("dead_ids")], now=now)

    async def list_installations(self) -> list[Installation]:
        return [installation_from_row(row) for row in await self._read("list_installations")]

    async def counts(self) -> dict[Status, int]:
        result = dict.fromkeys(Status, 0)
        result.update({Status(s): int(n) for s, n in await self._read("counts")})
        return result

    async def backlog(self, *, now: float, top: int = 10) -> Backlog:
        return backlog_from_rows(await self._read("backlog", now=now, top=top), platform="")

    async def counts_by_type(self, *, top: int = 10) -> list[tuple[str, dict[Status, int]]]:
        by_type: dict[str, dict[Status, int]] = {}
        for kind, status, n in await self._read("counts_by_type", top=top):
            by_type.setdefault(kind, dict.fromkeys(Status, 0))[Status(status)] = int(n)
        return sorted(by_type.items(), key=lambda item: (-sum(item[1].values()), item[0]))

    async def beat(self, worker: str, *, started_at: float, now: float) -> None:
        forget = now - WORKER_FORGOTTEN_AFTER
        await self._write(
            "could not record the worker's heartbeat",
            lambda c: self._sql.beat(c, worker, started_at, now, forget),
        )

    async def forget_worker(self, worker: str) -> None:
        await self._write(
            "could not forget a worker",
            lambda c: self._sql.execute(c, "forget_worker", {"name": worker}),
        )

    async def newest_created(self, account: str | None, livemode: bool) -> int | None:
        rows = await self._read("newest_created", account=account or "", livemode=livemode)
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    async def catchup_progress(self, account: str | None, livemode: bool) -> CatchupProgress | None:
        rows = await self._read("get_catchup_progress", account=account or "", livemode=livemode)
        if not rows:
            return None
        row = rows[0]
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
        await self._write(
            "could not save the catch-up's progress",
            lambda c: self._sql.execute(c, "save_catchup_progress", params),
        )

    async def prune(
        self,
        *,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int = 500,
    ) -> Pruned:
        return await self._write(
            "could not prune",
            lambda c: self._sql.prune(c, done_before, dead_before, created_before, now, limit),
        )


def _broken(outcome: Outcome) -> Outcome:
    return Outcome(
        Status.FAILED,
        outcome.started_at,
        outcome.finished_at,
        error=(
            "a handler caught a database error and went on, but Django's transaction was "
            "left unusable, so nothing it wrote can be kept; let the error propagate, or "
            "wrap the statement that may fail in its own transaction.atomic()"
        ),
        retry_at=outcome.finished_at + _BROKEN_RETRY_DELAY,
    )


def _check_sync_handlers(app: Any) -> None:
    handlers = (*app.registry.all(), *app.install_handlers, *app.uninstall_handlers)
    for handler in handlers:
        if handler.is_async:
            raise ImproperlyConfigured(
                f"handler {handler.name} ({handler.pattern}) is async def, but "
                "settings.APPEVENTS['STORE'] = 'django' runs handlers in Django's "
                "transaction, on one thread: make it a plain def (the ORM is sync there), "
                "or use a store URL"
            )
