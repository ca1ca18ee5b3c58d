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

__all__ = ["WorkerProcess", "watch_wake_pipe"]

log = logging.getLogger("appevents")

RESTART_DELAY = 1.0
STOP_TIMEOUT = 15.0


class WorkerProcess:
    """Start ``appevents worker`` as a child, keep it running, stop it."""

    def __init__(self, arguments: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        self._arguments = list(arguments)
        self._env = env
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self) -> None:
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

    def _spawn(self) -> None:
        command = [
            sys.executable, "-m", "appevents.cli.main", "worker", *self._arguments,
            "--wake-fd", str(self._read_fd),
        ]  # fmt: skip
        # Our own interpreter and entry point; the arguments are serve's own options.
        self._process = subprocess.Popen(  # noqa: S603
            command, pass_fds=(self._read_fd,), env=self._env
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
