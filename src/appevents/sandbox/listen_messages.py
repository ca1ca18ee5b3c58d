"""What a listening device is sent: each event after its cursor, rendered as the message
its client expects, or a ``withheld`` message saying which permission keeps it back.

A snapshot event is a ``webhook_event`` (its payload signed with the device's secret, as
Stripe signs a delivery); a thin event a ``v2_event``. An installed account's event is
routed as a Connect endpoint of the listening account would get it (routing.py), so the
app's permissions decide here as they do for a real endpoint.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .. import catalog
from ..manifest import required_permissions
from ..signature import sign
from . import routing
from .listen_devices import Device
from .service import API_VERSION, Sandbox
from .state import accounts, apps
from .state.db import loads
from .state.events import pending_webhooks
from .state.thin_events import THIN_ACCOUNT

__all__ = ["STREAM_BATCH", "may_see", "pending_messages", "replay_messages"]

STREAM_BATCH = 200


def pending_messages(
    sandbox: Sandbox,
    device: Device,
    after: int | None,
    versions: bool = False,
    thin: bool = False,
    snapshot: bool = True,
) -> list[dict[str, Any]]:
    """The next messages for ``device``: events after ``after`` (default: its cursor),
    with each event's latest-version copy after it when ``versions``, and the thin events
    of the same accounts in their place among them when ``thin``."""
    db = sandbox.db
    if after is None:
        (after,) = db.execute(
            "SELECT cursor FROM cli_devices WHERE account = ? AND livemode = ? AND device = ?",
            (device.account, device.livemode, device.name),
        ).fetchone()
    watched = _watched_accounts(db, device.account)
    marks = ", ".join("?" * len(watched))
    # A thin event's row in events names no account (THIN_ACCOUNT): its own row does.
    rows = db.execute(
        f"SELECT e.seq, e.id, COALESCE(t.account, e.account) AS account, e.type, e.body,"
        f" t.id IS NOT NULL AS thin FROM events e"
        f" LEFT JOIN thin_events t ON e.account = ? AND t.id = e.id"
        f" WHERE e.seq > ? AND e.livemode = ? AND ((? AND e.account IN ({marks}))"
        f" OR (? AND e.account = ? AND t.account IN ({marks}))) ORDER BY e.seq LIMIT ?",
        (THIN_ACCOUNT, after, device.livemode, snapshot, *watched, thin, THIN_ACCOUNT,
         *watched, STREAM_BATCH),
    ).fetchall()  # fmt: skip
    messages = []
    for row in rows:
        messages.append(_message(sandbox, device, row))
        if versions and messages[-1]["type"] == "webhook_event":
            messages.append(_latest_copy(sandbox, messages[-1]))
    return messages


def replay_messages(
    sandbox: Sandbox, device: Device, event_id: str, versions: bool
) -> list[dict[str, Any]]:
    """``event_id`` sent again (``events resend``): none when the device may not see it
    or its app's permissions withhold it."""
    db = sandbox.db
    watched = _watched_accounts(db, device.account)
    marks = ", ".join("?" * len(watched))
    row = db.execute(
        f"SELECT seq, id, account, type, body, 0 AS thin FROM events WHERE id = ? AND livemode = ?"
        f" AND account IN ({marks})",
        (event_id, device.livemode, *watched),
    ).fetchone()
    if row is None:
        return []
    message = _message(sandbox, device, row)
    if message["type"] != "webhook_event":
        return []
    return [message, _latest_copy(sandbox, message)] if versions else [message]


def may_see(sandbox: Sandbox, device: Device, event_id: str) -> bool:
    return bool(replay_messages(sandbox, device, event_id, versions=False))


def _latest_copy(sandbox: Sandbox, message: dict[str, Any]) -> dict[str, Any]:
    """The copy a Stripe CLI run with ``--latest`` forwards: the sandbox's one version."""
    names = {"webhook_id": sandbox.ids.new("wh"), "webhook_conversation_id": sandbox.ids.new("wc")}
    return {**message, "endpoint": {"api_version": API_VERSION}, **names}


def _watched_accounts(db: sqlite3.Connection, account: str) -> list[str]:
    """The account itself, the accounts it created, and those that installed its apps."""
    rows = db.execute(
        "SELECT id FROM accounts WHERE platform = ?"
        " UNION SELECT i.account FROM installs i JOIN apps a ON a.id = i.app WHERE a.owner = ?",
        (account, account),
    )
    return [account, *(r[0] for r in rows)]


def _message(sandbox: Sandbox, device: Device, row: sqlite3.Row) -> dict[str, Any]:
    if row["thin"]:
        return _thin_message(sandbox, device, row)
    body = loads(row["body"])
    body["pending_webhooks"] = pending_webhooks(sandbox.db, row["id"])
    connect = row["account"] != device.account
    # The Stripe CLI tells Connect events by their `account`: only another account's
    # event names one (a merchant's own events name it where its apps' endpoints get them).
    body.pop("account", None)
    if connect:
        body = {"account": row["account"], **body}
    base = {"seq": row["seq"], "event_id": row["id"], "event_type": row["type"],
            "account": row["account"], "connect": connect}  # fmt: skip
    refusal = _refusal(sandbox, device, body, row["account"]) if connect else None
    if refusal is not None:
        return {"type": "withheld", **base, "reason": refusal.reason_code,
                "message": refusal.message, "grant": _grant_hint(row["type"])}  # fmt: skip
    payload = json.dumps(body, indent=2)
    headers = _signed_headers(sandbox, device, payload)
    # The Stripe CLI echoes these two in its acknowledgement and its webhook_response.
    names = {"webhook_id": sandbox.ids.new("wh"), "webhook_conversation_id": sandbox.ids.new("wc")}
    return {"type": "webhook_event", **base, **names, "event_payload": payload,
            "http_headers": headers, "endpoint": {"api_version": None}}  # fmt: skip


def _thin_message(sandbox: Sandbox, device: Device, row: sqlite3.Row) -> dict[str, Any]:
    """A thin event as the Stripe CLI's ``v2_event``: its notification, signed with the
    device's secret, from a destination the CLI names in its acknowledgement."""
    connect = row["account"] != device.account
    base = {"seq": row["seq"], "event_id": row["id"], "event_type": row["type"],
            "account": row["account"], "connect": connect}  # fmt: skip
    notification = loads(row["body"])
    if connect:
        refusal = _refusal(sandbox, device, notification, row["account"])
        if refusal is not None:
            return {"type": "withheld", **base, "reason": refusal.reason_code,
                    "message": refusal.message, "grant": None}  # fmt: skip
    payload = row["body"]
    headers = _signed_headers(sandbox, device, payload)
    return {"type": "v2_event", **base, "payload": payload, "http_headers": headers,
            "destination_id": sandbox.ids.new("ed")}  # fmt: skip


def _signed_headers(sandbox: Sandbox, device: Device, payload: str) -> dict[str, str]:
    """The headers Stripe sends with a delivery, signed with the device's secret."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(payload.encode(), device.secret, sandbox.now()),
    }


def _refusal(
    sandbox: Sandbox, device: Device, event: dict[str, Any], account: str
) -> routing.Withheld | None:
    """Route the event to a virtual Connect endpoint of the listening account."""
    db = sandbox.db
    owned = [a for a in apps.list_apps(db) if a.owner == device.account]
    installs = apps.list_installs(db, account=account)
    installed_ids = {i.app for i in installs}
    app = next((a for a in owned if a.id in installed_ids), owned[0] if owned else None)
    views = []
    if app is not None:
        version = next((i.version for i in installs if i.app == app.id), None)
        granted = apps.permissions_of(db, app.id, version) if version else frozenset()
        views.append(routing.App(app.id, app.owner, granted))
    virtual = routing.WebhookEndpoint(
        "listen", device.account, "cli", ("*",), True, device.livemode, "enabled",
        app.id if app else None,
    )  # fmt: skip
    application = event["data"]["object"].get("id") if event["type"].startswith(
        "account.application."
    ) else None  # fmt: skip
    platform = accounts.platform_of(db, account)
    result = routing.route_event(
        routing.EventToRoute(event["id"], event["type"], account, device.livemode, application),
        [virtual],
        installations=[
            routing.Installation(i.account, i.app, i.mode, i.active)  # type: ignore[arg-type]
            for i in installs
        ],
        apps=views,
        connections={account: platform} if platform else {},
    )
    return result.withheld[0] if result.withheld else None


def _grant_hint(event_type: str) -> str | None:
    """The command that grants the permission this event type needs most specifically."""
    if not catalog.is_known_event_type(event_type):
        return None
    needs = [n for n in required_permissions([event_type]) if n.permission != "event_read"]
    return needs[0].grant_command() if needs else None
