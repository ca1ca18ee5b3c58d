"""The receiver's Prometheus metrics, on a registry of their own (never the global one).

Several receivers may run in one process (tests, an app mounting two), so each
:class:`Metrics` owns its ``CollectorRegistry``. What they count, and where it comes from:

- ``appevents_received_total{outcome, reason}``: every delivery answered: ``stored``,
  ``duplicate``, ``rejected`` (``reason`` is the error code of the answer, as in
  ``rejections.py``) or ``unavailable`` (503, the store did not commit). Read at scrape
  time from the counts the group committer and the rejections keep anyway, so the hot
  path pays nothing for them.
- ``appevents_commit_seconds``: how long each group commit took (one per batch of
  deliveries committed together; each delivery waited about that long).
- ``appevents_attempts_total{type, outcome}`` and ``appevents_handler_seconds{type}``:
  the worker's attempts by event type, ``done``/``skipped``/``failed``/``dead``, and how
  long each took. Counted once per batch, in this process or reported by the worker's
  child process (see ``encode_results``).
- gauges read from the store at each scrape (one bounded query, :meth:`Store.backlog`):
  ``appevents_backlog_events``, ``appevents_unfinished_events{state}``,
  ``appevents_oldest_pending_age_seconds``, ``appevents_account_unfinished_events`` and
  ``appevents_account_lag_seconds{account}`` for the busiest accounts,
  ``appevents_worker_heartbeat_age_seconds{worker}``, and ``appevents_store_up``.

prometheus_client is optional (``pip install 'appevents[metrics]'``): import this module
only when metrics are asked for; :func:`require_prometheus` says how to install it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from ..errors import ConfigurationError
from .inbox import Backlog, Outcome, StoredEvent

__all__ = [
    "Metrics",
    "MetricsSources",
    "decode_results",
    "encode_results",
    "require_prometheus",
]

INSTALL_HINT = "pip install 'appevents[metrics]' (prometheus_client)"
COMMIT_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
HANDLER_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
PLATFORM = "platform"
"""The ``account`` label of the platform's own events (they have no account id)."""
STORE_UNAVAILABLE = "store_unavailable"


def require_prometheus(option: str = "--metrics-port") -> None:
    """Raise ConfigurationError, naming ``option`` and the fix, without prometheus_client."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            f"{option} needs prometheus_client, which is not installed: {INSTALL_HINT}"
        ) from None


class MetricsSources(Protocol):
    """What the received counts are read from (a ``Runtime``'s committer and rejections)."""

    def received_counts(self) -> tuple[int, int, dict[str, int]]:
        """(stored, duplicates, refused by reason)."""


class Metrics:
    """One receiver's metrics; :meth:`exposition` is the text ``/metrics`` answers."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        """``clock``: what the ages are counted with when :meth:`set_backlog` is given
        no time. How many accounts and workers the gauges show is the backlog's
        (``Readiness.top``, the bound of the query)."""
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        self.commit_seconds = Histogram(
            "appevents_commit_seconds",
            "Seconds each group commit of received events took.",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.attempts = Counter(
            "appevents_attempts",
            "The worker's attempts at events, by event type and outcome "
            "(done, skipped, failed: retried later, dead: dead-lettered).",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "appevents_handler_seconds",
            "Seconds each attempt took (handlers and the installation lifecycle), by type.",
            ["type"],
            buckets=HANDLER_BUCKETS,
            registry=self.registry,
        )
        self._sources: MetricsSources | None = None
        self._backlog: Backlog | None = None
        self._backlog_at = 0.0
        self._lock = threading.Lock()
        self.registry.register(_Collector(self))

    def bind(self, sources: MetricsSources) -> None:
        """Read the received counts from ``sources`` (the runtime) at each scrape."""
        self._sources = sources

    # -- the worker's results ------------------------------------------------------------

    def observe_results(self, results: Sequence[tuple[StoredEvent, Outcome]]) -> None:
        """Count one batch of the worker's attempts (the worker's ``observer``)."""
        self.observe(
            (event.type, str(outcome.status), outcome.finished_at - outcome.started_at)
            for event, outcome in results
        )

    def observe(self, attempts: Iterable[tuple[str, str, float]]) -> None:
        """Count attempts given as (event type, outcome, seconds)."""
        for kind, outcome, seconds in attempts:
            self.attempts.labels(kind, outcome).inc()
            self.handler_seconds.labels(kind).observe(max(0.0, seconds))

    # -- the store's gauges --------------------------------------------------------------

    def set_backlog(self, backlog: Backlog | None, now: float | None = None) -> None:
        """What the next exposition shows of the store (None: the store did not answer),
        as read at ``now`` (ages are counted from it; default: the clock's time)."""
        with self._lock:
            self._backlog = backlog
            self._backlog_at = self.clock() if now is None else now

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric, by prometheus_client."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def _collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        received = CounterMetricFamily(
            "appevents_received",
            "Deliveries answered, by outcome (stored, duplicate, rejected, unavailable) "
            "and, for refusals, the reason (the error code of the answer).",
            labels=["outcome", "reason"],
        )
        if self._sources is not None:
            stored, duplicates, refused = self._sources.received_counts()
            received.add_metric(["stored", ""], stored)
            received.add_metric(["duplicate", ""], duplicates)
            for reason, count in sorted(refused.items()):
                outcome = "unavailable" if reason == STORE_UNAVAILABLE else "rejected"
                received.add_metric([outcome, reason], count)
        yield received
        with self._lock:
            backlog, at = self._backlog, self._backlog_at
        yield GaugeMetricFamily(
            "appevents_store_up",
            "1 if the store answered the last scrape's query, else 0.",
            value=0 if backlog is None else 1,
        )
        if backlog is None:
            return
        yield GaugeMetricFamily(
            "appevents_backlog_events",
            "Events waiting to be processed now: pending, and failed ones due again.",
            value=backlog.due,
        )
        unfinished = GaugeMetricFamily(
            "appevents_unfinished_events",
            "Unfinished events by state: pending, failed_due, failed_later (retry not due).",
            labels=["state"],
        )
        unfinished.add_metric(["pending"], backlog.pending)
        unfinished.add_metric(["failed_due"], backlog.failed_due)
        unfinished.add_metric(["failed_later"], backlog.failed_later)
        yield unfinished
        oldest = backlog.oldest_pending_at
        yield GaugeMetricFamily(
            "appevents_oldest_pending_age_seconds",
            "Seconds since the oldest pending event was received (0: none is pending).",
            value=0.0 if oldest is None else max(0.0, at - oldest),
        )
        unfinished_of = GaugeMetricFamily(
            "appevents_account_unfinished_events",
            "Unfinished events of the busiest accounts.",
            labels=["account"],
        )
        lag = GaugeMetricFamily(
            "appevents_account_lag_seconds",
            "Seconds the oldest unfinished event of each of the busiest accounts has waited.",
            labels=["account"],
        )
        for account in backlog.busiest:
            name = account.account or PLATFORM
            unfinished_of.add_metric([name], account.unfinished)
            lag.add_metric([name], max(0.0, at - account.oldest_received_at))
        yield unfinished_of
        yield lag
        beats = GaugeMetricFamily(
            "appevents_worker_heartbeat_age_seconds",
            "Seconds since each worker last beat in the store (those that beat latest).",
            labels=["worker"],
        )
        for worker in backlog.workers:
            beats.add_metric([worker.name], max(0.0, at - worker.beat_at))
        yield beats


class _Collector:
    """Adapts :meth:`Metrics._collect` to prometheus_client's collector protocol."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Any]:
        return self._metrics._collect()

    def describe(self) -> list[Any]:
        return []  # unchecked: its label values change from scrape to scrape


# -- a worker in a child process reports its results through a pipe ---------------------

_MAX_MESSAGE = 4000  # below PIPE_BUF (4096): each write of a line is atomic


def encode_results(results: Sequence[tuple[StoredEvent, Outcome]]) -> list[bytes]:
    """One batch's attempts as JSON lines, each short enough to be written atomically."""
    lines: list[bytes] = []
    batch: list[list[Any]] = []
    size = 2
    for event, outcome in results:
        item = [event.type[:200], str(outcome.status), outcome.finished_at - outcome.started_at]
        length = len(json.dumps(item)) + 1
        if batch and size + length > _MAX_MESSAGE:
            lines.append(json.dumps(batch).encode() + b"\n")
            batch, size = [], 2
        batch.append(item)
        size += length
    if batch:
        lines.append(json.dumps(batch).encode() + b"\n")
    return lines


def decode_results(line: bytes) -> list[tuple[str, str, float]]:
    """The attempts of one line from :func:`encode_results` (nothing if it is garbled)."""
    try:
        items = json.loads(line)
        return [(str(kind), str(outcome), float(seconds)) for kind, outcome, seconds in items]
    except (ValueError, TypeError):
        return []
