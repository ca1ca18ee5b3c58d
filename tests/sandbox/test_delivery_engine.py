"""The delivery engine's pipeline, with a scripted client in place of HTTP: deliveries go
from memory as soon as they are committed, the endpoint's current state is checked
before each POST, and nothing owed is lost or sent twice (resends, leases, surprises)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from appevents.errors import ConfigurationError
from appevents.sandbox.delivery import DeliverySettings, Poster
from appevents.sandbox.http_client import Answer, DeliveryError
from appevents.sandbox.owed import LEASE
from appevents.sandbox.schedule import HOUR, DisablePolicy, RetrySchedule
from appevents.sandbox.server import SandboxServer
from appevents.signature import verify
from sandbox_fixtures import wait_for
from servers import asgi_server


@dataclass
class Scripted:
    """Records every POST; holds them while ``gate`` is closed; raises ``failures`` first."""

    posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    failures: list[Exception] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate.set()

    async def post(self, url: str, headers: Sequence[tuple[str, str]], body: bytes) -> Answer:
        self.posts.append((url, dict(headers), body))
        if not self.gate.is_set():
            await asyncio.to_thread(self.gate.wait)
        if self.failures:
            raise self.failures.pop(0)
        return Answer(200, b"thanks")

    async def aclose(self) -> None:
        pass

    def event_ids(self) -> list[str]:
        return [json.loads(body)["id"] for _, _, body in self.posts]


@dataclass
class Running:
    server: SandboxServer
    client: Scripted | Poster
    http: httpx.Client

    def emit(self, n: int) -> str:
        answer = self.http.post("/_sandbox/events", json={
            "type": "customer.created", "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])

    def delivery(self, event_id: str) -> dict[str, object]:
        deliveries = self.http.get(f"/_sandbox/events/{event_id}/deliveries").json()
        return dict(deliveries["deliveries"][0])


@contextmanager
def running(
    data: str,
    client: Scripted | Poster,
    *,
    concurrency: int | None = None,
    batch: int = 256,
    clock: Callable[[], float] = time.time,
) -> Iterator[Running]:
    settings = DeliverySettings(
        timeout=5.0, concurrency=concurrency or DeliverySettings().concurrency, batch=batch,
        schedule=RetrySchedule(time_scale=1 / HOUR), disable=DisablePolicy(time_scale=1 / HOUR),
    )  # fmt: skip
    server = SandboxServer(data, settings=settings, client=client, clock=clock)
    key = server.platform()["keys"]["test"]  # type: ignore[index]
    try:
        with (
            asgi_server(server.asgi()) as base,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http,
        ):
            yield Running(server, client, http)
    finally:
        server.close()


def endpoint(run: Running, url: str = "http://127.0.0.1:9/hook") -> dict[str, str]:
    answer = run.http.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[0]": "*"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_new_event_is_posted_at_once_signed_and_recorded(tmp_path):
    with running(str(tmp_path / "s.db"), Scripted()) as run:
        hook = endpoint(run)
        event_id = run.emit(1)
        wait_for(lambda: run.delivery(event_id)["status"] == "succeeded")
        [(url, headers, body)] = run.client.posts
        assert url == "http://127.0.0.1:9/hook"
        verify(body, headers["Stripe-Signature"], hook["secret"], tolerance=300)
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        payload = json.loads(body)
        assert (payload["id"], payload["pending_webhooks"]) == (event_id, 1)
        assert payload["data"]["object"] == {"id": "cus_1", "object": "customer"}
        [attempt] = run.delivery(event_id)["attempts_log"]  # type: ignore[misc]
        assert (attempt["status_code"], attempt["response"]) == (200, "thanks")


def test_queued_deliveries_see_their_endpoint_disabled_then_enabled_and_moved(tmp_path):
    client = Scripted()
    with running(str(tmp_path / "s.db"), client, concurrency=1) as run:
        hook = endpoint(run)
        client.gate.clear()
        first = run.emit(1)
        wait_for(lambda: len(client.posts) == 1)  # held: the next one waits in the queue
        second = run.emit(2)
        run.http.post(f"/v1/webhook_endpoints/{hook['id']}", data={"disabled": "true"})
        client.gate.set()
        wait_for(lambda: run.delivery(first)["status"] == "succeeded")
        time.sleep(0.3)
        assert client.event_ids() == [first]  # never sent to a disabled endpoint
        assert (run.delivery(second)["status"], run.delivery(second)["attempts"]) == ("pending", 0)
        run.http.post(f"/v1/webhook_endpoints/{hook['id']}",
                      data={"disabled": "false", "url": "http://127.0.0.1:9/moved"})  # fmt: skip
        wait_for(lambda: run.delivery(second)["status"] == "succeeded")
        assert client.event_ids() == [first, second]
        assert client.posts[-1][0] == "http://127.0.0.1:9/moved"


def test_a_resend_during_the_first_attempt_is_sent_after_it(tmp_path):
    client = Scripted()
    with running(str(tmp_path / "s.db"), client) as run:
        hook = endpoint(run)
        client.gate.clear()
        event_id = run.emit(1)
        wait_for(lambda: len(client.posts) == 1)
        resent = run.http.post(
            f"/v1/events/{event_id}/retry", data={"webhook_endpoint": hook["id"]}
        )
        assert resent.status_code == 200
        client.gate.set()
        wait_for(lambda: len(client.posts) == 2)
        wait_for(lambda: run.delivery(event_id)["status"] == "succeeded")
        time.sleep(0.3)
        assert client.event_ids() == [event_id, event_id]


def test_deliveries_owed_by_a_sandbox_that_never_sent_them_are_sent_at_the_next_start(tmp_path):
    data = str(tmp_path / "s.db")
    first = SandboxServer(data)  # never served: its engine never runs
    platform = first.platform()
    hook = first.lane.submit(
        first.sandbox.create_endpoint,
        first.sandbox.caller(platform["keys"]["test"], None),  # type: ignore[index]
        {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]},
    )
    owed = first.lane.submit(first.sandbox.emit, platform["id"], False, "customer.created",
                             {"id": "cus_1", "object": "customer"})  # fmt: skip
    lease = first.lane.submit(
        lambda: first.db.execute("SELECT next_attempt_at FROM deliveries").fetchone()[0]
    )
    assert lease > time.time() + 60  # held for an engine that will never send it
    first.close()
    client = Scripted()
    with running(data, client) as run:
        wait_for(lambda: run.delivery(owed["id"])["status"] == "succeeded", timeout=5)
        assert client.event_ids() == [owed["id"]]
        assert client.posts[0][0] == hook["url"]


def test_an_unexpected_client_failure_loses_nothing(tmp_path):
    client = Scripted(failures=[RuntimeError("a bug in the client")])
    with running(str(tmp_path / "s.db"), client) as run:
        endpoint(run)
        event_id = run.emit(1)
        wait_for(lambda: run.delivery(event_id)["status"] == "succeeded", timeout=5)
        assert client.event_ids() == [event_id, event_id]
        assert len(run.delivery(event_id)["attempts_log"]) == 1  # type: ignore[arg-type]


def test_by_default_a_lone_endpoint_has_16_deliveries_in_flight(tmp_path):
    client = Scripted()
    with running(str(tmp_path / "s.db"), client) as run:
        endpoint(run)
        client.gate.clear()
        ids = [run.emit(n) for n in range(20)]
        wait_for(lambda: len(client.posts) == 16)
        time.sleep(0.3)
        assert len(client.posts) == 16  # local receivers gain nothing from more
        client.gate.set()
        wait_for(lambda: all(run.delivery(i)["status"] == "succeeded" for i in ids))


def test_a_busy_endpoint_borrows_idle_senders_but_leaves_a_newcomer_its_share(tmp_path):
    client = Scripted()
    with running(str(tmp_path / "s.db"), client, concurrency=16) as run:
        busy = endpoint(run, "http://127.0.0.1:9/busy")
        client.gate.clear()
        ids = [run.emit(n) for n in range(20)]
        wait_for(lambda: len(client.posts) == 12)
        time.sleep(0.3)
        assert len(client.posts) == 12  # 16 senders, per_endpoint (4) kept free for others
        run.http.post(
            f"/v1/webhook_endpoints/{busy['id']}", data={"enabled_events[0]": "charge.failed"}
        )
        endpoint(run, "http://127.0.0.1:9/newcomer")
        ids += [run.emit(n) for n in range(20, 26)]
        wait_for(lambda: len(client.posts) == 16)
        time.sleep(0.3)
        urls = [url for url, _, _ in client.posts]
        assert (
            urls.count("http://127.0.0.1:9/busy"),
            urls.count("http://127.0.0.1:9/newcomer"),
        ) == (12, 4)
        client.gate.set()
        wait_for(lambda: all(run.delivery(i)["status"] == "succeeded" for i in ids))
        assert sorted(client.event_ids()) == sorted(ids)  # each once


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("concurrency", 0, "concurrency=0: expected an integer >= 1"),
        ("per_endpoint", 2.5, "per_endpoint=2.5: expected an integer >= 1"),
        ("troubled_concurrency", True, "troubled_concurrency=True: expected an integer >= 1"),
        ("batch", -1, "batch=-1: expected an integer >= 1"),
        ("timeout", 0, "timeout=0: expected a finite number greater than 0"),
        ("slow_after", float("inf"), "slow_after=inf: expected a finite number greater than 0"),
    ],
)
def test_delivery_settings_refuse_what_cannot_work(setting, value, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        DeliverySettings(**{setting: value})


def test_an_attempt_is_slow_after_a_quarter_of_the_timeout_at_most_five_seconds():
    assert DeliverySettings(timeout=1.0).slow_seconds == 0.25
    assert DeliverySettings(timeout=30.0).slow_seconds == 5.0
    assert DeliverySettings(timeout=30.0, slow_after=12.0).slow_seconds == 12.0


@dataclass
class OneHangs:
    """Refuses every POST while ``refusing``; then POSTs to ``hanging_url`` time out after
    ``hang`` seconds, and the others are answered 200 at once but for the next
    ``refuse_others``, refused."""

    hanging_url: str
    hang: float = 3.0
    refusing: bool = True
    refuse_others: int = 0
    posts: list[str] = field(default_factory=list)

    async def post(self, url: str, headers: Sequence[tuple[str, str]], body: bytes) -> Answer:
        self.posts.append(url)
        if self.refusing or (url != self.hanging_url and self.refuse_others > 0):
            self.refuse_others -= url != self.hanging_url
            raise DeliveryError("ConnectError", "connection refused")
        if url == self.hanging_url:
            await asyncio.sleep(self.hang)
            raise DeliveryError("ReadTimeout", f"no complete answer within {self.hang} s")
        return Answer(200, b"ok")

    async def aclose(self) -> None:
        pass


def test_retries_to_a_healthy_endpoint_do_not_wait_behind_a_hanging_endpoints(tmp_path):
    client = OneHangs(hanging_url="http://127.0.0.1:9/hangs")
    with running(str(tmp_path / "s.db"), client, batch=2) as run:
        hangs = endpoint(run, "http://127.0.0.1:9/hangs")
        answers = endpoint(run, "http://127.0.0.1:9/answers")
        ids = [run.emit(n) for n in range(6)]
        wait_for(lambda: len(client.posts) == 12)  # every first attempt refused
        client.refusing = False  # the retries, due in half a second (30 min scaled)

        def statuses(endpoint_id: str) -> list[str]:
            return [
                delivery["status"]
                for event_id in ids
                for delivery in run.http.get(f"/_sandbox/events/{event_id}/deliveries").json()[
                    "deliveries"
                ]
                if delivery["endpoint"] == endpoint_id
            ]

        # Before: each scan of 2 rows waited until both were recorded, 3 s per hanging one.
        wait_for(lambda: statuses(answers["id"]) == ["succeeded"] * 6, timeout=5)
        assert statuses(hangs["id"]) == ["pending"] * 6
        assert client.posts.count("http://127.0.0.1:9/answers") == 12  # each retried once


def test_a_hanging_endpoints_backlog_held_past_its_lease_does_not_hide_others_retries(tmp_path):
    """The rows the engine holds in memory are leased for LEASE seconds; a backlog behind an
    endpoint in trouble outlives its lease, and those rows, due again to the table's eyes,
    must not fill every scan's batch."""
    skew = [0.0]
    client = OneHangs(hanging_url="http://127.0.0.1:9/hangs", hang=4.0, refusing=False)
    with running(
        str(tmp_path / "s.db"), client, concurrency=16, batch=2, clock=lambda: time.time() + skew[0]
    ) as run:
        endpoint(run, "http://127.0.0.1:9/hangs")
        for n in range(20):
            run.emit(n)  # 12 in flight, 8 waiting; one at a time once they time out
        wait_for(lambda: len(client.posts) == 12)
        skew[0] = LEASE + 60  # the waiting rows' leases are over
        answers = endpoint(run, "http://127.0.0.1:9/answers")
        run.http.post(
            f"/v1/webhook_endpoints/{answers['id']}", data={"enabled_events[0]": "customer.updated"}
        )
        client.refuse_others = 1
        answer = run.http.post("/_sandbox/events", json={
            "type": "customer.updated", "object": {"id": "cus_1", "object": "customer"}})  # fmt: skip
        event_id = answer.json()["id"]

        def answered() -> list[int | None]:
            [delivery] = [
                d for d in run.http.get(f"/_sandbox/events/{event_id}/deliveries").json()["deliveries"]
                if d["endpoint"] == answers["id"]
            ]  # fmt: skip
            return [a["status_code"] for a in delivery["attempts_log"]]

        # Refused, then retried when due, half a second later (30 min scaled), not when
        # the hanging endpoint's attempts end (4 s).
        wait_for(lambda: answered() == [None, 200], timeout=2.5)
