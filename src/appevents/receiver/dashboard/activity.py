"""The last hour, minute by minute: events received, events processed, and the backlog
(pending or failed events waiting) at the end of each minute, rebuilt from the events'
own times; plus the figures the store's backlog query and the metrics give now.

The backlog is rebuilt from what each event records: it waited from ``received_at``
until ``completed_at`` (done or skipped), until its last retry time (dead: the store
keeps no completion time for those), or still waits (pending, failed)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..inbox import Backlog, Status, Store, StoredEvent
from .queries import SCAN

__all__ = ["Activity", "MetricRow", "activity", "metric_rows"]

MINUTES = 60
STEP = 60.0


@dataclass(frozen=True, slots=True)
class Activity:
    start: float
    """The start of the first minute shown."""
    received: list[int]
    processed: list[int]
    backlog: list[int]
    """Events waiting at the end of each minute."""
    now: Backlog
    counts: dict[Status, int]
    complete: bool
    """False when the newest SCAN events did not reach back an hour."""


async def activity(store: Store, now: float) -> Activity:
    end = (now // STEP + 1) * STEP  # the current minute, still going, is the last one
    start = end - MINUTES * STEP
    recent = await store.list_events(limit=SCAN + 1)
    complete = len(recent) <= SCAN or recent[SCAN - 1].received_at < start
    # Unfinished events received before the window still weigh on its backlog.
    waiting = [*await store.list_events(status=Status.PENDING, limit=SCAN),
               *await store.list_events(status=Status.FAILED, limit=SCAN)]  # fmt: skip
    events = {e.id: e for e in [*recent[:SCAN], *waiting]}.values()
    received, processed, backlog = [0] * MINUTES, [0] * MINUTES, [0] * MINUTES
    changes = [0] * (MINUTES + 1)  # the backlog's steps, summed below
    for event in events:
        if (m := _minute(event.received_at, start)) is not None:
            received[m] += 1
        left = _left_backlog(event)
        done = event.status in (Status.DONE, Status.SKIPPED)
        if done and left is not None and (m := _minute(left, start)) is not None:
            processed[m] += 1
        # It waited at the end of minutes first..last: from the first end after it came,
        # through the last end before it left.
        first = max(0, math.floor((event.received_at - start) / STEP))
        last = (
            MINUTES - 1 if left is None else min(MINUTES - 1, math.floor((left - start) / STEP) - 1)
        )
        if first <= last:
            changes[first] += 1
            changes[last + 1] -= 1
    waiting_now = 0
    for m in range(MINUTES):
        waiting_now += changes[m]
        backlog[m] = waiting_now
    return Activity(
        start, received, processed, backlog,
        await store.backlog(now=now), await store.counts(), complete,
    )  # fmt: skip


def _minute(timestamp: float, start: float) -> int | None:
    m = int((timestamp - start) // STEP)
    return m if 0 <= m < MINUTES else None


def _left_backlog(event: StoredEvent) -> float | None:
    if event.status in (Status.DONE, Status.SKIPPED):
        return event.completed_at if event.completed_at is not None else event.received_at
    if event.status == Status.DEAD:
        return event.available_at
    return None


@dataclass(frozen=True, slots=True)
class MetricRow:
    name: str
    labels: str
    value: float


def metric_rows(metrics: Any) -> list[MetricRow]:
    """The counters of a receiver's :class:`~appevents.receiver.metrics.Metrics` (when
    ``serve --metrics-port`` runs them), read from its registry as ``/metrics`` is."""
    rows: list[MetricRow] = []
    for family in metrics.registry.collect():
        if family.type not in ("counter", "histogram"):
            continue
        for sample in family.samples:
            if not (sample.name.endswith("_total") or sample.name.endswith("_count")):
                continue
            labels = ", ".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if v)
            rows.append(MetricRow(sample.name, labels, sample.value))
    return rows
