"""One client connection of ``appevents serve``'s built-in server: an asyncio protocol
around httptools' parser.

Each complete request is verified and parsed at once (:meth:`Runtime.accept`); its answer
is written from the group commit's callback, in request order. What a client may send
or leave unread is bounded:

- the URL (414) and the headers, trailers and bytes between requests (431) have their
  size limits; a signature sent in a chunked trailer is counted, never believed;
- the body has the app's ``max_body_bytes`` (413);
- reading pauses while 32 answers are pending or while the answers not yet sent are above
  the transport's high-water mark (a client that pipelines and never reads);
- a refused request is answered, then the connection *lingers*: our side is shut, what
  the client still sends is discarded (never parsed or kept) until it closes or
  ``linger_timeout`` passes. Closing at once would make the kernel reset a connection
  with unread bytes, and the client would lose the answer.

Every refusal is counted and logged (rate-limited) by the runtime's ``rejections``, with
the client's address, as the ASGI and WSGI shells do.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Protocol, cast

import httptools

from .limits import headers_too_large, too_many_connections, url_too_long
from .replies import REASONS, Reply, error_reply, misrouted, too_large
from .runtime import Runtime

__all__ = ["Connection", "ConnectionHost"]


class ConnectionHost(Protocol):
    """What a connection needs of the server that accepted it (``WebhookServer``): its
    runtime, its bounds, and the sets it keeps its connections in."""

    runtime: Runtime
    keep_alive_timeout: float
    request_timeout: float
    linger_timeout: float
    max_connections: int
    max_refused_lingering: int
    max_url_bytes: int
    max_header_bytes: int
    connections: set[Connection]
    refused: set[Connection]
    stopping: bool

    def closed(self, connection: Connection) -> None: ...


_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_MAX_QUEUED = 32  # pipelined requests awaiting their answer before reading pauses
# Bytes parsed at a time: a paused connection stops between two slices, so what one read
# can add to the unsent answers stays small (a read may be 256 KiB of tiny requests).
_FEED_SLICE = 16 * 1024


def _status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {REASONS.get(status, '')}".rstrip().encode() + b"\r\n"


_STATUS_LINES = {status: _status_line(status) for status in REASONS}


def encode(reply: Reply, *, keep_alive: bool) -> bytes:
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


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request already answered."""


class _Slot:
    """One request's place in its connection's answer order."""

    __slots__ = ("answer", "keep_alive")

    def __init__(self, answer: Reply | asyncio.Future[bool], keep_alive: bool) -> None:
        self.answer = answer
        self.keep_alive = keep_alive


class Connection(asyncio.Protocol):
    def __init__(self, server: ConnectionHost) -> None:
        self.server = server
        self.runtime = server.runtime
        self.limit = server.runtime.app.max_body_bytes
        self.path = server.runtime.app.path
        self.max_url = server.max_url_bytes
        self.max_head = server.max_header_bytes
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.queue: collections.deque[_Slot] = collections.deque()
        self.last_activity = self.loop.time()
        self.request_started = 0.0
        self.reading = False  # inside a request (a timeout then means a slow client)
        self.closing = False
        self.peer_closed = False  # the client shut its side: answer what it sent, then close
        self.lingering_since: float | None = None
        self.paused = False  # reading, for either reason below
        self.write_paused = False  # the transport's unsent answers are above high water
        self.feeding = False
        self.backlog: memoryview | None = None  # read, not yet parsed when reading paused
        self.in_head = False  # between a request's first byte and its headers' end
        self.head_bytes = 0  # its headers (and trailers) so far, counted at each callback
        self.unparsed = 0  # bytes read in a row that no callback has accounted for
        self.progressed = False
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
        # A stream server's transport (uvloop's is one without subclassing it).
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.remote: str | None = str(peer[0]) if peer else None  # for refusals' log lines
        server = self.server
        if len(server.connections) < server.max_connections:
            server.connections.add(self)
            return
        server.refused.add(self)
        refusal = too_many_connections(server.max_connections)
        if len(server.refused) <= server.max_refused_lingering:
            self._fail(refusal)
        else:  # no descriptors to spare for lingering: answer and close at once
            self.runtime.rejections.rejected(refusal, None, self.remote)
            transport.write(encode(refusal, keep_alive=False))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.transport = None
        self.backlog = None
        self.server.closed(self)

    def data_received(self, data: bytes | memoryview) -> None:
        if self.closing:
            return  # lingering (or closed): discarded
        if len(data) <= _FEED_SLICE:
            self._feed(data)
            return
        view = memoryview(data)
        for start in range(0, len(view), _FEED_SLICE):
            if self.closing:
                return
            if self.paused:
                self.backlog = view[start:]
                return
            self._feed(view[start : start + _FEED_SLICE])

    def _feed(self, data: bytes | memoryview) -> None:
        self.progressed = False
        self.feeding = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(error_reply(400, "bad_request", "protocol upgrades are not supported"))
            return
        except httptools.HttpParserError as exc:
            if self.rejected is None:  # else a callback refused the request (_Refused)
                self._fail(error_reply(400, "bad_request", f"malformed HTTP request: {exc}"))
            return
        finally:
            self.feeding = False
        if self.progressed:
            self.unparsed = 0
        else:
            # Inside a header that does not end, or bare CRLF between requests: bytes the
            # parser keeps (or skips) without a callback, bounded like the headers.
            self.unparsed += len(data)
            if self.head_bytes + self.unparsed > self.max_head:
                self._fail(headers_too_large(self.max_head))

    def eof_received(self) -> bool:
        if self.lingering_since is not None or not self.queue:
            return False  # nothing owed: the transport closes
        self.peer_closed = True
        self.reading = False  # a request cut short by the EOF will never be complete
        return True  # half-open: the answers still owed are written, then we close

    def pause_writing(self) -> None:
        self.write_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if len(self.queue) < _MAX_QUEUED:
            self._resume_reading()

    # -- httptools callbacks -----------------------------------------------------------

    def on_message_begin(self) -> None:
        self.progressed = True
        self.reading = True
        self.in_head = True
        self.head_bytes = 0
        self.request_started = self.loop.time()
        self._reset_request()

    def on_url(self, url: bytes) -> None:
        self.progressed = True
        self.url += url
        if len(self.url) > self.max_url:
            self._refuse(url_too_long(self.max_url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self.progressed = True
        self.head_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        if self.head_bytes > self.max_head:
            self._refuse(headers_too_large(self.max_head))
        if not self.in_head:
            return  # a chunked trailer: it cannot add or replace what the headers said
        name = name.lower()
        if name == b"stripe-signature":
            self.signature = value
        elif name == b"content-length" and value.isdigit():
            self.content_length = int(value)
        elif name == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True

    def on_headers_complete(self) -> None:
        self.progressed = True
        self.in_head = False
        if self.content_length is not None and self.content_length > self.limit:
            self._refuse(too_large(self.limit))  # before reading a body we would throw away
        elif self.expect_continue and self.transport is not None:
            self.transport.write(_CONTINUE)

    def on_body(self, chunk: bytes) -> None:
        self.progressed = True
        self.size += len(chunk)
        if self.size > self.limit:
            self.body = []
            self._refuse(too_large(self.limit))
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.progressed = True
        self.reading = False
        self.head_bytes = 0
        if self.closing:
            return
        keep_alive = self.parser.should_keep_alive()
        method = self.parser.get_method().decode("latin-1")
        path = self.url.partition(b"?")[0].decode("latin-1")
        refused = misrouted(path, method, self.path)
        if refused is not None:
            self.runtime.rejections.rejected(refused, self.signature, self.remote, path=path)
            # After a 405, close: a HEAD client would not read this answer's body.
            self._enqueue(_Slot(refused, keep_alive and refused.status != 405))
        else:
            body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
            answer = self.runtime.accept(body, self.signature, self.remote)
            self._enqueue(_Slot(answer, keep_alive))
        self.body = []

    # -- answers, in request order -----------------------------------------------------

    def _enqueue(self, slot: _Slot) -> None:
        self.queue.append(slot)
        if isinstance(slot.answer, asyncio.Future) and not slot.answer.done():
            slot.answer.add_done_callback(self._answered)
        self._write_ready()
        if len(self.queue) >= _MAX_QUEUED:
            self._pause_reading()

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
            keep_alive = (
                slot.keep_alive
                and not self.server.stopping
                and not (self.peer_closed and not self.queue)
            )
            transport.write(encode(reply, keep_alive=keep_alive))
            self.last_activity = self.loop.time()
            if not keep_alive:
                if self.rejected is not None:
                    self._linger()
                else:
                    self.close()
                return
        if self.paused and not self.write_paused:
            self._resume_reading()
        if self.server.stopping and not self.reading:
            self.close()

    def _fail(self, reply: Reply) -> None:
        """Answer ``reply`` after the requests before it, then close the connection."""
        self.runtime.rejections.rejected(reply, self.signature, self.remote)
        self.rejected = reply
        self.reading = False
        self.closing = True  # ignore whatever else arrives on this connection
        self.backlog = None
        self.queue.append(_Slot(reply, False))
        self._write_ready()

    def _refuse(self, reply: Reply) -> None:
        """:meth:`_fail` from a parser callback: the parser stops at once."""
        self._fail(reply)
        raise _Refused(reply.status)

    def _linger(self) -> None:
        self.lingering_since = self.loop.time()
        transport = self.transport
        if transport is None:
            return
        if self.peer_closed or not transport.can_write_eof():
            self.close()  # nothing more will come (or no way to say we are done)
            return
        transport.write_eof()  # sent once the answer is: the client reads it, then EOF
        if self.paused:  # go on reading, to discard, until the client closes
            self.paused = False
            transport.resume_reading()

    def _pause_reading(self) -> None:
        if not self.paused and not self.closing and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if not self.paused or self.transport is None:
            return
        self.paused = False
        if self.backlog is not None and not self.feeding:
            backlog, self.backlog = self.backlog, None
            self.data_received(backlog)  # may pause again, keeping the rest
        if not self.paused and self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    # -- for the server ----------------------------------------------------------------

    @property
    def idle(self) -> bool:
        return not self.queue and not self.reading

    def expire(self, now: float) -> None:
        server = self.server
        if self.lingering_since is not None:
            if now - self.lingering_since > server.linger_timeout:
                self.close()
        elif self.reading and now - self.request_started > server.request_timeout:
            # A client trickling a request byte by byte must not hold a connection forever.
            self._fail(error_reply(408, "request_timeout", "the request was not completed in time"))
        elif self.idle and now - self.last_activity > server.keep_alive_timeout:
            self.close()
