"""localstripe's side: the ``localstripe`` package from PyPI, in a virtualenv of its own
(``.venv-localstripe/`` next to this file, made on first use) so its dependencies
(aiohttp, ...) stay out of the project's environment.

localstripe has no webhook endpoints API: ``POST /_config/webhooks/{name}`` with
``url``, ``secret`` and ``events`` registers one (see its ``server.py``), and it
delivers every event to every registered webhook. Any ``sk_…`` key is accepted.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from procs import Process, free_port, spawn

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-localstripe"
REQUIREMENT = "localstripe>=1.15,<1.16"  # the release the reference figures were taken with
KEY = "sk_test_delivery_bench"


class Unavailable(RuntimeError):
    """localstripe could not be installed or started here (the message says why)."""


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise Unavailable(
            f"`{' '.join(command)}` failed ({done.returncode}):\n" + "\n".join(output)
        )


def ensure_installed() -> tuple[Path, str]:
    """The ``localstripe`` executable (installing it on first use) and its version."""
    executable = VENV / "bin" / "localstripe"
    python = VENV / "bin" / "python"
    if not executable.exists():
        # The project's interpreter makes the venv: same Python version, no system packages.
        _run([sys.executable, "-m", "venv", "--clear", str(VENV)])
        _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              REQUIREMENT])  # fmt: skip
    script = "from importlib.metadata import version; print(version('localstripe'))"
    version = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, timeout=60, check=False
    ).stdout.strip()
    return executable, version or "?"


@contextlib.contextmanager
def localstripe(executable: Path, workdir: Path) -> Iterator[Process]:
    """A fresh localstripe (``--from-scratch``: it ignores the store pickled by a previous
    run; note it still writes that pickle to /tmp/localstripe.pickle, a fixed path)."""
    port = free_port()
    command = [str(executable), "--port", str(port), "--from-scratch"]
    with spawn(
        "localstripe", command, port=port, log=workdir / "localstripe.log", cwd=workdir
    ) as p:
        yield p


def register_webhook(process: Process, receiver: str) -> None:
    body = json.dumps(
        {"url": f"{receiver}/webhook", "secret": "whsec_delivery_bench", "events": None}
    ).encode()
    request = urllib.request.Request(
        f"{process.base}/_config/webhooks/bench",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # our own 127.0.0.1 server
        if response.status != 200:
            raise RuntimeError(f"localstripe refused the webhook: {response.status}")
