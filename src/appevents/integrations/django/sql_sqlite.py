"""The SQLite store's SQL (``stores/sqlite/sql``) run through a Django cursor.

Same files, same schema version (``PRAGMA user_version``) as ``sqlite:///``. Not taken
over: WAL, the store's writer-lock files and its separate ingest process, which
coordinate processes that all run appevents; here the file is Django's, in the journal
mode the site chose, its own connections share it, and SQLite's busy timeout (Django's
``OPTIONS["timeout"]``) is what waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import StoreError
from ...event import Event
from ...receiver.inbox import Outcome, Pruned, Source, StoredEvent
from ...receiver.stores.queries import load_queries, load_script
from ...receiver.stores.rows import stored_event_from_row
from ...receiver.stores.sqlite.connection import MIGRATIONS, SCHEMA_VERSION, statements
from ...receiver.stores.sqlite.ingest import Row, event_rows
from ...receiver.stores.sqlite.payloads import decode_payload, encode_payload

__all__ = ["SQLiteSQL"]

_PACKAGE = "appevents.receiver.stores.sqlite"
Q = load_queries(_PACKAGE, "queries.sql")
_ADMIT_AT_ONCE = 500
_ROWS_PER_INSERT = 500
# The order of each query's "?" parameters, by the names the store passes.
_ORDER: Mapping[str, tuple[str, ...]] = {
    "get_event": ("id",),
    "list_attempts": ("id",),
    "dead_ids": (),
    "counts": (),
    "backlog": ("now", "top"),
    "counts_by_type": ("top",),
    "forget_worker": ("name",),
    "newest_created": ("account", "livemode"),
    "get_catchup_progress": ("account", "livemode"),
    "save_catchup_progress": ("account", "livemode", "since", "until", "through", "updated_at"),
    "get_installation": ("account", "livemode"),
    "list_installations": (),
    "save_installation": (
        "account", "livemode", "status", "source", "application_id", "application_name",
        "installed_at", "uninstalled_at", "lifecycle_created", "lifecycle_event_id",
        "last_deauthorized_at", "active_since_evidence", "updated_at",
    ),
    "next_due_at": (),
}  # fmt: skip


class SQLiteSQL:
    vendor = "sqlite"
    begin_ingest = "BEGIN IMMEDIATE"
    """The receiver's commit takes the write lock first: a deferred transaction that read
    first could be refused at once (SQLITE_BUSY) by a worker's batch instead of waiting."""

    def execute(self, cursor: Any, name: str, params: Mapping[str, Any]) -> Any:
        cursor.execute(Q[name], tuple(params[key] for key in _ORDER[name]))
        return cursor

    def event(self, row: Sequence[Any]) -> StoredEvent:
        return stored_event_from_row((*row[:12], decode_payload(row[12], row[13])), row[14])

    def migrate(self, cursor: Any, where: str) -> None:
        """Bring the database to SCHEMA_VERSION in one transaction holding the write lock
        (called outside any Django transaction, on an autocommit connection)."""
        cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute("PRAGMA user_version")
            (version,) = cursor.fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the inbox in {where} has schema version {version}, newer than this "
                    f"appevents understands ({SCHEMA_VERSION}): upgrade appevents"
                )
            scripts = (
                ["schema.sql"]
                if version == 0
                else [f"migrations/{MIGRATIONS[v]}" for v in range(version + 1, SCHEMA_VERSION + 1)]
            )
            for script in scripts:
                for statement in statements(load_script(_PACKAGE, script)):
                    cursor.execute(statement)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def insert(
        self, cursor: Any, events: Sequence[Event], received_at: float, source: Source
    ) -> list[bool]:
        rows = event_rows(events, received_at, source)
        ids = [row[0] for row in rows]
        seen: set[str] = set()
        for start in range(0, len(ids), _ROWS_PER_INSERT):
            some = ids[start : start + _ROWS_PER_INSERT]
            cursor.execute(Q["stored_ids"].format(marks=", ".join(["?"] * len(some))), some)
            seen.update(found for (found,) in cursor.fetchall())
        new: list[bool] = []
        fresh: list[Row] = []
        for row in rows:
            is_new = row[0] not in seen
            new.append(is_new)
            if is_new:
                seen.add(row[0])
                fresh.append(row)
        if not fresh:
            return new
        cursor.execute(Q["last_seq"])
        (last,) = cursor.fetchone()
        for start in range(0, len(fresh), _ROWS_PER_INSERT):
            chunk = list(enumerate(fresh[start : start + _ROWS_PER_INSERT], last + 1 + start))
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            cursor.execute(
                Q["insert_inbox"].format(values=values),
                [value for seq, row in chunk for value in (seq, *row[:-1])],
            )
            cursor.execute(
                Q["insert_payloads"].format(values=", ".join(["(?, ?, ?)"] * len(chunk))),
                [value for seq, row in chunk for value in (seq, *encode_payload(row[-1]))],
            )
        return new

    def claim(self, cursor: Any, now: float, limit: int) -> list[tuple[Any, StoredEvent]]:
        """Inside the batch's transaction: admit the rows received since (a write first, so
        the transaction waits for the write lock rather than fail on it), then each due
        account's head, with its seq."""
        while True:
            cursor.execute(Q["admit"], (_ADMIT_AT_ONCE,))
            if len(cursor.fetchall()) < _ADMIT_AT_ONCE:
                break
        cursor.execute(Q["due_accounts"], (now, limit))
        heads = []
        for (account,) in cursor.fetchall():
            cursor.execute(Q["account_head"], (account, now))
            head = cursor.fetchone()
            if head is not None:
                heads.append((head[15], self.event(head)))
        return heads

    def settle(self, cursor: Any, key: Any, claimed: StoredEvent, outcome: Outcome) -> None:
        completed = outcome.finished_at if outcome.succeeded else None
        cursor.execute(
            Q["settle_event"],
            (
                str(outcome.status),
                claimed.attempts,
                outcome.retry_at,
                completed,
                outcome.error,
                key,
            ),
        )
        if outcome.erase_payload:
            cursor.execute(Q["mark_erased"], (outcome.finished_at, key))
            cursor.execute(Q["erase_payload"], (key,))
        cursor.execute(
            Q["insert_attempt"],
            (key, claimed.id, claimed.account or "", claimed.livemode, claimed.attempts,
             outcome.started_at, outcome.finished_at, str(outcome.status), outcome.error),
        )  # fmt: skip

    def erase_account(
        self, cursor: Any, account: str, livemode: bool, through_created: int, now: float
    ) -> int:
        params = (now, account, livemode, through_created)
        cursor.execute(Q["erase_account"], params)
        erased = int(cursor.rowcount)
        cursor.execute(Q["erase_account_payloads"], params)
        cursor.execute(Q["erase_account_attempts"], params)
        return erased

    def list_events(
        self, cursor: Any, status: str | None, account: str | None, limit: int
    ) -> list[StoredEvent]:
        clauses, params = [], []
        if status is not None:
            clauses.append("i.status = ?")
            params.append(status)
        if account is not None:
            clauses.append("i.account = ?")
            params.append(account)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor.execute(Q["list_events"].format(where=where), (*params, limit))
        return [self.event(row) for row in cursor.fetchall()]

    def replay(self, cursor: Any, event_ids: Sequence[str], now: float) -> list[str]:
        for event_id in event_ids:
            cursor.execute(Q["replay_event"], (now, event_id))
        return list(dict.fromkeys(event_ids))

    def beat(self, cursor: Any, name: str, started_at: float, now: float, forget: float) -> None:
        cursor.execute(Q["forget_silent_workers"], (forget,))
        cursor.execute(Q["beat"], (name, started_at, now))

    def prune(
        self,
        cursor: Any,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int,
    ) -> Pruned:
        cursor.execute(Q["prune_candidates"], (done_before, dead_before, created_before, limit))
        chosen = cursor.fetchall()
        gone = [seq for seq, whole in chosen if whole]
        kept = [seq for seq, whole in chosen if not whole]
        every = gone + kept
        if not every:
            return Pruned(0, 0)
        marks = ", ".join(["?"] * len(every))
        cursor.execute(Q["prune_payloads"].format(marks=marks), every)
        cursor.execute(Q["prune_attempts"].format(marks=marks), every)
        if gone:
            cursor.execute(Q["prune_delete"].format(marks=", ".join(["?"] * len(gone))), gone)
        if kept:
            marks = ", ".join(["?"] * len(kept))
            cursor.execute(Q["prune_strip"].format(marks=marks), [now, *kept])
        return Pruned(len(gone), len(kept))
