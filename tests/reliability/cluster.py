"""Several `appevents serve` and `appevents worker` processes on one store, for the
reliability suite. Every process binds 127.0.0.1, lives in its own process group, and is
killed when the cluster closes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from servers import free_port, poll_until, wait_http

SECRET = "whsec_reliability"

# The app under test: every handler run leaves one row in `effects` through the worker's
# transaction, with no unique constraint, so a second run of an effect would be counted.
APP_MODULE = textwrap.dedent(
    """
    import sqlite3

    from appevents.receiver import App

    app = App()


    def _sql(connection, statement):
        return statement if isinstance(connection, sqlite3.Connection) else statement.replace("?", "%s")


    @app.on_setup
    def schema(db):
        db.execute("CREATE TABLE IF NOT EXISTS effects (event_id TEXT NOT NULL, account TEXT NOT NULL)")


    @app.on("*")
    def effect(event, ctx):
        ctx.transaction.execute(
            _sql(ctx.transaction, "INSERT INTO effects (event_id, account) VALUES (?, ?)"),
            (event.id, ctx.account or ""),
        )


    @app.on_uninstall
    def forget(event, ctx):
        ctx.transaction.execute(
            _sql(ctx.transaction, "DELETE FROM effects WHERE account = ?"), (ctx.account,)
        )
    """
)


@dataclass
class Cluster:
    workdir: Path
    store_url: str
    receivers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.workdir / "reliability_app.py").write_text(APP_MODULE)

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "appevents.cli.main", *args, "reliability_app:app",
                   "--app-dir", str(self.workdir), "--store", self.store_url,
                   "--log-level", "warning"]  # fmt: skip
        # Logs go to a file, never to a pipe nobody reads: a full pipe would block the
        # process (and its children, which inherit it) at its next log line.
        log = self.workdir / f"{args[0]}-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen(
                command, cwd=self.workdir, start_new_session=True, stdout=subprocess.DEVNULL,
                stderr=out, env={**os.environ, "APPEVENTS_WEBHOOK_SECRET": SECRET},
            )  # fmt: skip

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 60) -> None:
        """Poll ``check`` until true; on timeout, fail with the end of every process's log.
        An error counts as not yet: the store's tables appear while the processes start."""

        def quietly() -> bool:
            try:
                return check()
            except Exception:
                return False

        try:
            poll_until(quietly, timeout=timeout, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the processes' logs:\n{self.log_tails()}") from None

    def log_tails(self, lines: int = 20) -> str:
        """The end of every process's log, for a failing test's message."""
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in self.logs
        )

    def start_receiver(self, *, worker: bool = True) -> str:
        port = free_port()
        process = self._spawn("serve", "--port", str(port), *([] if worker else ["--no-worker"]))
        url = f"http://127.0.0.1:{port}/webhook"
        wait_http(url, process)
        self.receivers[url] = process
        return url

    def start_worker(self) -> subprocess.Popen[bytes]:
        process = self._spawn("worker")
        self.workers.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def kill_receiver(self, url: str) -> None:
        self.kill(self.receivers.pop(url))

    def close(self) -> None:
        for process in [*self.receivers.values(), *self.workers]:
            self.kill(process)
        self.receivers.clear()
        self.workers.clear()


@contextlib.contextmanager
def cluster(workdir: Path, store_url: str) -> Iterator[Cluster]:
    running = Cluster(workdir, store_url)
    try:
        yield running
    finally:
        running.close()
