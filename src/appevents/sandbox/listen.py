"""`appevents listen` on the sandbox's side: CLI sessions and the event stream they read.

A session belongs to a device (a machine running `listen`) of an account, in one mode.
Each device has a stable ``whsec_`` secret the sandbox signs its payloads with, and a
cursor: the last event it acknowledged. A stream sends, in order, every event after the
cursor that the account may see: its own events, and the events of the accounts that
installed its app (or that it created, as a Connect platform) — routed as a Connect
endpoint of the account would be, so an event the app's permissions withhold arrives as
a ``withheld`` message naming the permission, instead of silently never.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .. import catalog
from ..manifest import required_permissions
from ..signature import sign
from . import routing
from .service import Sandbox
from .state import accounts, apps
from .state.db import loads
from .state.events import pending_webhooks

__all__ = ["Device", "ListenHub", "acknowledge", "open_device", "pending_messages"]

STREAM_BATCH = 200


@dataclass(frozen=True, slots=True)
class Device:
    account: str
    livemode: bool
    name: str
    secret: str


def open_device(sandbox: Sandbox, account: str, livemode: bool, name: str) -> Device:
    """The device's record, created on first use with a new secret and a cursor at now."""
    db = sandbox.db
    row = db.execute(
        "SELECT secret FROM cli_devices WHERE account = ? AND livemode = ? AND device = ?",
        (account, livemode, name),
    ).fetchone()
    if row is not None:
        return Device(account, livemode, name, row["secret"])
    secret = sandbox.ids.secret()
    (latest,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    with sandbox.transaction():
        db.execute(
            "INSERT INTO cli_devices (account, livemode, device, secret, cursor)"
            " VALUES (?, ?, ?, ?, ?)",
            (account, livemode, name, secret, latest),
        )
    return Device(account, livemode, name, secret)


def acknowledge(sandbox: Sandbox, device: Device, seq: int) -> None:
    with sandbox.transaction() as db:
        db.execute(
            "UPDATE cli_devices SET cursor = MAX(cursor, ?)"
            " WHERE account = ? AND livemode = ? AND device = ?",
            (seq, device.account, device.livemode, device.name),
        )


def pending_messages(sandbox: Sandbox, device: Device, after: int | None) -> list[dict[str, Any]]:
    """The next messages for ``device``: events after ``after`` (default: its cursor)."""
    db = sandbox.db
    if after is None:
        (after,) = db.execute(
            "SELECT cursor FROM cli_devices WHERE account = ? AND livemode = ? AND device = ?",
            (device.account, device.livemode, device.name),
        ).fetchone()
    watched = _watched_accounts(db, device.account)
    marks = ", ".join("?" * len(watched))
    rows = db.execute(
        f"SELECT seq, id, account, type, body FROM events WHERE seq > ? AND livemode = ?"
        f" AND account IN ({marks}) ORDER BY seq LIMIT ?",
        (after, device.livemode, *watched, STREAM_BATCH),
    ).fetchall()
    return [_message(sandbox, device, row) for row in rows]


def _watched_accounts(db: sqlite3.Connection, account: str) -> list[str]:
    """The account itself, the accounts it created, and those that installed its apps."""
    rows = db.execute(
        "SELECT id FROM accounts WHERE platform = ?"
        " UNION SELECT i.account FROM installs i JOIN apps a ON a.id = i.app WHERE a.owner = ?",
        (account, account),
    )
    return [account, *(r[0] for r in rows)]


def _message(sandbox: Sandbox, device: Device, row: sqlite3.Row) -> dict[str, Any]:
    body = loads(row["body"])
    body["pending_webhooks"] = pending_webhooks(sandbox.db, row["id"])
    connect = row["account"] != device.account
    base = {"seq": row["seq"], "event_id": row["id"], "event_type": row["type"],
            "account": row["account"], "connect": connect}  # fmt: skip
    refusal = _refusal(sandbox, device, body, row["account"]) if connect else None
    if refusal is not None:
        return {"type": "withheld", **base, "reason": refusal.reason_code,
                "message": refusal.message, "grant": _grant_hint(row["type"])}  # fmt: skip
    payload = json.dumps(body, indent=2)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(payload.encode(), device.secret, sandbox.now()),
    }
    return {"type": "webhook_event", **base, "event_payload": payload, "http_headers": headers}


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


class ListenHub:
    """The live `listen` sessions and the wake-up signal their streams wait on."""

    def __init__(self) -> None:
        self.sessions: dict[str, Device] = {}
        self._listeners: set[asyncio.Event] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def subscribe(self) -> asyncio.Event:
        self._loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        self._listeners.add(wake)
        return wake

    def unsubscribe(self, wake: asyncio.Event) -> None:
        self._listeners.discard(wake)

    def notify(self) -> None:
        """A new event exists. Called on the sandbox's lane thread."""
        if self._loop is None or self._loop.is_closed():
            return
        for wake in list(self._listeners):
            self._loop.call_soon_threadsafe(wake.set)
