"""The running receiver: an open store, the group committer, the verifier and the worker.

``App`` only describes the receiver; a ``Runtime`` is one running instance of it, owned
by the ASGI lifespan, the WSGI background loop, or ``appevents serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InvalidEvent, SignatureError, StoreUnavailable
from ..event import Event
from ..signature import Clock, Verifier
from .inbox import Store
from .ingest import GroupCommitter
from .rejections import Rejections
from .replies import DUPLICATE, RECEIVED, Reply, error_reply
from .worker import Worker

if TYPE_CHECKING:  # prometheus_client is optional: metrics.py imports it when used
    from .metrics import Metrics

__all__ = ["Receiver", "Reply", "Runtime"]

log = logging.getLogger("appevents.receiver")


class Receiver(Protocol):
    """What a running instance needs of the receiver it runs (``appevents.App`` is one):
    a narrow view, so the shells and this module do not depend on ``App`` itself."""

    @property
    def path(self) -> str: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def secrets(self) -> Sequence[str]: ...
    @property
    def tolerance(self) -> float: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def commit_timeout(self) -> float: ...
    @property
    def setup_hooks(self) -> Sequence[Callable[[Any], Any]]: ...
    def worker(self, store: Store) -> Worker: ...


class Runtime:
    def __init__(
        self,
        app: Receiver,
        store: Store,
        *,
        run_worker: bool = True,
        on_commit: Callable[[], None] | None = None,
        stats_interval: float = 60.0,
        metrics: Metrics | None = None,
    ) -> None:
        """``on_commit`` is called after each commit that stored new events: how a worker
        in another process learns there is work (``appevents serve`` wires a pipe).
        ``stats_interval``: seconds between the summaries of refused deliveries logged
        while some are (and the most often one line per reason is logged).
        ``metrics``: count deliveries, commits and (in-process) attempts there."""
        self.app = app
        self.store = store
        self.verifier = Verifier(app.secrets, tolerance=app.tolerance, clock=app.clock)
        self.worker = app.worker(store)
        self.committer = GroupCommitter(
            store.insert_events,
            clock=app.clock,
            on_commit=self._new,
            commit_timeout=app.commit_timeout,
        )
        self.rejections = Rejections(interval=stats_interval)
        self.metrics = metrics
        if metrics is not None:
            metrics.bind(self)
            self.committer.observe_commit = metrics.commit_seconds.observe
            self.worker.observer = metrics.observe_results
        self.run_worker = run_worker
        self._on_commit = on_commit
        self._worker_task: asyncio.Task[None] | None = None
        self._stats_task: asyncio.Task[None] | None = None
        self.started = False

    async def start(self) -> None:
        if self.started:
            return
        await self.store.open()
        for setup in self.app.setup_hooks:
            await self.store.setup(setup)
        self._stats_task = asyncio.get_running_loop().create_task(
            self._log_rejections(), name="appevents-rejections"
        )
        if self.run_worker:
            self._worker_task = asyncio.get_running_loop().create_task(
                self.worker.run(), name="appevents-worker"
            )
        self.started = True

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        if self._stats_task is not None:
            self._stats_task.cancel()
            self._stats_task = None
        if (summary := self.rejections.run_summary()) is not None:
            log.warning(summary)
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

    def received_counts(self) -> tuple[int, int, dict[str, int]]:
        """Deliveries stored, answered as duplicates, and refused by reason (metrics)."""
        return self.committer.committed, self.committer.duplicates, self.rejections.counts()

    def _new(self, count: int) -> None:
        if self.run_worker:
            self.worker.notify()
        if self._on_commit is not None:
            self._on_commit()

    async def _log_rejections(self) -> None:
        while True:
            await asyncio.sleep(self.rejections.interval)
            if (summary := self.rejections.period_summary()) is not None:
                log.warning(summary)

    def accept(
        self, body: bytes, signature: str | bytes | None, remote: str | None = None
    ) -> Reply | asyncio.Future[bool]:
        """Verify and parse one delivery now: the error reply, or the future of its commit
        (True if new). Servers that answer from a callback use this; :meth:`answer`
        turns the finished future into the reply. ``remote``: the client's address, for
        the log line of a refusal."""
        try:
            self.verifier.verify(body, signature)
            event = Event.parse(body)
        except (SignatureError, InvalidEvent) as exc:
            reply = error_reply(400, exc.reason, exc.message)
            self.rejections.rejected(reply, signature, remote, path=self.app.path, body=body)
            return reply
        return self.committer.enqueue(event)

    def answer(self, commit: asyncio.Future[bool]) -> Reply:
        """The reply for a finished commit future from :meth:`accept`."""
        error = commit.exception()
        if error is None:
            return RECEIVED if commit.result() else DUPLICATE
        self.rejections.unavailable(error)
        return _STORE_UNAVAILABLE

    async def receive(
        self, body: bytes, signature: str | bytes | None, remote: str | None = None
    ) -> Reply:
        """Verify, parse and durably store one delivery; the HTTP answer to give."""
        accepted = self.accept(body, signature, remote)
        if isinstance(accepted, Reply):
            return accepted
        with contextlib.suppress(StoreUnavailable):
            await accepted
        return self.answer(accepted)


_STORE_UNAVAILABLE = error_reply(
    503, "store_unavailable", "the event could not be stored; Stripe will retry"
)
