"""The listen client's forwarding rules, without a sandbox: targets, headers, output."""

from __future__ import annotations

import asyncio
import datetime
import json
import socket

import httpx
import pytest

from appevents import ConfigurationError
from appevents.listener import Listener, ListenOptions, expand_url, parse_headers, patterns
from sandbox_fixtures import Receiver
from servers import asgi_server

NOW = datetime.datetime(2026, 11, 29, 12, 0, 0)


def message(
    connect: bool, kind: str = "webhook_event", event_type: str = "charge.succeeded"
) -> dict:
    payload = {"id": "evt_1", "type": event_type, **({"account": "acct_9"} if connect else {})}
    return {"type": kind, "seq": 1, "event_id": "evt_1", "event_type": event_type,
            "account": "acct_9" if connect else "acct_me", "connect": connect,
            "event_payload": json.dumps(payload), "http_headers": {"Stripe-Signature": "t=1,v1=ab"},
            "message": "app ca_1 lacks permission", "grant": 'appevents apps grant permission charge_read "x"'}  # fmt: skip


def run_handle(options: ListenOptions, *messages: dict) -> list[str]:
    lines: list[str] = []
    listener = Listener(options, out=lines.append, status=lines.append, now=lambda: NOW)

    async def go() -> None:
        async with httpx.AsyncClient() as client:
            for m in messages:
                await listener._handle(m, client)

    asyncio.run(go())
    return lines


def test_connect_events_go_to_forward_connect_to_with_connect_headers():
    own, connect = Receiver(), Receiver(default=201)
    with asgi_server(own) as own_base, asgi_server(connect) as connect_base:
        options = ListenOptions("http://sandbox", "sk_test_x", forward_to=own_base + "/own",
                                forward_connect_to=connect_base + "/connect",
                                headers={"X-Own": "1"}, connect_headers={"X-Connect": "2"})  # fmt: skip
        lines = run_handle(options, message(False), message(True))
    assert [h.get("x-own") for h, _ in own.received] == ["1"]
    assert [h.get("x-connect") for h, _ in connect.received] == ["2"]
    assert own.received[0][0]["stripe-signature"] == "t=1,v1=ab"
    assert lines == [
        "2026-11-29 12:00:00   --> charge.succeeded [evt_1]",
        f"2026-11-29 12:00:00  <--  [200] POST {own_base}/own [evt_1]",
        "2026-11-29 12:00:00   --> connect charge.succeeded [evt_1]",
        f"2026-11-29 12:00:00  <--  [201] POST {connect_base}/connect [evt_1]",
    ]


def test_forward_connect_to_defaults_to_forward_to_and_json_format():
    receiver = Receiver()
    with asgi_server(receiver) as base:
        options = ListenOptions("http://sandbox", "sk", forward_to=base + "/h", json_output=True)
        lines = run_handle(options, message(True))
    assert len(receiver.received) == 1
    assert [json.loads(line) for line in lines] == [
        {"id": "evt_1", "type": "charge.succeeded", "account": "acct_9"}
    ]


def test_only_forward_connect_to_leaves_own_events_unforwarded_and_filters_apply():
    receiver = Receiver()
    with asgi_server(receiver) as base:
        options = ListenOptions("http://sandbox", "sk", forward_connect_to=base + "/c",
                                events=patterns("charge.*, customer.created"))  # fmt: skip
        lines = run_handle(options, message(False), message(True, event_type="invoice.paid"),
                           message(True, kind="withheld"))  # fmt: skip
    assert receiver.received == []
    assert lines[0] == "2026-11-29 12:00:00   --> charge.succeeded [evt_1]"
    assert (
        "--x connect charge.succeeded [evt_1] withheld: app ca_1 lacks permission; fix: appevents apps grant permission charge_read"
        in lines[1]
    )
    assert len(lines) == 2  # invoice.paid filtered out


def test_a_refused_connection_prints_the_stripe_cli_error_line():
    options = ListenOptions("http://sandbox", "sk", forward_to="127.0.0.1:9/none")
    lines = run_handle(options, message(False))
    assert lines[1].startswith(
        '2026-11-29 12:00:00            [ERROR] Failed to POST: Post "http://127.0.0.1:9/none":'
    )


def test_url_shorthands_and_header_parsing():
    assert expand_url("4242") == "http://localhost:4242"
    assert expand_url("/hook") == "http://localhost/hook"
    assert expand_url("localhost:4242/webhook") == "http://localhost:4242/webhook"
    assert expand_url("https://x.test/h") == "https://x.test/h"
    assert parse_headers("X-A: 1, X-B:two") == {"X-A": "1", "X-B": "two"}
    with pytest.raises(ConfigurationError, match="Name:Value"):
        parse_headers("nocolon")
    assert patterns(None) == ("*",) and patterns(" a , b ") == ("a", "b")


@pytest.mark.parametrize(
    "value", ["not a url", "ftp://localhost:4242/hook", "http://", "localhost:notaport/x", ""]
)
def test_a_forward_url_that_is_not_http_is_refused_with_the_accepted_forms(value: str):
    with pytest.raises(ConfigurationError) as refused:
        ListenOptions("http://sandbox", "sk", forward_to=value)
    message = str(refused.value)
    assert f"--forward-to {value!r}" in message
    assert "http(s)://host[:port]/path" in message and "localhost:4242/webhook" in message
    with pytest.raises(ConfigurationError, match="--forward-connect-to"):
        ListenOptions("http://sandbox", "sk", forward_connect_to=value)


def test_the_stripe_cli_url_forms_are_accepted():
    for value in ["4242", "/hook", "localhost:4242/webhook", "https://x.test/h", "[::1]:80/h"]:
        assert ListenOptions("http://sandbox", "sk", forward_to=value).forward_to == value


def test_a_hanging_endpoint_is_reported_as_timed_out_after_the_timeout():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        options = ListenOptions("http://sandbox", "sk", forward_to=url, timeout=0.2)
        lines = run_handle(options, message(False))
    assert lines[1] == (
        f'2026-11-29 12:00:00            [ERROR] Failed to POST: Post "{url}": '
        "timed out after 0.2 s"
    )


def test_a_sandbox_never_reached_fails_once_naming_the_url_and_the_fix():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, not listening: refused
        listener = Listener(ListenOptions(base, "sk"), out=print, status=print)
        with pytest.raises(ConfigurationError) as never:
            asyncio.run(asyncio.wait_for(listener.run(), 10))
        with pytest.raises(ConfigurationError) as secret:
            asyncio.run(listener.fetch_secret())
    for error in (never, secret):
        assert str(error.value).startswith(f"cannot reach the sandbox at {base} (")
        assert "start it with `appevents sandbox`" in str(error.value)
        assert "\n" not in str(error.value)


def test_a_server_that_is_not_a_sandbox_is_named_as_such():
    with asgi_server(Receiver()) as base:  # answers 200 "answered 200" to anything
        listener = Listener(ListenOptions(base, "sk"), out=print, status=print)
        with pytest.raises(ConfigurationError) as wrong:
            asyncio.run(listener.fetch_secret())
        with pytest.raises(ConfigurationError) as again:
            asyncio.run(asyncio.wait_for(listener.run(), 10))
    for error in (wrong, again):
        message = str(error.value)
        assert message.startswith(f"{base} answered no listen session (200: 'answered 200')")
        assert "is it an appevents sandbox? start one with `appevents sandbox`" in message
