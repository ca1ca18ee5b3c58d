"""Delivery benchmark: events delivered per second, trigger to a fast local receiver,
appevents' sandbox vs localstripe.

    .venv/bin/python benchmarks/delivery/run.py [--accounts 200,1000] [--runs 3]
                                               [--concurrency 32] [--skip-localstripe]

appevents: one Connect endpoint, N merchant accounts with the app installed (setup, not
timed), then one customer created with each merchant's key (``POST /v1/customers``).
localstripe: one webhook, N customers created through its API. Both deliver to the
same kind of receiver (receiver.py); every run uses fresh servers. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import ours
import theirs
from measure import RunFigures, figures, median_figures
from procs import CPUSample, Process, free_port, spawn
from report import OURS, THEIRS, print_summary, run_line
from workload import EVENT_TYPE, arrivals, create_customers, wait_for

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--accounts",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[200, 1000],
        help="comma-separated sizes: accounts (appevents) = customers (localstripe)",
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh-server runs per size")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="API requests in flight (setup and timed)"
    )
    parser.add_argument("--skip-localstripe", action="store_true")
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds to wait for the deliveries once every trigger was answered",
    )
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs and data")
    return parser.parse_args(argv)


@contextlib.contextmanager
def receiver(workdir: Path) -> Iterator[Process]:
    port = free_port()
    command = [sys.executable, str(HERE / "receiver.py"), "--port", str(port)]
    with spawn("receiver", command, port=port, log=workdir / "receiver.log") as process:
        yield process


def timed(server: Process, sink: Process, keys: list[str], args: argparse.Namespace) -> RunFigures:
    """Trigger one customer.created per key and wait until each was delivered."""
    before = CPUSample.take(server.popen.pid)
    triggers = asyncio.run(create_customers(server.base, keys, args.concurrency))
    wait_for(sink.base, EVENT_TYPE, len(keys), args.timeout)
    server_cpu, machine_cpu = CPUSample.take(server.popen.pid).percents_since(before)
    return figures(
        triggers, arrivals(sink.base, EVENT_TYPE), server_cpu=server_cpu, machine_cpu=machine_cpu
    )


def run_ours(size: int, workdir: Path, args: argparse.Namespace) -> RunFigures:
    with receiver(workdir) as sink, ours.sandbox(workdir) as (server, platform_key):
        began = time.monotonic()
        keys = ours.set_up(
            server, platform_key, sink.base, accounts=size, concurrency=args.concurrency
        )
        # The last install events arrived; let the engine record them before timing.
        time.sleep(0.5)
        print(f"  appevents   {size:>5} setup: {size} installed accounts in "
              f"{time.monotonic() - began:.1f} s", flush=True)  # fmt: skip
        return timed(server, sink, keys, args)


def run_theirs(executable: Path, size: int, workdir: Path, args: argparse.Namespace) -> RunFigures:
    with receiver(workdir) as sink, theirs.localstripe(executable, workdir) as server:
        theirs.register_webhook(server, sink.base)
        return timed(server, sink, [theirs.KEY] * size, args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    peers: dict[str, Callable[[int, Path, argparse.Namespace], RunFigures]] = {OURS: run_ours}
    versions = {OURS: "appevents sandbox"}
    if not args.skip_localstripe:
        try:
            executable, version = theirs.ensure_installed()
        except theirs.Unavailable as exc:
            print(f"localstripe unavailable, measuring appevents only:\n{exc}", file=sys.stderr)
        else:
            peers[THEIRS] = lambda size, workdir, a: run_theirs(executable, size, workdir, a)
            versions[THEIRS] = f"localstripe {version}"
    print(f"{' vs '.join(versions.values())}; sizes {args.accounts}, {args.runs} run(s) each,"
          f" {args.concurrency} requests in flight; Python {platform.python_version()}",
          flush=True)  # fmt: skip
    runs: dict[tuple[str, int], list[RunFigures]] = {}
    for size in args.accounts:
        for number in range(1, args.runs + 1):
            # Alternate the servers run by run, so slow spells of a noisy machine hit both.
            for peer, run in peers.items():
                tmp = Path(tempfile.mkdtemp(prefix=f"delivery-{peer}-"))
                try:
                    result = run(size, tmp, args)
                finally:
                    if args.keep:
                        print(f"  kept {tmp}")
                    else:
                        shutil.rmtree(tmp, ignore_errors=True)
                runs.setdefault((peer, size), []).append(result)
                print(run_line(peer, size, number, result), flush=True)
    medians = {key: median_figures(values) for key, values in runs.items()}
    print_summary(medians, args.runs)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"delivery-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "versions": versions,
                "concurrency": args.concurrency,
                "runs": {f"{p}/{s}": [asdict(r) for r in rs] for (p, s), rs in runs.items()},
            },
            indent=2,
        )
    )
    print(f"\nper-run figures: {out.relative_to(HERE.parent.parent)}")
    incomplete = [k for k, rs in runs.items() if any(r.delivered < r.events for r in rs)]
    if incomplete:
        print(f"some events were never delivered: {incomplete}", file=sys.stderr)
    return 1 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
