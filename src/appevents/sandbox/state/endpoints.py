"""Webhook endpoints: the Dashboard's and the API's ``/v1/webhook_endpoints``."""

from __future__ import annotations

import sqlite3

from ..stripe_errors import ResourceMissing
from .db import cache_of, dumps, loads
from .records import Endpoint

__all__ = ["Endpoint"]


_COLUMNS = (
    "id, account, livemode, connect, application, url, enabled_events, status, secret,"
    " api_version, description, metadata, created, failing_since"
)
_SELECT = (
    "SELECT w.id, w.account, w.livemode, w.connect, w.application, w.url, w.enabled_events,"
    " w.status, w.secret, w.api_version, w.description, w.metadata, w.created,"
    " w.failing_since, d.event_payload, d.events_from FROM webhook_endpoints w"
    " LEFT JOIN event_destinations d ON d.id = w.id"
)
"""An endpoint with what its v2 destination adds (event_destinations.py writes that)."""


def save_endpoint(db: sqlite3.Connection, e: Endpoint) -> Endpoint:
    db.execute(
        f"INSERT INTO webhook_endpoints ({_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET url = excluded.url,"
        " enabled_events = excluded.enabled_events, status = excluded.status,"
        " description = excluded.description, metadata = excluded.metadata,"
        " failing_since = excluded.failing_since",
        (e.id, e.account, e.livemode, e.connect, e.application, e.url, dumps(e.enabled_events),
         e.status, e.secret, e.api_version, e.description, dumps(e.metadata), e.created,
         e.failing_since),
    )  # fmt: skip
    if (cache := cache_of(db)) is not None:
        cache.endpoint_saved(e)
    return e


def set_failure_streak(
    db: sqlite3.Connection, endpoint_id: str, failing_since: float | None, *, disable: bool
) -> None:
    """The delivery engine's bookkeeping: when the endpoint started failing (None: it is
    not failing), and whether that streak has lasted long enough to disable it."""
    db.execute(
        "UPDATE webhook_endpoints SET failing_since = ?,"
        " status = CASE WHEN ? THEN 'disabled' ELSE status END WHERE id = ?",
        (failing_since, disable, endpoint_id),
    )
    cache = cache_of(db)
    if cache is not None and cache.endpoints is not None:
        current = cache.endpoints.get(endpoint_id)
        if current is not None:
            status = "disabled" if disable else current.status
            cache.endpoint_saved(current.changed(failing_since=failing_since, status=status))


def set_secret(db: sqlite3.Connection, endpoint_id: str, secret: str) -> Endpoint:
    """Give the endpoint a new signing secret (the Dashboard's "Roll secret"): deliveries
    from now on are signed with it."""
    updated = get_endpoint(db, endpoint_id).changed(secret=secret)
    db.execute("UPDATE webhook_endpoints SET secret = ? WHERE id = ?", (secret, endpoint_id))
    if (cache := cache_of(db)) is not None:
        cache.endpoint_saved(updated)
    return updated


def get_endpoint(
    db: sqlite3.Connection,
    endpoint_id: str,
    *,
    account: str | None = None,
    livemode: bool | None = None,
) -> Endpoint:
    """The endpoint; 404 unless it belongs to ``account`` in ``livemode`` (when given)."""
    found = live_endpoints(db).get(endpoint_id)
    if (
        found is None
        or (account is not None and found.account != account)
        or (livemode is not None and found.livemode != livemode)
    ):
        raise ResourceMissing("webhook endpoint", endpoint_id)
    return found


def live_endpoints(db: sqlite3.Connection) -> dict[str, Endpoint]:
    """Every endpoint not deleted, by id (the cache's mirror when the connection has one;
    do not change the dict)."""
    cache = cache_of(db)
    if cache is not None and cache.endpoints is not None:
        return cache.endpoints
    rows = db.execute(f"{_SELECT} WHERE w.deleted = 0")
    loaded = {r["id"]: _endpoint(r) for r in rows}
    if cache is not None:
        cache.endpoints = loaded
    return loaded


def list_endpoints(
    db: sqlite3.Connection,
    *,
    account: str | None = None,
    livemode: bool | None = None,
    destinations: bool = False,
) -> list[Endpoint]:
    """The v1 webhook endpoints, newest first; the v2 destinations' instead when
    ``destinations``."""
    clauses: list[str] = ["w.deleted = 0", f"d.id IS {'NOT ' if destinations else ''}NULL"]
    params: list[object] = []
    if account is not None:
        clauses.append("w.account = ?")
        params.append(account)
    if livemode is not None:
        clauses.append("w.livemode = ?")
        params.append(livemode)
    rows = db.execute(
        f"{_SELECT} WHERE {' AND '.join(clauses)} ORDER BY w.created DESC, w.rowid DESC",
        params,
    )
    return [_endpoint(r) for r in rows]


def endpoints_for_event(
    db: sqlite3.Connection, account: str, payload: str = "snapshot"
) -> list[Endpoint]:
    """The endpoints an event of ``account`` could go to: its own and every Connect one,
    by id; those sent ``payload`` events (v1 events are snapshots; thin ones go to thin
    destinations only)."""
    cache = cache_of(db)
    if cache is not None and (known := cache.candidates.get(account)) is not None:
        return [e for e in known if e.payload == payload]
    found = sorted(
        (e for e in live_endpoints(db).values() if e.account == account or e.connect),
        key=lambda e: e.id,
    )
    if cache is not None:
        cache.candidates[account] = tuple(found)
    return [e for e in found if e.payload == payload]


def delete_endpoint(db: sqlite3.Connection, endpoint_id: str) -> None:
    db.execute("UPDATE webhook_endpoints SET deleted = 1 WHERE id = ?", (endpoint_id,))
    if (cache := cache_of(db)) is not None:
        cache.endpoint_deleted(endpoint_id)


def _endpoint(row: sqlite3.Row) -> Endpoint:
    return Endpoint(
        id=row["id"], account=row["account"], livemode=bool(row["livemode"]),
        connect=bool(row["connect"]), application=row["application"], url=row["url"],
        enabled_events=tuple(loads(row["enabled_events"])), status=row["status"],
        secret=row["secret"], api_version=row["api_version"], description=row["description"],
        metadata=loads(row["metadata"]), created=row["created"],
        failing_since=row["failing_since"],
        payload=row["event_payload"] or "snapshot", destination=row["event_payload"] is not None,
        also_own=row["events_from"] is not None and _both_scopes(loads(row["events_from"])),
    )  # fmt: skip


def _both_scopes(events_from: list[str]) -> bool:
    return "@self" in events_from and "@accounts" in events_from
