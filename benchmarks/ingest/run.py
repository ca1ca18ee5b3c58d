"""Ingest benchmark: appevents' durable receiver vs the receiver from Stripe's docs.

    .venv/bin/python benchmarks/ingest/run.py [--connections 64] [--runs 3] [--duration 10]

For each receiver: start it on a free port of 127.0.0.1, warm it up, then run timed
closed-loop loads of pre-signed ``payment_intent.succeeded`` deliveries (distinct ids,
100 accounts) and report events/s, latency percentiles and CPU; medians over the runs.
For appevents, every run also checks that the rows stored equal the ids acknowledged
with 200 (a mismatch exits 1). See README.md next to this file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import check
import payloads
import peers
from drivers import LoadResult, available_tool, run_load, tool_description
from report import PeerRuns, RunRecord, print_runs, print_summary

DOCS, OURS, OURS_WORKER = "stripe-docs", "appevents", "appevents+worker"
PEERS = (DOCS, OURS, OURS_WORKER)
RESULTS = peers.HERE.parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed run")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per receiver")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load")
    parser.add_argument(
        "--peers",
        default=",".join(PEERS),
        help=f"comma-separated, among {', '.join(PEERS)}: {OURS} is `appevents serve "
        f"--no-worker` (the receiver, like the docs sample), {OURS_WORKER} the same with "
        "its worker processing alongside",
    )
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk when installed, else the built-in loadgen.py",
    )
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument(
        "--max-rate",
        type=float,
        default=12_000,
        help="events/s the pre-signed pool is sized for (warm-up); runs size theirs from it",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the SQLite store goes (default: a temporary folder on disk, removed)",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="run appevents serve with --metrics-port (Prometheus metrics on): what the "
        "instrumentation costs the receiver",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(args.peers) - set(PEERS))
    if unknown or not args.peers:
        parser.error(f"--peers {','.join(unknown) or '(none)'}: choose among {', '.join(PEERS)}")
    return args


@contextlib.contextmanager
def _folder(path: Path | None, prefix: str, parent: str | None = None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pool_parent() -> str | None:
    # The pre-signed pool can be a few hundred MB: keep it in RAM (tmpfs) so writing it
    # leaves no dirty pages that the kernel would flush during the store's fsyncs.
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class Bench:
    def __init__(self, args: argparse.Namespace, db_dir: Path, pool_dir: Path) -> None:
        self.args = args
        self.db_dir = db_dir
        self.pool_dir = pool_dir
        self.tool = available_tool(args.loadgen)
        self.secret = "whsec_" + secrets.token_urlsafe(24)
        self.rng = random.Random()
        self.failures: list[str] = []

    def _load(
        self, server: peers.Server, count: int, seconds: float
    ) -> tuple[str, list[str], LoadResult]:
        """Pre-sign ``count`` requests, then drive ``server`` for ``seconds``."""
        tag = payloads.run_tag(self.rng)
        signed = payloads.presign(
            count, secret=self.secret, host="127.0.0.1", port=server.port, tag=tag, rng=self.rng
        )
        pool = self.pool_dir / f"{server.name}-{tag}.bin"
        payloads.write_requests(pool, signed)
        ids = [s.event_id for s in signed]
        del signed
        os.sync()  # nothing of ours left to write back while the store fsyncs
        try:
            result = run_load(
                self.tool,
                server,
                pool,
                connections=self.args.connections,
                duration=seconds,
                wrk_threads=self.args.wrk_threads,
            )
        finally:
            pool.unlink(missing_ok=True)
        server.check_alive()
        return tag, ids, result

    def measure(self, server: peers.Server, db: Path | None) -> PeerRuns:
        args = self.args
        print(f"\n== {server.label}", flush=True)
        warm = self._load(server, int(args.max_rate * args.warmup) + 1000, args.warmup)[2]
        print(f"   warm-up {args.warmup:g}s: {warm.events_per_s:,.0f} events/s", flush=True)
        # Size each run's pool from the warm-up rate with room to spare: pre-signing is
        # ~30 µs a request and the pool lives in RAM, so do not make it needlessly big.
        per_run = int(max(warm.events_per_s * 2, 500) * args.duration) + 1000
        worker = server.name == OURS_WORKER
        if db is not None and worker:
            check.wait_for_worker(db, timeout=120)
        time.sleep(1.0)
        runs = PeerRuns(server.name, server.label)
        for number in range(1, args.runs + 1):
            tag, ids, result = self._load(server, per_run, args.duration)
            record = RunRecord(number, result)
            if db is not None:
                record.check = check.check_rows(db, tag, ids, result, args.connections)
                if not record.check.ok:
                    self.failures.append(f"{server.name} run {number}: {record.check.detail}")
                if worker:
                    record.backlog_at_end = check.backlog(db)
                    record.drain_s = check.wait_for_worker(db, timeout=120)
            if result.exhausted:
                print("   warning: the pre-signed pool ran out; raise --max-rate", flush=True)
            print(
                f"   run {number}: {result.events_per_s:,.0f} events/s, "
                f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
                + (f", rows: {record.check.detail}" if record.check else ""),
                flush=True,
            )
            runs.runs.append(record)
            time.sleep(1.0)
        return runs

    def run(self) -> list[PeerRuns]:
        args = self.args
        logs = self.db_dir
        results = []
        if DOCS in args.peers:
            with peers.stripe_docs_server(secret=self.secret, log=logs / "docs.log") as server:
                results.append(self.measure(server, None))
        for name in (OURS, OURS_WORKER):
            if name not in args.peers:
                continue
            db = self.db_dir / f"{name}.db"  # a fresh inbox each
            with peers.appevents_server(
                secret=self.secret,
                db=db,
                log=logs / f"{name}.log",
                worker=name == OURS_WORKER,
                metrics=self.args.metrics,
            ) as server:
                results.append(self.measure(server, db))
        return results


def _describe(args: argparse.Namespace, tool: str) -> None:
    sample = payloads.payment_intent_succeeded(
        "evt_" + "0" * 24, payloads.ACCOUNTS[0], int(time.time()), random.Random(0)
    )
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print("appevents ingest benchmark")
    print(
        f"  load: {args.connections} connections, closed loop, {args.runs} x {args.duration:g} s "
        f"runs after {args.warmup:g} s warm-up, medians reported"
    )
    print(f"  load generator: {tool_description(tool, args.wrk_threads)}, same machine")
    print(
        f"  events: payment_intent.succeeded, {len(sample):,} B body, distinct ids, "
        f"{len(payloads.ACCOUNTS)} accounts, pre-signed"
    )
    print(
        f"  machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = available_tool(args.loadgen)
    _describe(args, tool)
    with (
        _folder(args.workdir, "appevents-bench-") as db_dir,
        _folder(None, "appevents-bench-pool-", _pool_parent()) as pool_dir,
    ):
        bench = Bench(args, db_dir, pool_dir)
        peer_runs = bench.run()
    print()
    print_runs(peer_runs)
    print()
    missed = print_summary(peer_runs, DOCS, OURS, OURS_WORKER)
    print(
        f"\nCPU: % of one core, 200% = both cores; the load generator runs on the same 2 "
        f"cores, so the receivers get what it leaves ({tool})."
    )
    out = args.json or RESULTS / time.strftime("ingest-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "args": {k: str(v) for k, v in vars(args).items()},
                "loadgen": tool,
                "peers": [
                    {
                        "name": p.name,
                        "label": p.label,
                        "runs": [
                            {**asdict(r), "load": {**asdict(r.load), "acked_indices": None}}
                            for r in p.runs
                        ],
                    }
                    for p in peer_runs
                ],
                "targets_missed": missed,
                "failures": bench.failures,
            },
            indent=2,
        )
    )
    print(f"results: {out}")
    if bench.failures:
        print("\nFAILED: stored rows do not match acknowledgements:", file=sys.stderr)
        for failure in bench.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
