"""A receiver with its metrics listener, as `appevents serve --metrics-port` runs them: the
built-in webhook server and the observability server on one loop, in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

from appevents.receiver.health import Readiness
from appevents.receiver.inbox import Store
from appevents.receiver.metrics import Metrics
from appevents.receiver.observability import ObservabilityServer
from appevents.receiver.runtime import Runtime
from appevents.receiver.server import WebhookServer
from environment import postgres_url
from postgres_support import drop_schema, require_postgres
from servers import started

T = TypeVar("T")


class FakeClock:
    """A clock the test moves: ``received_at``, retry times and ages all follow it."""

    def __init__(self, now: float = 1_796_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Observed:
    webhook: str
    """The webhook endpoint's URL (``…/webhook``)."""
    base: str
    """The metrics listener's base URL."""
    runtime: Runtime
    loop: asyncio.AbstractEventLoop

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the server's loop (where its store lives) and wait."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(15)

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """GET /metrics, parsed by prometheus_client: (sample name, labels) -> value."""
        response = httpx.get(self.base + "/metrics")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }


@contextlib.contextmanager
def observed_server(
    app: Any,
    *,
    store: Store | None = None,
    readiness: Readiness | None = None,
    run_worker: bool = False,
) -> Iterator[Observed]:
    """``app`` served with metrics; no worker runs unless asked (drive it with
    ``observed.call(observed.runtime.worker.run_once())``)."""
    metrics = Metrics(clock=app.clock)
    runtime = Runtime(app, store or app.open_store(), run_worker=run_worker, metrics=metrics)
    listener = ObservabilityServer(runtime, readiness or Readiness(clock=app.clock))
    server = WebhookServer(runtime, host="127.0.0.1", port=0, companions=[listener])
    with started(server, "the observed server") as loop:
        yield Observed(
            f"http://127.0.0.1:{server.bound_port}{app.path}",
            f"http://127.0.0.1:{listener.bound_port}",
            runtime,
            loop,
        )


@contextlib.contextmanager
def postgres_store(**options: Any) -> Iterator[Store]:
    """A PostgresStore on a fresh schema of the test server (skipped without one)."""
    require_postgres()
    from appevents.receiver.stores.postgres import PostgresStore

    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        yield PostgresStore(postgres_url(), schema=schema, **options)
    finally:
        drop_schema(schema)
