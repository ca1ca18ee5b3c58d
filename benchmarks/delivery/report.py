"""The printed table, the ratios and the targets (issue 4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from measure import RunFigures

OURS, THEIRS = "appevents", "localstripe"
TARGET_RATE = 1000.0  # events/s end to end at 1,000 accounts
TARGET_TIMES = 30.0  # x localstripe at 1,000
TARGET_P99_MS = 100.0
TARGET_FLAT = 0.20  # last tenth within 20 % of the first


@dataclass(frozen=True)
class Case:
    """One measured configuration: a server, its accounts, the rounds of the timed phase
    (each round triggers one event per account)."""

    peer: str
    size: int
    rounds: int

    @property
    def label(self) -> str:
        rounds = f" x{self.rounds}" if self.rounds > 1 else ""
        return f"{self.peer:<11} {self.size:>5}{rounds}"


def run_line(case: Case, number: int, f: RunFigures) -> str:
    return (
        f"  {case.label} run {number}: {f.rate:8.1f} events/s, API {f.api_rate:7.1f}/s,"
        f" p50 {f.p50_ms:7.1f} ms, p99 {f.p99_ms:7.1f} ms, last/first tenth {f.flatness:4.2f},"
        f" delivered {f.delivered}/{f.events} in {f.seconds:5.2f} s,"
        f" CPU server {f.server_cpu:3.0f} % machine {f.machine_cpu:3.0f} %"
    )


HEADER = (
    f"{'server':<12}{'accts':>6}{'rounds':>7}{'events':>7}{'events/s':>10}{'API/s':>9}"
    f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'last/1st':>10}{'API l/1st':>11}{'CPU srv':>9}"
    f"{'CPU all':>9}{'delivered':>13}"
)


def table_line(case: Case, f: RunFigures) -> str:
    return (
        f"{case.peer:<12}{case.size:>6}{case.rounds:>7}{f.events:>7}{f.rate:>10.1f}"
        f"{f.api_rate:>9.1f}{f.p50_ms:>9.1f}{f.p99_ms:>9.1f}{f.max_ms:>9.1f}{f.flatness:>10.2f}"
        f"{f.api_flatness:>11.2f}{f.server_cpu:>8.0f}%{f.machine_cpu:>8.0f}%"
        f"{f.delivered:>7}/{f.events}"
    )


def _ok(met: bool) -> str:
    return "met" if met else "MISSED"


def is_flat(f: RunFigures) -> bool:
    return not math.isnan(f.flatness) and abs(1 - f.flatness) <= TARGET_FLAT


def flatness_verdict(case: Case, f: RunFigures, short: RunFigures | None) -> str:
    """The flatness target judged on the longer run ``f``; ``short``: the same size's
    main run, whose events/s the longer one's is compared with (state grown, same rate?)."""
    versus = f", {f.rate / short.rate:.2f}x the {short.events:,}-event run's" if short else ""
    return (
        f"flatness ({case.rounds} rounds at {case.size:,} accounts: {f.events:,} events in"
        f" {f.seconds:.1f} s, {f.rate:.0f} events/s{versus}, p99 {f.p99_ms:.0f} ms; the store"
        f" grows by {f.events:,} events, customers and deliveries): last tenth / first ="
        f" {f.flatness:.2f}: {_ok(is_flat(f))} (within {TARGET_FLAT:.0%})"
    )


def _ratio_line(ours: RunFigures, theirs: RunFigures) -> str:
    return (
        f"{ours.events:>5} events: appevents/localstripe = {ours.rate / theirs.rate:6.1f}x"
        f" events/s end to end, {ours.api_rate / theirs.api_rate:5.1f}x API calls/s,"
        f" p50 latency {theirs.p50_ms / ours.p50_ms:6.1f}x lower"
    )


def _target_lines(
    size: int, ours: RunFigures, theirs: RunFigures | None, judged_flat: bool
) -> list[str]:
    """The rate and p99 targets of one size; the flatness one if this run judges it."""
    flat = (
        f"last tenth within {TARGET_FLAT:.0%} of first: {_ok(is_flat(ours))} ({ours.flatness:.2f})"
        if judged_flat
        else f"last/1st {ours.flatness:.2f} (a {ours.seconds:.2f} s run: not judged, see flatness)"
    )
    lines = [
        f"events/s >= {TARGET_RATE:.0f}: {_ok(ours.rate >= TARGET_RATE)} ({ours.rate:.0f});"
        f" p99 < {TARGET_P99_MS:.0f} ms: {_ok(ours.p99_ms < TARGET_P99_MS)}"
        f" ({ours.p99_ms:.0f} ms); {flat}"
    ]
    if theirs is not None and size >= 1000:
        times = ours.rate / theirs.rate
        lines.append(
            f"> {TARGET_TIMES:.0f}x localstripe: {_ok(times > TARGET_TIMES)} ({times:.1f}x)"
        )
    return lines


def print_summary(
    results: dict[Case, RunFigures], runs: int, rounds: int, flat: Case | None
) -> None:
    """The medians' table, the ratios to localstripe and the targets' verdicts: the rate,
    p99 and ratio ones from the ``rounds`` runs of each size, flatness from ``flat`` (the
    longer run) when there is one."""
    print(f"\nMedians of {runs} run(s) per row (CPU in % of one core; the machine has 2)")
    print(HEADER)
    for case, f in sorted(results.items(), key=lambda kv: (kv[0].size, kv[0].rounds, kv[0].peer)):
        print(table_line(case, f))
    sizes = sorted({case.size for case in results})
    pairs = {
        size: (results.get(Case(OURS, size, rounds)), results.get(Case(THEIRS, size, rounds)))
        for size in sizes
    }
    print()
    for ours, theirs in pairs.values():
        if ours and theirs:
            print(_ratio_line(ours, theirs))
    print()
    for size, (ours, theirs) in pairs.items():
        if ours is not None:
            lines = _target_lines(size, ours, theirs, judged_flat=flat is None)
            print(f"targets at {size} accounts: " + "\n  ".join(lines))
    if flat is not None and flat in results:
        print(flatness_verdict(flat, results[flat], results.get(Case(OURS, flat.size, rounds))))
