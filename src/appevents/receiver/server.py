"""The built-in HTTP/1.1 server of ``appevents serve``: the webhook endpoint and nothing else.

A general ASGI server spends most of a delivery's time on generality: a task, a scope,
message dicts and header lists per request. This one is an asyncio protocol around
httptools' parser that knows its single route (:mod:`.connection`): a request costs no
task and no coroutine. It handles keep-alive, pipelining (answers in request order),
``Expect: 100-continue``, chunked bodies, the body, URL and header limits, write
back-pressure, idle and slow-request timeouts, a cap on connections (503 past it,
before the process runs out of file descriptors), and a graceful stop: stop accepting,
answer what was received, then close the store.

Mount ``App.asgi()`` in an ASGI server instead when the endpoint must share a server
with other routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from .connection import Connection
from .limits import (
    DEFAULT_LINGER_TIMEOUT,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_URL_BYTES,
    MIN_HEADER_BYTES,
    MIN_URL_BYTES,
    check_limit,
    default_max_connections,
    open_file_limit,
)
from .runtime import Runtime

__all__ = ["Companion", "WebhookServer"]

log = logging.getLogger("appevents.server")


class Companion(Protocol):
    """Something served beside the webhook, on the same loop (the metrics listener)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


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
        linger_timeout: float = DEFAULT_LINGER_TIMEOUT,
        max_connections: int | None = None,
        max_url_bytes: int = DEFAULT_MAX_URL_BYTES,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        backlog: int = 2048,
        companions: Sequence[Companion] = (),
    ) -> None:
        """``max_connections`` defaults to a cap below the process's open-file limit.
        ``companions`` start once the runtime has, and stop before it does."""
        file_limit = open_file_limit()
        if max_connections is None:
            max_connections = default_max_connections(file_limit)
        elif file_limit is not None and max_connections > default_max_connections(file_limit):
            log.warning(
                "max_connections %d leaves too few of the %d open files allowed (ulimit -n) "
                "for the store and the children: past them, every new connection fails. "
                "Raise the limit or pass at most %d",
                max_connections,
                file_limit,
                default_max_connections(file_limit),
            )
        for name, value, minimum, unit in [
            ("keep_alive_timeout", keep_alive_timeout, 0.01, "seconds"),
            ("request_timeout", request_timeout, 0.01, "seconds"),
            ("graceful_timeout", graceful_timeout, 0, "seconds"),
            ("linger_timeout", linger_timeout, 0, "seconds"),
            ("max_connections", max_connections, 1, "connections"),
            ("max_url_bytes", max_url_bytes, MIN_URL_BYTES, "bytes"),
            ("max_header_bytes", max_header_bytes, MIN_HEADER_BYTES, "bytes"),
        ]:
            check_limit(name, value, minimum, unit)
        self.runtime = runtime
        self.host = host
        self.port = port
        self.keep_alive_timeout = keep_alive_timeout
        self.request_timeout = request_timeout
        self.graceful_timeout = graceful_timeout
        self.linger_timeout = linger_timeout
        self.max_connections = max_connections
        # Refused clients are answered while they hold a descriptor; beyond this many at
        # once they are closed at once (their 503 may then be lost in a reset).
        self.max_refused_lingering = max(8, max_connections // 16)
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes
        self.backlog = backlog
        self.companions = tuple(companions)
        self.connections: set[Connection] = set()
        self.refused: set[Connection] = set()
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
                lambda: Connection(self), self.host, self.port, backlog=self.backlog
            )
        except OSError:
            await self.runtime.stop()
            raise
        try:
            for companion in self.companions:
                await companion.start()
        except OSError:
            server.close()
            for companion in self.companions:
                await companion.stop()
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
            for companion in self.companions:
                await companion.stop()
            await self.runtime.stop()

    def closed(self, connection: Connection) -> None:
        self.connections.discard(connection)
        self.refused.discard(connection)
        if self.stopping and not self.connections:
            self._all_closed.set()

    async def _drain(self) -> None:
        """Answer the requests already received, close idle connections, then the rest."""
        for connection in [*self.connections, *self.refused]:
            if connection.idle:
                connection.close()
        if self.connections:
            # Busy connections close themselves once answered (see _write_ready).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), self.graceful_timeout)
        for connection in [*self.connections, *self.refused]:
            connection.close()

    async def _sweep(self) -> None:
        timeouts = (self.keep_alive_timeout, self.request_timeout, self.linger_timeout)
        interval = min(1.0, *(timeout / 2 for timeout in timeouts if timeout > 0))
        while True:
            await asyncio.sleep(interval)
            now = asyncio.get_running_loop().time()
            for connection in [*self.connections, *self.refused]:
                connection.expire(now)

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
