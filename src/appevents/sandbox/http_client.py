"""A small HTTP/1.1 client for webhook deliveries: POST on keep-alive connections.

httpx spent more of the sandbox's CPU per delivery than everything else (connection-pool
bookkeeping, a readability poll of the socket per request, anyio's layers). A delivery
needs much less: one POST whose body length is known, the answer's status and its first
bytes, one deadline, and the connection kept open for the next delivery to the same
origin. So this client is an asyncio Protocol per connection, a pool of idle connections
per origin, and an incremental parser for the three ways an answer's body can end
(Content-Length, chunked, connection closed).

It follows no redirects (a 3xx is an answer like any other; for Stripe it is a failed
delivery), sends no Accept-Encoding (so answers come uncompressed) and uses no proxy.
Failures raise :class:`DeliveryError`, named like httpx's exceptions (``ConnectError``,
``ReadTimeout``, ``RemoteProtocolError``...) so attempt logs read as they always did.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, unquote, urlsplit

from .http_response import ResponseReader

__all__ = ["Answer", "DeliveryError", "HttpClient"]

KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection may be reused; servers close theirs after a few (uvicorn 5,
nginx 75, Node 5), and a request written on a connection the server is closing is lost."""

_SILENT = "Server disconnected without sending a response."


class DeliveryError(Exception):
    """No HTTP answer: ``kind`` says why (httpx's exception names)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __str__(self) -> str:
        return f"{self.kind}: {self.args[0]}"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    excerpt: bytes
    """The body's first bytes (up to the client's ``excerpt`` limit)."""


@dataclass(frozen=True, slots=True)
class _Target:
    origin: tuple[str, str, int]
    request_line: bytes
    """``POST /path HTTP/1.1``, Host and, for user:password@ URLs, Authorization."""


class HttpClient:
    def __init__(
        self,
        *,
        timeout: float,
        max_connections: int = 16,
        excerpt: int = 5000,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        """Seconds for a whole POST: connecting, sending and reading the answer."""
        self.max_connections = max_connections
        """Per origin (scheme, host, port)."""
        self.excerpt = excerpt
        self._ssl = ssl_context
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._targets: dict[str, _Target] = {}

    async def post(self, url: str, headers: Sequence[tuple[str, str]], body: bytes) -> Answer:
        target = self._target(url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        pool = self._pools.get(target.origin)
        if pool is None:
            pool = self._pools[target.origin] = _Pool(self, target.origin)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
        request = b"%s%sContent-Length: %d\r\n\r\n%s" % (
            target.request_line, lines.encode("latin-1"), len(body), body
        )  # fmt: skip
        while True:
            connection = await pool.acquire(deadline)
            reused = connection.answered > 0
            try:
                return await connection.exchange(request, deadline)
            except DeliveryError as exc:
                # A kept-alive connection the server closed while we wrote on it: the
                # request never reached the application. Retry it once on a new one.
                if not (reused and exc.kind == "RemoteProtocolError" and connection.silent):
                    raise

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            try:
                import certifi  # httpx's own CA bundle, when installed with it

                self._ssl = ssl.create_default_context(cafile=certifi.where())
            except ImportError:
                self._ssl = ssl.create_default_context()
        return self._ssl

    def _target(self, url: str) -> _Target:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) > 4096:
                self._targets.clear()
            target = self._targets[url] = _parse(url)
        return target


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an endpoint stored before URLs were checked: "http://[::1"
        raise DeliveryError("InvalidURL", f"cannot POST to {url!r}: {exc}") from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        raise DeliveryError("UnsupportedProtocol", f"cannot POST to {url!r}: not an http(s) URL")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise DeliveryError("InvalidURL", f"{url!r} has an invalid port") from None
    shown = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        shown = f"{shown}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    head = f"POST {path} HTTP/1.1\r\nHost: {shown}\r\n"
    if parts.username is not None:
        user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        head += f"Authorization: Basic {base64.b64encode(user.encode()).decode()}\r\n"
    try:
        return _Target((scheme, host, port), head.encode("latin-1"))
    except UnicodeEncodeError:
        raise DeliveryError("InvalidURL", f"cannot POST to {url!r}: not an ASCII URL") from None


class _Pool:
    """The connections to one origin: idle ones (most recent last) and how many are open."""

    def __init__(self, client: HttpClient, origin: tuple[str, str, int]) -> None:
        self.client = client
        self.origin = origin
        self.idle: list[_Connection] = []
        self.open = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def acquire(self, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self.idle:
                connection = self.idle.pop()
                if connection.closed:
                    continue
                if now - connection.idle_since < KEEPALIVE_EXPIRY:
                    return connection
                connection.close()
            if self.open < self.client.max_connections:
                return await self._connect(deadline)
            slot = loop.create_future()
            self.waiting.append(slot)
            try:
                async with asyncio.timeout_at(deadline):
                    await slot
            except TimeoutError:
                raise DeliveryError(
                    "PoolTimeout", f"no connection to {self.origin[1]} became free in time"
                ) from None
            finally:
                if slot in self.waiting:
                    self.waiting.remove(slot)

    async def _connect(self, deadline: float) -> _Connection:
        scheme, host, port = self.origin
        secure = scheme == "https"
        loop = asyncio.get_running_loop()
        self.open += 1
        try:
            async with asyncio.timeout_at(deadline):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self),
                    host,
                    port,
                    ssl=self.client.ssl_context() if secure else None,
                    server_hostname=host if secure else None,
                )
        except TimeoutError:
            self._freed()
            raise DeliveryError(
                "ConnectTimeout", f"connecting to {host}:{port} took over {self.client.timeout} s"
            ) from None
        except OSError as exc:
            self._freed()
            raise DeliveryError("ConnectError", str(exc) or type(exc).__name__) from None
        except BaseException:
            self._freed()
            raise
        return connection

    def release(self, connection: _Connection) -> None:
        connection.idle_since = asyncio.get_running_loop().time()
        self.idle.append(connection)
        self._wake()

    def forget(self, connection: _Connection) -> None:
        """The connection is closed: it no longer counts."""
        if connection in self.idle:
            self.idle.remove(connection)
        self._freed()

    def _freed(self) -> None:
        self.open -= 1
        self._wake()

    def _wake(self) -> None:
        while self.waiting:
            slot = self.waiting.popleft()
            if not slot.done():
                slot.set_result(None)
                return

    def close(self) -> None:
        for connection in list(self.idle):
            connection.close()


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; one request at a time."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.answered = 0
        self.idle_since = 0.0
        self.silent = True
        """No byte of the current answer has arrived yet."""
        self._reader: ResponseReader | None = None
        self._waiter: asyncio.Future[Answer] | None = None

    async def exchange(self, request: bytes, deadline: float) -> Answer:
        assert self.transport is not None and self._waiter is None
        self.silent = True
        if self.closed:
            raise DeliveryError("RemoteProtocolError", _SILENT)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Answer] = loop.create_future()
        self._waiter = waiter
        self._reader = ResponseReader(self.pool.client.excerpt)
        timer = loop.call_at(deadline, self._time_out)
        try:
            self.transport.write(request)
            return await waiter
        finally:
            timer.cancel()
            if not waiter.done():  # cancelled: the answer can no longer be matched
                self.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        if reader is None:  # nothing was asked: a server must not speak first
            self.close()
            return
        self.silent = False
        try:
            complete = reader.feed(data)
        except ValueError as exc:
            self._fail(DeliveryError("RemoteProtocolError", str(exc)))
            return
        if complete:
            self._finish(reader)

    def eof_received(self) -> bool | None:
        reader = self._reader
        if reader is not None and reader.feed_eof():  # a body that ends with the connection
            self._finish(reader)
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        if self._waiter is not None and not self._waiter.done():
            if self.silent:
                message = _SILENT
            else:
                message = "peer closed connection without sending complete message body"
            self._waiter.set_exception(DeliveryError("RemoteProtocolError", message))
        self._waiter = self._reader = None

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()

    def _finish(self, reader: ResponseReader) -> None:
        waiter, self._waiter, self._reader = self._waiter, None, None
        self.answered += 1
        if reader.keep_alive and not self.closed:
            self.pool.release(self)
        else:
            self.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(Answer(reader.status, bytes(reader.excerpt)))

    def _fail(self, error: DeliveryError) -> None:
        waiter, self._waiter, self._reader = self._waiter, None, None
        if self.transport is not None:
            self.transport.abort()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _time_out(self) -> None:
        timeout = self.pool.client.timeout
        self._fail(DeliveryError("ReadTimeout", f"no complete answer within {timeout} s"))
