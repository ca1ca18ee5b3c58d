"""The built-in load generator: closed-loop HTTP/1.1 clients with keep-alive.

Run as its own process (``python loadgen.py ...``) so that it never shares an event
loop, or the GIL, with the server under test. It loads pre-signed requests from a file
(see payloads.py), prints ``READY`` on stderr once they are in memory (the parent starts
its CPU accounting there), then keeps ``--connections`` requests in flight for
``--duration`` seconds. After the deadline no new request starts but the ones in
flight are awaited, so every request that was sent has a known answer: that is what
lets run.py compare acknowledged ids with stored rows exactly.

Latency is measured from writing the request to reading the last byte of the answer;
a reconnect (servers that close after each answer, like gunicorn's sync workers) is
not counted in it, as wrk does not count it either. The result is one JSON object on
stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payloads import load_requests


@dataclass
class Tally:
    next_index: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    acked_new: list[int] = field(default_factory=list)
    """Indices of the requests answered 200 with ``"duplicate":false``."""
    duplicates: int = 0
    errors: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    last_answer: float = 0.0


class HTTPError(Exception):
    pass


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    marker = lowered.find(b"\r\ncontent-length:")
    if marker < 0:
        raise HTTPError("answer without Content-Length")
    end = lowered.index(b"\r\n", marker + 2)
    length = int(lowered[marker + 17 : end])
    body = await reader.readexactly(length)
    return status, body, b"\r\nconnection: close" in lowered


async def _client(
    host: str, port: int, requests: list[bytes], tally: Tally, deadline: float
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while tally.next_index < len(requests) and time.perf_counter() < deadline:
            index = tally.next_index
            tally.next_index += 1
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter_ns()
            writer.write(requests[index])
            try:
                status, body, close = await _read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HTTPError):
                # The request may or may not have been stored; it has no answer, so it
                # is not acknowledged. run.py reports errors next to the row check.
                tally.errors += 1
                writer.close()
                reader = writer = None
                continue
            tally.latencies_ns.append(time.perf_counter_ns() - started)
            tally.last_answer = time.perf_counter()
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status == 200:
                if b'"duplicate":true' in body:
                    tally.duplicates += 1
                else:
                    tally.acked_new.append(index)
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


def percentile(sorted_values: list[int], fraction: float) -> int:
    if not sorted_values:
        return 0
    position = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[position]


async def generate(
    host: str, port: int, requests: list[bytes], connections: int, duration: float
) -> dict[str, object]:
    tally = Tally()
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(_client(host, port, requests, tally, deadline) for _ in range(connections))
    )
    elapsed = (tally.last_answer or time.perf_counter()) - started
    latencies = sorted(tally.latencies_ns)
    return {
        "tool": "python",
        "elapsed_s": elapsed,
        "sent": tally.next_index,
        "answered": len(latencies),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "acked_new": len(tally.acked_new),
        "acked_indices": tally.acked_new,
        "duplicates": tally.duplicates,
        "errors": tally.errors,
        "exhausted": tally.next_index >= len(requests),
        "latency_ms": {
            name: percentile(latencies, q) / 1e6
            for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0))
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=Path, required=True, help="file from payloads.py")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    requests = load_requests(args.requests)
    run: Callable[[Coroutine[Any, Any, dict[str, object]]], dict[str, object]] = asyncio.run
    try:  # uvloop is a dependency of the project (uvicorn's loop): cheaper per request
        import uvloop

        run = uvloop.run
    except ImportError:  # pragma: no cover - Windows
        pass
    print("READY", file=sys.stderr, flush=True)
    result = run(generate(args.host, args.port, requests, args.connections, args.duration))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
