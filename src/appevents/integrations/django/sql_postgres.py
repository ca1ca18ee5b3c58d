"""The PostgreSQL store's SQL (``stores/postgres/sql``) run through a Django cursor.

Same migrations, same ``appevents_schema_version`` as ``postgresql://``, in the schema
the Django connection's ``search_path`` names: ``appevents … --store postgresql://…``
reads the same tables. Claims keep both locks of the PostgreSQL store (``FOR UPDATE
SKIP LOCKED`` on the head, the account's advisory lock), so several workers may share
the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import StoreError
from ...event import Event
from ...receiver.inbox import Outcome, Pruned, Source, StoredEvent
from ...receiver.stores.params import erase_params, insert_params, prune_params
from ...receiver.stores.postgres.migrations import LOCK_CLASS, migrations
from ...receiver.stores.queries import load_queries
from ...receiver.stores.rows import stored_event_from_row

__all__ = ["PostgresSQL"]

Q = load_queries("appevents.receiver.stores.postgres", "queries.sql")


class PostgresSQL:
    vendor = "postgresql"
    begin_ingest = None
    """The receiver's insert is one statement: Django's atomic() is all it needs."""

    def execute(self, cursor: Any, name: str, params: Mapping[str, Any]) -> Any:
        cursor.execute(Q[name], dict(params))
        return cursor

    def event(self, row: Sequence[Any]) -> StoredEvent:
        return stored_event_from_row(row, row[13])

    def migrate(self, cursor: Any, where: str) -> None:
        """Apply the missing migrations in one transaction under the migrations' advisory
        lock (called inside Django's ``atomic()``)."""
        cursor.execute("SELECT current_schema()")
        row = cursor.fetchone()
        if row is None or row[0] is None:
            raise StoreError(
                f"{where}: no schema of the connection's search_path exists, so there is "
                "nowhere to create appevents' tables: create one, or set "
                "OPTIONS={'options': '-c search_path=...'} on that database"
            )
        cursor.execute(Q["lock_migrations"], {"lock_class": LOCK_CLASS, "schema": row[0]})
        cursor.execute(Q["create_version_table"])
        cursor.execute(Q["schema_version"])
        (version,) = cursor.fetchone()
        known = migrations()
        if version > len(known):
            raise StoreError(
                f"the inbox in {where} is at schema version {version}, newer than this "
                f"appevents understands ({len(known)}): upgrade appevents"
            )
        for migration in known[version:]:
            cursor.execute(migration.sql)
            cursor.execute(
                Q["record_migration"], {"version": migration.version, "name": migration.name}
            )

    def insert(
        self, cursor: Any, events: Sequence[Event], received_at: float, source: Source
    ) -> list[bool]:
        cursor.execute(Q["insert_events"], insert_params(events, received_at, source))
        inserted = {row[0] for row in cursor.fetchall()}
        new = []
        for event in events:  # the same id twice in one batch: only the first is new
            new.append(event.id in inserted)
            inserted.discard(event.id)
        return new

    def claim(self, cursor: Any, now: float, limit: int) -> list[tuple[Any, StoredEvent]]:
        cursor.execute(Q["claim_due_heads"], {"now": now, "limit": limit, "lock_class": LOCK_CLASS})
        # A head whose account lock another worker holds is left to it. Claimed rows end
        # with that lock's result where the others have the source (not needed here).
        return [(row[0], stored_event_from_row(row)) for row in cursor.fetchall() if row[13]]

    def settle(self, cursor: Any, key: Any, claimed: StoredEvent, outcome: Outcome) -> None:
        cursor.execute(
            Q["settle_event"],
            {
                "id": key,
                "status": str(outcome.status),
                "attempts": claimed.attempts,
                "retry_at": outcome.retry_at,
                "completed_at": outcome.finished_at if outcome.succeeded else None,
                "error": outcome.error,
                "erase": outcome.erase_payload,
                "started_at": outcome.started_at,
                "finished_at": outcome.finished_at,
            },
        )

    def erase_account(
        self, cursor: Any, account: str, livemode: bool, through_created: int, now: float
    ) -> int:
        params = erase_params(account, livemode, through_created, now)
        cursor.execute(Q["erase_account"], params)
        erased = int(cursor.rowcount)
        cursor.execute(Q["erase_account_attempts"], params)
        return erased

    def list_events(
        self, cursor: Any, status: str | None, account: str | None, limit: int
    ) -> list[StoredEvent]:
        cursor.execute(Q["list_events"], {"status": status, "account": account, "limit": limit})
        return [self.event(row) for row in cursor.fetchall()]

    def replay(self, cursor: Any, event_ids: Sequence[str], now: float) -> list[str]:
        cursor.execute(Q["replay_events"], {"ids": list(event_ids), "now": now})
        changed = {row[0] for row in cursor.fetchall()}
        return [event_id for event_id in dict.fromkeys(event_ids) if event_id in changed]

    def beat(self, cursor: Any, name: str, started_at: float, now: float, forget: float) -> None:
        params = {"name": name, "started_at": started_at, "now": now, "forget": forget}
        cursor.execute(Q["beat"], params)

    def prune(
        self,
        cursor: Any,
        done_before: float | None,
        dead_before: float | None,
        created_before: int,
        now: float,
        limit: int,
    ) -> Pruned:
        params = prune_params(done_before, dead_before, created_before, now, limit)
        cursor.execute(Q["prune"], params)
        deleted, stripped = cursor.fetchone()  # the statement's one row of counts
        return Pruned(int(deleted), int(stripped))
