"""The two receivers under test, as processes, plus per-process CPU accounting.

- ``appevents``: ``appevents serve`` (its built-in server) with receiver_app.py, a
  durable SQLite store and, unless ``--no-worker``, the worker in a child process (the
  CPU columns count the whole process tree).
- ``stripe-docs``: docs_sample.py, the Flask receiver from Stripe's documentation,
  under gunicorn with 2 (sync) workers, which is how that sample is usually deployed.

Each server runs in its own session (process group) so that stopping it also stops
the processes it forked (gunicorn's workers); stopping is SIGTERM, then SIGKILL.
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

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- CPU from /proc (psutil is not a dependency) ---------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: split after its closing paren.
    return text[text.rindex(")") + 2 :].split()


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, all its threads included (0 once it is gone)."""
    fields = _stat_fields(pid)
    return 0 if fields is None else int(fields[11]) + int(fields[12])


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (gunicorn's master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def system_busy_ticks() -> int:
    """Non-idle ticks of all CPUs together, from the first line of /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle  # guest time is already counted in user


@dataclass
class CPUSample:
    at: float
    ticks: dict[int, int]

    @classmethod
    def take(cls, pids: Sequence[int]) -> CPUSample:
        return cls(time.perf_counter(), {pid: cpu_ticks(pid) for pid in pids})

    def percent_since(self, start: CPUSample) -> float:
        """CPU used between two samples, in % of one core (200 % = both cores busy)."""
        used = sum(t - start.ticks.get(pid, 0) for pid, t in self.ticks.items())
        return 100.0 * used / CLOCK_TICKS / max(self.at - start.at, 1e-9)


# -- servers -----------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    label: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}; its log:\n{self.tail_log()}"
            )

    def tail_log(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def _serve(
    name: str, label: str, command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[Server]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=HERE,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches every worker
        )
    server = Server(name, label, process, port, log)
    try:
        wait_listening(server.name, server.port, server.check_alive)
        yield server
    finally:
        stop(process)


@contextlib.contextmanager
def appevents_server(
    *, secret: str, db: Path, log: Path, worker: bool = True, metrics: bool = False
) -> Iterator[Server]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "appevents.cli.main",
        "serve",
        "receiver_app:app",
        "--app-dir",
        str(HERE),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store",
        f"sqlite:///{db}",
        "--secret",
        secret,
        "--log-level",
        "warning",
    ]
    if not worker:
        command.append("--no-worker")
    if metrics:
        command += ["--metrics-port", str(free_port())]
    label = (
        "appevents serve (built-in server, SQLite FULL"
        + (
            ", its worker processing in a child process"
            if worker
            else ", --no-worker: the receiver"
        )
        + (", --metrics-port)" if metrics else ")")
    )
    name = "appevents+worker" if worker else "appevents"
    with _serve(name, label, command, {}, port, log) as server:
        yield server


@contextlib.contextmanager
def stripe_docs_server(*, secret: str, log: Path, workers: int = 2) -> Iterator[Server]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "docs_sample:app",
    ]
    label = f"Stripe docs sample (Flask + gunicorn, {workers} sync workers, stores nothing)"
    env = {"STRIPE_WEBHOOK_SECRET": secret}
    with _serve("stripe-docs", label, command, env, port, log) as server:
        yield server
