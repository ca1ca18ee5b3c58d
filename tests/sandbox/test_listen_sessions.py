"""`listen` sessions on the sandbox's side, spoken to over a real WebSocket: what moves a
device's cursor (the acknowledgements of `appevents listen` and of the official Stripe
CLI), and what a client may not make it skip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from sandbox_fixtures import RunningSandbox, wait_for

MANIFEST = {
    "id": "com.example.listening", "version": "1", "name": "Listening", "icon": "",
    "permissions": [{"permission": "event_read", "purpose": "e"},
                    {"permission": "payment_intent_read", "purpose": "p"}],
}  # fmt: skip


@contextmanager
def session(sandbox: RunningSandbox, device: str = "laptop") -> Iterator[ClientConnection]:
    """A `listen` session of the platform's test key, as a client opens one."""
    opened = httpx.post(sandbox.base + "/v1/stripecli/sessions", data={"device_name": device},
                        headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
    assert opened.status_code == 200, opened.text
    with connect(opened.json()["websocket_url"], open_timeout=5, close_timeout=2) as socket:
        yield socket


def emit(sandbox: RunningSandbox, n: int, key: str | None = None) -> str:
    event = sandbox.post("/_sandbox/events", {"type": "payment_intent.succeeded",
                                              "object": {"id": f"pi_{n}", "object": "payment_intent"}},
                         key=key)  # fmt: skip
    return str(event["id"])


def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=5))
    return message


def cursor(sandbox: RunningSandbox, device: str = "laptop") -> int:
    """The seq of the last event the device is done with, as the sandbox stored it."""
    db = sandbox.server.db
    row = sandbox.server.lane.submit(
        lambda: db.execute("SELECT cursor FROM cli_devices WHERE device = ?", (device,)).fetchone()
    )
    return int(row[0])


def settled(sandbox: RunningSandbox, message: dict[str, Any]) -> None:
    """Wait until the sandbox committed the acknowledgements up to ``message``."""
    wait_for(lambda: cursor(sandbox) == message["seq"])


def stripe_cli_ack(message: dict[str, Any]) -> str:
    """What the official Stripe CLI sends back: the event's id, no ``seq``."""
    return json.dumps({"type": "event_ack", "event_id": message["event_id"],
                       "webhook_conversation_id": message["webhook_conversation_id"],
                       "webhook_id": message["webhook_id"]})  # fmt: skip


def app_and_merchant(sandbox: RunningSandbox) -> tuple[str, str, str]:
    """The platform's app (MANIFEST) and a new merchant: the app's id, the merchant's id and
    test key. The merchant installs the app with :func:`install`, inside a session, so that
    the session sees it authorized."""
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    merchant = sandbox.post("/_sandbox/accounts", {})
    return app["id"], merchant["id"], merchant["keys"]["test"]


def install(sandbox: RunningSandbox, app: str, merchant: str, key: str) -> None:
    """The merchant installs ``app`` on itself, with its own key."""
    sandbox.post(f"/_sandbox/apps/{app}/installs", {"account": merchant, "mode": "test"}, key=key)


def emit_withheld(sandbox: RunningSandbox, key: str) -> dict[str, Any]:
    """An event the app may not see (customer_read is not granted): a ``withheld`` message."""
    event: dict[str, Any] = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                         "object": {"id": "cus_1", "object": "customer"}}, key=key)  # fmt: skip
    return event


def test_the_stripe_cli_acknowledgements_move_the_cursor(sandbox: RunningSandbox):
    with session(sandbox) as socket:
        sent = [emit(sandbox, n) for n in range(3)]
        messages = [receive(socket) for _ in sent]
        assert [m["event_id"] for m in messages] == sent
        assert all(m["webhook_id"] and m["webhook_conversation_id"] for m in messages)
        for message in messages:
            socket.send(stripe_cli_ack(message))
        settled(sandbox, messages[-1])
    later = emit(sandbox, 3)
    with session(sandbox) as socket:
        assert receive(socket)["event_id"] == later  # nothing acknowledged comes again


def test_an_older_stripe_cli_acknowledging_by_webhook_id_moves_it_too(sandbox: RunningSandbox):
    with session(sandbox) as socket:
        first = emit(sandbox, 1)
        message = receive(socket)
        # Some Stripe CLI releases put the webhook id where the event id belongs.
        socket.send(json.dumps({"type": "event_ack", "event_id": message["webhook_id"],
                                "webhook_conversation_id": message["webhook_conversation_id"]}))  # fmt: skip
        assert message["event_id"] == first
        settled(sandbox, message)
    later = emit(sandbox, 2)
    with session(sandbox) as socket:
        assert receive(socket)["event_id"] == later


def test_acknowledgements_out_of_order_never_skip_an_unacknowledged_event(
    sandbox: RunningSandbox,
):
    with session(sandbox) as socket:
        sent = [emit(sandbox, n) for n in range(3)]
        messages = [receive(socket) for _ in sent]
        # The Stripe CLI handles each message on a goroutine of its own: acks race.
        socket.send(stripe_cli_ack(messages[2]))
        socket.send(stripe_cli_ack(messages[0]))
        settled(sandbox, messages[0])
    with session(sandbox) as socket:
        again = receive(socket)
        assert again["event_id"] == sent[1]  # the first is done, the second is owed
        socket.send(stripe_cli_ack(again))
        assert receive(socket)["event_id"] == sent[2]  # acked beyond a gap: sent again


def test_appevents_listen_acknowledgements_by_seq_still_count(sandbox: RunningSandbox):
    with session(sandbox) as socket:
        emit(sandbox, 1)
        message = receive(socket)
        socket.send(json.dumps({"type": "event_ack", "seq": message["seq"],
                                "event_id": message["event_id"]}))  # fmt: skip
        settled(sandbox, message)
    later = emit(sandbox, 2)
    with session(sandbox) as socket:
        assert receive(socket)["event_id"] == later


def test_a_client_cannot_acknowledge_what_it_was_not_sent(sandbox: RunningSandbox):
    with session(sandbox) as socket:
        socket.send(json.dumps({"type": "event_ack", "seq": 10**9}))
        socket.send(json.dumps({"type": "event_ack", "event_id": "evt_never_sent"}))
        socket.send("not json at all")
        socket.send(json.dumps(["not", "an", "object"]))
        before = cursor(sandbox)
        first = emit(sandbox, 1)
        assert receive(socket)["event_id"] == first  # the session survived the garbage
        assert cursor(sandbox) == before
    with session(sandbox) as socket:
        assert receive(socket)["event_id"] == first  # and its cursor did not jump


def test_a_withheld_event_does_not_hold_the_cursor_back(sandbox: RunningSandbox):
    """The Stripe CLI ignores messages it does not know, so never acknowledges them."""
    app, merchant, key = app_and_merchant(sandbox)
    with session(sandbox) as socket:
        install(sandbox, app, merchant, key)
        authorized = receive(socket)
        assert authorized["event_type"] == "account.application.authorized"
        withheld_event = emit_withheld(sandbox, key)
        withheld = receive(socket)
        assert (withheld["type"], withheld["event_id"]) == ("withheld", withheld_event["id"])
        paid = emit(sandbox, 1, key=key)
        message = receive(socket)
        assert message["event_id"] == paid
        for done in (authorized, message):
            socket.send(stripe_cli_ack(done))
        settled(sandbox, message)
    later = emit(sandbox, 2, key=key)
    with session(sandbox) as socket:
        assert receive(socket)["event_id"] == later


def test_a_withheld_event_last_in_the_stream_is_not_shown_again(sandbox: RunningSandbox):
    app, merchant, key = app_and_merchant(sandbox)
    with session(sandbox) as socket:
        install(sandbox, app, merchant, key)
        socket.send(stripe_cli_ack(receive(socket)))
        emit_withheld(sandbox, key)
        withheld = receive(socket)
        assert withheld["type"] == "withheld"
        settled(sandbox, withheld)  # nothing to acknowledge: done once sent
