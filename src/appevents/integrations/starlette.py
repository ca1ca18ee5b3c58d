"""Serve an ``appevents.App`` inside a Starlette (or FastAPI) application.

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from appevents import App
    from appevents.integrations.starlette import appevents_endpoint, appevents_lifespan

    receiver = App(secrets=["whsec_..."], store="sqlite:///inbox.db")
    site = Starlette(
        routes=[Mount("/stripe", app=appevents_endpoint(receiver))],  # POST /stripe/webhook
        lifespan=appevents_lifespan(receiver),
    )

The endpoint takes its prefix from where it is mounted (the scope's ``root_path``), so
``App(path=...)`` stays the path below the mount and the refusals name the full path.
The lifespan opens the store and runs the worker for as long as the site runs (a
mounted app gets no lifespan of its own: Starlette sends lifespan events to the top-level
app only). Both share one running instance per ``App``. The durable contract is the
receiver's own (:mod:`appevents.receiver.http`): these are thin shells around it.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.routing import Route

from ..receiver.app import App
from ..receiver.http import ASGIEndpoint, Scope
from ..receiver.runtime import Runtime

__all__ = [
    "Lifespan",
    "MountedEndpoint",
    "MountedReceiver",
    "RoutedEndpoint",
    "appevents_endpoint",
    "appevents_lifespan",
    "appevents_route",
    "mounted_receiver",
]

log = logging.getLogger("appevents.starlette")

State = Mapping[str, Any] | None
Lifespan = Callable[[Any], AbstractAsyncContextManager[State]]
"""What ``Starlette(lifespan=...)`` and ``FastAPI(lifespan=...)`` take."""


class MountedReceiver:
    """One ``App`` running inside a host application: its endpoints and its lifespan share
    the running instance (store, group committer, worker)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._runtime: Runtime | None = None
        self._holders = 0
        self.endpoint = MountedEndpoint(self)
        """The ASGI app to ``Mount``: answers at the mount's prefix + ``App.path``."""
        self.routed_endpoint = RoutedEndpoint(self)
        """The ASGI app of a ``Route`` (the router has matched the path already)."""

    @property
    def runtime(self) -> Runtime:
        """The current running instance (created on first use, started by the lifespan or,
        failing that, by the first delivery)."""
        if self._runtime is None:
            self._runtime = self.app.runtime()
        return self._runtime

    @property
    def started(self) -> bool:
        return self._runtime is not None and self._runtime.started

    async def start(self) -> None:
        """Open the store and start the worker, unless a lifespan already did: each start
        is matched by a :meth:`stop`, and the last stop stops it (so the site's lifespan
        and a router's, which FastAPI nests in it, can both name the receiver)."""
        if self._holders == 0:
            runtime = self.runtime
            try:
                await runtime.start()
            except BaseException:
                # A setup hook that failed leaves the store open: the next start (a
                # fixed site restarting) gets a fresh instance and a store opened anew.
                self._runtime = None
                with contextlib.suppress(Exception):
                    await runtime.store.close()
                raise
        self._holders += 1

    async def stop(self) -> None:
        """Stop the worker and close the store once no lifespan holds them; a later start
        makes a new instance (a stopped worker does not run again)."""
        self._holders = max(0, self._holders - 1)
        if self._holders:
            return
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            await runtime.stop()

    def lifespan(self, inner: Lifespan | None = None) -> Lifespan:
        """A lifespan that runs the receiver around ``inner`` (the site's own, if any): the
        store is open and the worker running while ``inner`` starts up and shuts down, and
        ``inner``'s state is what the site gets."""

        @contextlib.asynccontextmanager
        async def lifespan(site: Any) -> AsyncIterator[State]:
            await self.start()
            try:
                if inner is None:
                    yield None
                else:
                    async with inner(site) as state:
                        yield state
            finally:
                await self.stop()

        return lifespan


class MountedEndpoint(ASGIEndpoint):
    """``App.asgi()`` for a ``Mount``: deliveries go to the mount's prefix + ``App.path``."""

    def __init__(self, receiver: MountedReceiver) -> None:
        super().__init__(receiver.app)
        self.receiver = receiver
        self._warned = False

    @property
    def runtime(self) -> Runtime:
        return self.receiver.runtime

    def expected_path(self, scope: Scope) -> str:
        # Starlette keeps the full path in scope["path"] and adds the mount's prefix to
        # root_path; a server that strips root_path from path leaves nothing to prepend.
        root = str(scope.get("root_path", "")).rstrip("/")
        path = str(scope["path"])
        if root and (path == root or path.startswith(root + "/")):
            return root + self.app.path
        return self.app.path

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # Mounted under a server that does send it here (the endpoint served alone):
            # the receiver's lifespan, once.
            await _serve_lifespan(self.receiver, receive, send)
            return
        if scope["type"] == "http" and not self.receiver.started and not self._warned:
            # The first delivery starts it (ASGIEndpoint does), but nothing will stop it.
            self._warned = True
            log.warning(
                "appevents: the receiver at %s was started by a request, not by the site's "
                "lifespan, so its worker will not be stopped with the site: pass "
                "lifespan=appevents_lifespan(app) to Starlette()/FastAPI(), or include "
                "appevents_router(app) in FastAPI",
                self.expected_path(scope),
            )
        await super().__call__(scope, receive, send)


class RoutedEndpoint(MountedEndpoint):
    """The endpoint of a ``Route``: its router matched the path, so any method but POST is
    a 405 (``Allow: POST``) and the path is never wrong."""

    def expected_path(self, scope: Scope) -> str:
        return str(scope["path"])


async def _serve_lifespan(receiver: MountedReceiver, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await receiver.start()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await receiver.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


_RECEIVERS: weakref.WeakKeyDictionary[App, MountedReceiver] = weakref.WeakKeyDictionary()


def mounted_receiver(app: App) -> MountedReceiver:
    """The one :class:`MountedReceiver` of ``app`` (so that its endpoint and its lifespan,
    asked for separately, run the same store and worker)."""
    receiver = _RECEIVERS.get(app)
    if receiver is None:
        receiver = _RECEIVERS[app] = MountedReceiver(app)
    return receiver


def appevents_endpoint(app: App) -> MountedEndpoint:
    """The ASGI app to mount: ``Mount("/stripe", app=appevents_endpoint(app))`` answers
    ``POST /stripe/webhook`` (with the default ``App(path="/webhook")``)."""
    return mounted_receiver(app).endpoint


def appevents_route(app: App) -> Route:
    """A ``Route`` at ``App.path`` for a router's ``routes=[...]``; every method reaches
    it, so that a GET gets the receiver's JSON 405 rather than the router's plain one."""
    return Route(app.path, endpoint=mounted_receiver(app).routed_endpoint, include_in_schema=False)


def appevents_lifespan(app: App, inner: Lifespan | None = None) -> Lifespan:
    """The lifespan for ``Starlette(lifespan=...)`` / ``FastAPI(lifespan=...)``: opens the
    store and runs the worker while the site runs, around the site's own ``inner``
    lifespan; or enter it inside yours: ``async with appevents_lifespan(app)(site): ...``.
    """
    return mounted_receiver(app).lifespan(inner)
