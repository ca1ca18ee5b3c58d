"""The running sandbox: state on one lane, the HTTP API, and the delivery engine."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette

from .asgi import SandboxApi, build_api
from .delivery import DeliveryEngine, DeliverySettings, Poster
from .ids import IdFactory
from .lane import Lane
from .listen import ListenHub
from .service import Sandbox
from .state.checkpoints import LANE_AUTOCHECKPOINT, Checkpointer
from .state.db import connect

__all__ = ["SandboxServer"]


class SandboxServer:
    """Owns the sandbox's database, lane, API and delivery engine.

    ``asgi()`` is the application to serve; its lifespan starts and stops deliveries.
    """

    def __init__(
        self,
        data: str | Path,
        *,
        settings: DeliverySettings | None = None,
        clock: Callable[[], float] = time.time,
        ids: IdFactory | None = None,
        client: Poster | None = None,
    ) -> None:
        """``client`` sends the deliveries (default: an :class:`HttpClient`); tests pass
        their own to script answers."""
        self.lane = Lane("appevents-sandbox")
        self.db = self.lane.submit(connect, str(data))
        self.lane.db = self.db  # from now on, calls that queue up share a transaction
        self.checkpointer: Checkpointer | None = None
        if str(data) != ":memory:":
            self.lane.submit(self.db.execute, f"PRAGMA wal_autocheckpoint = {LANE_AUTOCHECKPOINT}")
            self.checkpointer = Checkpointer(data)
            self.checkpointer.start()
        self.engine = DeliveryEngine(
            self.db, self.lane, settings=settings, clock=clock, client=client
        )
        self.hub = ListenHub()
        self.sandbox = Sandbox(
            self.db,
            ids=ids,
            clock=clock,
            on_delivery_due=self.engine.notify,
            on_deliveries=self.engine.hand_over,
            on_event=self.hub.notify,
        )
        self._task: asyncio.Task[None] | None = None

    def platform(self) -> dict[str, object]:
        """The platform account and its keys (created on first start)."""
        return self.lane.submit(self.sandbox.platform)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self._task = asyncio.get_running_loop().create_task(self.engine.run())
        try:
            yield
        finally:
            self.engine.stop()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, 10)

    def asgi(self) -> SandboxApi:
        return build_api(self.sandbox, self.lane, self.hub, lifespan=self.lifespan)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.lane.submit(self.db.close)
        self.lane.shutdown()
