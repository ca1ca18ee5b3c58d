"""Emitting v2 thin events: stored for ``GET /v2/core/events``, routed as v1 events are
(routing.py: own, Connect and app destinations, permissions, modes, ``enabled_events``)
to the destinations sent thin payloads, and owed to the delivery engine like any event.

The notification a destination gets is the event without ``data`` and ``changes``: the
receiver fetches the event for those (``fetch_event``), and the related object at its URL.
"""

from __future__ import annotations

import datetime
from typing import Any

from ...catalog import thin_event_info
from ..owed import LEASE, Owed
from ..service import Sandbox
from ..state import accounts, apps
from ..state.db import StateDB
from ..state.events import record_withheld
from ..state.thin_events import insert_thin_event

__all__ = ["context_of", "emit_thin", "event_id", "related", "rfc3339"]


def rfc3339(seconds: float) -> str:
    """Stripe's v2 timestamps: RFC 3339, UTC, milliseconds (``2024-09-30T12:00:00.123Z``)."""
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event_id(sandbox: Sandbox, livemode: bool) -> str:
    """A v2 event id: ``evt_test_…`` in test mode, ``evt_…`` live, as Stripe's look."""
    return sandbox.ids.new("evt" if livemode else "evt_test", 52)


def related(object_id: str, object_type: str, url: str) -> dict[str, str]:
    return {"id": object_id, "type": object_type, "url": url}


def context_of(sandbox: Sandbox, account: str) -> str | None:
    """The event's ``context``: the account it happened on when that is a connected account
    or one with apps installed (as v1 events name it in ``account``), else None."""
    if accounts.platform_of(sandbox.db, account) is not None:
        return account
    return account if apps.list_installs(sandbox.db, account=account) else None


def emit_thin(
    sandbox: Sandbox,
    account: str,
    livemode: bool,
    event_type: str,
    *,
    related_object: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    to: str | None = None,
    snapshot_event: str | None = None,
) -> dict[str, Any]:
    """Record a thin event on ``account`` and owe its deliveries: to the thin destinations
    routing selects, or only to destination ``to`` (a ping)."""
    info = thin_event_info(event_type)  # a type the catalog lacks is a bug here: KeyError
    now = sandbox.clock()
    event: dict[str, Any] = {
        "id": event_id(sandbox, livemode),
        "object": "v2.core.event",
        "type": event_type,
        "created": rfc3339(now),
        "livemode": livemode,
        "context": context_of(sandbox, account),
        "reason": None
        if request_id is None
        else {"type": "request", "request": {"id": request_id, "idempotency_key": idempotency_key}},
    }
    if info.related_object is not None:
        if related_object is None or related_object["type"] != info.related_object:
            raise ValueError(f"{event_type} names a {info.related_object}: {related_object!r}")
        event["related_object"] = related_object
    if info.data_fields is not None:
        event["data"] = data or {}
    if changes is not None:
        event["changes"] = changes
    if snapshot_event is not None:
        event["snapshot_event"] = snapshot_event
    with sandbox.transaction() as db:
        notification = insert_thin_event(db, event, account, int(now * 1000))
        if to is not None:
            _owe(sandbox, db, event, [to], notification)
        else:
            routes = sandbox._route(event, account, "thin")
            _owe(sandbox, db, event, [r.endpoint_id for r in routes.routes], notification)
            record_withheld(db, event["id"], routes.withheld)
    sandbox.on_event()
    return event


def _owe(
    sandbox: Sandbox,
    db: StateDB,
    event: dict[str, Any],
    destinations: list[str],
    notification: str,
) -> None:
    """The deliveries' rows, handed to the engine once committed (as service.emit's)."""
    lease = sandbox.clock() + LEASE
    payload = notification.encode()
    owed = [
        Owed(
            db.execute(
                "INSERT INTO deliveries (event, endpoint, status, next_attempt_at)"
                " VALUES (?, ?, 'pending', ?) RETURNING id",
                (event["id"], destination, lease),
            ).fetchone()[0],
            event["id"], destination, event["livemode"], 0, None, lease, payload,
        )
        for destination in destinations
    ]  # fmt: skip
    if owed:
        db.after_commit(lambda: sandbox.on_deliveries(owed))
