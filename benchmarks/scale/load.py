"""Load on several receivers at once: one load generator process per receiver.

Requests are pre-signed (``payloads`` from the ingest benchmark) into one pool file per
receiver, each with its own id tag, so the rows each generator's receiver stored can be
compared with what that generator saw acknowledged. The generators are the ingest
benchmark's (wrk with its Lua script, or its ``loadgen.py``), started together; the
window starts when the last one is READY and ends when the last one is done. Over it
the CPU of every process of the configuration is read from ``/proc``.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import drivers
import payloads
from check import RowCheck
from drivers import LoadResult
from peers import CLOCK_TICKS, Server, cpu_ticks
from topology import CPUWindow

__all__ = ["Drive", "Shard", "drive", "presign_shards", "row_check"]

READY_TIMEOUT = 120.0


@dataclass
class Shard:
    """The requests for one receiver, and the generator's connections to it."""

    server: Server
    tag: str
    ids: list[str]
    pool: Path
    connections: int


@dataclass
class Drive:
    results: list[LoadResult]
    wall_start: float
    """time.time() when the last generator was READY: the window's start."""
    wall_end: float
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU % of one core per group of processes (receiver1, worker1, postgres, loadgen1...)."""
    machine_cpu: float = 0.0

    @property
    def acked_new(self) -> int:
        return sum(r.acked_new for r in self.results)

    @property
    def ingest_per_s(self) -> float:
        """Answers 200 with ``"duplicate":false``, per second, over all generators."""
        return sum(r.acked_new / r.elapsed_s for r in self.results if r.elapsed_s > 0)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def presign_shards(
    servers: Sequence[Server],
    *,
    per_server: int,
    connections: int,
    secret: str,
    rng: random.Random,
    pool_dir: Path,
    label: str,
) -> list[Shard]:
    shards = []
    for server, conns in zip(servers, split(connections, len(servers)), strict=True):
        tag = payloads.run_tag(rng)
        signed = payloads.presign(
            per_server, secret=secret, host="127.0.0.1", port=server.port, tag=tag, rng=rng
        )
        pool = pool_dir / f"{label}-{server.name}-{tag}.bin"
        payloads.write_requests(pool, signed)
        shards.append(Shard(server, tag, [s.event_id for s in signed], pool, conns))
    return shards


def drive(
    tool: str,
    shards: Sequence[Shard],
    *,
    duration: float,
    wrk_threads: int,
    groups: Callable[[], dict[str, list[int]]],
) -> Drive:
    """Run one generator per shard for ``duration`` seconds; CPU of ``groups()`` meanwhile."""
    commands = [
        drivers._command(tool, s.server, s.pool, s.connections, duration, wrk_threads)
        for s in shards
    ]
    processes = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands
    ]
    readies = [threading.Event() for _ in processes]
    stderr: list[list[bytes]] = [[] for _ in processes]
    stdout: list[bytes] = [b"" for _ in processes]

    def read_stderr(index: int) -> None:
        pipe = processes[index].stderr
        assert pipe is not None
        for line in pipe:
            if line.strip() == b"READY":
                readies[index].set()
            else:
                stderr[index].append(line)
        readies[index].set()  # EOF: no READY will come

    def read_stdout(index: int) -> None:
        pipe = processes[index].stdout
        assert pipe is not None
        stdout[index] = pipe.read()  # to EOF: the load is over when its result is written

    indices = range(len(processes))
    readers = [threading.Thread(target=read_stderr, args=(i,), daemon=True) for i in indices]
    for reader in readers:
        reader.start()
    # Read results concurrently: loadgen.py's result (acknowledged indices) can exceed a
    # pipe's buffer, and a generator blocked writing it would look like a slow one.
    outs = [threading.Thread(target=read_stdout, args=(i,), daemon=True) for i in indices]
    for out in outs:
        out.start()
    for ready in readies:
        ready.wait(READY_TIMEOUT)
    wall_start = time.time()
    loadgen_ticks = [cpu_ticks(p.pid) for p in processes]
    window = CPUWindow.start(groups())
    for out in outs:
        out.join()
    wall_end = time.time()
    seconds, cpu, machine = window.stop(groups())
    results = []
    for index, process in enumerate(processes):
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        readers[index].join(5)
        if process.returncode != 0:
            raise RuntimeError(
                f"{commands[index][0]} failed ({process.returncode}): "
                f"{b''.join(stderr[index]).decode(errors='replace')}"
            )
        used = usage.ru_utime + usage.ru_stime - loadgen_ticks[index] / CLOCK_TICKS
        cpu[f"loadgen{index + 1}"] = 100.0 * used / seconds
        results.append(_result(tool, stdout[index]))
    return Drive(results, wall_start, wall_end, seconds, cpu, machine)


def _result(tool: str, stdout: bytes) -> LoadResult:
    """A LoadResult from a generator's output, as drivers.run_load builds it (CPU apart:
    the caller accounts it per process)."""
    data = drivers._parse(tool, stdout)
    latency = data["latency_ms"]
    answered = int(data["answered"])
    if tool == "wrk":
        ok = int(data["acked_new"]) + int(data["duplicates"])
        non_200 = int(data["non_200"])
    else:
        ok = int(data["statuses"].get("200", 0))
        non_200 = answered - ok
    return LoadResult(
        tool=tool,
        elapsed_s=float(data["elapsed_s"]),
        sent=int(data["sent"]),
        answered=answered,
        ok=ok,
        acked_new=int(data["acked_new"]),
        acked_indices=data.get("acked_indices"),
        duplicates=int(data["duplicates"]),
        non_200=non_200,
        errors=int(data["errors"]),
        exhausted=bool(data["exhausted"]),
        p50_ms=float(latency["p50"]),
        p90_ms=float(latency["p90"]),
        p99_ms=float(latency["p99"]),
        max_ms=float(latency["max"]),
        server_cpu=0.0,
        loadgen_cpu=0.0,
        other_cpu=0.0,
    )


def row_check(stored: set[str], shard: Shard, result: LoadResult) -> RowCheck:
    """Stored rows vs acknowledgements, with the rules of the ingest benchmark's check.py:
    equal sets with loadgen.py (it knows which ids were acknowledged), and
    ``acked <= stored <= acked + in flight`` with wrk (it abandons requests in flight)."""
    if result.duplicates:
        return RowCheck(
            len(stored), result.acked_new, False,
            f"{result.duplicates} distinct ids were answered duplicate=true",
        )  # fmt: skip
    if result.acked_indices is not None:
        acked = {shard.ids[i] for i in result.acked_indices}
        lost, unacked = acked - stored, stored - acked
        if not lost and not unacked:
            return RowCheck(len(stored), len(acked), True, "stored ids == acknowledged ids")
        return RowCheck(
            len(stored), len(acked), False,
            f"{len(lost)} acknowledged but not stored (e.g. {sorted(lost)[:3]}), "
            f"{len(unacked)} stored but not acknowledged ({result.errors} had no answer)",
        )  # fmt: skip
    in_flight = shard.connections + result.errors
    ok = result.acked_new <= len(stored) <= result.acked_new + in_flight
    detail = (
        f"acked <= stored <= acked + {in_flight} (wrk abandons requests in flight)"
        if ok
        else f"stored {len(stored)} outside [{result.acked_new}, {result.acked_new + in_flight}]"
    )
    return RowCheck(len(stored), result.acked_new, ok, detail)
