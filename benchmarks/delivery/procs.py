"""Starting and always stopping the benchmark's servers, and reading their CPU.

Each server runs in its own session (process group), so stopping it reaches anything it
forked; stopping is SIGTERM to the group, then SIGKILL. Output goes to a log file, never
to a pipe: a pipe nobody reads would eventually block the server.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# benchmarks/ holds the shared harness (common/); each benchmark runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common.processes import stop, wait_listening

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.popen.returncode}; its log:\n{self.tail_log()}"
            )

    def tail_log(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_for_log(self, marker: str, timeout: float = 30.0) -> str:
        """The first log line containing ``marker`` (the sandbox prints its keys)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                for line in self.log.read_text(errors="replace").splitlines():
                    if marker in line:
                        return line
            self.check_alive()
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} printed no {marker!r} within {timeout:.0f} s")

    def wait_listening(self, timeout: float = 30.0) -> None:
        wait_listening(self.name, self.port, self.check_alive, timeout)


@contextlib.contextmanager
def spawn(
    name: str, command: Sequence[str], *, port: int, log: Path, cwd: Path | None = None
) -> Iterator[Process]:
    """Run ``command`` until the block ends, whatever happens in it."""
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = Process(name, popen, port, log)
    try:
        process.wait_listening()
        yield process
    finally:
        stop(popen)


# -- CPU from /proc ------------------------------------------------------------------------


def process_ticks(pid: int) -> int:
    """utime + stime of a process, all threads included (0 once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = text[text.rindex(")") + 2 :].split()  # the name may contain spaces
    return int(fields[11]) + int(fields[12])


def machine_busy_ticks() -> int:
    """Non-idle ticks of all CPUs together (first line of /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]) - fields[3] - fields[4]  # minus idle and iowait


@dataclass(frozen=True)
class CPUSample:
    at: float
    server: int
    machine: int

    @classmethod
    def take(cls, pid: int) -> CPUSample:
        return cls(time.monotonic(), process_ticks(pid), machine_busy_ticks())

    def percents_since(self, start: CPUSample) -> tuple[float, float]:
        """(server, whole machine) CPU in % of one core over the interval (200 % = 2 cores)."""
        seconds = max(self.at - start.at, 1e-9) * CLOCK_TICKS / 100
        return (self.server - start.server) / seconds, (self.machine - start.machine) / seconds
