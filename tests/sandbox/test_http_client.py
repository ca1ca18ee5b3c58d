"""The delivery HTTP client against real servers on 127.0.0.1: keep-alive reuse, servers
closing connections, the three ways a body ends, timeouts, redirects not followed, the
excerpt cap, failures named like httpx's."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from appevents.sandbox.http_client import DeliveryError, HttpClient
from servers import free_port

pytestmark = pytest.mark.anyio

HEADERS = [("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=ab")]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Request:
    connection: int
    head: bytes
    body: bytes


Answer = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Server:
    """A raw HTTP/1.1 server: reads each request, then runs the next scripted answer
    (the last one repeats)."""

    answers: list[Answer]
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = Request(number, head, await reader.readexactly(length))
                self.requests.append(request)
                answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                await answer(request, writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def send(*chunks: bytes, close: bool = False, pause: float = 0.0) -> Answer:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        if close:
            writer.close()

    return answer


def silent() -> Answer:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    return answer


@contextlib.asynccontextmanager
async def serving(*answers: Answer, ssl_context: ssl.SSLContext | None = None
                  ) -> AsyncIterator[Server]:  # fmt: skip
    server = Server(list(answers))
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=ssl_context)
    port = listener.sockets[0].getsockname()[1]
    server.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}/hooks/in?x=1"
    async with listener:
        yield server
        listener.close()


async def test_keep_alive_reuses_one_connection_and_sends_a_proper_request():
    client = HttpClient(timeout=5)
    async with serving(send(OK)) as server:
        for n in range(3):
            answer = await client.post(server.url, HEADERS, b'{"n":%d}' % n)
            assert (answer.status, answer.excerpt) == (200, b"ok")
    await client.aclose()
    assert server.connections == 1
    first = server.requests[0]
    lines = first.head.split(b"\r\n")
    assert lines[0] == b"POST /hooks/in?x=1 HTTP/1.1"
    port = server.url.split(":")[2].split("/")[0]
    assert f"Host: 127.0.0.1:{port}".encode() in lines
    assert b"Stripe-Signature: t=1,v1=ab" in lines and b"Content-Length: 7" in lines
    assert [r.body for r in server.requests] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']


async def test_connection_close_answers_and_closed_idle_connections_mean_new_ones():
    client = HttpClient(timeout=5)
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    async with serving(send(closing), send(OK, close=True), send(OK)) as server:
        for _ in range(3):
            assert (await client.post(server.url, HEADERS, b"{}")).status == 200
            await asyncio.sleep(0.05)
    await client.aclose()
    assert server.connections == 3  # closed by "Connection: close", then by the server


async def test_a_kept_alive_connection_dropped_as_the_request_arrives_is_retried_once():
    # The race with a server closing an idle connection: the request was written, the
    # connection closed without a byte of answer. The request never reached the
    # application, so it goes again on a new connection; a new connection is not retried.
    client = HttpClient(timeout=5)
    async with serving(send(OK), send(close=True), send(OK)) as server:
        assert (await client.post(server.url, HEADERS, b'{"n":1}')).status == 200
        assert (await client.post(server.url, HEADERS, b'{"n":2}')).status == 200
    await client.aclose()
    assert [r.body for r in server.requests] == [b'{"n":1}', b'{"n":2}', b'{"n":2}']
    assert [r.connection for r in server.requests] == [1, 1, 2]


async def test_chunked_answers_in_pieces_are_read_whole_and_the_connection_kept():
    client = HttpClient(timeout=5)
    chunked = [
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5;ext=1\r\nhello\r\n",
        b"6\r\n wor",
        b"ld\r\n0\r\nX-Trailer: 1\r\n\r\n",
    ]
    async with serving(send(*chunked, pause=0.01), send(OK)) as server:
        answer = await client.post(server.url, HEADERS, b"{}")
        assert (answer.status, answer.excerpt) == (201, b"hello world")
        assert (await client.post(server.url, HEADERS, b"{}")).status == 200
    await client.aclose()
    assert server.connections == 1


async def test_a_body_without_length_ends_with_the_connection():
    client = HttpClient(timeout=5)
    async with serving(send(b"HTTP/1.0 200 OK\r\n\r\nuntil ", b"close", close=True)) as server:
        answer = await client.post(server.url, HEADERS, b"{}")
    await client.aclose()
    assert (answer.status, answer.excerpt) == (200, b"until close")


async def test_no_answer_in_time_is_a_read_timeout():
    client = HttpClient(timeout=0.3)
    async with serving(silent()) as server:
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(DeliveryError) as caught:
            await client.post(server.url, HEADERS, b"{}")
        assert 0.25 < loop.time() - began < 2
    await client.aclose()
    assert caught.value.kind == "ReadTimeout" and str(caught.value).startswith("ReadTimeout: ")


async def test_a_redirect_is_an_answer_and_is_not_followed():
    client = HttpClient(timeout=5)
    moved = (
        b"HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n"
    )
    async with serving(send(moved)) as server:
        answer = await client.post(server.url, HEADERS, b"{}")
    await client.aclose()
    assert answer.status == 301 and len(server.requests) == 1


async def test_only_the_first_5000_bytes_are_kept_and_the_connection_stays_usable():
    client = HttpClient(timeout=5)
    big = b"x" * 4000 + b"y" * 16000
    answer_big = b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n%s" % (len(big), big)
    async with serving(send(answer_big), send(OK)) as server:
        answer = await client.post(server.url, HEADERS, b"{}")
        assert answer.status == 500 and answer.excerpt == b"x" * 4000 + b"y" * 1000
        assert (await client.post(server.url, HEADERS, b"{}")).status == 200
    await client.aclose()
    assert server.connections == 1


async def test_interim_answers_are_skipped():
    client = HttpClient(timeout=5)
    async with serving(send(b"HTTP/1.1 100 Continue\r\n\r\n", OK)) as server:
        assert (await client.post(server.url, HEADERS, b"{}")).status == 200
    await client.aclose()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (send(b"SMTP ready\r\n\r\n"), "not an HTTP/1.x status line"),
        (send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", close=True),
         "peer closed connection without sending complete message body"),
        (send(close=True), "Server disconnected without sending a response."),
        (send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
         "invalid chunk size"),
    ],
)  # fmt: skip
async def test_broken_answers_are_protocol_errors(answer, message):
    client = HttpClient(timeout=5)
    async with serving(answer) as server:
        with pytest.raises(DeliveryError) as caught:
            await client.post(server.url, HEADERS, b"{}")
    await client.aclose()
    assert caught.value.kind == "RemoteProtocolError" and message in str(caught.value)


async def test_nothing_listening_is_a_connect_error():
    client = HttpClient(timeout=5)
    with pytest.raises(DeliveryError) as caught:
        await client.post(f"http://127.0.0.1:{free_port()}/w", HEADERS, b"{}")
    await client.aclose()
    assert caught.value.kind == "ConnectError"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://[::1", "InvalidURL"),  # stored before the API checked URLs
        ("http://127.0.0.1:99999/w", "InvalidURL"),
        ("http://例.test/w", "InvalidURL"),
        ("ftp://127.0.0.1/w", "UnsupportedProtocol"),
    ],
)
async def test_a_url_that_cannot_be_posted_to_is_a_delivery_error(url, kind):
    client = HttpClient(timeout=5)
    with pytest.raises(DeliveryError) as caught:
        await client.post(url, HEADERS, b"{}")
    await client.aclose()
    assert caught.value.kind == kind and repr(url) in str(caught.value)


async def test_user_and_password_in_the_url_are_sent_as_basic_auth():
    client = HttpClient(timeout=5)
    async with serving(send(OK)) as server:
        url = server.url.replace("http://", "http://hook%40me:s3cret@")
        assert (await client.post(url, HEADERS, b"{}")).status == 200
    await client.aclose()
    assert b"Authorization: Basic aG9va0BtZTpzM2NyZXQ=" in server.requests[0].head


async def test_the_pool_limit_queues_requests_on_the_open_connections():
    client = HttpClient(timeout=5, max_connections=2)
    async with serving(send(OK, pause=0.02)) as server:
        answers = await asyncio.gather(*(client.post(server.url, HEADERS, b"{}") for _ in range(6)))
    await client.aclose()
    assert [a.status for a in answers] == [200] * 6 and server.connections == 2


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_endpoints(certificate: tuple[Path, Path]):
    cert, key = certificate
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    async with serving(send(OK), ssl_context=server_side) as server:
        client = HttpClient(timeout=5, ssl_context=trusting)
        assert (await client.post(server.url, HEADERS, b"{}")).status == 200
        await client.aclose()
        untrusting = HttpClient(timeout=5, ssl_context=ssl.create_default_context())
        with pytest.raises(DeliveryError) as caught:
            await untrusting.post(server.url, HEADERS, b"{}")
        await untrusting.aclose()
    assert caught.value.kind == "ConnectError"
