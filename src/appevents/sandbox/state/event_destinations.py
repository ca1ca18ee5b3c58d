"""v2 event destinations: a webhook endpoint's row each (what delivery, retries and
disabling use: endpoints.py) and a row of what v2 adds (payload, scopes, its own fields)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from ..stripe_errors import ResourceMissing
from . import endpoints
from .db import dumps, loads
from .records import Endpoint

__all__ = ["Destination", "delete_destination", "get_destination", "list_destinations", "save"]


@dataclass(frozen=True, slots=True)
class Destination:
    endpoint: Endpoint
    events_from: tuple[str, ...]
    fields: dict[str, Any]
    """Its own fields: type, name, created, updated, the provider's configuration, ..."""


def save(db: sqlite3.Connection, destination: Destination) -> Destination:
    e = destination.endpoint
    endpoints.save_endpoint(db, e)  # the record has what this table adds: cached whole
    db.execute(
        "INSERT INTO event_destinations (id, event_payload, events_from, body) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET body = excluded.body",
        (e.id, e.payload, dumps(list(destination.events_from)), dumps(destination.fields)),
    )
    return destination


def get_destination(
    db: sqlite3.Connection, destination_id: str, *, account: str, livemode: bool
) -> Destination:
    """The destination; 404 unless it belongs to ``account`` in ``livemode``."""
    try:
        endpoint = endpoints.get_endpoint(db, destination_id, account=account, livemode=livemode)
    except ResourceMissing:
        endpoint = None
    if endpoint is None or not endpoint.destination:
        raise ResourceMissing("event destination", destination_id)
    return _with_fields(db, endpoint)


def list_destinations(db: sqlite3.Connection, *, account: str, livemode: bool) -> list[Destination]:
    """Newest first."""
    found = endpoints.list_endpoints(db, account=account, livemode=livemode, destinations=True)
    return [_with_fields(db, e) for e in found]


def delete_destination(db: sqlite3.Connection, destination_id: str) -> None:
    """Gone: no longer delivered to (what it was owed fails), listed or found."""
    endpoints.delete_endpoint(db, destination_id)
    db.execute(
        "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL"
        " WHERE endpoint = ? AND status = 'pending'",
        (destination_id,),
    )


def _with_fields(db: sqlite3.Connection, endpoint: Endpoint) -> Destination:
    row = db.execute(
        "SELECT events_from, body FROM event_destinations WHERE id = ?", (endpoint.id,)
    ).fetchone()
    return Destination(endpoint, tuple(loads(row["events_from"])), loads(row["body"]))
