"""``appevents serve``'s built-in HTTP/1.1 server, spoken to byte by byte on 127.0.0.1.

The endpoint's contract (status codes, bodies, durability) is tested for every shell in
test_http.py; this file covers what only a server does: keep-alive, pipelining,
100-continue, chunked bodies, timeouts, malformed requests and a graceful stop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import sqlite3
import threading
import time

import httpx
import pytest

import raw_http
from appevents.receiver import App, MemoryStore, SQLiteStore
from appevents.receiver.server import WebhookServer
from appevents.testing import make_event, signed_headers
from raw_http import closed_by_server, connect, read_response
from servers import webhook_server

SECRET = "whsec_server_test"


request = functools.partial(raw_http.request, secret=SECRET)


@pytest.fixture
def app(tmp_path):
    return App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), max_body_bytes=8 * 1024)


def test_keep_alive_serves_many_requests_on_one_connection(app):
    with webhook_server(app) as base, connect(base) as sock:
        buffer = bytearray()
        for n in range(5):
            sock.sendall(request(make_event("customer.created", account=f"acct_{n}")))
            status, headers, body = read_response(sock, buffer)
            assert (status, json.loads(body)) == (200, {"received": True, "duplicate": False})
            assert "connection" not in headers


def test_pipelined_requests_are_answered_in_order(app):
    first, second = make_event("customer.created"), make_event("customer.updated")
    with webhook_server(app) as base, connect(base) as sock:
        # One write: a delivery, its duplicate, a 404, another delivery, a bad signature.
        bad = request(second, secret="whsec_someone_else")
        sock.sendall(request(first) * 2 + request(first, path="/nope") + request(second) + bad)
        buffer = bytearray()
        answers = [read_response(sock, buffer) for _ in range(5)]
    assert [(status, json.loads(body)) for status, _, body in answers[:2]] == [
        (200, {"received": True, "duplicate": False}),
        (200, {"received": True, "duplicate": True}),
    ]
    assert [status for status, _, _ in answers[2:]] == [404, 200, 400]
    assert json.loads(answers[4][2])["error"]["code"] == "no_matching_signature"


def test_expect_100_continue_then_the_answer(app):
    body = make_event("customer.created")
    with webhook_server(app) as base, connect(base) as sock:
        raw = request(body, extra="Expect: 100-continue\r\n")
        head, _, payload = raw.partition(b"\r\n\r\n")
        sock.sendall(head + b"\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(payload)
        status, _, answer = read_response(sock, bytearray())
    assert (status, json.loads(answer)["duplicate"]) == (200, False)


def test_a_chunked_body_is_accepted_and_a_too_long_one_refused(app):
    body = make_event("customer.created")
    headers = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(body, SECRET).items())
    chunked = (
        f"POST /webhook HTTP/1.1\r\nHost: t\r\n{headers}Transfer-Encoding: chunked\r\n\r\n".encode()
        + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:100], body[100:]))
        + b"0\r\n\r\n"
    )
    huge = (
        b"POST /webhook HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (b"400\r\n" + b"x" * 1024 + b"\r\n") * 9
    )
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(chunked)
        assert read_response(sock, bytearray())[0] == 200
        sock.sendall(huge)
        status, headers_, answer = read_response(sock, bytearray())
        assert (status, headers_["connection"]) == (413, "close")
        assert json.loads(answer)["error"]["code"] == "body_too_large"
        assert closed_by_server(sock)


def test_a_declared_length_above_the_limit_is_refused_before_the_body(app):
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: t\r\nContent-Length: 999999\r\n\r\n")
        status, headers, _ = read_response(sock, bytearray())  # no body byte was sent
        assert (status, headers["connection"]) == (413, "close")
        assert closed_by_server(sock)


@pytest.mark.parametrize(
    "garbage",
    [b"NOT HTTP AT ALL\r\n\r\n", b"POST /webhook HTTP/1.1\r\nContent-Length: x\r\n\r\n"],
)  # fmt: skip
def test_malformed_requests_get_a_400_and_the_connection_closes(app, garbage):
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(garbage)
        status, headers, body = read_response(sock, bytearray())
        assert (status, headers["connection"]) == (400, "close")
        assert json.loads(body)["error"]["code"] == "bad_request"
        assert closed_by_server(sock)


def test_an_upgrade_request_is_refused_and_the_connection_closes(app):
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(
            b"GET /webhook HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        )
        status, headers, _ = read_response(sock, bytearray())
        assert (status, headers["connection"]) == (405, "close")
        assert closed_by_server(sock)


def test_http_1_0_and_connection_close_end_the_connection_after_the_answer(app):
    with webhook_server(app) as base:
        for raw in (
            request(make_event("customer.created"), version="1.0"),
            request(make_event("customer.created"), extra="Connection: close\r\n"),
        ):
            with connect(base) as sock:
                sock.sendall(raw)
                status, headers, _ = read_response(sock, bytearray())
                assert (status, headers["connection"]) == (200, "close")
                assert closed_by_server(sock)


def test_idle_connections_close_and_stalled_requests_time_out(app):
    with webhook_server(app, keep_alive_timeout=0.3, request_timeout=0.6) as base:
        with connect(base) as idle:
            assert closed_by_server(idle, timeout=5)
        with connect(base) as slow:
            slow.sendall(b"POST /webhook HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{")
            started = time.monotonic()
            status, headers, body = read_response(slow, bytearray())
            assert (status, headers["connection"]) == (408, "close")
            assert json.loads(body)["error"]["code"] == "request_timeout"
            assert 0.5 < time.monotonic() - started < 5


def test_stop_answers_what_was_received_then_closes_the_store(tmp_path):
    """A delivery whose commit is in progress when the server stops still gets its 200."""
    db_path = tmp_path / "inbox.db"
    store = SQLiteStore(db_path)
    app = App(SECRET, store=store)
    runtime = app.runtime(run_worker=False)
    server = WebhookServer(runtime, host="127.0.0.1", port=0)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(server.serve(on_ready=lambda _: ready.set()))
    )
    thread.start()
    assert ready.wait(10)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the commit waits until we let go
    body = make_event("customer.created")
    with socket.create_connection(("127.0.0.1", server.bound_port), timeout=10) as sock:
        sock.sendall(request(body))
        time.sleep(0.2)
        loop.call_soon_threadsafe(server.stop)
        time.sleep(0.2)
        # No longer accepting new connections...
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.bound_port), timeout=1).close()
        blocker.execute("ROLLBACK")
        # ...but the delivery in progress is answered, and the connection closed after.
        status, headers, _ = read_response(sock, bytearray())
        assert (status, headers["connection"]) == (200, "close")
    thread.join(15)
    assert not thread.is_alive() and not runtime.started
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (1,)


def test_the_official_clients_talk_to_it(app):
    """httpx (HTTP/1.1 keep-alive pool) as another client than our raw sockets."""
    with webhook_server(app) as base, httpx.Client(base_url=base) as client:
        answers = []
        for _ in range(3):
            body = make_event("invoice.paid", account="acct_1")
            answers.append(
                client.post("/webhook", content=body, headers=signed_headers(body, SECRET))
            )
    assert [a.json()["duplicate"] for a in answers] == [False, False, False]


def test_a_port_in_use_is_reported(app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runtime = App(SECRET, store=MemoryStore()).runtime()
        server = WebhookServer(runtime, host="127.0.0.1", port=port)
        with pytest.raises(OSError):
            asyncio.run(server.serve())
        assert not runtime.started
