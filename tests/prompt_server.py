"""uvicorn's server, stopped as soon as a test asks.

uvicorn looks at ``should_exit`` every 0.1 s and pauses another 0.1 s once it shuts its
connections down: 0.2 s per server, for each of the hundreds of servers the suite starts
and stops. Here a stop wakes the main loop at once, and the shutdown waits only as long as
connections and requests are still there, polling in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn

_POLL = 0.002  # seconds between looks at what is still open, while shutting down


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
