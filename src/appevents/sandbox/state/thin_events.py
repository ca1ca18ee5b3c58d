"""v2 thin events, as stored by the sandbox: ``GET /v2/core/events`` reads them, the
destinations are sent their notifications, and ``stripe listen --all-thin`` streams them
(:func:`thin_events_after`).

Each thin event also has a row in ``events`` (account ``''``, its notification as body; see
schema.sql) so that its deliveries are rows of ``deliveries`` like any other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..stripe_errors import ResourceMissing
from .db import dumps, loads

__all__ = [
    "THIN_ACCOUNT",
    "ThinEvent",
    "get_thin_event",
    "insert_thin_event",
    "list_thin_events",
    "notification_of",
    "thin_event_account",
    "thin_events_after",
]

THIN_ACCOUNT = ""
"""The ``events.account`` of a thin event's row there: no account's."""
_NOTIFIED = ("id", "object", "type", "created", "livemode", "context", "related_object", "reason")
"""What a notification carries of the event: never its ``data`` nor ``changes``."""


@dataclass(frozen=True, slots=True)
class ThinEvent:
    seq: int
    account: str
    """The account it happened on."""
    body: dict[str, Any]
    """The event as ``GET /v2/core/events/{id}`` answers it."""


def notification_of(event: dict[str, Any]) -> dict[str, Any]:
    """What a destination is sent: the event without ``data`` and ``changes`` (the
    receiver fetches those), ``related_object`` only when the type names one."""
    return {k: event[k] for k in _NOTIFIED if k in event}


def insert_thin_event(
    db: sqlite3.Connection, event: dict[str, Any], account: str, created_ms: int
) -> str:
    """Store ``event`` (happened on ``account``); returns its notification's JSON."""
    notification = dumps(notification_of(event))
    related = event.get("related_object")
    db.execute(
        "INSERT INTO thin_events (id, account, livemode, type, created_ms, object_id, body)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event["id"], account, event["livemode"], event["type"], created_ms,
         related.get("id") if related else None, dumps(event)),
    )  # fmt: skip
    db.execute(
        "INSERT INTO events (id, account, livemode, type, created, body) VALUES (?, ?, ?, ?, ?, ?)",
        (event["id"], THIN_ACCOUNT, event["livemode"], event["type"], created_ms // 1000,
         notification),
    )  # fmt: skip
    return notification


def get_thin_event(
    db: sqlite3.Connection, event_id: str, *, account: str, livemode: bool
) -> dict[str, Any]:
    row = db.execute(
        "SELECT body FROM thin_events WHERE id = ? AND account = ? AND livemode = ?",
        (event_id, account, livemode),
    ).fetchone()
    if row is None:
        raise ResourceMissing("event", event_id)
    body: dict[str, Any] = loads(row["body"])
    return body


def thin_event_account(db: sqlite3.Connection, event_id: str, livemode: bool) -> str | None:
    """The account a thin event happened on (None: no such event in that mode)."""
    row = db.execute(
        "SELECT account FROM thin_events WHERE id = ? AND livemode = ?", (event_id, livemode)
    ).fetchone()
    return None if row is None else str(row["account"])


def list_thin_events(
    db: sqlite3.Connection,
    *,
    account: str,
    livemode: bool,
    types: Sequence[str] = (),
    object_id: str | None = None,
    created: dict[str, int] | None = None,
    limit: int = 20,
    before_seq: int | None = None,
    after_seq: int | None = None,
) -> tuple[list[ThinEvent], bool]:
    """Newest first; ``before_seq`` pages back (older), ``after_seq`` forward (newer).
    Returns the page and whether there is more in the direction paged."""
    clauses, params = ["account = ?", "livemode = ?"], [account, livemode]
    if types:
        clauses.append(f"type IN ({', '.join('?' * len(types))})")
        params.extend(types)
    if object_id is not None:
        clauses.append("object_id = ?")
        params.append(object_id)
    for op, sql_op in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")):
        if created and op in created:
            clauses.append(f"created_ms {sql_op} ?")
            params.append(created[op])
    order = "DESC"
    if before_seq is not None:
        clauses.append("seq < ?")
        params.append(before_seq)
    elif after_seq is not None:
        clauses.append("seq > ?")
        params.append(after_seq)
        order = "ASC"
    rows = db.execute(
        f"SELECT seq, account, body FROM thin_events WHERE {' AND '.join(clauses)}"
        f" ORDER BY seq {order} LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    page = [ThinEvent(r["seq"], r["account"], loads(r["body"])) for r in rows[:limit]]
    if order == "ASC":
        page.reverse()
    return page, len(rows) > limit


def thin_events_after(
    db: sqlite3.Connection, accounts: Sequence[str], livemode: bool, seq: int, limit: int = 100
) -> list[ThinEvent]:
    """The thin events of ``accounts`` after ``seq``, oldest first (what a ``stripe listen
    --all-thin`` session has not been sent yet); each one's ``seq`` is its cursor."""
    if not accounts:
        return []
    marks = ", ".join("?" * len(accounts))
    rows = db.execute(
        f"SELECT seq, account, body FROM thin_events WHERE seq > ? AND livemode = ?"
        f" AND account IN ({marks}) ORDER BY seq LIMIT ?",
        (seq, livemode, *accounts, limit),
    ).fetchall()
    return [ThinEvent(r["seq"], r["account"], loads(r["body"])) for r in rows]
