"""Webhook endpoints: the Dashboard's and the API's ``/v1/webhook_endpoints``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from ..stripe_errors import ResourceMissing
from .db import dumps, loads

__all__ = ["Endpoint"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    account: str
    livemode: bool
    connect: bool
    application: str | None
    url: str
    enabled_events: tuple[str, ...]
    status: str
    secret: str
    api_version: str | None
    description: str | None
    metadata: dict[str, str]
    created: int
    failing_since: float | None = None

    def to_api(self, *, with_secret: bool = False) -> dict[str, Any]:
        """The webhook_endpoint object; the secret only in the create response, as Stripe."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": self.application,
            "created": self.created,
            "description": self.description,
            "enabled_events": list(self.enabled_events),
            "livemode": self.livemode,
            "metadata": self.metadata,
            "status": self.status,
            "url": self.url,
        }
        if with_secret:
            body["secret"] = self.secret
        return body

    def changed(self, **changes: Any) -> Endpoint:
        return replace(self, **changes)


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
    return e


def get_endpoint(
    db: sqlite3.Connection,
    endpoint_id: str,
    *,
    account: str | None = None,
    livemode: bool | None = None,
) -> Endpoint:
    """The endpoint; 404 unless it belongs to ``account`` in ``livemode`` (when given)."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = ? AND deleted = 0", (endpoint_id,)
    ).fetchone()
    if (
        row is None
        or (account is not None and row["account"] != account)
        or (livemode is not None and bool(row["livemode"]) != livemode)
    ):
        raise ResourceMissing("webhook endpoint", endpoint_id)
    return _endpoint(row)


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
    """The endpoints an event of ``account`` could go to: its own and every Connect one."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE deleted = 0"
        " AND (account = ? OR connect = 1) ORDER BY id",
        (account,),
    )
    return [_endpoint(r) for r in rows]


def delete_endpoint(db: sqlite3.Connection, endpoint_id: str) -> None:
    db.execute("UPDATE webhook_endpoints SET deleted = 1 WHERE id = ?", (endpoint_id,))


def _endpoint(row: sqlite3.Row) -> Endpoint:
    return Endpoint(
        id=row["id"], account=row["account"], livemode=bool(row["livemode"]),
        connect=bool(row["connect"]), application=row["application"], url=row["url"],
        enabled_events=tuple(loads(row["enabled_events"])), status=row["status"],
        secret=row["secret"], api_version=row["api_version"], description=row["description"],
        metadata=loads(row["metadata"]), created=row["created"],
        failing_since=row["failing_since"],
    )  # fmt: skip
