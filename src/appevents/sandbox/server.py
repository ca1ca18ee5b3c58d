"""The running sandbox: state on one lane, the HTTP API, and the delivery engine."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette

from ..errors import StoreError
from .asgi import SandboxApi, build_api
from .delivery import DeliveryEngine, DeliverySettings, Poster
from .ids import IdFactory
from .lane import Lane
from .listen import ListenHub
from .service import Sandbox
from .state.checkpoints import LANE_AUTOCHECKPOINT, Checkpointer
from .state.db import connect

__all__ = ["SandboxServer", "unreadable_state"]


def unreadable_state(data: str | Path, error: Exception) -> StoreError:
    return StoreError(
        f"cannot use {str(data)!r} as the sandbox's state ({error}): pass --data with another "
        "file, or --reset to start empty there"
    )


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
        self.data = data
        self.lane = Lane("appevents-sandbox")
        try:
            self.db = self.lane.submit(connect, str(data))
        except (sqlite3.Error, OSError) as exc:
            self.lane.shutdown()
            raise unreadable_state(data, exc) from None
        except BaseException:
            self.lane.shutdown()
            raise
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
        """The platform account and its keys (created on first start).

        The first read of the state: a damaged file shows here if not when it was opened."""
        try:
            return self.lane.submit(self.sandbox.platform)
        except sqlite3.Error as exc:
            raise unreadable_state(self.data, exc) from None

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
