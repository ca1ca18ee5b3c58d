"""Serving the receiver dashboard: its ASGI app, and a listener of its own beside the
webhook (``appevents serve --dashboard``), as the metrics have theirs.

Apart from the webhook on purpose: the webhook port faces Stripe (often the internet),
the dashboard faces the operator, so it binds 127.0.0.1 unless told otherwise and never
answers under the webhook's address. It runs on the webhook server's own event loop,
where the store lives, as one of its companions."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from ...loopback import PromptServer
from ..inbox import Store
from .auth import TokenAuth
from .pages import routes
from .site import Site

__all__ = ["DashboardServer", "dashboard_app", "login_url", "serve_store"]

START_TIMEOUT = 10.0


def dashboard_app(
    store: Store,
    auth: TokenAuth,
    *,
    clock: Callable[[], float] = time.time,
    wake: Callable[[], None] | None = None,
    metrics: Any = None,
    own_store: bool = False,
) -> Starlette:
    """The dashboard over ``store`` as an ASGI app. ``own_store``: its lifespan opens and
    closes the store (``appevents dashboard --store``); otherwise the receiver's runtime
    owns it."""
    site = Site(store, auth, clock=clock, wake=wake, metrics=metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if own_store:
            await store.open()
        try:
            yield
        finally:
            if own_store:
                await store.close()

    return Starlette(routes=routes(site), lifespan=lifespan)


def login_url(host: str, port: int, auth: TokenAuth) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/login?token={auth.token}"


class _QuietServer(PromptServer):
    """uvicorn on a loop someone else runs: the webhook server handles the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class DashboardServer:
    """The dashboard on ``host:port`` (0: a free port), a companion of the webhook server."""

    def __init__(
        self,
        store: Store,
        auth: TokenAuth,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        wake: Callable[[], None] | None = None,
        metrics: Any = None,
    ) -> None:
        self.app = dashboard_app(store, auth, clock=clock, wake=wake, metrics=metrics)
        self.auth = auth
        self.host = host
        self.port = port
        self.bound_port: int | None = None
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def login_url(self) -> str:
        return login_url(self.host, self.bound_port or self.port, self.auth)

    async def start(self) -> None:
        """Listen (an OSError if the address is taken), then serve in a task."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.bound_port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="on", log_level="warning", access_log=False,
                                timeout_graceful_shutdown=2)  # fmt: skip
        self._server = _QuietServer(config)
        self._task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[sock]), name="appevents-dashboard"
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if self._task.done() or time.monotonic() > deadline:
                self._server.stop()
                sock.close()
                raise OSError(f"the dashboard did not start on {self.host}:{self.bound_port}")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 5)
        self._server = self._task = None


class _AnnouncingServer(PromptServer):
    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_ready()


def serve_store(
    store: Store,
    auth: TokenAuth,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] = lambda url: None,
) -> None:
    """Serve the dashboard of ``store`` alone until SIGINT/SIGTERM (``appevents dashboard
    --store``); ``on_ready(login_url)`` once it answers. Raises OSError if it cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    url = login_url(host, sock.getsockname()[1], auth)
    app = dashboard_app(store, auth, own_store=True)
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)  # fmt: skip
    try:
        _AnnouncingServer(config, lambda: on_ready(url)).run(sockets=[sock])
    finally:
        sock.close()
