"""The worker as a child process of ``appevents serve``, woken through a pipe.

One Python process runs on one core at a time (the GIL): with the worker beside the
endpoint, handlers and HTTP share that core and the receiver's latency follows the
backlog. As a child process the worker gets a core of its own, and the SQLite store's
writer lock (``receiver/stores/sqlite/lock.py``) still gives the receiver's commits
priority across the two processes.

The parent writes one byte into a pipe after each commit that stored new events; the
child wakes on it instead of polling. The pipe also ties the child's life to the
parent's: when the parent dies, even by SIGKILL, the child reads end-of-file and stops
after its current batch. A child that exits on its own is started again.

With metrics on, a second pipe carries the child's results back: one short JSON line per
batch (``receiver.metrics.encode_results``), so the parent's ``/metrics`` counts the
attempts its worker made. The child never waits for it: a line that does not fit in a
full pipe is dropped (and said once in the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from ..receiver.inbox import Outcome, StoredEvent
from ..receiver.metrics import decode_results, encode_results

__all__ = ["WorkerProcess", "report_results", "watch_wake_pipe"]

log = logging.getLogger("appevents")

RESTART_DELAY = 1.0
STOP_TIMEOUT = 15.0


class WorkerProcess:
    """Start ``appevents worker`` as a child, keep it running, stop it."""

    def __init__(
        self,
        arguments: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        on_results: Callable[[list[tuple[str, str, float]]], None] | None = None,
    ) -> None:
        """``on_results`` gets the child's attempts, (type, outcome, seconds), on a
        thread of its own (metrics count them)."""
        self._arguments = list(arguments)
        self._env = env
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._on_results = on_results
        self._stats: tuple[int, int] | None = os.pipe() if on_results is not None else None
        self._stats_reader: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self) -> None:
        if self._stats is not None:
            self._stats_reader = threading.Thread(
                target=self._read_stats, name="appevents-worker-stats", daemon=True
            )
            self._stats_reader.start()
        self._spawn()
        self._monitor = threading.Thread(
            target=self._keep_running, name="appevents-worker-monitor", daemon=True
        )
        self._monitor.start()

    def wake(self) -> None:
        """Tell the child new events were committed (never blocks the caller)."""
        # A full pipe already holds unread wake-ups; a closed one means we are stopping.
        with contextlib.suppress(OSError):  # BlockingIOError, BrokenPipeError
            os.write(self._write_fd, b"\x01")

    def stop(self) -> None:
        """Let the child finish its batch and exit; kill it if it does not in time."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            os.close(self._write_fd)  # the child reads end-of-file and stops
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("the worker process did not stop in %.0f s: killing it", STOP_TIMEOUT)
                process.kill()
                process.wait()
        if self._monitor is not None:
            self._monitor.join(STOP_TIMEOUT)
        with contextlib.suppress(OSError):
            os.close(self._read_fd)
        if self._stats is not None:
            with contextlib.suppress(OSError):
                os.close(self._stats[1])  # the reader sees end-of-file once the child is gone
            if self._stats_reader is not None:
                self._stats_reader.join(STOP_TIMEOUT)

    def _read_stats(self) -> None:
        assert self._stats is not None and self._on_results is not None
        with os.fdopen(self._stats[0], "rb") as pipe:
            for line in iter(pipe.readline, b""):
                results = decode_results(line)
                if results:
                    self._on_results(results)

    def _spawn(self) -> None:
        command = [
            sys.executable, "-m", "appevents.cli.main", "worker", *self._arguments,
            "--wake-fd", str(self._read_fd),
        ]  # fmt: skip
        fds = [self._read_fd]
        if self._stats is not None:
            command += ["--stats-fd", str(self._stats[1])]
            fds.append(self._stats[1])
        # Our own interpreter and entry point; the arguments are serve's own options.
        self._process = subprocess.Popen(  # noqa: S603
            command, pass_fds=fds, env=self._env
        )

    def _keep_running(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            # ^C reaches the whole process group: the child may stop a moment before we
            # do. Wait a little before calling its exit unexpected.
            if self._stopping.wait(RESTART_DELAY):
                return
            log.error("the worker process exited with status %s; starting it again", code)
            self._spawn()


def watch_wake_pipe(
    loop: asyncio.AbstractEventLoop,
    fd: int,
    wake: Callable[[], None],
    parent_gone: Callable[[], None],
) -> None:
    """In the child: call ``wake`` on each wake-up byte, ``parent_gone`` at end-of-file."""
    os.set_blocking(fd, False)

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        if data:
            wake()
            return
        loop.remove_reader(fd)
        parent_gone()

    loop.add_reader(fd, readable)


def report_results(fd: int) -> Callable[[Sequence[tuple[StoredEvent, Outcome]]], None]:
    """In the child: the worker's observer that writes each batch's results to ``fd``."""
    os.set_blocking(fd, False)
    dropped = False

    def report(results: Sequence[tuple[StoredEvent, Outcome]]) -> None:
        nonlocal dropped
        for line in encode_results(results):
            try:
                os.write(fd, line)
            except BlockingIOError:
                if not dropped:
                    log.warning("worker: the server reads its metrics late; some are dropped")
                dropped = True
            except OSError:  # the server is gone: the wake pipe stops this worker soon
                return

    return report
