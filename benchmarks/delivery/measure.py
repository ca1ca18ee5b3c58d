"""Figures of one timed run, from the client's send/answer times and the receiver's
arrival times (all ``time.monotonic``, one clock for every process on the machine).

Events are matched by the customer id: it is what both servers' API answers name, and
the delivered event carries it as ``data.object.id``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from workload import Trigger


@dataclass(frozen=True)
class RunFigures:
    events: int
    delivered: int  # distinct triggered customers whose event arrived
    duplicates: int  # extra deliveries of an event already received
    seconds: float  # first trigger sent -> last delivery arrived
    rate: float  # delivered / seconds: end-to-end events/s
    api_rate: float  # triggers / (first sent -> last answered)
    p50_ms: float  # trigger sent -> delivery arrived
    p99_ms: float
    max_ms: float
    flatness: float  # delivery rate of the last tenth / of the first tenth
    api_flatness: float  # the same for the API's answers
    server_cpu: float  # % of one core, over the timed phase
    machine_cpu: float


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]  # nearest rank


def tenth_ratio(times: Sequence[float]) -> float:
    """Events in the last tenth of the span / events in its first tenth.

    The span runs from the first to the last event, so the pipeline's fill-up (the first
    delivery's latency) is not counted against the first tenth. Tenths of *time*, not of
    event counts: both servers send in bursts (a batch, a timer), and a tenth of the
    events can fall inside one burst, which would make a rate over it meaningless.
    1.0 is flat; 0.5 means the end ran at half the speed of the start.
    """
    if len(times) < 20:
        return float("nan")
    start, end = min(times), max(times)
    tenth = (end - start) / 10
    first = sum(1 for t in times if t < start + tenth)
    last = sum(1 for t in times if t >= end - tenth)
    return last / max(first, 1)


def figures(
    triggers: Sequence[Trigger],
    arrived: Sequence[tuple[str, str | None, float]],
    *,
    server_cpu: float,
    machine_cpu: float,
) -> RunFigures:
    sent = {t.object_id: t for t in triggers}
    first_arrival: dict[str, float] = {}
    duplicates = 0
    for _event_id, object_id, at in arrived:
        if object_id not in sent:
            continue  # an event of an earlier phase, not this run's
        if object_id in first_arrival:
            duplicates += 1
            first_arrival[object_id] = min(first_arrival[object_id], at)
        else:
            first_arrival[object_id] = at
    start = min(t.sent for t in triggers)
    end = max(first_arrival.values(), default=start)
    seconds = max(end - start, 1e-9)
    latencies = [(at - sent[oid].sent) * 1000 for oid, at in first_arrival.items()]
    api_seconds = max(max(t.answered for t in triggers) - start, 1e-9)
    return RunFigures(
        events=len(triggers),
        delivered=len(first_arrival),
        duplicates=duplicates,
        seconds=seconds,
        rate=len(first_arrival) / seconds,
        api_rate=len(triggers) / api_seconds,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies, default=float("nan")),
        flatness=tenth_ratio(list(first_arrival.values())),
        api_flatness=tenth_ratio([t.answered for t in triggers]),
        server_cpu=server_cpu,
        machine_cpu=machine_cpu,
    )


def median_figures(runs: Sequence[RunFigures]) -> RunFigures:
    """Each figure's median over the runs (so one row may mix runs: noise, not a run)."""
    fields = RunFigures.__dataclass_fields__
    medians = {
        name: statistics.median(getattr(r, name) for r in runs)
        for name in fields
        if name not in ("events", "delivered", "duplicates")
    }
    return RunFigures(
        events=runs[0].events,
        delivered=min(r.delivered for r in runs),
        duplicates=max(r.duplicates for r in runs),
        **medians,
    )
