"""What the Prometheus metrics cost a delivery, in-process, without the noise of HTTP.

    .venv/bin/python benchmarks/ingest/metrics_cost.py [--events 20000] [--runs 5]

Runs the receiver's own path for signed deliveries (verify, parse, group commit into a
memory store, answer) with and without ``Metrics`` attached to the runtime, alternating,
and prints the median CPU microseconds per delivery of each (this process's CPU time,
so that other programs on the machine skew it less than wall time) and their
difference. The deliveries are committed in batches of 64 (as 64 concurrent
connections would).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from appevents.receiver import App, MemoryStore
from appevents.receiver.metrics import Metrics
from appevents.receiver.runtime import Runtime
from appevents.testing import make_event, signed_headers

SECRET = "whsec_metrics_cost"
BATCH = 64


async def one_run(count: int, with_metrics: bool) -> float:
    app = App(SECRET, store=MemoryStore())
    runtime = Runtime(app, app.open_store(), run_worker=False,
                      metrics=Metrics() if with_metrics else None)  # fmt: skip
    await runtime.start()
    deliveries = []
    for n in range(count):
        body = make_event("payment_intent.succeeded", account=f"acct_{n % 100}")
        deliveries.append((body, signed_headers(body, SECRET)["Stripe-Signature"]))
    started = time.process_time()
    for first in range(0, count, BATCH):
        batch = deliveries[first : first + BATCH]
        replies = await asyncio.gather(*(runtime.receive(b, s, "127.0.0.1") for b, s in batch))
        assert all(r.status == 200 for r in replies)
    elapsed = time.process_time() - started
    if with_metrics:
        assert runtime.metrics is not None
        runtime.metrics.exposition()
    await runtime.stop()
    return elapsed / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    off, on = [], []
    for _ in range(args.runs):
        off.append(asyncio.run(one_run(args.events, False)))
        on.append(asyncio.run(one_run(args.events, True)))
    m_off, m_on = statistics.median(off), statistics.median(on)
    print(f"metrics off: {m_off:.1f} CPU us/delivery (runs: {', '.join(f'{x:.1f}' for x in off)})")
    print(f"metrics on:  {m_on:.1f} CPU us/delivery (runs: {', '.join(f'{x:.1f}' for x in on)})")
    print(f"difference:  {m_on - m_off:+.1f} CPU us/delivery ({(m_on / m_off - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
