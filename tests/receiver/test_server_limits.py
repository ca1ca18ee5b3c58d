"""What a hostile or careless client meets at ``appevents serve``'s built-in server.

Refusals that reach a client still sending its body (lingering close), bare CRLF that
must not keep a connection alive, the connection cap, URL and header bounds, write
back-pressure for answers nobody reads, and a signature smuggled in a chunked trailer.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

import raw_http
from appevents.receiver import App, SQLiteStore
from appevents.receiver.limits import default_max_connections, open_file_limit
from appevents.receiver.server import WebhookServer
from appevents.testing import make_event, signed_headers
from raw_http import closed_by_server, connect, read_response
from servers import poll_until, running_webhook_server, webhook_server

SECRET = "whsec_server_limits"
T = TypeVar("T")
MIB = 1024 * 1024

request = functools.partial(raw_http.request, secret=SECRET)


@pytest.fixture
def app(tmp_path):
    return App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), max_body_bytes=8 * 1024)


def on_loop(loop: asyncio.AbstractEventLoop, look: Callable[[], T]) -> T:
    """``look()`` run on the server's own loop (its state is not safe to read elsewhere)."""

    async def run() -> T:
        return look()

    return asyncio.run_coroutine_threadsafe(run(), loop).result(10)


class Sender(threading.Thread):
    """Sends ``chunk`` again and again (up to ``total`` bytes) until the peer stops it."""

    def __init__(self, sock: socket.socket, chunk: bytes, total: int) -> None:
        super().__init__(daemon=True)
        self.sock, self.chunk, self.total = sock, chunk, total
        self.sent = 0
        self.error: OSError | None = None

    def run(self) -> None:
        try:
            while self.sent < self.total:
                self.sock.sendall(self.chunk)
                self.sent += len(self.chunk)
        except OSError as exc:  # the server closed: expected once it has answered
            self.error = exc


@pytest.fixture
def sending() -> Iterator[Callable[[socket.socket, bytes, int], Sender]]:
    senders: list[Sender] = []

    def start(sock: socket.socket, chunk: bytes, total: int) -> Sender:
        sender = Sender(sock, chunk, total)
        sender.start()
        senders.append(sender)
        return sender

    yield start
    for sender in senders:
        sender.join(10)


# -- 2. a refusal reaches a client that is still sending ---------------------------------


def test_an_async_client_sending_20_mib_reads_the_413(app):
    body = b"{" + b" " * (20 * MIB) + b"}"

    async def post(base: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await client.post("/webhook", content=body, headers=signed_headers(body, SECRET))

    with webhook_server(app) as base:
        response = asyncio.run(post(base))
    assert (response.status_code, response.headers["connection"]) == (413, "close")
    assert response.json()["error"]["code"] == "body_too_large"


def test_a_400_for_a_malformed_head_reaches_a_client_that_sends_its_body_first(app):
    """As most clients do (httpx, requests): the whole request written, then the answer read."""
    body = b"x" * (8 * MIB)
    head = b"POST /webhook HTTP/1.1\r\nHost: t\r\nBad Header: x\r\nContent-Length: %d\r\n\r\n"
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(head % len(body) + body)
        status, headers, answer = read_response(sock, bytearray())
        assert (status, headers["connection"]) == (400, "close")
        assert json.loads(answer)["error"]["code"] == "bad_request"
        assert closed_by_server(sock)


def test_a_lingering_client_that_never_stops_is_closed_after_the_linger_timeout(app, sending):
    with webhook_server(app, linger_timeout=0.5) as base, connect(base) as sock:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n")
        started = time.monotonic()
        sender = sending(sock, b"x" * 4096, 10**12)
        assert read_response(sock, bytearray())[0] == 413
        sender.join(10)
        assert not sender.is_alive() and sender.error is not None
        assert time.monotonic() - started < 5


# -- 18. bare CRLF and the connection cap --------------------------------------------------


def test_bare_crlf_between_requests_does_not_keep_a_connection_open(app):
    options = {"keep_alive_timeout": 0.3, "request_timeout": 0.6}
    with webhook_server(app, **options) as base, connect(base) as sock:
        sock.settimeout(0.1)
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < 5:
            try:
                sock.sendall(b"\r\n")
                closed = sock.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: closed as well
                closed = True
        assert closed and time.monotonic() - started < 2.5


def test_a_flood_of_bare_crlf_is_refused_like_an_oversized_head(app):
    with webhook_server(app, max_header_bytes=4096) as base, connect(base) as sock:
        sock.sendall(b"\r\n" * 8192)
        status, headers, body = read_response(sock, bytearray())
    assert (status, headers["connection"]) == (431, "close")
    assert json.loads(body)["error"]["code"] == "headers_too_large"


def test_connections_beyond_the_cap_get_a_503_and_a_freed_place_is_served(app):
    with running_webhook_server(app, max_connections=5) as (server, loop):
        base = f"http://127.0.0.1:{server.bound_port}"
        held = [connect(base) for _ in range(5)]
        try:
            poll_until(lambda: on_loop(loop, lambda: len(server.connections)) == 5)
            with connect(base) as refused:
                status, headers, body = read_response(refused, bytearray())
                assert (status, headers["connection"]) == (503, "close")
                error = json.loads(body)["error"]
                assert error["code"] == "too_many_connections"
                assert "5" in error["message"] and "--max-connections" in error["message"]
                assert closed_by_server(refused)
            held.pop().close()
            poll_until(lambda: on_loop(loop, lambda: len(server.connections)) == 4)
            with connect(base) as admitted:
                admitted.sendall(request(make_event("customer.created")))
                assert read_response(admitted, bytearray())[0] == 200
            # The held connections are served too: the cap refused nobody already inside.
            held[0].sendall(request(make_event("customer.created")))
            assert read_response(held[0], bytearray())[0] == 200
        finally:
            for sock in held:
                sock.close()


def test_the_default_cap_stays_below_the_file_limit():
    assert default_max_connections(1024) < 1024 - 32
    assert default_max_connections(1024) > 512
    assert default_max_connections(20_000) < 20_000 - 32
    assert default_max_connections(64) >= 1
    # An unlimited file limit still gives a finite cap.
    assert 1000 <= default_max_connections(None) < 10**6


def test_a_cap_that_leaves_no_descriptors_spare_is_warned_about(caplog):
    file_limit = open_file_limit()
    assert file_limit is not None  # the test machine has a limit
    runtime = App(SECRET).runtime()
    with caplog.at_level(logging.WARNING, "appevents.server"):
        WebhookServer(runtime, max_connections=default_max_connections(file_limit))
        assert caplog.records == []
        WebhookServer(runtime, max_connections=file_limit)
    [warning] = caplog.records
    assert f"max_connections {file_limit} leaves too few" in warning.getMessage()
    assert f"at most {default_max_connections(file_limit)}" in warning.getMessage()


def test_server_options_are_checked():
    runtime = App(SECRET).runtime()
    for option, value in [
        ("max_connections", 0),
        ("max_url_bytes", 10),
        ("max_header_bytes", 0),
        ("linger_timeout", -1),
    ]:
        with pytest.raises(ValueError, match=rf"{option}.*{value}"):
            WebhookServer(runtime, **{option: value})


# -- 19. URL and header bounds -------------------------------------------------------------


def test_a_url_past_the_bound_gets_a_414_and_is_never_echoed(app):
    with webhook_server(app, max_url_bytes=1024) as base:
        with connect(base) as sock:
            sock.sendall(b"GET /" + b"a" * 1000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            status, _, body = read_response(sock, bytearray())
            assert status == 404  # within the bound: an answer, with the path shortened
            assert len(body) < 400 and b"a" * 100 in body
        with connect(base) as sock:
            sock.sendall(b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            status, headers, body = read_response(sock, bytearray())
            assert (status, headers["connection"]) == (414, "close")
            error = json.loads(body)["error"]
            assert error["code"] == "url_too_long" and "1024" in error["message"]
            assert b"aaaa" not in body
            assert closed_by_server(sock)


def test_an_endless_url_is_refused_without_being_read_to_its_end(app, sending):
    with webhook_server(app, max_url_bytes=1024) as base, connect(base) as sock:
        sock.sendall(b"GET /")
        sending(sock, b"a" * 65536, 64 * MIB)
        status, _, body = read_response(sock, bytearray())
        assert (status, len(body) < 300) == (414, True)


def test_headers_past_the_bound_get_a_431_in_total_or_one_by_one(app, sending):
    event = make_event("customer.created")
    with webhook_server(app, max_header_bytes=4096) as base:
        with connect(base) as sock:  # below the bound: served
            sock.sendall(request(event, extra=f"X-Pad: {'p' * 3000}\r\n"))
            assert read_response(sock, bytearray())[0] == 200
        with connect(base) as sock:  # many small headers
            sock.sendall(
                request(event, extra="".join(f"X-{n}: {'v' * 50}\r\n" for n in range(100)))
            )
            status, headers, body = read_response(sock, bytearray())
            assert (status, headers["connection"]) == (431, "close")
            error = json.loads(body)["error"]
            assert error["code"] == "headers_too_large" and "4096" in error["message"]
        with connect(base) as sock:  # one header that never ends
            sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: t\r\nX-Big: ")
            sender = sending(sock, b"b" * 65536, 170 * MIB)
            status, _, body = read_response(sock, bytearray())
            sent_when_answered = sender.sent
            assert status == 431 and b"bbbb" not in body
            assert sent_when_answered < 32 * MIB  # refused early, not after reading it all


# -- 20. write back-pressure ---------------------------------------------------------------


def test_answers_nobody_reads_pause_reading_instead_of_piling_up(app):
    count = 60_000
    pipelined = b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n" * count
    with running_webhook_server(app) as (server, loop):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
        sock.settimeout(10)
        sock.connect(("127.0.0.1", server.bound_port))
        with sock:
            writer = threading.Thread(target=sock.sendall, args=(pipelined,), daemon=True)
            writer.start()

            def state() -> tuple[int, bool] | None:
                (connection,) = server.connections or (None,)
                if connection is None or connection.transport is None:
                    return None
                transport: Any = connection.transport
                return transport.get_write_buffer_size(), transport.is_reading()

            def settled() -> tuple[int, bool] | None:
                first = on_loop(loop, state)
                time.sleep(0.2)
                second = on_loop(loop, state)
                return second if first == second and second is not None else None

            buffered, reading = poll_until(settled, timeout=20, what="a settled server")
            assert not reading, f"the server kept reading with {buffered} bytes unsent"
            assert buffered < 512 * 1024  # the high-water mark and one slice of answers
            # Reading the answers resumes it: every request gets its 404, none is lost.
            received = bytearray()
            while received.count(b"HTTP/1.1 ") < 2:
                received += sock.recv(4096)
            one = received.index(b"HTTP/1.1 ", 1)  # the size of one answer
            while len(received) < count * one:
                chunk = sock.recv(1 << 20)
                assert chunk, f"closed after {len(received) // one} answers"
                received += chunk
            assert received.startswith(b"HTTP/1.1 404 ")
            assert received == received[:one] * count
            writer.join(10)


# -- 22. only the header carries the signature --------------------------------------------


def test_a_signature_in_a_chunked_trailer_is_ignored(app):
    body = make_event("customer.created")
    signature = signed_headers(body, SECRET)["Stripe-Signature"]
    head = b"POST /webhook HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTrailer: Stripe-Signature\r\n"
    chunks = b"%x\r\n%s\r\n0\r\n" % (len(body), body)
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(head + b"\r\n" + chunks + f"Stripe-Signature: {signature}\r\n\r\n".encode())
        status, _, answer = read_response(sock, bytearray())
        assert status == 400
        assert json.loads(answer)["error"]["code"] == "missing_signature_header"
        # With the signature in the header, a trailer cannot replace it either.
        forged = f"t={int(time.time())},v1={'0' * 64}"
        sock.sendall(
            head + f"Stripe-Signature: {signature}\r\n\r\n".encode() + chunks
            + f"Stripe-Signature: {forged}\r\n\r\n".encode()
        )  # fmt: skip
        status, _, answer = read_response(sock, bytearray())
        assert (status, json.loads(answer)) == (200, {"received": True, "duplicate": False})


# -- every refusal of the server is counted and logged, as the other shells' are ---------


def test_the_server_counts_and_logs_its_own_refusals(app, caplog):
    caplog.set_level(logging.WARNING)
    options = {"max_url_bytes": 512, "max_header_bytes": 2048, "max_connections": 3}
    with running_webhook_server(app, **options) as (server, loop):
        base = f"http://127.0.0.1:{server.bound_port}"
        url = base + "/webhook"
        body = make_event("customer.created")
        assert httpx.get(url).status_code == 405
        assert httpx.post(base + "/other", content=b"{}").status_code == 404
        assert httpx.post(url, content=b"x" * (9 * 1024)).status_code == 413
        assert httpx.get(base + "/" + "a" * 600).status_code == 414
        assert httpx.post(url, content=body, headers={"X-Pad": "p" * 3000}).status_code == 431
        wrong = signed_headers(body, "whsec_someone_else")
        assert httpx.post(url, content=body, headers=wrong).status_code == 400
        held = [connect(base) for _ in range(3)]
        try:
            poll_until(lambda: on_loop(loop, lambda: len(server.connections)) == 3)
            with connect(base) as refused:
                assert read_response(refused, bytearray())[0] == 503
        finally:
            for sock in held:
                sock.close()
        totals = on_loop(loop, lambda: dict(server.runtime.rejections.totals))
    assert totals == {
        "method_not_allowed": 1,
        "not_found": 1,
        "body_too_large": 1,
        "url_too_long": 1,
        "headers_too_large": 1,
        "no_matching_signature": 1,
        "too_many_connections": 1,
    }
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("appevents")]
    assert any("from 127.0.0.1: 414 url_too_long" in line for line in logged), logged
    assert any("from 127.0.0.1 to /webhook: 400 no_matching_signature" in line for line in logged)


def test_a_client_that_half_closes_after_its_requests_still_reads_the_answers(app):
    """Some clients shut their side once the request is written (HTTP/1.0 tools, nc -N)."""
    first, second = make_event("customer.created"), make_event("customer.updated")
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(request(first) + request(second))
        sock.shutdown(socket.SHUT_WR)
        buffer = bytearray()
        answers = [read_response(sock, buffer) for _ in range(2)]
        assert [(status, json.loads(body)["duplicate"]) for status, _, body in answers] == [
            (200, False),
            (200, False),
        ]
        assert answers[1][1]["connection"] == "close"
        assert closed_by_server(sock)


@pytest.mark.parametrize("half_close", [False, True])
def test_more_pipelined_deliveries_than_answers_pending_are_read_in_turn(app, half_close):
    """Past 32 commits pending, parsing stops mid-read; the rest is parsed once answered
    (also when the client has shut its side meanwhile)."""
    bodies = [make_event("customer.created", account=f"acct_{n}") for n in range(200)]
    with webhook_server(app) as base, connect(base) as sock:
        sock.sendall(b"".join(request(body) for body in bodies))  # one write, many reads' worth
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        buffer = bytearray()
        answers = [read_response(sock, buffer) for _ in bodies]
    assert {(status, json.loads(body)["duplicate"]) for status, _, body in answers} == {
        (200, False)
    }
    with sqlite3.connect(app.store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (200,)
