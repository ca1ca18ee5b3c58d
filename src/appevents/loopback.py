"""ASGI apps served on 127.0.0.1 in a thread, for tests: started on a free port, stopped
as soon as asked.

uvicorn looks at ``should_exit`` every 0.1 s and pauses another 0.1 s once it shuts its
connections down: 0.2 s per server, for every server a test suite starts and stops.
:class:`PromptServer` wakes the main loop at once on a stop, and its shutdown waits only
as long as connections and requests are still there, polling in milliseconds.

The socket is bound before the server starts (:func:`bind_loopback`), so its URL is known
first (to register it as a webhook endpoint, say) and no other process can take the port
in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = ["PromptServer", "bind_loopback", "serve_asgi", "url_of"]

_POLL = 0.002  # seconds between looks at what is still open, while shutting down
START_TIMEOUT = 10.0


class PromptServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None

    def stop(self) -> None:
        """Ask the server to exit (from any thread); it does so without waiting for a tick."""
        # should_exit first: a main loop not yet waiting sees it at its first tick.
        self.should_exit = True
        loop, woken = self._loop, self._woken
        if loop is not None and woken is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(woken.set)

    async def main_loop(self) -> None:
        self._woken = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        # on_tick keeps uvicorn's once-a-second work (the Date header) and says when to exit.
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                # uvicorn signals nothing when the last connection goes: it is polled for.
                while self._busy():  # noqa: ASYNC110
                    await asyncio.sleep(_POLL)
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="the test server's graceful shutdown timed out")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def _busy(self) -> bool:
        state = self.server_state
        return bool(state.connections or state.tasks) and not self.force_exit


def bind_loopback(port: int = 0) -> socket.socket:
    """A TCP socket bound to 127.0.0.1 (``port`` 0: a free one), not yet listening."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextlib.contextmanager
def serve_asgi(app: Any, sock: socket.socket | None = None) -> Iterator[str]:
    """Serve ``app`` (its lifespan on) in a thread; yields its base URL, stops on exit."""
    sock = sock or bind_loopback()
    where = url_of(sock)
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = PromptServer(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="appevents-loopback"
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.stop()
            sock.close()
            raise RuntimeError(
                f"the server for {app!r} did not start within {START_TIMEOUT:g} s on "
                f"{where}: see the log above for its lifespan's error"
            )
        time.sleep(0.01)
    try:
        yield where
    finally:
        server.stop()
        thread.join(15)
        sock.close()
