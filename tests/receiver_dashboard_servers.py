"""A receiver served as `appevents serve --dashboard` runs it: the built-in webhook server
with its worker in-process and the dashboard as its companion, on one loop in a thread.
Its handler fails while ``served.broken`` is set, so tests can fail an event, fix the
handler and replay."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from appevents import App
from appevents.receiver.dashboard import DashboardServer, TokenAuth
from appevents.receiver.inbox import Status, Store, StoredEvent
from appevents.receiver.retry import RetryPolicy
from appevents.receiver.runtime import Runtime
from appevents.receiver.server import WebhookServer
from appevents.testing import signed_headers
from servers import poll_until, started

T = TypeVar("T")
SECRET = "whsec_receiver_dashboard_tests"
TOKEN = "dashboard-token-for-the-tests-0123"


@dataclass
class Served:
    webhook: str
    base: str
    token: str
    runtime: Runtime
    loop: asyncio.AbstractEventLoop
    flags: dict[str, bool] = field(default_factory=dict)
    clock: Callable[[], float] = time.time

    @property
    def store(self) -> Store:
        return self.runtime.store

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the server's loop (where its store lives) and wait."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(15)

    def deliver(self, body: bytes) -> None:
        headers = signed_headers(body, SECRET, int(self.clock()))
        answer = httpx.post(self.webhook, content=body, headers=headers)
        assert answer.status_code == 200, answer.text

    def event(self, event_id: str) -> StoredEvent:
        return self.call(self.store.get_event(event_id))

    def wait_status(self, event_id: str, status: Status) -> StoredEvent:
        return poll_until(
            lambda: (e := self.event(event_id)).status == status and e,
            timeout=15,
            what=f"{event_id} {status}",
        )

    def client(self, *, login: bool = True) -> httpx.Client:
        """A browser-like client (cookies kept, redirects not followed), logged in."""
        client = httpx.Client(base_url=self.base, timeout=10)
        if login:
            answer = client.get("/login", params={"token": self.token})
            assert answer.status_code == 303, answer.text
        return client


def receiver_app(
    store: Store | str,
    flags: dict[str, bool],
    clock: Callable[[], float] = time.time,
    max_attempts: int = 1,
) -> App:
    """Its events die at their first failure, or (``max_attempts`` > 1) wait ten minutes
    as failed before their next attempt."""
    retry = RetryPolicy(max_attempts=max_attempts, base_delay=600, jitter=0)
    app = App(SECRET, store=store, retry=retry, poll_interval=0.2, clock=clock)

    @app.on("*")
    def handle(event: Any) -> None:
        if flags.get("broken"):
            raise RuntimeError(f"the ledger is offline, cannot book {event.id}")

    return app


@contextlib.contextmanager
def served_dashboard(
    store: Store | str,
    *,
    token: str = TOKEN,
    run_worker: bool = True,
    clock: Callable[[], float] = time.time,
    max_attempts: int = 1,
) -> Iterator[Served]:
    """``run_worker=False``: events stay pending (nothing processes them)."""
    flags: dict[str, bool] = {"broken": False}
    app = receiver_app(store, flags, clock, max_attempts)
    runtime = Runtime(app, app.open_store(), run_worker=run_worker)
    dashboard = DashboardServer(
        runtime.store, TokenAuth(token), clock=app.clock, wake=runtime.worker.notify
    )
    server = WebhookServer(runtime, host="127.0.0.1", port=0, companions=[dashboard])
    with started(server, "the receiver with its dashboard") as loop:
        yield Served(
            f"http://127.0.0.1:{server.bound_port}{app.path}",
            f"http://127.0.0.1:{dashboard.bound_port}",
            token,
            runtime,
            loop,
            flags,
            clock,
        )
