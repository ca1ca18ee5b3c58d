"""The built-in HTTP/1.1 server of ``appevents serve``: the webhook endpoint and nothing else.

A general ASGI server spends most of a delivery's time on generality: a task, a scope,
message dicts and header lists per request. This one is an asyncio protocol around
httptools' parser that knows its single route. Each complete request is verified and
parsed at once (:meth:`Runtime.accept`); the answer is written from the group commit's
callback, so a request costs no task and no coroutine. It handles keep-alive,
pipelining (answers in request order), ``Expect: 100-continue``, chunked bodies, the
body limit, idle and slow-request timeouts, and a graceful stop: stop accepting,
answer what was received, then close the store.

Mount ``App.asgi()`` in an ASGI server instead when the endpoint must share a server
with other routes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

import httptools

from .replies import (
    REASONS,
    Reply,
    error_reply,
    misrouted,
    too_large,
)
from .runtime import Runtime

__all__ = ["WebhookServer"]

log = logging.getLogger("appevents.server")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_MAX_QUEUED = 32  # pipelined requests awaiting their answer before reading pauses


def _status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {REASONS.get(status, '')}".rstrip().encode() + b"\r\n"


_STATUS_LINES = {status: _status_line(status) for status in REASONS}


def _encode(reply: Reply, *, keep_alive: bool) -> bytes:
    head = _STATUS_LINES.get(reply.status) or _status_line(reply.status)
    extra = (b"allow: POST\r\n" if reply.status == 405 else b"") + (
        b"" if keep_alive else b"connection: close\r\n"
    )
    return b"%scontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s" % (
        head,
        len(reply.body),
        extra,
        reply.body,
    )


class _Slot:
    """One request's place in its connection's answer order."""

    __slots__ = ("answer", "keep_alive")

    def __init__(self, answer: Reply | asyncio.Future[bool], keep_alive: bool) -> None:
        self.answer = answer
        self.keep_alive = keep_alive


class _Connection(asyncio.Protocol):
    def __init__(self, server: WebhookServer) -> None:
        self.server = server
        self.runtime = server.runtime
        self.limit = server.runtime.app.max_body_bytes
        self.path = server.runtime.app.path
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.queue: collections.deque[_Slot] = collections.deque()
        self.last_activity = self.loop.time()
        self.request_started = 0.0
        self.reading = False  # inside a request (a timeout then means a slow client)
        self.closing = False
        self.paused = False
        self._reset_request()

    def _reset_request(self) -> None:
        self.url = b""
        self.signature: bytes | None = None
        self.content_length: int | None = None
        self.expect_continue = False
        self.body: list[bytes] = []
        self.size = 0
        self.rejected: Reply | None = None

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.transport = None
        self.server.closed(self)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        self.last_activity = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(error_reply(400, "bad_request", "protocol upgrades are not supported"))
        except httptools.HttpParserError as exc:
            self._fail(error_reply(400, "bad_request", f"malformed HTTP request: {exc}"))

    # -- httptools callbacks -----------------------------------------------------------

    def on_message_begin(self) -> None:
        self.reading = True
        self.request_started = self.loop.time()
        self._reset_request()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"stripe-signature":
            self.signature = value
        elif name == b"content-length" and value.isdigit():
            self.content_length = int(value)
        elif name == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True

    def on_headers_complete(self) -> None:
        if self.content_length is not None and self.content_length > self.limit:
            # Answer without reading a body we would throw away, then close.
            self._fail(too_large(self.limit))
        elif self.expect_continue and self.transport is not None:
            self.transport.write(_CONTINUE)

    def on_body(self, chunk: bytes) -> None:
        if self.rejected is not None:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            self.body = []
            self._fail(too_large(self.limit))
            return
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.reading = False
        if self.closing:
            return
        keep_alive = self.parser.should_keep_alive()
        method = self.parser.get_method().decode("latin-1")
        path = self.url.partition(b"?")[0].decode("latin-1")
        refused = misrouted(path, method, self.path)
        if refused is not None:
            # After a 405, close: a HEAD client would not read this answer's body.
            self._enqueue(_Slot(refused, keep_alive and refused.status != 405))
        else:
            body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
            self._enqueue(_Slot(self.runtime.accept(body, self.signature), keep_alive))
        self.body = []

    # -- answers, in request order -----------------------------------------------------

    def _enqueue(self, slot: _Slot) -> None:
        self.queue.append(slot)
        if isinstance(slot.answer, asyncio.Future) and not slot.answer.done():
            slot.answer.add_done_callback(self._answered)
        self._write_ready()
        if len(self.queue) >= _MAX_QUEUED and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _answered(self, _: asyncio.Future[bool]) -> None:
        self._write_ready()

    def _write_ready(self) -> None:
        while self.queue:
            slot = self.queue[0]
            answer = slot.answer
            if isinstance(answer, asyncio.Future):
                if not answer.done():
                    return
                reply = self.runtime.answer(answer)
            else:
                reply = answer
            self.queue.popleft()
            transport = self.transport
            if transport is None:  # the client left; the commit still happened
                continue
            keep_alive = slot.keep_alive and not self.server.stopping
            transport.write(_encode(reply, keep_alive=keep_alive))
            self.last_activity = self.loop.time()
            if not keep_alive:
                self.close()
                return
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        if self.server.stopping and not self.reading:
            self.close()

    def _fail(self, reply: Reply) -> None:
        """Answer ``reply`` after the requests before it, then close the connection."""
        self.rejected = reply
        self.reading = False
        self.closing = True  # ignore whatever else arrives on this connection
        self.queue.append(_Slot(reply, False))
        self._write_ready()

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    # -- for the server ----------------------------------------------------------------

    @property
    def idle(self) -> bool:
        return not self.queue and not self.reading

    def expire(self, now: float, keep_alive_timeout: float, request_timeout: float) -> None:
        if self.reading and now - self.request_started > request_timeout:
            # A client trickling a request byte by byte must not hold a connection forever.
            self._fail(error_reply(408, "request_timeout", "the request was not completed in time"))
        elif self.idle and now - self.last_activity > keep_alive_timeout:
            self.close()


class WebhookServer:
    """Serve one :class:`Runtime` over HTTP/1.1 until :meth:`stop` (or SIGINT/SIGTERM)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        host: str = "127.0.0.1",
        port: int = 4242,
        keep_alive_timeout: float = 5.0,
        request_timeout: float = 30.0,
        graceful_timeout: float = 10.0,
        backlog: int = 2048,
    ) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self.keep_alive_timeout = keep_alive_timeout
        self.request_timeout = request_timeout
        self.graceful_timeout = graceful_timeout
        self.backlog = backlog
        self.connections: set[_Connection] = set()
        self.stopping = False
        self.bound_port: int | None = None
        self._stop = asyncio.Event()
        self._all_closed = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def serve(self, *, on_ready: Callable[[WebhookServer], Any] | None = None) -> None:
        """Start the runtime, listen, and return once stopped and drained."""
        await self.runtime.start()
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(
                lambda: _Connection(self), self.host, self.port, backlog=self.backlog
            )
        except OSError:
            await self.runtime.stop()
            raise
        self.bound_port = server.sockets[0].getsockname()[1]
        sweeper = loop.create_task(self._sweep())
        try:
            if on_ready is not None:
                on_ready(self)
            await self._stop.wait()
        finally:
            self.stopping = True
            server.close()
            sweeper.cancel()
            await self._drain()
            await self.runtime.stop()

    def closed(self, connection: _Connection) -> None:
        self.connections.discard(connection)
        if self.stopping and not self.connections:
            self._all_closed.set()

    async def _drain(self) -> None:
        """Answer the requests already received, close idle connections, then the rest."""
        for connection in list(self.connections):
            if connection.idle:
                connection.close()
        if self.connections:
            # Busy connections close themselves once answered (see _write_ready).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), self.graceful_timeout)
        for connection in list(self.connections):
            connection.close()

    async def _sweep(self) -> None:
        interval = min(1.0, self.keep_alive_timeout / 2, self.request_timeout / 2)
        while True:
            await asyncio.sleep(interval)
            now = asyncio.get_running_loop().time()
            for connection in list(self.connections):
                connection.expire(now, self.keep_alive_timeout, self.request_timeout)

    def run(self, *, on_ready: Callable[[WebhookServer], Any] | None = None) -> None:
        """Serve in a new event loop (uvloop when installed) until SIGINT or SIGTERM."""

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, self.stop)
            await self.serve(on_ready=on_ready)

        # What is loaded by now (the app, its modules) lives as long as this process:
        # frozen out of the collector's sight, it no longer makes each full collection a
        # pause of tens of milliseconds for every request in flight.
        gc.freeze()
        _run_loop(main)


def _run_loop(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency where it exists
        asyncio.run(main())
        return
    uvloop.run(main())
