"""Delivery benchmark: events delivered per second, trigger to a fast local receiver,
appevents' sandbox vs localstripe.

    .venv/bin/python benchmarks/delivery/run.py [--accounts 200,1000] [--runs 3]
                                               [--rounds 1] [--flat-rounds 30]
                                               [--concurrency 32] [--skip-localstripe]

appevents: one Connect endpoint, N merchant accounts with the app installed (setup, not
timed), then one customer created with each merchant's key (``POST /v1/customers``),
``--rounds`` times over. localstripe: one webhook, N customers per round created through
its API. Both deliver to the same kind of receiver (receiver.py); every run uses fresh
servers. Then, appevents only, a longer run at the largest size (``--flat-rounds``
rounds), which judges the flatness target. See README.md.
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import ours
import theirs
from measure import RunFigures, figures, median_figures
from procs import CPUSample, Process, free_port, spawn
from report import OURS, THEIRS, Case, print_summary, run_line
from workload import EVENT_TYPE, arrivals, create_customers, wait_for

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"


# A run: (accounts, rounds, working directory, options) -> its figures.
Runner = Callable[[int, int, Path, argparse.Namespace], RunFigures]


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
        "--rounds",
        type=int,
        default=1,
        help="events triggered per account in the timed phase (one customer per round)",
    )
    parser.add_argument(
        "--flat-rounds",
        type=int,
        default=30,
        help="rounds of the longer appevents-only run at the largest size that judges"
        " the flatness target (0 or at most --rounds: none, the main runs judge it)",
    )
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
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.flat_rounds < 0:
        parser.error("--rounds must be at least 1 and --flat-rounds at least 0")
    return args


@contextlib.contextmanager
def receiver(workdir: Path) -> Iterator[Process]:
    port = free_port()
    command = [sys.executable, str(HERE / "receiver.py"), "--port", str(port)]
    with spawn("receiver", command, port=port, log=workdir / "receiver.log") as process:
        yield process


def timed(
    server: Process, sink: Process, keys: list[str], rounds: int, args: argparse.Namespace
) -> RunFigures:
    """Trigger one customer.created per key and round; wait until each was delivered."""
    before = CPUSample.take(server.popen.pid)
    triggers = asyncio.run(create_customers(server.base, keys, args.concurrency, rounds))
    wait_for(sink.base, EVENT_TYPE, len(triggers), args.timeout)
    server_cpu, machine_cpu = CPUSample.take(server.popen.pid).percents_since(before)
    return figures(
        triggers, arrivals(sink.base, EVENT_TYPE), server_cpu=server_cpu, machine_cpu=machine_cpu
    )


def run_ours(size: int, rounds: int, workdir: Path, args: argparse.Namespace) -> RunFigures:
    with receiver(workdir) as sink, ours.sandbox(workdir) as (server, platform_key):
        began = time.monotonic()
        keys = ours.set_up(
            server, platform_key, sink.base, accounts=size, concurrency=args.concurrency
        )
        # The last install events arrived; let the engine record them before timing.
        time.sleep(0.5)
        print(f"  appevents   {size:>5} setup: {size} installed accounts in "
              f"{time.monotonic() - began:.1f} s", flush=True)  # fmt: skip
        return timed(server, sink, keys, rounds, args)


def run_theirs(
    executable: Path, size: int, rounds: int, workdir: Path, args: argparse.Namespace
) -> RunFigures:
    with receiver(workdir) as sink, theirs.localstripe(executable, workdir) as server:
        theirs.register_webhook(server, sink.base)
        return timed(server, sink, [theirs.KEY] * size, rounds, args)


def select_peers(args: argparse.Namespace) -> tuple[dict[str, Runner], dict[str, str]]:
    """The servers to measure (localstripe unless skipped or not installable), their versions."""
    peers: dict[str, Runner] = {OURS: run_ours}
    versions = {OURS: "appevents sandbox"}
    if not args.skip_localstripe:
        try:
            executable, version = theirs.ensure_installed()
        except theirs.Unavailable as exc:
            print(f"localstripe unavailable, measuring appevents only:\n{exc}", file=sys.stderr)
        else:
            peers[THEIRS] = lambda size, rounds, workdir, a: run_theirs(
                executable, size, rounds, workdir, a
            )
            versions[THEIRS] = f"localstripe {version}"
    return peers, versions


def run_once(runner: Runner, case: Case, args: argparse.Namespace) -> RunFigures:
    """One run of ``case`` in a fresh working directory (removed after, unless --keep)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"delivery-{case.peer}-"))
    try:
        return runner(case.size, case.rounds, tmp, args)
    finally:
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure_cases(
    cases: Sequence[Case],
    peers: dict[str, Runner],
    args: argparse.Namespace,
    runs: dict[Case, list[RunFigures]],
) -> None:
    """``--runs`` runs of each case, adding the figures to ``runs``. The cases alternate
    run by run, so that slow spells of a noisy machine hit each of them."""
    for number in range(1, args.runs + 1):
        for case in cases:
            result = run_once(peers[case.peer], case, args)
            runs.setdefault(case, []).append(result)
            print(run_line(case, number, result), flush=True)


def flatness_case(args: argparse.Namespace) -> Case | None:
    """The longer appevents run that judges flatness, if any (None: the main runs do)."""
    if args.flat_rounds <= args.rounds:  # 0, or the main runs are as long
        return None
    return Case(OURS, max(args.accounts), args.flat_rounds)


def save(
    runs: dict[Case, list[RunFigures]], versions: dict[str, str], args: argparse.Namespace
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"delivery-{time.strftime('%Y%m%d-%H%M%S')}.json"
    per_case = {
        f"{c.peer}/{c.size}" + (f"/x{c.rounds}" if c.rounds > 1 else ""): [asdict(r) for r in rs]
        for c, rs in runs.items()
    }
    document = {
        "versions": versions,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "flat_rounds": args.flat_rounds,
        "runs": per_case,
    }
    out.write_text(json.dumps(document, indent=2))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    peers, versions = select_peers(args)
    flat = flatness_case(args)
    flat_note = f"; then appevents x{flat.rounds} at {flat.size}" if flat else ""
    print(f"{' vs '.join(versions.values())}; sizes {args.accounts} x{args.rounds} round(s)"
          f"{flat_note}; {args.runs} run(s) each, {args.concurrency} requests in flight;"
          f" Python {platform.python_version()}", flush=True)  # fmt: skip
    runs: dict[Case, list[RunFigures]] = {}
    for size in args.accounts:
        measure_cases([Case(peer, size, args.rounds) for peer in peers], peers, args, runs)
    if flat is not None:
        measure_cases([flat], peers, args, runs)
    medians = {case: median_figures(values) for case, values in runs.items()}
    print_summary(medians, args.runs, args.rounds, flat)
    out = save(runs, versions, args)
    print(f"\nper-run figures: {out.relative_to(HERE.parent.parent)}")
    incomplete = [c.label for c, rs in runs.items() if any(r.delivered < r.events for r in rs)]
    if incomplete:
        print(f"some events were never delivered: {incomplete}", file=sys.stderr)
    return 1 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
