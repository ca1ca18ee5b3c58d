"""`appevents listen` on the sandbox's side: CLI sessions and the event stream they read.

A session belongs to a device (a machine running `listen`) of an account, in one mode.
Each device has a stable ``whsec_`` secret the sandbox signs its payloads with, and a
cursor: the last event it is done with. A stream sends, in order, every event after the
cursor that the account may see: its own events, and the events of the accounts that
installed its app (or that it created, as a Connect platform) — routed as a Connect
endpoint of the account would be, so an event the app's permissions withhold arrives as
a ``withheld`` message naming the permission, instead of silently never.

Both clients acknowledge each event: `appevents listen` after forwarding it, by ``seq``;
the official Stripe CLI on receipt, by ``event_id`` (some releases put the message's
``webhook_id`` there), from a goroutine per message, so its acknowledgements race. The
cursor therefore moves only over a run of acknowledged messages, and only over messages
this connection sent: a client that dies leaves every event it had not acknowledged
owed, and no client can make its device skip events it never saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import catalog
from ..manifest import required_permissions
from ..signature import sign
from . import routing
from .lane import Lane
from .service import Sandbox
from .state import accounts, apps
from .state.db import loads
from .state.events import pending_webhooks

__all__ = [
    "Acknowledgements",
    "Device",
    "ListenHub",
    "acknowledge",
    "open_device",
    "pending_messages",
    "stream",
]

STREAM_BATCH = 200
# A webhook_response proves the forward happened, so it acknowledges the event as well.
_ACKNOWLEDGING = ("event_ack", "webhook_response")


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
    # The Stripe CLI echoes these two in its acknowledgement and its webhook_response.
    names = {"webhook_id": sandbox.ids.new("wh"), "webhook_conversation_id": sandbox.ids.new("wc")}
    return {"type": "webhook_event", **base, **names, "event_payload": payload,
            "http_headers": headers}  # fmt: skip


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


class Acknowledgements:
    """One connection's messages sent and not yet acknowledged, oldest first.

    ``done`` is the seq the device's cursor may move to: the newest message before which
    every message sent has been acknowledged (None until the oldest one is).
    """

    def __init__(self) -> None:
        self._owed: OrderedDict[int, bool] = OrderedDict()  # seq -> acknowledged
        self._names: dict[int, tuple[str, str]] = {}  # seq -> its event_id, webhook_id
        self._seq_of: dict[str, int] = {}
        self.done: int | None = None

    def sent(self, message: dict[str, Any]) -> bool:
        """Note a message about to be sent; True when it moved ``done``."""
        seq = int(message["seq"])
        if message["type"] != "webhook_event":
            # Only shown, never forwarded, and a Stripe CLI does not acknowledge it.
            return self._mark(seq)
        self._owed[seq] = False
        names = (message["event_id"], message["webhook_id"])
        self._names[seq] = names
        self._seq_of.update(dict.fromkeys(names, seq))
        return False

    def acknowledge(self, reply: Any) -> bool:
        """Note a client's message; True when it moved ``done``."""
        if not isinstance(reply, dict) or reply.get("type") not in _ACKNOWLEDGING:
            return False
        seq = self._resolve(reply)
        if seq is None or seq not in self._owed:
            return False
        return self._mark(seq)

    def _mark(self, seq: int) -> bool:
        self._owed[seq] = True
        before = self.done
        self._settle()
        return self.done != before

    def _resolve(self, reply: dict[str, Any]) -> int | None:
        seq = reply.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            return seq
        for key in ("event_id", "webhook_id"):
            value = reply.get(key)
            if isinstance(value, str) and value in self._seq_of:
                return self._seq_of[value]
        return None

    def _settle(self) -> None:
        while self._owed:
            seq, acknowledged = next(iter(self._owed.items()))
            if not acknowledged:
                return
            del self._owed[seq]
            for name in self._names.pop(seq, ()):
                self._seq_of.pop(name, None)
            self.done = seq


async def stream(
    websocket: WebSocket, sandbox: Sandbox, lane: Lane, hub: ListenHub, device: Device
) -> None:
    """Send ``device`` its events after its cursor, then each new one, until it leaves."""
    await websocket.accept()
    wake = hub.subscribe()
    sent_through: int | None = None
    acks = Acknowledgements()

    async def read_acks() -> None:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            try:
                reply = json.loads(frame.get("text") or frame.get("bytes") or b"")
            except ValueError:  # not JSON: nothing to note
                continue
            if acks.acknowledge(reply) and acks.done is not None:
                await lane.run(acknowledge, sandbox, device, acks.done)

    reader = asyncio.get_running_loop().create_task(read_acks())
    try:
        while not reader.done():
            wake.clear()
            messages = await lane.run(pending_messages, sandbox, device, sent_through)
            for message in messages:
                if acks.sent(message) and acks.done is not None:
                    await lane.run(acknowledge, sandbox, device, acks.done)
                await websocket.send_json(message)
                sent_through = message["seq"]
            if not messages:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(wake)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader
