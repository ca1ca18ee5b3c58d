"""Events and the objects inside them, as stored by the sandbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ..stripe_errors import ResourceMissing
from .db import dumps, loads

__all__ = [
    "get_event",
    "get_object",
    "insert_event",
    "list_events",
    "record_withheld",
    "save_object",
]


_PLACEHOLDER = "\x00data.object\x00"
_PLACEHOLDER_JSON = dumps(_PLACEHOLDER)  # no other JSON string can encode to this


def insert_event(
    db: sqlite3.Connection, event: dict[str, Any], account: str, *, object_json: str | None = None
) -> str:
    """Store an event; ``account`` is the account it happened on (platform's own too).
    Returns the stored JSON (the event without ``pending_webhooks``).

    ``object_json`` is ``data.object`` already encoded (for the objects table): the
    event's JSON is built around it instead of encoding the object a second time."""
    shell = {k: v for k, v in event.items() if k != "pending_webhooks"}
    if object_json is None:
        body = dumps(shell)
    else:
        shell["data"] = {**shell["data"], "object": _PLACEHOLDER}
        body = dumps(shell).replace(_PLACEHOLDER_JSON, object_json, 1)
    db.execute(
        "INSERT INTO events (id, account, livemode, type, created, body) VALUES (?, ?, ?, ?, ?, ?)",
        (event["id"], account, event["livemode"], event["type"], event["created"], body),
    )
    return body


def record_withheld(db: sqlite3.Connection, event_id: str, withheld: Sequence[Any]) -> None:
    """Note why each endpoint routing withheld ``event_id`` from did not get it."""
    if withheld:
        db.executemany(
            "INSERT INTO withheld (event, endpoint, reason, message) VALUES (?, ?, ?, ?)",
            [(event_id, w.endpoint_id, w.reason_code, w.message) for w in withheld],
        )


def pending_webhooks(db: sqlite3.Connection, event_id: str) -> int:
    (count,) = db.execute(
        "SELECT COUNT(*) FROM deliveries WHERE event = ? AND status = 'pending'", (event_id,)
    ).fetchone()
    return int(count)


def get_event(
    db: sqlite3.Connection, event_id: str, *, account: str, livemode: bool
) -> dict[str, Any]:
    row = db.execute(
        "SELECT body FROM events WHERE id = ? AND account = ? AND livemode = ?",
        (event_id, account, livemode),
    ).fetchone()
    if row is None:
        raise ResourceMissing("event", event_id)
    return _with_pending(db, loads(row["body"]))


def list_events(
    db: sqlite3.Connection,
    *,
    account: str,
    livemode: bool,
    types: Sequence[str] = (),
    created: dict[str, int] | None = None,
    delivery_success: bool | None = None,
    limit: int = 10,
    starting_after: str | None = None,
    ending_before: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first, Stripe's cursor pagination; returns (page, has_more)."""
    clauses, params = ["account = ?", "livemode = ?"], [account, livemode]
    if types:
        ors = []
        for pattern in types:
            if pattern.endswith("*"):
                ors.append("type LIKE ? ESCAPE '\\'")
                params.append(pattern[:-1].replace("_", "\\_").replace("%", "\\%") + "%")
            else:
                ors.append("type = ?")
                params.append(pattern)
        clauses.append("(" + " OR ".join(ors) + ")")
    for op, sql_op in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<="), ("eq", "=")):
        if created and op in created:
            clauses.append(f"created {sql_op} ?")
            params.append(created[op])
    if delivery_success is not None:
        failing = (
            "EXISTS (SELECT 1 FROM deliveries d WHERE d.event = events.id"
            " AND d.status != 'succeeded')"
        )
        clauses.append(f"NOT {failing}" if delivery_success else failing)
    order = "DESC"
    if starting_after is not None:
        clauses.append("seq < ?")
        params.append(_seq(db, starting_after, account, livemode, "starting_after"))
    elif ending_before is not None:
        clauses.append("seq > ?")
        params.append(_seq(db, ending_before, account, livemode, "ending_before"))
        order = "ASC"
    rows = db.execute(
        f"SELECT body FROM events WHERE {' AND '.join(clauses)} ORDER BY seq {order} LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    page = [_with_pending(db, loads(r["body"])) for r in rows[:limit]]
    if order == "ASC":
        page.reverse()
    return page, len(rows) > limit


def _seq(db: sqlite3.Connection, event_id: str, account: str, livemode: bool, param: str) -> int:
    """The cursor's position, among the listed account's events only: another account's
    event id is as unknown as one that does not exist."""
    row = db.execute(
        "SELECT seq FROM events WHERE id = ? AND account = ? AND livemode = ?",
        (event_id, account, livemode),
    ).fetchone()
    if row is None:
        raise ResourceMissing("event", event_id, param=param)
    return int(row["seq"])


def _with_pending(db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
    body["pending_webhooks"] = pending_webhooks(db, body["id"])
    return body


def save_object(
    db: sqlite3.Connection,
    account: str,
    livemode: bool,
    body: dict[str, Any],
    updated: int,
    *,
    encoded: str | None = None,
) -> None:
    """Store (or replace) an object; ``encoded`` is its JSON when the caller has it."""
    db.execute(
        "INSERT INTO objects (account, id, livemode, object, body, updated)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account, id) DO UPDATE SET body = excluded.body, updated = excluded.updated",
        (account, body["id"], livemode, body.get("object", ""), encoded or dumps(body), updated),
    )


def get_object(
    db: sqlite3.Connection, account: str, object_type: str, object_id: str
) -> dict[str, Any]:
    row = db.execute(
        "SELECT body FROM objects WHERE account = ? AND id = ? AND object = ?",
        (account, object_id, object_type),
    ).fetchone()
    if row is None:
        raise ResourceMissing(object_type.replace("_", " ").replace(".", " "), object_id)
    body: dict[str, Any] = loads(row["body"])
    return body
