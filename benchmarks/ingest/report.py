"""Plain-text tables for the ingest benchmark (no rich: the output is also pasted in issues)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from check import RowCheck
from drivers import LoadResult

__all__ = ["PeerRuns", "RunRecord", "print_runs", "print_summary"]

# Targets from issue 2: the durable receiver at least 5x the docs sample's events/s,
# and its p99 under 25 ms at 64 connections, on the same 2 cores (see print_summary).
TARGET_RATIO = 5.0
TARGET_P99_MS = 25.0


@dataclass
class RunRecord:
    number: int
    load: LoadResult
    check: RowCheck | None = None
    backlog_at_end: int | None = None
    drain_s: float | None = None


@dataclass
class PeerRuns:
    name: str
    label: str
    runs: list[RunRecord] = field(default_factory=list)

    def median(self, metric: str) -> float:
        return statistics.median(getattr(r.load, metric) for r in self.runs)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        # First column left-aligned (names), figures right-aligned.
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _fmt_check(record: RunRecord) -> str:
    if record.check is None:
        return "n/a (stores nothing)"
    return f"{'OK' if record.check.ok else 'MISMATCH'} {record.check.stored}/{record.check.acked}"


def _fmt_worker(record: RunRecord) -> str:
    if record.backlog_at_end is None:
        return "-"
    drained = "still busy" if record.drain_s is None else f"drained {record.drain_s:.1f}s"
    return f"{record.backlog_at_end} ({drained})"


def print_runs(peers: Sequence[PeerRuns]) -> None:
    header = [
        "peer / run",
        "events/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "server CPU",
        "loadgen CPU",
        "other CPU",
        "non-200/err",
        "rows stored/acked",
        "worker backlog at end",
    ]
    rows = []
    for peer in peers:
        for r in peer.runs:
            load = r.load
            rows.append(
                [
                    f"{peer.name} #{r.number}" + (" (pool exhausted)" if load.exhausted else ""),
                    f"{load.events_per_s:,.0f}",
                    f"{load.p50_ms:.1f}",
                    f"{load.p90_ms:.1f}",
                    f"{load.p99_ms:.1f}",
                    f"{load.max_ms:.1f}",
                    f"{load.server_cpu:.0f}%",
                    f"{load.loadgen_cpu:.0f}%",
                    f"{load.other_cpu:.0f}%",
                    f"{load.non_200}/{load.errors}",
                    _fmt_check(r),
                    _fmt_worker(r),
                ]
            )
    print(_table(header, rows))


def print_summary(
    peers: Sequence[PeerRuns], docs: str, receiver: str, with_worker: str
) -> list[str]:
    """Print medians, ratios and targets; return the targets missed.

    The targets compare like with like: ``receiver`` (verify, parse, durable commit,
    answer) against the docs sample (verify, parse, answer). ``with_worker`` also runs
    the handlers of what it receives on the same cores, which the docs sample never
    does: its ratio is printed for information.
    """
    by_name = {p.name: p for p in peers}
    header = ["median of runs", "events/s", "p50 ms", "p99 ms", "server CPU", "loadgen CPU"]
    rows = [
        [
            p.name,
            f"{p.median('events_per_s'):,.0f}",
            f"{p.median('p50_ms'):.1f}",
            f"{p.median('p99_ms'):.1f}",
            f"{p.median('server_cpu'):.0f}%",
            f"{p.median('loadgen_cpu'):.0f}%",
        ]
        for p in peers
    ]
    ratios: dict[str, float] = {}
    if docs in by_name:
        b = by_name[docs]
        for ours in (receiver, with_worker):
            if ours not in by_name:
                continue
            a = by_name[ours]
            ratios[ours] = a.median("events_per_s") / max(b.median("events_per_s"), 1e-9)
            rows.append(
                [
                    f"{ours} / {docs}",
                    f"{ratios[ours]:.2f}x",
                    f"{a.median('p50_ms') / max(b.median('p50_ms'), 1e-9):.2f}x",
                    f"{a.median('p99_ms') / max(b.median('p99_ms'), 1e-9):.2f}x",
                    "",
                    "",
                ]
            )
    print(_table(header, rows))
    print()
    missed: list[str] = []
    if receiver in ratios:
        ratio = ratios[receiver]
        verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        target = f"{receiver} events/s >= {TARGET_RATIO:g}x the docs sample"
        print(f"target  {target}: {ratio:.2f}x  {verdict}")
        if ratio < TARGET_RATIO:
            missed.append("throughput ratio")
    if receiver in by_name:
        p99 = by_name[receiver].median("p99_ms")
        verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
        print(f"target  {receiver} p99 < {TARGET_P99_MS:g} ms: {p99:.1f} ms  {verdict}")
        if p99 >= TARGET_P99_MS:
            missed.append("p99")
    if with_worker in by_name:
        p99 = by_name[with_worker].median("p99_ms")
        ratio_text = (
            f"{ratios[with_worker]:.2f}x the docs sample, " if with_worker in ratios else ""
        )
        print(
            f"info    {with_worker} (handlers running beside, which the docs sample never "
            f"does): {ratio_text}p99 {p99:.1f} ms"
        )
    return missed
