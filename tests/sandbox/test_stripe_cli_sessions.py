"""The session protocol as the official Stripe CLI speaks it, over a real WebSocket: the
session's answer, the two renderings of each event it picks from (default or --latest),
its webhook_response reports kept with the event's deliveries, `events resend` to the
listening sessions, and a session the sandbox no longer knows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from appevents.sandbox.service import API_VERSION
from sandbox_fixtures import RunningSandbox, wait_for


def open_session(sandbox: RunningSandbox, **form: Any) -> httpx.Response:
    return httpx.post(sandbox.base + "/v1/stripecli/sessions", data=form,
                      headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip


@contextmanager
def stripe_cli_session(sandbox: RunningSandbox) -> Iterator[ClientConnection]:
    """A session opened as `stripe listen` opens it (the ``webhooks`` feature)."""
    opened = open_session(sandbox, device_name="vm", **{"websocket_features[]": "webhooks"})
    assert opened.status_code == 200, opened.text
    url = opened.json()["websocket_url"] + "?websocket_feature=webhooks"
    with connect(url, open_timeout=5, close_timeout=2) as socket:
        yield socket


def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=5))
    return message


def emit(sandbox: RunningSandbox, n: int) -> str:
    event = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                              "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip
    return str(event["id"])


def ack(message: dict[str, Any]) -> str:
    return json.dumps({"type": "event_ack", "event_id": message["event_id"],
                       "webhook_conversation_id": message["webhook_conversation_id"],
                       "webhook_id": message["webhook_id"]})  # fmt: skip


def test_the_session_answers_what_the_stripe_cli_reads(sandbox: RunningSandbox):
    opened = open_session(sandbox, device_name="vm", **{"websocket_features[]": "webhooks"})
    session = opened.json()
    assert opened.status_code == 200
    assert session["default_version"] == session["latest_version"] == API_VERSION
    assert session["websocket_authorized_feature"] == "webhooks"
    assert session["websocket_id"] == session["id"]
    assert session["websocket_url"].endswith("/_sandbox/listen/" + session["id"])
    assert session["secret"].startswith("whsec_")
    assert session["reconnect_delay"] == 60
    assert session["display_connect_filter_warning"] is False
    again = open_session(sandbox, device_name="vm").json()
    assert again["secret"] == session["secret"]  # the device's stable secret
    assert again["id"] != session["id"]


def test_a_session_for_a_feature_the_sandbox_does_not_serve_is_refused(sandbox: RunningSandbox):
    refused = open_session(sandbox, **{"websocket_features[]": "webhooks_v3"})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == "websocket_features"
    assert "'webhooks_v3'" in error["message"] and "request_logs" in error["message"]


def test_each_event_comes_in_the_default_and_the_latest_rendering(sandbox: RunningSandbox):
    with stripe_cli_session(sandbox) as socket:
        event = emit(sandbox, 1)
        default, latest = receive(socket), receive(socket)
        # The CLI forwards the first unless --latest, the second only with it.
        assert default["endpoint"] == {"api_version": None}
        assert latest["endpoint"] == {"api_version": API_VERSION}
        assert default["event_id"] == latest["event_id"] == event
        assert default["event_payload"] == latest["event_payload"]
        assert json.loads(latest["event_payload"])["api_version"] == API_VERSION
        assert default["webhook_id"] != latest["webhook_id"]
        socket.send(ack(latest))  # a --latest CLI acks both; one is enough to be done
        socket.send(ack(default))
        later = emit(sandbox, 2)
        assert receive(socket)["event_id"] == later
    with stripe_cli_session(sandbox) as socket:
        assert receive(socket)["event_id"] == later  # the first is done, the second owed


def test_appevents_listen_gets_one_rendering(sandbox: RunningSandbox):
    opened = open_session(sandbox, device_name="laptop").json()
    with connect(opened["websocket_url"], open_timeout=5, close_timeout=2) as socket:
        first, second = emit(sandbox, 1), emit(sandbox, 2)
        assert [receive(socket)["event_id"] for _ in range(2)] == [first, second]


def report(message: dict[str, Any], status: int, body: str) -> str:
    """A Stripe CLI's webhook_response: what the local endpoint answered."""
    return json.dumps({
        "type": "webhook_response", "webhook_id": message["webhook_id"],
        "webhook_conversation_id": message["webhook_conversation_id"],
        "forward_url": "http://localhost:4242/hook", "status": status, "body": body,
        "http_headers": {"Content-Type": "text/plain"}, "request_body": message["event_payload"],
        "request_headers": message["http_headers"], "notification_id": message["event_id"],
    })  # fmt: skip


def test_the_local_endpoints_answers_show_in_the_events_deliveries(sandbox: RunningSandbox):
    with stripe_cli_session(sandbox) as socket:
        event = emit(sandbox, 1)
        default, latest = receive(socket), receive(socket)
        socket.send(report(default, 500, "boom"))
        socket.send(report(latest, 200, "ok"))
        # A report about a message this connection was not sent is nobody's to write.
        socket.send(report({**default, "webhook_id": "wh_elsewhere"}, 200, "forged"))
        deliveries = sandbox.get(f"/_sandbox/events/{event}/deliveries")
        wait_for(lambda: len(sandbox.get(f"/_sandbox/events/{event}/deliveries")["listen"]) == 2)
        listened = sandbox.get(f"/_sandbox/events/{event}/deliveries")["listen"]
    assert [(r["status_code"], r["response"]) for r in listened] == [(500, "boom"), (200, "ok")]
    assert {r["device"] for r in listened} == {"vm"}
    assert {r["forward_url"] for r in listened} == {"http://localhost:4242/hook"}
    assert deliveries["deliveries"] == []  # no webhook endpoint: only the listener's log
    other = sandbox.post("/_sandbox/accounts", {})
    foreign = httpx.get(sandbox.base + f"/_sandbox/events/{event}/deliveries",
                        headers={"Authorization": f"Bearer {other['keys']['test']}"})  # fmt: skip
    assert foreign.status_code == 404  # another account sees neither the event nor its log


def resend(sandbox: RunningSandbox, event: str, key: str | None = None) -> httpx.Response:
    return httpx.post(sandbox.base + f"/v1/events/{event}/retry", data={"for_stripecli": "true"},
                      headers={"Authorization": f"Bearer {key or sandbox.key}"})  # fmt: skip


def test_resend_for_the_stripe_cli_sends_the_event_to_the_listening_session(
    sandbox: RunningSandbox,
):
    with stripe_cli_session(sandbox) as socket:
        event = emit(sandbox, 1)
        first = [receive(socket), receive(socket)]
        for message in first:
            socket.send(ack(message))
        answered = resend(sandbox, event)
        assert answered.status_code == 200, answered.text
        assert (answered.json()["object"], answered.json()["id"]) == ("event", event)
        again = [receive(socket), receive(socket)]
    assert [m["event_id"] for m in again] == [event, event]
    assert [m["endpoint"]["api_version"] for m in again] == [None, API_VERSION]
    assert {m["webhook_id"] for m in again}.isdisjoint({m["webhook_id"] for m in first})


def test_resend_for_the_stripe_cli_with_nobody_listening_says_what_to_do(
    sandbox: RunningSandbox,
):
    event = emit(sandbox, 1)
    refused = resend(sandbox, event)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert f"No `stripe listen` session of {sandbox.platform} is connected" in message
    assert "--webhook-endpoint" in message
    missing = resend(sandbox, "evt_unknown")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"


def test_resend_for_the_stripe_cli_reaches_no_other_accounts_session(sandbox: RunningSandbox):
    other = sandbox.post("/_sandbox/accounts", {})
    with stripe_cli_session(sandbox):
        event = emit(sandbox, 1)
        refused = resend(sandbox, event, key=other["keys"]["test"])
    assert refused.status_code == 404  # not its event, and not its session


def test_a_session_the_sandbox_does_not_know_is_refused_as_stripe_refuses_it(
    sandbox: RunningSandbox,
):
    """The Stripe CLI opens a new session on this answer (the sandbox restarted)."""
    url = sandbox.base.replace("http", "ws") + "/_sandbox/listen/clisess_gone"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=5)
    response = refused.value.response
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["message"] == "Unknown WebSocket ID."


MANIFEST = {
    "id": "com.example.cli", "version": "1", "name": "CLI", "icon": "",
    "permissions": [{"permission": "event_read", "purpose": "e"},
                    {"permission": "customer_read", "purpose": "c"}],
}  # fmt: skip


def test_only_another_accounts_event_names_an_account_as_the_stripe_cli_tells_connect(
    sandbox: RunningSandbox,
):
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    merchant = sandbox.post("/_sandbox/accounts", {})
    key = merchant["keys"]["test"]
    sandbox.post(f"/_sandbox/apps/{app['id']}/installs", {"account": merchant["id"]}, key=key)
    opened = httpx.post(sandbox.base + "/v1/stripecli/sessions", data={"device_name": "shop"},
                        headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
    with (
        stripe_cli_session(sandbox) as platform,
        connect(opened["websocket_url"], open_timeout=5, close_timeout=2) as own,
    ):
        event = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                                  "object": {"id": "cus_1", "object": "customer"}},
                             key=key)  # fmt: skip
        # The merchant's own listener: its own event, no `account` (not a Connect event).
        mine = receive(own)
        assert mine["event_id"] == event["id"] and mine["connect"] is False
        assert "account" not in json.loads(mine["event_payload"])
        # The app's developer: the installing account's event, naming it.
        theirs = receive(platform)
        assert theirs["event_id"] == event["id"] and theirs["connect"] is True
        assert json.loads(theirs["event_payload"])["account"] == merchant["id"]
