"""Run one timed load against a server: wrk if installed, else the built-in loadgen.py.

Both load generators read the same file of pre-signed requests, print ``READY`` on
stderr once it is loaded, and print one JSON object of results on stdout. CPU is
accounted from READY to the end of the load, for the server's process tree and for
the load generator itself (its total from wait4's rusage, minus what loading cost).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers import CLOCK_TICKS, HERE, CPUSample, Server, cpu_ticks, system_busy_ticks

__all__ = ["LoadResult", "available_tool", "run_load", "tool_description"]

READY_TIMEOUT = 120.0


@dataclass
class LoadResult:
    tool: str
    elapsed_s: float
    sent: int
    answered: int
    ok: int
    """Answers with status 200 (new or duplicate)."""
    acked_new: int
    acked_indices: list[int] | None
    """Which requests were acknowledged as new (built-in loadgen only; wrk cannot tell)."""
    duplicates: int
    non_200: int
    errors: int
    exhausted: bool
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu: float
    loadgen_cpu: float
    other_cpu: float
    """Everything else the machine ran meanwhile (other users' jobs skew the figures)."""

    @property
    def events_per_s(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0


def available_tool(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--loadgen wrk: wrk is not on PATH (apt-get install wrk)")
    return choice


def tool_description(tool: str, wrk_threads: int) -> str:
    if tool == "wrk":
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        first = (version.stdout or version.stderr).split("\n", 1)[0].split(" [", 1)[0]
        return f"{first} ({wrk_threads} thread{'s' if wrk_threads > 1 else ''}, Lua script)"
    return "built-in loadgen.py (asyncio + uvloop, 1 process, keep-alive)"


def _command(
    tool: str, server: Server, requests_file: Path, connections: int, duration: float, threads: int
) -> list[str]:
    if tool == "wrk":
        return [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(duration))}s",
            "--timeout=10s",
            f"--script={HERE / 'wrk_script.lua'}",
            server.url,
            "--",
            str(requests_file),
            str(threads),
        ]
    return [
        sys.executable,
        str(HERE / "loadgen.py"),
        f"--port={server.port}",
        f"--requests={requests_file}",
        f"--connections={connections}",
        f"--duration={duration}",
    ]


def run_load(
    tool: str,
    server: Server,
    requests_file: Path,
    *,
    connections: int,
    duration: float,
    wrk_threads: int = 1,
) -> LoadResult:
    command = _command(tool, server, requests_file, connections, duration, wrk_threads)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    stderr_lines: list[bytes] = []
    ready = threading.Event()

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.strip() == b"READY":
                ready.set()
            else:
                stderr_lines.append(line)
        ready.set()  # EOF: do not wait forever for a READY that will not come

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    ready.wait(READY_TIMEOUT)
    server_pids = server.pids()
    server_start = CPUSample.take(server_pids)
    loadgen_ticks_at_ready = cpu_ticks(process.pid)
    system_start = system_busy_ticks()
    stdout = process.stdout.read()  # to EOF: the load is over when its result is written
    server_end = CPUSample.take(server_pids)
    system_end = system_busy_ticks()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(5)
    if process.returncode != 0:
        raise RuntimeError(
            f"{command[0]} failed ({process.returncode}): {b''.join(stderr_lines).decode()}"
        )
    loadgen_seconds = usage.ru_utime + usage.ru_stime - loadgen_ticks_at_ready / CLOCK_TICKS
    window = max(server_end.at - server_start.at, 1e-9)
    server_cpu = server_end.percent_since(server_start)
    loadgen_cpu = 100.0 * loadgen_seconds / window
    system_cpu = 100.0 * (system_end - system_start) / CLOCK_TICKS / window
    data = _parse(tool, stdout)
    latency = data["latency_ms"]
    answered = int(data["answered"])
    if tool == "wrk":
        ok = int(data["acked_new"]) + int(data["duplicates"])
        non_200 = int(data["non_200"])
        exhausted = bool(data["exhausted"])
    else:
        statuses: dict[str, int] = data["statuses"]
        ok = statuses.get("200", 0)
        non_200 = answered - ok
        exhausted = bool(data["exhausted"])
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
        exhausted=exhausted,
        p50_ms=float(latency["p50"]),
        p90_ms=float(latency["p90"]),
        p99_ms=float(latency["p99"]),
        max_ms=float(latency["max"]),
        server_cpu=server_cpu,
        loadgen_cpu=loadgen_cpu,
        other_cpu=max(0.0, system_cpu - server_cpu - loadgen_cpu),
    )


def _parse(tool: str, stdout: bytes) -> dict[str, Any]:
    text = stdout.decode(errors="replace")
    if tool == "wrk":
        # wrk prints its own report first; the script's done() prints one JSON line.
        for line in text.splitlines():
            if line.startswith('{"tool":"wrk"'):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        raise RuntimeError(f"no result line in wrk's output:\n{text}")
    result: dict[str, Any] = json.loads(text)
    return result
