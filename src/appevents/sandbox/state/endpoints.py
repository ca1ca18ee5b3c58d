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
    rows = db.execute(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE deleted = 0")
    loaded = {r["id"]: _endpoint(r) for r in rows}
    if cache is not None:
        cache.endpoints = loaded
    return loaded


def list_endpoints(
    db: sqlite3.Connection, *, account: str | None = None, livemode: bool | None = None
) -> list[Endpoint]:
    clauses: list[str] = ["deleted = 0"]
    params: list[object] = []
    if account is not None:
        clauses.append("account = ?")
        params.append(account)
    if livemode is not None:
        clauses.append("livemode = ?")
        params.append(livemode)
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE {' AND '.join(clauses)}"
        " ORDER BY created DESC, rowid DESC",
        params,
    )
    return [_endpoint(r) for r in rows]


def endpoints_for_event(db: sqlite3.Connection, account: str) -> list[Endpoint]:
    """The endpoints an event of ``account`` could go to: its own and every Connect one,
    by id."""
    cache = cache_of(db)
    if cache is not None and (known := cache.candidates.get(account)) is not None:
        return list(known)
    found = sorted(
        (e for e in live_endpoints(db).values() if e.account == account or e.connect),
        key=lambda e: e.id,
    )
    if cache is not None:
        cache.candidates[account] = tuple(found)
    return found


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
    )  # fmt: skip
