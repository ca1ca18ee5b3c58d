"""A `listen` client stopped and started again mid-stream, `appevents listen` and the
official Stripe CLI alike: every event is forwarded once in all, none lost, none of
those already answered sent again, apart from the one a SIGKILL catches in flight."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import stripe_cli
from appevents.signature import verify
from sandbox_fixtures import RunningSandbox, wait_for
from servers import asgi_server

pytestmark = pytest.mark.slow


class SlowReceiver:
    """Records each delivery, then takes ``delay`` seconds to answer it, one at a time, so
    that a client can be stopped with part of a backlog forwarded."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._turn = asyncio.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        async with self._turn:
            body = b""
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client died mid-request: nothing was delivered
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            self.received.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
            await asyncio.sleep(self.delay)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    def event_ids(self) -> list[str]:
        return [json.loads(body)["id"] for _, body in self.received]


@dataclass
class Client:
    """How to run one `listen` client against the sandbox, forwarding to ``target``."""

    name: str
    sandbox: RunningSandbox
    target: str
    home: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def command(self) -> tuple[list[str], dict[str, str]]:
        if self.name == "appevents":
            env = {**os.environ, "APPEVENTS_CONFIG_DIR": str(self.home),
                   "APPEVENTS_API_BASE": self.sandbox.base, "APPEVENTS_API_KEY": self.sandbox.key}  # fmt: skip
            return [sys.executable, "-u", "-m", "appevents.cli.main", "listen",
                    "--forward-to", self.target], env  # fmt: skip
        args = ["listen", "--forward-to", self.target, "--all-snapshot", "--skip-update"]
        return (stripe_cli.command(self.sandbox.base, self.sandbox.key, *args),
                stripe_cli.environment(self.home))  # fmt: skip

    def start(self, run: int) -> subprocess.Popen[bytes]:
        argv, env = self.command()
        err = self.home / f"{self.name}-{run}.err"
        out_path = self.home / f"{self.name}-{run}.out"
        with out_path.open("wb") as out, err.open("wb") as errors:
            process = subprocess.Popen(argv, stdout=out, stderr=errors, env=env,
                                       start_new_session=True)  # fmt: skip
        self.started.append(process)
        wait_for(lambda: "Ready!" in err.read_text() or process.poll() is not None, 30)
        assert process.poll() is None, err.read_text()
        return process

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.started:
            if process.poll() is None:
                stop(process, signal.SIGKILL)


def stop(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    os.killpg(process.pid, how)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def emit(sandbox: RunningSandbox, count: int) -> list[str]:
    return [
        sandbox.post("/_sandbox/events", {"type": "customer.created",
                                          "object": {"id": f"cus_{n}", "object": "customer"}})["id"]
        for n in range(count)
    ]  # fmt: skip


def cursor_at_latest(sandbox: RunningSandbox) -> bool:
    """Every event the sandbox holds has been acknowledged by the listening device."""
    db = sandbox.server.db
    query = "SELECT (SELECT MAX(cursor) FROM cli_devices) = (SELECT MAX(seq) FROM events)"
    return bool(sandbox.server.lane.submit(lambda: db.execute(query).fetchone()[0]))


@pytest.mark.parametrize("name", ["appevents", "stripe"])
def test_a_listener_stopped_and_restarted_forwards_each_event_once(
    sandbox: RunningSandbox, tmp_path: Path, name: str
):
    if name == "stripe":
        stripe_cli.binary()  # skips (fails in CI) before anything starts
    # `appevents listen` acknowledges each event after forwarding it, one at a time: it
    # can be killed anywhere. The Stripe CLI acknowledges on receipt and forwards on a
    # goroutine per event, so an event acknowledged and not yet posted when it dies is
    # lost (as with Stripe): it is stopped once what it was sent is acknowledged.
    receiver = SlowReceiver(delay=0.02 if name == "appevents" else 0.0)
    with asgi_server(receiver) as base, Client(name, sandbox, base + "/hook", tmp_path) as client:
        first = client.start(1)  # the device is created now: the backlog comes after
        backlog = emit(sandbox, 30)

        def stop_when(count: int, how: signal.Signals, process: subprocess.Popen[bytes]) -> None:
            if name == "appevents":
                wait_for(lambda: len(set(receiver.event_ids())) >= count, 30)
            else:
                wait_for(lambda: len(receiver.event_ids()) >= len(backlog), 30)
                wait_for(lambda: cursor_at_latest(sandbox), 10)
            stop(process, how)

        stop_when(10, signal.SIGKILL, first)
        backlog += emit(sandbox, 5)  # while nobody listens
        stop_when(20, signal.SIGTERM, client.start(2))
        third = client.start(3)
        wait_for(lambda: set(receiver.event_ids()) == set(backlog), 30)
        live = emit(sandbox, 5)
        wait_for(lambda: set(receiver.event_ids()) == {*backlog, *live}, 30)
        time.sleep(0.3)  # nothing more may come
        stop(third, signal.SIGTERM)
    got = receiver.event_ids()
    repeated = {event: n for event, n in Counter(got).items() if n > 1}
    assert set(got) == {*backlog, *live}
    assert len(repeated) <= 1 and set(repeated.values()) <= {2}, repeated
    if name == "appevents":  # one at a time, in the sandbox's order
        assert list(dict.fromkeys(got)) == [*backlog, *live]


def test_the_stripe_cli_listens_to_the_sandbox_with_its_stable_secret(
    sandbox: RunningSandbox, tmp_path: Path
):
    env = stripe_cli.environment(tmp_path)
    printed = subprocess.run(
        stripe_cli.command(sandbox.base, sandbox.key, "listen", "--print-secret", "--skip-update"),
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    secret = printed.stdout.strip()
    assert printed.returncode == 0 and secret.startswith("whsec_"), printed.stderr
    receiver = SlowReceiver(delay=0.0)
    with (
        asgi_server(receiver) as base,
        Client("stripe", sandbox, base + "/hook", tmp_path) as client,
    ):
        process = client.start(1)
        sent = emit(sandbox, 3)
        wait_for(lambda: receiver.event_ids() == sent, 30)
        wait_for(lambda: (tmp_path / "stripe-1.out").read_text().count("<--  [200] POST") == 3, 10)
        stop(process, signal.SIGTERM)
    for headers, body in receiver.received:  # signed by the sandbox with the device's secret
        assert verify(body, headers["stripe-signature"], secret)
    assert f"Your webhook signing secret is {secret}" in (tmp_path / "stripe-1.err").read_text()
    out = (tmp_path / "stripe-1.out").read_text()
    for event in sent:
        assert f"--> customer.created [{event}]" in out
        assert f"<--  [200] POST {base}/hook [{event}]" in out
