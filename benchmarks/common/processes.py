"""Servers under benchmark: wait until they listen, stop their whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

__all__ = ["stop", "wait_listening"]


def wait_listening(
    name: str, port: int, check_alive: Callable[[], None], timeout: float = 30.0
) -> None:
    """Until 127.0.0.1:``port`` accepts connections; ``check_alive`` raises if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_alive()
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.2),
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
