"""Rows of the SQL stores as the inbox's values (both stores select the same columns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..inbox import AccountLag, Backlog, Source, Status, StoredEvent, WorkerBeat
from ..installations import Installation

__all__ = ["backlog_from_rows", "installation_from_row", "stored_event_from_row"]


def stored_event_from_row(row: Sequence[Any], source: str | None = None) -> StoredEvent:
    """``id, account, livemode, type, created, status, attempts, received_at, available_at,
    completed_at, last_error, erased_at, payload``; ``source`` where the query read it."""
    return StoredEvent(
        id=row[0],
        account=row[1] or None,  # '' is the platform's own account in the tables
        livemode=bool(row[2]),
        type=row[3],
        created=row[4],
        status=Status(row[5]),
        attempts=row[6],
        received_at=row[7],
        available_at=row[8],
        completed_at=row[9],
        last_error=row[10],
        erased_at=row[11],
        payload=None if row[12] is None else bytes(row[12]),
        source=Source.DELIVERED if source is None else Source(source),
    )


def installation_from_row(row: Sequence[Any]) -> Installation:
    """The installation columns, in :class:`Installation`'s field order."""
    return Installation(
        account=row[0],
        livemode=bool(row[1]),
        status=row[2],
        source=row[3],
        application_id=row[4],
        application_name=row[5],
        installed_at=row[6],
        uninstalled_at=row[7],
        lifecycle_created=row[8],
        lifecycle_event_id=row[9],
        last_deauthorized_at=row[10],
        active_since_evidence=row[11],
    )


def backlog_from_rows(rows: Sequence[Sequence[Any]], *, platform: str) -> Backlog:
    """The rows of the ``backlog`` query: one ``total``, then ``account`` and ``worker``
    rows (kind, name, three counts, two times); ``platform`` is how the tables spell the
    platform's own account."""
    total = next(row for row in rows if row[0] == "total")
    return Backlog(
        pending=int(total[2]),
        failed_due=int(total[3]),
        failed_later=int(total[4]),
        oldest_pending_at=None if total[5] is None else float(total[5]),
        busiest=tuple(
            AccountLag(None if row[1] == platform else row[1], int(row[2]), float(row[5]))
            for row in rows
            if row[0] == "account"
        ),
        workers=tuple(
            WorkerBeat(row[1], float(row[6]), float(row[5])) for row in rows if row[0] == "worker"
        ),
    )
