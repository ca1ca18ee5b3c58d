"""An :class:`~appevents.App` run for a test against a :class:`SandboxHarness`.

    with ReceiverHarness.running(app, sandbox, tmp_path) as receiver:
        events = sandbox.trigger("customer.created", account=merchant)
        receiver.wait_for(events)        # until the worker processed them

The app is served on a free 127.0.0.1 port with a store of its own in the test's folder,
registered as the developer's webhook endpoints in the sandbox (a Connect one for the
accounts that installed the app, one for the platform's own events) with their signing
secrets, and given the sandbox's URL and platform key, so ``ctx.stripe`` and
``ctx.fetch_event()`` reach the sandbox. Its worker runs in the same process; the harness
watches each batch it finishes, so :meth:`ReceiverHarness.wait_for` returns as soon as
the events are processed, without polling the store.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .receiver import App, Outcome, SQLiteStore, Status, StoredEvent
from .sandbox_harness import SandboxHarness, TriggeredEvent

__all__ = ["ReceiverHarness"]

DEFAULT_TIMEOUT = 10.0
Waited = str | TriggeredEvent | Iterable[str | TriggeredEvent] | Callable[[], object]


class ReceiverHarness:
    """The running app: its URL, its endpoints' ids, and what its worker did."""

    def __init__(
        self, app: App, sandbox: SandboxHarness, url: str, endpoints: list[str], store: Path
    ) -> None:
        self.app = app
        """The running copy of the app (its secrets, store and API settings injected)."""
        self.sandbox = sandbox
        self.url = url
        """The webhook URL the sandbox delivers to."""
        self.endpoints = endpoints
        self.store_path = store
        """The app's SQLite store, made for this test."""
        self.outcomes: dict[str, Outcome] = {}
        """The last outcome of each event processed so far, by event id."""
        self._changed = threading.Condition()

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        app: App,
        sandbox: SandboxHarness,
        folder: str | Path,
        *,
        events: Sequence[str] = ("*",),
        platform_events: bool = True,
    ) -> Iterator[ReceiverHarness]:
        """Serve ``app`` until exit; ``events``: what the endpoints subscribe to;
        ``platform_events``: also an endpoint for the platform's own events."""
        from .loopback import bind_loopback, serve_asgi, url_of
        from .receiver.http import ASGIEndpoint

        sock = bind_loopback()
        url = url_of(sock) + app.path
        kinds = [True, False] if platform_events else [True]
        try:
            made = [
                sandbox.request(
                    "POST",
                    "/v1/webhook_endpoints",
                    {"url": url, "enabled_events": list(events), "connect": connect},
                )
                for connect in kinds
            ]
        except BaseException:
            sock.close()
            raise
        store = Path(folder) / f"appevents-{sock.getsockname()[1]}.db"
        running = app.configured(
            secrets=[m["secret"] for m in made],
            store=SQLiteStore(store),
            api_key=sandbox.api_key,
            api_base=sandbox.url,
        )
        harness = cls(running, sandbox, url, [m["id"] for m in made], store)
        runtime = running.runtime()
        runtime.worker.observer = harness._observe
        try:
            with serve_asgi(ASGIEndpoint(running, runtime), sock):
                yield harness
        finally:
            for endpoint in harness.endpoints:  # the sandbox stops delivering to it
                with contextlib.suppress(Exception):
                    sandbox.request("DELETE", f"/v1/webhook_endpoints/{endpoint}")

    def wait_for(
        self, target: Waited, timeout: float = DEFAULT_TIMEOUT, *, failures: bool = False
    ) -> list[Outcome]:
        """Wait until the worker processed ``target``: an event id, a list of them (what
        ``sandbox.trigger()`` returns), or a predicate to become true. A handler's failure
        raises AssertionError with its traceback at once, unless ``failures`` (then an event
        counts when it is done, skipped or dead). Events the sandbox withheld from this
        app (a permission the manifest lacks) are left out of a list; waiting for one
        alone raises, saying why it never comes."""
        if callable(target):
            self._wait(lambda: bool(target()), timeout, "the condition")
            return []
        wanted = self._delivered([target] if isinstance(target, str | TriggeredEvent) else target)
        final = (Status.DONE, Status.SKIPPED, Status.DEAD)

        def processed() -> bool:
            outcomes = [self.outcomes.get(event_id) for event_id in wanted]
            for event_id, outcome in zip(wanted, outcomes, strict=True):
                # A failure is reported at once, whatever else is still to come.
                failed = outcome is not None and outcome.status in (Status.FAILED, Status.DEAD)
                if failed and not failures:
                    assert outcome is not None
                    raise AssertionError(
                        f"a handler failed on event {event_id} ({outcome.status}):\n{outcome.error}"
                    )
            return all(o is not None and o.status in final for o in outcomes)

        self._wait(processed, timeout, f"events {', '.join(wanted)}")
        return [self.outcomes[event_id] for event_id in wanted]

    wait_processed = wait_for
    """The same as :meth:`wait_for`."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` in the app's store (SQLite), where its handlers wrote."""
        with contextlib.closing(sqlite3.connect(self.store_path)) as db:
            return [tuple(row) for row in db.execute(sql, tuple(params))]

    def _delivered(self, targets: Iterable[str | TriggeredEvent]) -> list[str]:
        ids = [t.id if isinstance(t, TriggeredEvent) else str(t) for t in targets]
        kept = []
        for event_id in ids:
            shown = self.sandbox.deliveries(event_id)
            ours = [d for d in shown["deliveries"] if d["endpoint"] in self.endpoints]
            if ours:
                kept.append(event_id)
            elif len(ids) == 1:
                held = [w for w in shown["withheld"] if w["endpoint"] in self.endpoints]
                why = held[0]["message"] if held else "it was not routed to its endpoints"
                raise AssertionError(f"event {event_id} never reaches this app: {why}")
        return kept

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{what} not processed within {timeout:g} s; processed so far: "
                        + (", ".join(f"{k} {v.status}" for k, v in self.outcomes.items()) or "none")
                    )
                self._changed.wait(min(left, 0.5))

    def _observe(self, results: Sequence[tuple[StoredEvent, Outcome]]) -> None:
        with self._changed:
            for stored, outcome in results:
                self.outcomes[stored.id] = outcome
            self._changed.notify_all()

    def __repr__(self) -> str:
        return f"<ReceiverHarness {self.url} {len(self.outcomes)} processed>"
