"""Plain-text tables for the scale benchmark: every run, the medians, the ratios.

The table layout is the ingest benchmark's (``report._table``), imported.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from check import RowCheck
from load import Drive
from report import _table
from stores import EffectsCheck

__all__ = ["Config", "RunRecord", "print_ratios", "print_runs", "print_summary"]


@dataclass(frozen=True)
class Config:
    store: str
    """``pg`` or ``sqlite``."""
    receivers: int
    workers: int

    @property
    def name(self) -> str:
        return f"{self.store}-{self.receivers}x{self.workers}"

    @property
    def label(self) -> str:
        store = "PostgreSQL" if self.store == "pg" else "SQLite"
        return f"{store}, {self.receivers} receiver(s) + {self.workers} worker(s)"


@dataclass
class RunRecord:
    config: Config
    number: int
    drive: Drive
    processed: int
    """Events whose ``completed_at`` (status done) falls inside the timed window."""
    backlog_at_end: int
    drain_s: float | None
    row_checks: list[RowCheck] = field(default_factory=list)
    effects: EffectsCheck | None = None

    @property
    def window_s(self) -> float:
        return max(self.drive.wall_end - self.drive.wall_start, 1e-9)

    @property
    def ingest_per_s(self) -> float:
        return self.drive.ingest_per_s

    @property
    def processed_per_s(self) -> float:
        return self.processed / self.window_s

    @property
    def drain_per_s(self) -> float | None:
        """Backlog / drain time: the workers' rate with no ingest competing for CPU. Only
        for drains of 3 s or more: a shorter one is mostly a worker's idle poll (1 s)."""
        if self.drain_s is None or self.drain_s < 3.0:
            return None
        return self.backlog_at_end / self.drain_s

    @property
    def p50_ms(self) -> float:
        return max(r.p50_ms for r in self.drive.results)

    @property
    def p99_ms(self) -> float:
        return max(r.p99_ms for r in self.drive.results)

    def cpu(self, prefix: str) -> list[float]:
        return [v for k, v in sorted(self.drive.cpu.items()) if k.startswith(prefix)]

    @property
    def other_cpu(self) -> float:
        return max(0.0, self.drive.machine_cpu - sum(self.drive.cpu.values()))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.row_checks) and self.effects is not None and self.effects.ok

    @property
    def errors(self) -> int:
        return sum(r.non_200 + r.errors for r in self.drive.results)


def _pct(values: Sequence[float]) -> str:
    total = f"{sum(values):.0f}%"
    return total if len(values) < 2 else f"{total} ({'+'.join(f'{v:.0f}' for v in values)})"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_runs(records: Sequence[RunRecord]) -> None:
    header = [
        "config / run", "ingest/s", "processed/s", "p50 ms", "p99 ms", "backlog end",
        "drain s", "drain/s", "receivers CPU", "workers CPU", "postgres CPU", "loadgen CPU",
        "other CPU", "non-200/err", "checks",
    ]  # fmt: skip
    rows = []
    for r in records:
        exhausted = any(x.exhausted for x in r.drive.results)
        rows.append(
            [
                f"{r.config.name} #{r.number}" + (" (pool exhausted)" if exhausted else ""),
                f"{r.ingest_per_s:,.0f}",
                f"{r.processed_per_s:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                f"{r.backlog_at_end:,}",
                "still busy" if r.drain_s is None else f"{r.drain_s:.1f}",
                _rate(r.drain_per_s),
                _pct(r.cpu("receiver")),
                _pct(r.cpu("worker")),
                _pct(r.cpu("postgres")),
                _pct(r.cpu("loadgen")),
                f"{r.other_cpu:.0f}%",
                str(r.errors),
                "OK" if r.ok else "FAILED",
            ]
        )
    print(_table(header, rows))


def _median(records: Sequence[RunRecord], metric: Callable[[RunRecord], float | None]) -> float:
    values = [v for v in (metric(r) for r in records) if v is not None]
    return statistics.median(values) if values else float("nan")


def by_config(records: Sequence[RunRecord]) -> dict[str, list[RunRecord]]:
    grouped: dict[str, list[RunRecord]] = {}
    for record in records:
        grouped.setdefault(record.config.name, []).append(record)
    return grouped


def medians(runs: Sequence[RunRecord]) -> dict[str, float]:
    return {
        "ingest_per_s": _median(runs, lambda r: r.ingest_per_s),
        "processed_per_s": _median(runs, lambda r: r.processed_per_s),
        "p50_ms": _median(runs, lambda r: r.p50_ms),
        "p99_ms": _median(runs, lambda r: r.p99_ms),
        "backlog_at_end": _median(runs, lambda r: r.backlog_at_end),
        "drain_s": _median(runs, lambda r: r.drain_s),
        "drain_per_s": _median(runs, lambda r: r.drain_per_s),
        "receivers_cpu": _median(runs, lambda r: sum(r.cpu("receiver"))),
        "workers_cpu": _median(runs, lambda r: sum(r.cpu("worker"))),
        "postgres_cpu": _median(runs, lambda r: sum(r.cpu("postgres"))),
        "loadgen_cpu": _median(runs, lambda r: sum(r.cpu("loadgen"))),
        "other_cpu": _median(runs, lambda r: r.other_cpu),
        "machine_cpu": _median(runs, lambda r: r.drive.machine_cpu),
        # Efficiency: events per second of one core's CPU. If it stays flat from 1+1 to
        # 2+2 while the throughput does not grow, the processes lack CPU, not parallelism.
        "ingest_per_receiver_core": _median(
            runs, lambda r: r.ingest_per_s / max(sum(r.cpu("receiver")) / 100, 1e-9)
        ),
        "processed_per_worker_core": _median(
            runs, lambda r: r.processed_per_s / max(sum(r.cpu("worker")) / 100, 1e-9)
        ),
    }


def print_summary(records: Sequence[RunRecord]) -> dict[str, dict[str, float]]:
    header = [
        "median of runs", "ingest/s", "processed/s", "p50 ms", "p99 ms", "backlog end",
        "drain s", "drain/s", "receivers CPU", "workers CPU", "postgres CPU", "loadgen CPU",
        "other CPU", "machine CPU", "ingest/recv core", "processed/worker core",
    ]  # fmt: skip
    rows, summary = [], {}
    for name, runs in by_config(records).items():
        m = medians(runs)
        summary[name] = m
        rows.append(
            [
                name,
                f"{m['ingest_per_s']:,.0f}",
                f"{m['processed_per_s']:,.0f}",
                f"{m['p50_ms']:.1f}",
                f"{m['p99_ms']:.1f}",
                f"{m['backlog_at_end']:,.0f}",
                f"{m['drain_s']:.1f}",
                _rate(m["drain_per_s"] if m["drain_per_s"] == m["drain_per_s"] else None),
                f"{m['receivers_cpu']:.0f}%",
                f"{m['workers_cpu']:.0f}%",
                f"{m['postgres_cpu']:.0f}%",
                f"{m['loadgen_cpu']:.0f}%",
                f"{m['other_cpu']:.0f}%",
                f"{m['machine_cpu']:.0f}%",
                f"{m['ingest_per_receiver_core']:,.0f}",
                f"{m['processed_per_worker_core']:,.0f}",
            ]
        )
    print(_table(header, rows))
    return summary


def print_ratios(configs: Sequence[Config], summary: dict[str, dict[str, float]]) -> list[str]:
    """Each configuration vs the 1+1 of its store (medians); returns the lines printed."""
    lines = []
    for config in configs:
        base = Config(config.store, 1, 1)
        if config == base or base.name not in summary or config.name not in summary:
            continue
        a, b = summary[config.name], summary[base.name]
        lines.append(
            f"{config.name} vs {base.name}: ingest {a['ingest_per_s'] / b['ingest_per_s']:.2f}x, "
            f"processed {a['processed_per_s'] / b['processed_per_s']:.2f}x "
            f"(machine CPU {b['machine_cpu']:.0f}% -> {a['machine_cpu']:.0f}% of 200%; "
            f"receivers {b['receivers_cpu']:.0f}% -> {a['receivers_cpu']:.0f}%, "
            f"workers {b['workers_cpu']:.0f}% -> {a['workers_cpu']:.0f}%, "
            f"postgres {b['postgres_cpu']:.0f}% -> {a['postgres_cpu']:.0f}%)"
        )
    for config in configs:
        if config.store == "sqlite" and "pg-1x1" in summary and config.name in summary:
            a, b = summary[config.name], summary["pg-1x1"]
            lines.append(
                f"{config.name} vs pg-1x1: ingest {a['ingest_per_s'] / b['ingest_per_s']:.2f}x, "
                f"processed {a['processed_per_s'] / b['processed_per_s']:.2f}x"
            )
    for line in lines:
        print(line)
    return lines
