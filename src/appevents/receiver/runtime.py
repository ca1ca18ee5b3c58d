"""The running receiver: an open store, the group committer, the verifier and the worker.

``App`` only describes the receiver; a ``Runtime`` is one running instance of it, owned
by the ASGI lifespan, the WSGI background loop, or ``appevents serve``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidEvent, SignatureError, StoreUnavailable
from ..event import Event
from ..signature import Verifier
from .inbox import Store
from .ingest import GroupCommitter

if TYPE_CHECKING:
    from .app import App

__all__ = ["Reply", "Runtime"]

log = logging.getLogger("appevents.receiver")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes


_RECEIVED = Reply(200, b'{"received":true,"duplicate":false}')
_DUPLICATE = Reply(200, b'{"received":true,"duplicate":true}')


def error_reply(status: int, code: str, message: str) -> Reply:
    return Reply(status, json.dumps({"error": {"code": code, "message": message}}).encode())


class Runtime:
    def __init__(self, app: App, store: Store, *, run_worker: bool = True) -> None:
        self.app = app
        self.store = store
        self.verifier = Verifier(app.secrets, tolerance=app.tolerance, clock=app.clock)
        self.worker = app.worker(store)
        self.committer = GroupCommitter(
            store.insert_events, clock=app.clock, on_commit=lambda _: self.worker.notify()
        )
        self.run_worker = run_worker
        self._worker_task: asyncio.Task[None] | None = None
        self.started = False

    async def start(self) -> None:
        if self.started:
            return
        await self.store.open()
        for setup in self.app.setup_hooks:
            await self.store.setup(setup)
        if self.run_worker:
            self._worker_task = asyncio.get_running_loop().create_task(
                self.worker.run(), name="appevents-worker"
            )
        self.started = True

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        if self._worker_task is not None:
            self.worker.stop()
            try:
                await asyncio.wait_for(self._worker_task, 10)
            except TimeoutError:
                log.warning("the worker did not stop within 10 s; its batch rolls back")
            except asyncio.CancelledError:
                pass
            self._worker_task = None
        await self.store.close()

    async def receive(self, body: bytes, signature: str | bytes | None) -> Reply:
        """Verify, parse and durably store one delivery; the HTTP answer to give."""
        try:
            self.verifier.verify(body, signature)
            event = Event.parse(body)
        except SignatureError as exc:
            return error_reply(400, exc.reason, exc.message)
        except InvalidEvent as exc:
            return error_reply(400, exc.reason, exc.message)
        try:
            new = await self.committer.submit(event)
        except StoreUnavailable as exc:
            log.error("store unavailable, answering 503 to %s: %s", event.id, exc)
            return error_reply(
                503, "store_unavailable", "the event could not be stored; Stripe will retry"
            )
        return _RECEIVED if new else _DUPLICATE
