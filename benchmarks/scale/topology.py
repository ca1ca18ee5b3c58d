"""Receivers and workers as processes, and the CPU each of them used.

A configuration is R receivers (``appevents serve --no-worker``, each on its own free
port of 127.0.0.1) and W workers (``appevents worker``), all on one store. Every
process runs in its own session (process group) and is stopped (SIGTERM, then SIGKILL)
when the topology closes, whatever happened. The server helpers come from the ingest
benchmark (``peers``), imported, not copied: run.py puts ``benchmarks/ingest`` on
``sys.path``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import peers
from common.processes import stop, wait_listening
from peers import CLOCK_TICKS, Server, cpu_ticks, process_tree, system_busy_ticks

__all__ = ["CPUWindow", "Topology", "postgres_pids", "topology"]

HERE = Path(__file__).resolve().parent
APP = "scale_app:app"
WORKER_READY = "appevents: worker on"


@dataclass
class Topology:
    receivers: list[Server] = field(default_factory=list)
    workers: list[Server] = field(default_factory=list)
    """Workers listen on nothing: their ``port`` is 0."""

    def members(self) -> list[Server]:
        return [*self.receivers, *self.workers]

    def check_alive(self) -> None:
        for member in self.members():
            member.check_alive()


def _spawn(
    name: str, label: str, args: Sequence[str], store_url: str, secret: str, log: Path, port: int
) -> Server:
    command = [
        sys.executable, "-m", "appevents.cli.main", *args, APP, "--app-dir", str(HERE),
        "--store", store_url, "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=HERE,
            env={**os.environ, "APPEVENTS_WEBHOOK_SECRET": secret},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping reaches all of it
        )
    return Server(name, label, process, port, log)


def _wait_for_log(server: Server, marker: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.check_alive()
        with contextlib.suppress(OSError):
            if marker in server.log.read_text(errors="replace"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not start within {timeout:.0f} s:\n{server.tail_log()}")


@contextlib.contextmanager
def topology(
    *, receivers: int, workers: int, store_url: str, secret: str, logs: Path
) -> Iterator[Topology]:
    running = Topology()
    try:
        # One after the other: the first one creates the schema, the next find it.
        for number in range(1, receivers + 1):
            port = peers.free_port()
            server = _spawn(
                f"receiver{number}", f"appevents serve --no-worker :{port}",
                ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
                store_url, secret, logs / f"receiver{number}.log", port,
            )  # fmt: skip
            running.receivers.append(server)
            wait_listening(server.name, server.port, server.check_alive)
        for number in range(1, workers + 1):
            server = _spawn(
                f"worker{number}", "appevents worker", ["worker"], store_url, secret,
                logs / f"worker{number}.log", 0,
            )  # fmt: skip
            running.workers.append(server)
            _wait_for_log(server, WORKER_READY)
        yield running
    finally:
        for member in running.members():
            stop(member.process)


# -- CPU ----------------------------------------------------------------------------------


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (postmaster and backends)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


@dataclass
class CPUWindow:
    """Per-process CPU over a window, in % of one core (200 % = both cores of 2)."""

    started: float
    system_start: int
    groups_start: dict[str, dict[int, int]]

    @classmethod
    def start(cls, groups: dict[str, list[int]]) -> CPUWindow:
        ticks = {name: {pid: cpu_ticks(pid) for pid in pids} for name, pids in groups.items()}
        return cls(time.perf_counter(), system_busy_ticks(), ticks)

    def stop(self, groups: dict[str, list[int]]) -> tuple[float, dict[str, float], float]:
        """(seconds, {group: CPU %}, whole machine busy %). ``groups`` may name processes
        born during the window (new PostgreSQL backends): they count from 0."""
        ended = time.perf_counter()
        system_end = system_busy_ticks()
        seconds = max(ended - self.started, 1e-9)
        result = {}
        for name, pids in groups.items():
            before = self.groups_start.get(name, {})
            # A process gone by now reads 0 ticks: count nothing for it rather than a negative.
            used = sum(
                max(0, cpu_ticks(pid) - before.get(pid, 0)) for pid in set(pids) | set(before)
            )
            result[name] = 100.0 * used / CLOCK_TICKS / seconds
        machine = 100.0 * (system_end - self.system_start) / CLOCK_TICKS / seconds
        return seconds, result, machine


def tree(server: Server) -> list[int]:
    return process_tree(server.process.pid)
