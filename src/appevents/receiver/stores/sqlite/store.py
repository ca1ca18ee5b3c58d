"""The SQLite store: the embedded default (WAL, ``synchronous=FULL``: committed means on disk).

Two connections, each on its own lane (thread): one ingests (group-committed batches
of inserts; with ``ingest_process=True``, in a child process), one processes.
Processing runs a whole batch of due events in one ``BEGIN IMMEDIATE`` transaction with
a savepoint per event, so the worker group-commits too, and a crash mid-batch rolls
every effect back with the outcomes. Its first step admits the rows received since the
last batch into the queue's per-account indexes, which the receivers' commits leave
alone (``sql/schema.sql`` says why).
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from ....errors import ConfigurationError, NotFound, StoreError, StoreUnavailable
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
from ..queries import load_queries
from ..rows import backlog_from_rows, installation_from_row, stored_event_from_row
from .connection import Connection, run_without_suspending
from .ingest import event_rows, insert_rows
from .ingest_process import IngestProcess
from .payloads import decode_payload

__all__ = ["SQLiteStore"]

T = TypeVar("T")
Q = load_queries(__package__, "queries.sql")
_WORKER_SLICE = 0.001  # seconds the worker writes before giving way to a waiting receiver
# Checkpoints (copying the WAL into the database file, then fsync) are the worker's job,
# after each of its batches and outside the writer lock: small and frequent, so the
# receiver's commits neither pay for one nor queue behind a large one. While a worker
# runs, the WAL stays below SQLite's usual threshold (4 MB), at which the receiver's own
# commits checkpoint: the bound that holds when no worker runs.
_INGEST_AUTOCHECKPOINT = 1000
# New rows one transaction admits at most (~4 ms of the write lock).
_ADMIT_AT_ONCE = 500


class SQLiteStore(Store):
    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 10.0,
        ingest_busy_timeout: float | None = None,
        ingest_process: bool = False,
    ) -> None:
        """``ingest_process``: commit received events in a child process instead of on a
        thread of this one (see ``ingest_process.py``; ``appevents serve`` does).
        ``busy_timeout``: seconds a statement waits for a write lock another program
        holds; ``ingest_busy_timeout`` the same for the receiver's commits (by default
        ``busy_timeout``; no longer than the receiver's commit timeout is best: a commit
        still waiting after its 503 only delays the next one)."""
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self.busy_timeout = busy_timeout
        self.ingest_busy_timeout = (
            busy_timeout if ingest_busy_timeout is None else ingest_busy_timeout
        )
        self.ingest_process = ingest_process
        self._ingest: Connection | None = None
        self._ingest_child: IngestProcess | None = None
        self._work: Connection | None = None

    @classmethod
    def from_url(cls, url: str, *, ingest_busy_timeout: float | None = None) -> SQLiteStore:
        rest = url.split("://", 1)[1]
        if not rest.startswith("/") or rest == "/":
            raise ConfigurationError(
                f"SQLite store URL {url!r} has no path: write sqlite:///relative/inbox.db "
                "or sqlite:////absolute/inbox.db"
            )
        path = unquote(rest[1:].split("?", 1)[0])
        if not path:
            raise ConfigurationError(f"SQLite store URL {url!r} has an empty path")
        return cls(path, ingest_busy_timeout=ingest_busy_timeout)

    async def open(self) -> None:
        if self._work is not None:
            return
        if self.path.parent and not self.path.parent.exists():
            raise ConfigurationError(
                f"SQLite store {str(self.path)!r}: folder {str(self.path.parent)!r} does not "
                "exist; create it or choose another path"
            )
        self._work = Connection(self.path, "appevents-sqlite-work", self.busy_timeout)
        try:
            await self._work.lane.run(functools.partial(self._work.connect, autocheckpoint=0))
            await self._work.lane.run(self._work.migrate)
            if self.ingest_process:
                self._ingest_child = IngestProcess(
                    self.path,
                    busy_timeout=self.ingest_busy_timeout,
                    autocheckpoint=_INGEST_AUTOCHECKPOINT,
                )
                await self._ingest_child.start()
            else:
                self._ingest = Connection(
                    self.path, "appevents-sqlite-ingest", self.ingest_busy_timeout
                )
                await self._ingest.lane.run(
                    functools.partial(self._ingest.connect, autocheckpoint=_INGEST_AUTOCHECKPOINT)
                )
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._ingest_child is not None:
            await self._ingest_child.stop()
            self._ingest_child = None
        for connection in (self._ingest, self._work):
            if connection is not None:
                await connection.lane.run(connection.close)
                connection.lane.shutdown()
        self._ingest = self._work = None

    @property
    def _w(self) -> Connection:
        if self._work is None:
            raise StoreError(f"store {self.url} is not open: call `await store.open()` first")
        return self._work

    async def setup(self, function: Callable[[Any], Any]) -> None:
        work = self._w

        def run() -> None:
            with work.lock.for_worker():
                work.db.execute("BEGIN IMMEDIATE")
                try:
                    function(work.db)
                except BaseException:
                    work.rollback()
                    raise
                if work.db.in_transaction:  # executescript() commits by itself
                    work.db.execute("COMMIT")

        await work.lane.run(run)

    async def insert_events(
        self, events: Sequence[Event], received_at: float, *, source: Source = Source.DELIVERED
    ) -> list[bool]:
        rows = event_rows(events, received_at, source)
        if self._ingest_child is not None:
            return await self._ingest_child.insert(rows)
        if self._ingest is None:
            raise StoreUnavailable(f"store {self.url} is not open")
        try:
            return await self._ingest.lane.run(insert_rows, self._ingest, rows)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} could not commit: {exc}") from exc

    async def process_due(
        self,
        *,
        now: float,
        limit: int,
        work: Work,
        time_budget: float = 0.25,
        inline: bool = False,
    ) -> list[tuple[StoredEvent, Outcome]]:
        w = self._w
        if inline:
            results = await w.lane.run(self._process_inline, now, limit, work, time_budget)
        else:
            results = await self._process_due(now, limit, work, time_budget)
        if results:
            await w.lane.run(_checkpoint, w.db)
        return results

    def _process_inline(
        self, now: float, limit: int, work: Work, time_budget: float
    ) -> list[tuple[StoredEvent, Outcome]]:
        """The whole batch on the lane's thread, in one go: no hop per statement."""
        w = self._w
        while True:
            accounts = self._before_batch(now, limit)
            if accounts is None:
                return []
            tx = _Transaction(w, inline=True)
            results: list[tuple[StoredEvent, Outcome]] = []
            with w.lock.for_worker():
                try:
                    w.db.execute("BEGIN IMMEDIATE")
                    accounts = _admit(w.db, limit, accounts)
                    if accounts is None:
                        w.db.execute("COMMIT")
                        continue
                    started = time.monotonic()
                    for account in accounts:  # one event per account and batch: its head
                        if results and _should_yield(w, started, time_budget):
                            break
                        head = w.db.execute(Q["account_head"], (account, now)).fetchone()
                        if head is None:
                            continue
                        seq, claimed = _claim(head)
                        w.db.execute("SAVEPOINT event")
                        outcome = run_without_suspending(work(claimed, tx))
                        _settle(w.db, seq, claimed, outcome)
                        results.append((claimed, outcome))
                    w.db.execute("COMMIT")
                except BaseException as exc:
                    w.rollback()
                    if isinstance(exc, sqlite3.Error):
                        raise StoreUnavailable(f"SQLite store {self.path} failed: {exc}") from exc
                    raise
            return results

    def _before_batch(self, now: float, limit: int) -> list[str] | None:
        """Read before asking for the write lock: the accounts whose head is due, and
        whether new rows wait for admission; None if there is nothing to do."""
        w = self._w
        try:
            accounts = [row[0] for row in w.db.execute(Q["due_accounts"], (now, limit))]
            (unadmitted,) = w.db.execute(Q["has_unadmitted"]).fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} could not start work: {exc}") from exc
        if not accounts and not unadmitted:
            return None
        return accounts

    async def _process_due(
        self, now: float, limit: int, work: Work, time_budget: float
    ) -> list[tuple[StoredEvent, Outcome]]:
        w = self._w
        while True:
            accounts = await w.lane.run(self._before_batch, now, limit)
            if accounts is None:
                return []
            async with _holding_for_worker(w):
                results = await self._process_due_locked(w, accounts, now, limit, work, time_budget)
            if results is not None:
                return results

    async def _process_due_locked(
        self,
        w: Connection,
        accounts: list[str],
        now: float,
        limit: int,
        work: Work,
        time_budget: float,
    ) -> list[tuple[StoredEvent, Outcome]] | None:
        """One batch; None if it only admitted new rows (there are more to admit)."""
        tx = _Transaction(w)
        results: list[tuple[StoredEvent, Outcome]] = []
        try:
            await w.lane.run(w.db.execute, "BEGIN IMMEDIATE")
            chosen = await w.lane.run(_admit, w.db, limit, accounts)
            if chosen is None:
                await w.lane.run(w.db.execute, "COMMIT")
                return None
            started = time.monotonic()
            for account in chosen:  # one event per account and batch: its head
                if results and _should_yield(w, started, time_budget):
                    break
                head = await w.lane.run(w.fetchone, Q["account_head"], (account, now))
                if head is None:
                    continue
                seq, claimed = _claim(head)
                await w.lane.run(w.db.execute, "SAVEPOINT event")
                outcome = await work(claimed, tx)
                await w.lane.run(_settle, w.db, seq, claimed, outcome)
                results.append((claimed, outcome))
            await w.lane.run(w.db.execute, "COMMIT")
        except BaseException as exc:
            await w.lane.run(w.rollback)
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailable(f"SQLite store {self.path} failed: {exc}") from exc
            raise
        return results

    async def next_due_at(self) -> float | None:
        row = await self._w.lane.run(self._w.fetchone, Q["next_due_at"], ())
        return None if row is None or row[0] is None else float(row[0])

    async def get_event(self, event_id: str) -> StoredEvent:
        row = await self._w.lane.run(self._w.fetchone, Q["get_event"], (event_id,))
        if row is None:
            raise NotFound(f"no event {event_id!r} in the inbox at {self.path}")
        return _stored(row)

    async def list_events(
        self, *, status: Status | None = None, account: str | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        clauses, params = [], []
        if status is not None:
            clauses.append("i.status = ?")
            params.append(str(status))
        if account is not None:
            clauses.append("i.account = ?")
            params.append(account)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = Q["list_events"].format(where=where)
        rows = await self._w.lane.run(self._w.fetchall, sql, (*params, limit))
        return [_stored(r) for r in rows]

    async def attempts(self, event_id: str) -> list[Attempt]:
        await self.get_event(event_id)
        rows = await self._w.lane.run(self._w.fetchall, Q["list_attempts"], (event_id,))
        return [Attempt(r[0], r[1], r[2], r[3], Status(r[4]), r[5]) for r in rows]

    async def replay(self, event_ids: Sequence[str], *, now: float) -> list[str]:
        events = [await self.get_event(i) for i in event_ids]
        for event in events:
            check_replayable(event)
        w = self._w

        def replay() -> list[str]:
            with w.writing():
                for event in events:
                    w.db.execute(Q["replay_event"], (now, event.id))
            return [e.id for e in events]

        return await w.lane.run(replay)

    async def replay_dead(self, *, now: float) -> list[str]:
        rows = await self._w.lane.run(self._w.fetchall, Q["dead_ids"], ())
        return await self.replay([r[0] for r in rows], now=now)

    async def list_installations(self) -> list[Installation]:
        rows = await self._w.lane.run(self._w.fetchall, Q["list_installations"], ())
        return [installation_from_row(r) for r in rows]

    async def counts(self) -> dict[Status, int]:
        rows = await self._w.lane.run(self._w.fetchall, Q["counts"], ())
        result = dict.fromkeys(Status, 0)
        result.update({Status(status): n for status, n in rows})
        return result

    async def backlog(self, *, now: float, top: int = 10) -> Backlog:
        w = self._w
        try:
            rows = await w.lane.run(w.fetchall, Q["backlog"], (now, top))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} could not be read: {exc}") from exc
        return backlog_from_rows(rows, platform="")

    async def counts_by_type(self, *, top: int = 10) -> list[tuple[str, dict[Status, int]]]:
        rows = await self._w.lane.run(self._w.fetchall, Q["counts_by_type"], (top,))
        by_type: dict[str, dict[Status, int]] = {}
        for kind, status, n in rows:
            by_type.setdefault(kind, dict.fromkeys(Status, 0))[Status(status)] = n
        return sorted(by_type.items(), key=lambda item: (-sum(item[1].values()), item[0]))

    async def beat(self, worker: str, *, started_at: float, now: float) -> None:
        w = self._w

        def beat() -> None:
            with w.writing():
                w.db.execute(Q["forget_silent_workers"], (now - WORKER_FORGOTTEN_AFTER,))
                w.db.execute(Q["beat"], (worker, started_at, now))

        try:
            await w.lane.run(beat)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} could not record: {exc}") from exc

    async def forget_worker(self, worker: str) -> None:
        w = self._w

        def forget() -> None:
            with w.writing():
                w.db.execute(Q["forget_worker"], (worker,))

        try:
            await w.lane.run(forget)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} could not record: {exc}") from exc

    async def newest_created(self, account: str | None, livemode: bool) -> int | None:
        row = await self._w.lane.run(
            self._w.fetchone, Q["newest_created"], (account or "", livemode)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def catchup_progress(self, account: str | None, livemode: bool) -> CatchupProgress | None:
        row = await self._w.lane.run(
            self._w.fetchone, Q["get_catchup_progress"], (account or "", livemode)
        )
        if row is None:
            return None
        return CatchupProgress(row[0] or None, bool(row[1]), row[2], row[3], row[4], row[5])

    async def save_catchup_progress(self, progress: CatchupProgress) -> None:
        w = self._w
        p = progress
        params = (p.account or "", p.livemode, p.since, p.until, p.through, p.updated_at)

        def save() -> None:
            with w.writing():
                w.db.execute(Q["save_catchup_progress"], params)

        await w.lane.run(save)

    async def prune(
        self,
        *,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int = 500,
    ) -> Pruned:
        w = self._w

        def prune() -> Pruned:
            with w.writing():
                params = (done_before, dead_before, created_before, limit)
                chosen = w.db.execute(Q["prune_candidates"], params).fetchall()
                gone = [seq for seq, whole in chosen if whole]
                kept = [seq for seq, whole in chosen if not whole]
                every = gone + kept
                if not every:
                    return Pruned(0, 0)
                marks = ", ".join(["?"] * len(every))
                w.db.execute(Q["prune_payloads"].format(marks=marks), every)
                w.db.execute(Q["prune_attempts"].format(marks=marks), every)
                if gone:
                    sql = Q["prune_delete"].format(marks=", ".join(["?"] * len(gone)))
                    w.db.execute(sql, gone)
                if kept:
                    sql = Q["prune_strip"].format(marks=", ".join(["?"] * len(kept)))
                    w.db.execute(sql, [now, *kept])
                return Pruned(len(gone), len(kept))

        try:
            return await w.lane.run(prune)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} could not prune: {exc}") from exc


class _Transaction:
    """The processing transaction as ``work`` sees it.

    ``inline`` transactions run each statement right away on the calling thread (the
    lane's own, in an inline batch); the others hop onto the lane.
    """

    def __init__(self, connection: Connection, *, inline: bool = False) -> None:
        self._c = connection
        self._inline = inline

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        if self._inline:
            return function(*args)
        return await self._c.lane.run(function, *args)

    @property
    def connection(self) -> sqlite3.Connection:
        return self._c.db

    @property
    def sync_connection(self) -> sqlite3.Connection:
        return self._c.db

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return await self._run(function, *args)

    async def get_installation(self, account: str, livemode: bool) -> Installation | None:
        row = await self._run(self._c.fetchone, Q["get_installation"], (account, livemode))
        return None if row is None else installation_from_row(row)

    async def save_installation(self, installation: Installation, now: float) -> None:
        i = installation
        params = (
            i.account,
            i.livemode,
            i.status,
            i.source,
            i.application_id,
            i.application_name,
            i.installed_at,
            i.uninstalled_at,
            i.lifecycle_created,
            i.lifecycle_event_id,
            i.last_deauthorized_at,
            i.active_since_evidence,
            now,
        )
        await self._run(self._c.db.execute, Q["save_installation"], params)

    async def erase_account(
        self, account: str, livemode: bool, *, through_created: int, now: float
    ) -> int:
        def erase() -> int:
            params = (now, account, livemode, through_created)
            erased = self._c.db.execute(Q["erase_account"], params).rowcount
            self._c.db.execute(Q["erase_account_payloads"], params)
            self._c.db.execute(Q["erase_account_attempts"], params)
            return int(erased)

        return await self._run(erase)


def _stored(row: Sequence[Any]) -> StoredEvent:
    """A stored event from the columns of get_event: the payload's body, its encoding,
    then the event's source."""
    return stored_event_from_row((*row[:12], decode_payload(row[12], row[13])), row[14])


def _claim(head: Sequence[Any]) -> tuple[int, StoredEvent]:
    """An account_head row as the worker takes it: its seq, and the event at its next
    attempt."""
    return head[15], _stored(head).next_attempt()


def _admit(db: sqlite3.Connection, limit: int, accounts: list[str]) -> list[str] | None:
    """First thing in the worker's write transaction: admit the rows received since the
    worker last looked, so that the heads it picks are the true ones (an event created
    earlier may have arrived later). The accounts to visit: those read before, then
    those of the admitted rows (account_head reads each head again); None if more rows
    wait than one transaction admits."""
    new = db.execute(Q["admit"], (_ADMIT_AT_ONCE,)).fetchall()
    if len(new) >= _ADMIT_AT_ONCE:
        return None
    visit = dict.fromkeys(accounts)
    visit.update(dict.fromkeys(account for (account,) in new))
    return list(visit)[:limit]


def _settle(db: sqlite3.Connection, seq: int, claimed: StoredEvent, outcome: Outcome) -> None:
    if outcome.succeeded:
        db.execute("RELEASE event")
    else:
        db.execute("ROLLBACK TO event")
        db.execute("RELEASE event")
    db.execute(
        Q["settle_event"],
        (
            str(outcome.status),
            claimed.attempts,
            outcome.retry_at,
            outcome.finished_at if outcome.succeeded else None,
            outcome.error,
            seq,
        ),
    )
    if outcome.erase_payload:
        db.execute(Q["mark_erased"], (outcome.finished_at, seq))
        db.execute(Q["erase_payload"], (seq,))
    db.execute(
        Q["insert_attempt"],
        (
            seq,
            claimed.id,
            claimed.account or "",
            claimed.livemode,
            claimed.attempts,
            outcome.started_at,
            outcome.finished_at,
            str(outcome.status),
            outcome.error,
        ),
    )


def _checkpoint(db: sqlite3.Connection) -> None:
    """Copy what the WAL holds into the database file, without waiting for anyone."""
    with contextlib.suppress(sqlite3.OperationalError):  # busy: the next one will do it
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _should_yield(w: Connection, started: float, time_budget: float) -> bool:
    """End the batch here: the budget is spent, or a delivery waits to be committed and
    the worker had its minimum slice. The slice keeps the worker going under sustained
    load (alternating with the receiver's commits) at a bounded cost to their latency."""
    elapsed = time.monotonic() - started
    return elapsed > time_budget or (elapsed > _WORKER_SLICE and w.lock.ingest_waiting())


@contextlib.asynccontextmanager
async def _holding_for_worker(w: Connection) -> AsyncIterator[None]:
    """The worker's writer lock held across lane hops (taken and released on the lane)."""
    held = contextlib.ExitStack()
    await w.lane.run(held.enter_context, w.lock.for_worker())
    try:
        yield
    finally:
        await w.lane.run(held.close)
