"""What the dashboard shows of a v2 thin event (``/v2/core/events``): the notification its
destinations were sent, the event as ``GET /v2/core/events/{id}`` answers it (``data``,
``changes``), the object it names, its deliveries and where it was withheld.

A thin event is stored twice (state/thin_events.py): its row in ``thin_events`` (the
account it happened on, the whole event) and one in ``events`` (no account, the
notification as body) that its deliveries and withholdings point at.

There is no resend: Stripe's API has none for v2 events (``/v1/events/{id}/retry`` is for
snapshot events), so the page offers none either."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ... import catalog
from ...manifest.requirements import default_purpose, grant_command
from ..state import apps, endpoints
from ..state.db import loads
from ..state.thin_events import THIN_ACCOUNT
from ..stripe_errors import ResourceMissing
from .event_queries import ObjectDetail, app_of, deliveries_of, linked_objects

__all__ = ["ThinDetail", "is_thin", "thin_detail", "thin_fix", "v2_object_detail"]

EVENT_READ = "event_read"


@dataclass
class ThinDetail:
    body: dict[str, Any]
    """The event as ``GET /v2/core/events/{id}`` answers it."""
    account: str
    """The account it happened on (its ``context``, or the account's own)."""
    stored: str
    """The notification's JSON, exactly as destinations are sent it."""
    related_href: str | None = None
    """The dashboard's page of the related object, when the sandbox has one to show."""
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[dict[str, Any]] = field(default_factory=list)

    @property
    def notification(self) -> dict[str, Any]:
        found: dict[str, Any] = loads(self.stored)
        return found

    @property
    def fetched(self) -> dict[str, Any]:
        """What the receiver fetches for the notification: ``data`` and ``changes``."""
        return {k: self.body[k] for k in ("data", "changes") if k in self.body}


def is_thin(db: sqlite3.Connection, event_id: str) -> bool:
    row = db.execute("SELECT 1 FROM thin_events WHERE id = ?", (event_id,)).fetchone()
    return row is not None


def thin_detail(db: sqlite3.Connection, event_id: str) -> ThinDetail:
    row = db.execute(
        "SELECT t.account, t.body, e.body AS notification FROM thin_events t"
        " JOIN events e ON e.id = t.id AND e.account = ? WHERE t.id = ?",
        (THIN_ACCOUNT, event_id),
    ).fetchone()
    if row is None:
        raise ResourceMissing("event", event_id)
    body = loads(row["body"])
    detail = ThinDetail(body, row["account"], row["notification"])
    detail.related_href = related_href(db, detail.account, body.get("related_object"))
    detail.deliveries = deliveries_of(db, event_id)
    for w in db.execute(
        "SELECT w.endpoint, w.reason, w.message, e.url, e.application, e.account AS owner"
        " FROM withheld w JOIN webhook_endpoints e ON e.id = w.endpoint"
        " WHERE w.event = ? ORDER BY w.rowid",
        (event_id,),
    ):
        app = w["application"] or app_of(db, w["owner"], detail.account)
        fix = thin_fix(db, w["reason"], body["type"], detail.account, app)
        detail.withheld.append({**dict(w), "app": app, "fix": fix})
    return detail


def thin_fix(
    db: sqlite3.Connection, reason: str, event_type: str, account: str, app_id: str | None
) -> list[str]:
    """The commands that let the app's destination receive ``event_type`` from ``account``:
    grant what its installed version lacks of event_read and the type's permissions, then
    upgrade the install (empty when the reason is not a permission)."""
    if reason != "missing_permission" or not catalog.is_thin_event_type(event_type):
        return []
    install = apps.get_install(db, account, app_id) if app_id else None
    granted = apps.permissions_of(db, install.app, install.version) if install else frozenset[str]()
    wanted = catalog.thin_event_info(event_type).permissions
    needs = [] if EVENT_READ in granted else [EVENT_READ]
    if wanted and not set(wanted) & granted:
        needs.append(wanted[0])
    if not needs:
        return []
    mode = f" --mode {install.mode}" if install and install.mode != "test" else ""
    return [grant_command(p, default_purpose(p)) for p in needs] + [
        f"appevents apps upgrade --account {account}{mode}"
    ]


def related_href(db: sqlite3.Connection, account: str, related: Any) -> str | None:
    """Where the dashboard shows ``related`` (a ``related_object``): an event destination's
    page, or the object page of a v1 object or a v2 account or person ``account`` made."""
    if not isinstance(related, dict) or not isinstance(related.get("id"), str):
        return None
    object_id, kind = related["id"], related.get("type")
    if kind == "v2.core.event_destination":
        return f"/webhooks/{object_id}" if object_id in endpoints.live_endpoints(db) else None
    if kind in ("v2.core.account", "v2.core.account_person"):
        try:
            v2_object_detail(db, account, object_id)
        except ResourceMissing:
            return None
        return f"/objects/{account}/{object_id}"
    row = db.execute(
        "SELECT 1 FROM objects WHERE account = ? AND id = ?", (account, object_id)
    ).fetchone()
    return None if row is None else f"/objects/{account}/{object_id}"


def v2_object_detail(db: sqlite3.Connection, account: str, object_id: str) -> ObjectDetail:
    """A v2 account ``account`` made (or is), or a person of one, for the object page."""
    row = db.execute(
        "SELECT body, livemode FROM v2_accounts WHERE id = ? AND (platform = ? OR id = ?)",
        (object_id, account, account),
    ).fetchone()
    if row is None:
        row = db.execute(
            "SELECT p.body, a.livemode FROM v2_persons p JOIN v2_accounts a ON a.id = p.account"
            " WHERE p.id = ? AND (a.platform = ? OR a.id = ?)",
            (object_id, account, account),
        ).fetchone()
    if row is None:
        raise ResourceMissing("object", object_id)
    body = loads(row["body"])
    about = db.execute(
        "SELECT id, type, created_ms / 1000 AS created FROM thin_events WHERE object_id = ?"
        " ORDER BY seq DESC LIMIT 50",
        (object_id,),
    ).fetchall()
    return ObjectDetail(
        account, body, bool(row["livemode"]), linked_objects(db, account, body, object_id),
        [dict(r) for r in about],
    )  # fmt: skip
