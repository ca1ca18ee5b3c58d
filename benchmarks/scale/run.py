"""Scale benchmark: 1 receiver + 1 worker vs 2 + 2 on PostgreSQL, SQLite for reference.

    .venv/bin/python benchmarks/scale/run.py [--runs 3] [--duration 10] [--connections 64]
        [--configs pg-1x1,pg-2x2,sqlite-1x1]

Each run of each configuration gets a fresh store and fresh processes: R receivers
(``appevents serve --no-worker``) and W workers (``appevents worker``) with an app whose
handler writes one effect row per event through ``ctx.transaction``. A warm-up load,
then at once the timed load: one load generator per receiver. Reported: events/s
ingested (200, duplicate=false) and processed (reached ``done`` inside the window),
latency, the backlog left at the end and how long it takes to drain, and the CPU of
every process. Every run checks stored rows against acknowledgements and effects
against done events (a mismatch exits 1). See README.md next to this file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The ingest benchmark's modules (payloads, load generators, /proc CPU, row checks,
# tables) are imported from their folder rather than copied.
sys.path.insert(0, str(HERE.parent / "ingest"))
sys.path.insert(0, str(HERE.parent))  # common/: the shared harness

import drivers  # noqa: E402
import load  # noqa: E402
import psycopg  # noqa: E402
import stores  # noqa: E402
import topology  # noqa: E402
from tables import Config, RunRecord, print_ratios, print_runs, print_summary  # noqa: E402

RESULTS = HERE.parent / "results"
DEFAULT_CONFIGS = "pg-1x1,pg-2x2,sqlite-1x1"
_CONFIG = re.compile(r"^(pg|sqlite)-(\d+)x(\d+)$")


def parse_configs(text: str) -> list[Config]:
    configs = []
    for item in text.split(","):
        match = _CONFIG.match(item.strip())
        if not match or int(match[2]) < 1 or int(match[3]) < 1:
            raise argparse.ArgumentTypeError(
                f"{item!r}: write STORE-RxW with STORE pg or sqlite, e.g. pg-2x2"
            )
        configs.append(Config(match[1], int(match[2]), int(match[3])))
    return configs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per configuration")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before it")
    parser.add_argument(
        "--connections", type=int, default=64, help="concurrent connections, split over receivers"
    )
    parser.add_argument(
        "--configs",
        type=parse_configs,
        default=parse_configs(DEFAULT_CONFIGS),
        help=f"comma-separated STORE-RxW (receivers x workers) [default: {DEFAULT_CONFIGS}]",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("APPEVENTS_TEST_POSTGRES_URL", stores.DEFAULT_POSTGRES_URL),
        help="a database to create (and drop) one schema per run in "
        "[default: $APPEVENTS_TEST_POSTGRES_URL or %(default)s]",
    )
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk when installed, else the ingest benchmark's loadgen.py",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="threads per wrk process")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=6000,
        help="events/s the first run's pre-signed pools are sized for; "
        "later runs size theirs from the rate measured before",
    )
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="for SQLite files and logs (default: temp)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    return parser.parse_args(argv)


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
    shm = Path("/dev/shm")  # pre-signed pools in RAM: no dirty pages flushed mid-run
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path, pool_dir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.pool_dir = pool_dir
        self.tool = drivers.available_tool(args.loadgen)
        self.secret = "whsec_" + secrets.token_urlsafe(24)
        self.rng = random.Random()
        self.rates: dict[str, float] = {}
        """Last measured ingest rate per configuration: sizes the next run's pools."""
        self.failures: list[str] = []

    @contextlib.contextmanager
    def _inbox(self, config: Config) -> Iterator[stores.Inbox]:
        if config.store == "pg":
            with stores.postgres_inbox(self.args.postgres_url) as pg:
                yield pg
        else:
            with stores.sqlite_inbox(self.workdir) as lite:
                yield lite

    def _pool_size(self, config: Config, seconds: float) -> int:
        """Requests per receiver for ``seconds`` of load, with room to spare."""
        rate = self.rates.get(config.name)
        per_receiver = (
            self.args.max_rate if rate is None else max(rate * 2.5, 500) / config.receivers
        )
        return math.ceil(per_receiver * seconds) + 1000

    def measure(self, config: Config, number: int) -> RunRecord:
        args = self.args
        logs = self.workdir / f"{config.name}-{number}"
        logs.mkdir(parents=True, exist_ok=True)
        with (
            self._inbox(config) as inbox,
            topology.topology(
                receivers=config.receivers, workers=config.workers,
                store_url=inbox.store_url, secret=self.secret, logs=logs,
            ) as topo,
        ):  # fmt: skip
            # Both loads are signed before the warm-up, so the timed one follows it at
            # once: the workers are busy (not idle-polling) when the window opens.
            common = {
                "connections": args.connections, "secret": self.secret, "rng": self.rng,
                "pool_dir": self.pool_dir,
            }  # fmt: skip
            warm = load.presign_shards(
                topo.receivers, per_server=self._pool_size(config, args.warmup),
                label="warm", **common,
            )  # fmt: skip
            timed = load.presign_shards(
                topo.receivers, per_server=self._pool_size(config, args.duration),
                label="timed", **common,
            )  # fmt: skip
            os.sync()  # nothing of ours left to write back while the store fsyncs

            def groups() -> dict[str, list[int]]:
                found = {m.name: topology.tree(m) for m in topo.members()}
                found["postgres"] = topology.postgres_pids()
                return found

            try:
                warm_drive = load.drive(
                    self.tool, warm, duration=args.warmup, wrk_threads=args.wrk_threads,
                    groups=groups,
                )  # fmt: skip
                drive = load.drive(
                    self.tool, timed, duration=args.duration, wrk_threads=args.wrk_threads,
                    groups=groups,
                )  # fmt: skip
            finally:
                for shard in (*warm, *timed):
                    shard.pool.unlink(missing_ok=True)
            backlog = inbox.backlog()
            topo.check_alive()
            processed = inbox.done_between(drive.wall_start, drive.wall_end)
            drain_s = _wait_drained(inbox, args.drain_timeout, started=drive.wall_end)
            topo.check_alive()
            self.rates[config.name] = max(drive.ingest_per_s, warm_drive.ingest_per_s)
            record = RunRecord(config, number, drive, processed, backlog, drain_s)
            for shards, d in ((warm, warm_drive), (timed, drive)):
                for shard, result in zip(shards, d.results, strict=True):
                    record.row_checks.append(
                        load.row_check(inbox.stored_ids(shard.tag), shard, result)
                    )
            record.effects = inbox.effects_check() if drain_s is not None else None
        for check in record.row_checks:
            if not check.ok:
                self.failures.append(f"{config.name} run {number}: rows {check.detail}")
        if record.effects is None:
            self.failures.append(f"{config.name} run {number}: backlog not drained")
        elif not record.effects.ok:
            self.failures.append(f"{config.name} run {number}: {record.effects.detail}")
        if any(r.exhausted for r in (*drive.results, *warm_drive.results)):
            print("   warning: a pre-signed pool ran out; raise --max-rate", flush=True)
        return record

    def run(self) -> list[RunRecord]:
        records = []
        # Runs interleave the configurations, so a noisy neighbour's burst is spread
        # over all of them instead of landing on one.
        for number in range(1, self.args.runs + 1):
            for config in self.args.configs:
                record = self.measure(config, number)
                records.append(record)
                cpu = ", ".join(f"{k} {v:.0f}%" for k, v in sorted(record.drive.cpu.items()))
                print(
                    f"   {config.name} #{number}: ingest {record.ingest_per_s:,.0f}/s, "
                    f"processed {record.processed_per_s:,.0f}/s, p99 {record.p99_ms:.1f} ms, "
                    f"backlog {record.backlog_at_end:,} drained in "
                    f"{'-' if record.drain_s is None else f'{record.drain_s:.1f}'} s; "
                    f"CPU {cpu}, other {record.other_cpu:.0f}%; "
                    f"{'checks OK' if record.ok else 'CHECKS FAILED'}",
                    flush=True,
                )
        return records


def _wait_drained(inbox: stores.Inbox, timeout: float, *, started: float) -> float | None:
    """Seconds from ``started`` (the end of the load) until no event is left to process."""
    while time.time() - started < timeout:
        if inbox.backlog() == 0:
            return time.time() - started
        time.sleep(0.1)
    return None


def _describe(args: argparse.Namespace, tool: str) -> None:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pg = "not reachable"
    if any(c.store == "pg" for c in args.configs):
        with psycopg.connect(args.postgres_url) as connection:
            settings = {
                name: connection.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("server_version", "fsync", "wal_sync_method", "shared_buffers")
            }
        pg = ", ".join(f"{k} {v}" for k, v in settings.items())
    print("appevents scale benchmark")
    print(f"  configurations: {', '.join(c.name for c in args.configs)} (receivers x workers)")
    print(
        f"  load: {args.connections} connections in all, split over the receivers, closed loop; "
        f"{args.runs} x {args.duration:g} s timed runs, each after {args.warmup:g} s warm-up, "
        "medians reported"
    )
    print(f"  load generator: one {drivers.tool_description(tool, args.wrk_threads)} per receiver")
    print(f"  PostgreSQL: {pg}")
    print(
        f"  machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def _as_json(record: RunRecord) -> dict[str, Any]:
    return {
        "config": record.config.name,
        "run": record.number,
        "ingest_per_s": record.ingest_per_s,
        "processed_per_s": record.processed_per_s,
        "processed": record.processed,
        "window_s": record.window_s,
        "backlog_at_end": record.backlog_at_end,
        "drain_s": record.drain_s,
        "drain_per_s": record.drain_per_s,
        "p50_ms": record.p50_ms,
        "p99_ms": record.p99_ms,
        "cpu": record.drive.cpu,
        "machine_cpu": record.drive.machine_cpu,
        "other_cpu": record.other_cpu,
        "loads": [{**asdict(r), "acked_indices": None} for r in record.drive.results],
        "row_checks": [asdict(c) for c in record.row_checks],
        "effects": None if record.effects is None else asdict(record.effects),
        "ok": record.ok,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = drivers.available_tool(args.loadgen)
    _describe(args, tool)
    with (
        _folder(args.workdir, "appevents-scale-") as workdir,
        _folder(None, "appevents-scale-pool-", _pool_parent()) as pool_dir,
    ):
        bench = Bench(args, workdir, pool_dir)
        records = bench.run()
    print()
    print_runs(records)
    print()
    summary = print_summary(records)
    print()
    ratios = print_ratios(args.configs, summary)
    print(
        "\nCPU: % of one core, 200% = both cores. Receivers, workers, PostgreSQL and the "
        "load generators share the same 2 cores: a configuration with more processes does "
        "not get more CPU, so read the ratios next to the CPU columns (README.md)."
    )
    out = args.json or RESULTS / time.strftime("scale-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "args": {k: str(v) for k, v in vars(args).items()},
                "loadgen": tool,
                "runs": [_as_json(r) for r in records],
                "medians": summary,
                "ratios": ratios,
                "failures": bench.failures,
            },
            indent=2,
        )
    )
    print(f"results: {out}")
    if bench.failures:
        print("\nFAILED:", file=sys.stderr)
        for failure in bench.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
