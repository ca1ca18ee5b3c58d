"""The printed table, the ratios and the targets (issue 4)."""

from __future__ import annotations

import math

from measure import RunFigures

OURS, THEIRS = "appevents", "localstripe"
TARGET_RATE = 1000.0  # events/s end to end at 1,000 accounts
TARGET_TIMES = 30.0  # x localstripe at 1,000
TARGET_P99_MS = 100.0
TARGET_FLAT = 0.20  # last tenth within 20 % of the first


def run_line(peer: str, size: int, number: int, f: RunFigures) -> str:
    return (
        f"  {peer:<11} {size:>5} run {number}: {f.rate:8.1f} events/s, API {f.api_rate:7.1f}/s,"
        f" p50 {f.p50_ms:7.1f} ms, p99 {f.p99_ms:7.1f} ms, last/first tenth {f.flatness:4.2f},"
        f" delivered {f.delivered}/{f.events} in {f.seconds:5.2f} s,"
        f" CPU server {f.server_cpu:3.0f} % machine {f.machine_cpu:3.0f} %"
    )


HEADER = (
    f"{'server':<12}{'events':>7}{'events/s':>10}{'API/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    f"{'max ms':>9}{'last/1st':>10}{'API l/1st':>11}{'CPU srv':>9}{'CPU all':>9}{'delivered':>11}"
)


def table_line(peer: str, f: RunFigures) -> str:
    return (
        f"{peer:<12}{f.events:>7}{f.rate:>10.1f}{f.api_rate:>9.1f}{f.p50_ms:>9.1f}"
        f"{f.p99_ms:>9.1f}{f.max_ms:>9.1f}{f.flatness:>10.2f}{f.api_flatness:>11.2f}"
        f"{f.server_cpu:>8.0f}%{f.machine_cpu:>8.0f}%{f.delivered:>6}/{f.events}"
    )


def _ok(met: bool) -> str:
    return "met" if met else "MISSED"


def print_summary(results: dict[tuple[str, int], RunFigures], runs: int) -> None:
    print(f"\nMedians of {runs} run(s) per row (CPU in % of one core; the machine has 2)")
    print(HEADER)
    for (peer, _size), f in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(table_line(peer, f))
    sizes = sorted({size for _peer, size in results})
    print()
    for size in sizes:
        ours, theirs = results.get((OURS, size)), results.get((THEIRS, size))
        if ours and theirs:
            print(
                f"{size:>5} events: appevents/localstripe = {ours.rate / theirs.rate:6.1f}x"
                f" events/s end to end, {ours.api_rate / theirs.api_rate:5.1f}x API calls/s,"
                f" p50 latency {theirs.p50_ms / ours.p50_ms:6.1f}x lower"
            )
    print()
    for size in sizes:
        ours = results.get((OURS, size))
        if ours is None:
            continue
        flat = not math.isnan(ours.flatness) and abs(1 - ours.flatness) <= TARGET_FLAT
        print(
            f"targets at {size} accounts: events/s >= {TARGET_RATE:.0f}: "
            f"{_ok(ours.rate >= TARGET_RATE)} ({ours.rate:.0f});"
            f" p99 < {TARGET_P99_MS:.0f} ms: {_ok(ours.p99_ms < TARGET_P99_MS)}"
            f" ({ours.p99_ms:.0f} ms); last tenth within {TARGET_FLAT:.0%} of first:"
            f" {_ok(flat)} ({ours.flatness:.2f})"
        )
        theirs = results.get((THEIRS, size))
        if theirs is not None and size >= 1000:
            times = ours.rate / theirs.rate
            print(
                f"  > {TARGET_TIMES:.0f}x localstripe: {_ok(times > TARGET_TIMES)} ({times:.1f}x)"
            )
