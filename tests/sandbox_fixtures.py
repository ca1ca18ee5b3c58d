"""A running sandbox (in a thread, on 127.0.0.1) and a scriptable webhook receiver."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from appevents.sandbox.delivery import DeliverySettings
from appevents.sandbox.schedule import HOUR, DisablePolicy, RetrySchedule
from appevents.sandbox.server import SandboxServer
from servers import asgi_server, read_request, respond, wait_http

# An hour of Stripe's schedules lasts a second here.
TIME_SCALE = 1 / HOUR


@dataclass
class RunningSandbox:
    server: SandboxServer
    base: str
    key: str
    live_key: str
    platform: str

    def client(self, key: str | None = None) -> stripe.StripeClient:
        return stripe.StripeClient(key or self.key, base_addresses={"api": self.base},
                                   max_network_retries=0)  # fmt: skip

    def post(self, path: str, json: dict[str, Any], key: str | None = None) -> Any:
        response = httpx.post(self.base + path, json=json,
                              headers={"Authorization": f"Bearer {key or self.key}"})  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    def delete(self, path: str, key: str | None = None) -> Any:
        response = httpx.delete(
            self.base + path, headers={"Authorization": f"Bearer {key or self.key}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, key: str | None = None) -> Any:
        response = httpx.get(
            self.base + path, headers={"Authorization": f"Bearer {key or self.key}"}
        )
        assert response.status_code == 200, response.text
        return response.json()


def start(data: str, **settings: Any) -> tuple[SandboxServer, Any]:
    delivery = DeliverySettings(
        timeout=settings.pop("timeout", 5.0),
        schedule=RetrySchedule(time_scale=TIME_SCALE),
        disable=DisablePolicy(time_scale=settings.pop("disable_scale", TIME_SCALE)),
    )
    server = SandboxServer(data, settings=delivery)
    return server, asgi_server(server.asgi())


@pytest.fixture
def sandbox(tmp_path) -> Iterator[RunningSandbox]:
    server, running = start(str(tmp_path / "sandbox.db"))
    platform = server.platform()
    keys = platform["keys"]
    with running as base:
        yield RunningSandbox(server, base, keys["test"], keys["live"], str(platform["id"]))  # type: ignore[index]
    server.close()


@dataclass
class Receiver:
    """Answers webhook deliveries with scripted statuses and records what it got."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.received.append(await read_request(scope, receive))
        status = self.statuses.pop(0) if self.statuses else self.default
        headers = [(b"location", b"https://elsewhere.example/hook")] if 300 <= status < 400 else []
        await respond(send, status, f"answered {status}".encode(), headers)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    handler = Receiver()
    with asgi_server(handler) as base:
        yield handler, base + "/webhook"


def wait_for(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        time.sleep(0.02)


def start_sandbox(
    data: Path, port: int, *extra: str
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "appevents.cli.main", "sandbox", "--data", str(data),
         "--port", str(port), "--time-scale", str(1 / 3600), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    printed: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while "live" not in printed and time.monotonic() < deadline:
        line = process.stdout.readline()
        if match := re.match(r"platform account (acct_\w+)", line):
            printed["platform"] = match.group(1)
        if match := re.match(r"\s+(test|live) secret key: (sk_\w+)", line):
            printed[match.group(1)] = match.group(2)
    wait_http(f"http://127.0.0.1:{port}/v1/account", process)
    return process, printed


def kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
