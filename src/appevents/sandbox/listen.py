"""`appevents listen` on the sandbox's side: CLI sessions and the event stream they read.

A session belongs to a device (a machine running `listen`) of an account, in one mode.
Each device has a stable ``whsec_`` secret the sandbox signs its payloads with, and a
cursor: the last event it is done with. A stream sends, in order, every event after the
cursor that the account may see: its own events, and the events of the accounts that
installed its app (or that it created, as a Connect platform) — routed as a Connect
endpoint of the account would be, so an event the app's permissions withhold arrives as
a ``withheld`` message naming the permission, instead of silently never (the messages
are built in listen_messages.py).

Both clients acknowledge each event: `appevents listen` after forwarding it, by ``seq``;
the official Stripe CLI on receipt, by ``event_id`` (some releases put the message's
``webhook_id`` there), from a goroutine per message, so its acknowledgements race. The
cursor therefore moves only over a run of acknowledged messages, and only over messages
this connection sent: a client that dies leaves every event it had not acknowledged
owed, and no client can make its device skip events it never saw.

The Stripe CLI picks the copies of an event rendered in the account's default API version
(``endpoint.api_version`` null) or, with ``--latest``, those rendered in the latest one;
it does not tell which it wants. The sandbox has one version, so a session of the Stripe
CLI (it asks for the ``webhooks`` feature) gets both copies of each event, the same
payload, and either client forwards one. Its ``webhook_response`` messages (the local
endpoint's answer) are recorded (listen_responses.py), and ``events resend`` without an
endpoint sends an event again to the live sessions that may see it (:meth:`ListenHub.replay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from . import listen_responses
from .acknowledgements import Acknowledgements
from .lane import Lane
from .listen_devices import Device, acknowledge, open_device
from .listen_messages import pending_messages, replay_messages
from .request_logs import RequestLogs
from .service import Sandbox

__all__ = [
    "Acknowledgements",
    "Device",
    "ListenHub",
    "Session",
    "acknowledge",
    "open_device",
    "stream",
]


@dataclass(frozen=True, slots=True)
class Session:
    """An opened CLI session: what its WebSocket streams, and to whom."""

    feature: str
    """``webhooks`` (events, `listen`) or ``request_logs`` (`logs tail`)."""
    account: str
    livemode: bool
    device: Device | None = None
    """The device whose events a ``webhooks`` session streams."""
    versions: bool = False
    """Send each event in both renderings the Stripe CLI picks from (default, latest)."""
    thin: bool = False
    """Send thin events too, as ``v2_event`` messages (the Stripe CLI's ``v2_events``)."""
    snapshot: bool = True
    """Send snapshot events (the Stripe CLI asks for them as ``webhooks``)."""
    filters: dict[str, tuple[str, ...]] | None = None
    """A ``request_logs`` session's filters."""


@dataclass(eq=False)  # each connection is its own
class Connection:
    """One live WebSocket of a ``webhooks`` session: events to send it again wait here."""

    session: Session
    wake: asyncio.Event
    replays: list[str] = field(default_factory=list)


class ListenHub:
    """The opened CLI sessions, the live connections, and the wake-up signal their streams
    wait on; the request logs `logs tail` sessions read."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.logs = RequestLogs()
        self._connections: set[Connection] = set()
        self._guard = threading.Lock()  # the loop changes the set, the lane reads it
        self._loop: asyncio.AbstractEventLoop | None = None

    def connect(self, session: Session) -> Connection:
        self._loop = asyncio.get_running_loop()
        connection = Connection(session, asyncio.Event())
        with self._guard:
            self._connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        with self._guard:
            self._connections.discard(connection)

    def _live(self) -> list[Connection]:
        with self._guard:
            return list(self._connections)

    def listening(self, accounts: set[str], livemode: bool) -> list[Connection]:
        """The live connections of devices of ``accounts`` in that mode (on the lane)."""
        return [
            c
            for c in self._live()
            if c.session.device is not None
            and c.session.account in accounts
            and c.session.livemode == livemode
        ]

    def replay(self, connection: Connection, event_id: str) -> None:
        """Send ``event_id`` to ``connection`` again. Called on the lane thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(_queue_replay, connection, event_id)

    def notify(self) -> None:
        """A new event exists. Called on the sandbox's lane thread."""
        if self._loop is None or self._loop.is_closed():
            return
        for connection in self._live():
            self._loop.call_soon_threadsafe(connection.wake.set)


def _queue_replay(connection: Connection, event_id: str) -> None:
    connection.replays.append(event_id)
    connection.wake.set()


FORWARDS_KEPT = 10_000
"""Messages per connection whose ``webhook_response`` is recorded (the newest ones)."""


async def stream(
    websocket: WebSocket, sandbox: Sandbox, lane: Lane, hub: ListenHub, session: Session
) -> None:
    """Send the session's device its events after its cursor, then each new one (and each
    one resent to it), until it leaves."""
    device = session.device
    assert device is not None
    await websocket.accept()
    connection = hub.connect(session)
    wake = connection.wake
    sent_through: int | None = None
    acks = Acknowledgements()
    sent: OrderedDict[str, str] = OrderedDict()  # webhook_id -> event id, newest last

    async def read_replies() -> None:
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
            answered = listen_responses.answered(reply, sent)
            if answered is not None:
                await lane.run(
                    listen_responses.record, sandbox, device.account, device.livemode,
                    device.name, answered,
                )  # fmt: skip

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "webhook_event":
            sent[message["webhook_id"]] = message["event_id"]
            while len(sent) > FORWARDS_KEPT:
                sent.popitem(last=False)
        await websocket.send_json(message)

    reader = asyncio.get_running_loop().create_task(read_replies())
    try:
        while not reader.done():
            wake.clear()
            messages = await lane.run(
                pending_messages,
                sandbox,
                device,
                sent_through,
                session.versions,
                session.thin,
                session.snapshot,
            )
            for message in messages:  # each copy is noted before any is sent
                if acks.sent(message) and acks.done is not None:
                    await lane.run(acknowledge, sandbox, device, acks.done)
            for message in messages:
                await send(message)
                sent_through = message["seq"]
            while connection.replays:
                event_id = connection.replays.pop(0)
                replays = await lane.run(
                    replay_messages, sandbox, device, event_id, session.versions
                )
                for message in replays:  # not owed: the cursor is past it already
                    await send(message)
            if not messages:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.disconnect(connection)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader
