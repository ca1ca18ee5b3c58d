"""A PostgreSQL (or SQLite) worker draining a backlog in-process: events/s and CPU.

No receiver and no load: the store is filled first, then one ``Worker.drain()`` runs
the scale app's handler (one effect row per event through ``ctx.transaction``). This
isolates the worker's cost per event from everything else ``run.py`` measures.

    .venv/bin/python benchmarks/scale/drain.py --events 6000 --runs 3
    .venv/bin/python benchmarks/scale/drain.py --store sqlite

*client CPU/event* is this process's CPU (all threads) over the drain, per event.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "ingest")]

from payloads import ACCOUNTS, payment_intent_succeeded  # noqa: E402
from scale_app import app  # noqa: E402
from stores import DEFAULT_POSTGRES_URL  # noqa: E402

from appevents import Event  # noqa: E402
from appevents.receiver import SQLiteStore  # noqa: E402
from appevents.receiver.stores.postgres import PostgresStore  # noqa: E402


def events(count: int) -> list[Event]:
    rng = random.Random(7)
    tag = secrets.token_hex(3)
    created = int(time.time()) - count
    return [
        Event.parse(
            payment_intent_succeeded(
                f"evt_{tag}{n:08d}", ACCOUNTS[n % len(ACCOUNTS)], created + n, rng
            )
        )
        for n in range(count)
    ]


async def one_run(kind: str, url: str, count: int, batch: int) -> tuple[float, float]:
    schema = f"drain_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "postgres":
            store: PostgresStore | SQLiteStore = PostgresStore(url, schema=schema)
        else:
            store = SQLiteStore(Path(tmp) / "inbox.db")
        try:
            async with store:
                await store.setup(app.setup_hooks[0])
                todo = events(count)
                for start in range(0, count, 500):
                    await store.insert_events(todo[start : start + 500], time.time())
                worker = app.worker(store, batch_size=batch)
                wall, cpu = time.perf_counter(), time.process_time()
                processed = await worker.drain(max_batches=1_000_000)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                counts = await store.counts()
                if processed != count or counts.get("done") != count:  # type: ignore[call-overload]
                    raise SystemExit(f"drained {processed} of {count}: {counts}")
        finally:
            if kind == "postgres":
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return count / wall, cpu / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("APPEVENTS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rates, cpus = [], []
    for run in range(args.runs):
        rate, cpu = asyncio.run(one_run(args.store, args.postgres_url, args.events, args.batch))
        rates.append(rate)
        cpus.append(cpu)
        print(f"run {run + 1}: {rate:,.0f} events/s, client CPU {cpu:.3f} ms/event")
    print(
        f"median: {statistics.median(rates):,.0f} events/s, "
        f"client CPU {statistics.median(cpus):.3f} ms/event ({args.store}, {args.events:,} events)"
    )


if __name__ == "__main__":
    main()
