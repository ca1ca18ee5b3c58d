"""Deliveries against real local receivers: retries on Stripe's schedule (compressed),
redirects are failures, failing endpoints get disabled, owed deliveries survive restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator

import httpx
import stripe

from appevents.signature import verify
from sandbox_fixtures import Receiver, start, wait_for
from servers import asgi_server, free_port


@contextlib.contextmanager
def hanging_servers(count: int) -> Iterator[tuple[list[str], list[int]]]:
    """``count`` servers on 127.0.0.1 that accept connections, read, and never answer; yields
    their URLs and a list that grows by one per connection accepted."""
    loop = asyncio.new_event_loop()
    accepted: list[int] = []
    held: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer.get_extra_info("sockname")[1])
        held.append(writer)
        while await reader.read(65536):
            pass

    async def open_all() -> list[asyncio.Server]:
        return [await asyncio.start_server(never_answer, "127.0.0.1", 0) for _ in range(count)]

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers = asyncio.run_coroutine_threadsafe(open_all(), loop).result(10)
    urls = [f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}/hook" for s in servers]

    async def close_all() -> None:
        for server in servers:
            server.close()
        for writer in held:
            writer.close()

    try:
        yield urls, accepted
    finally:
        asyncio.run_coroutine_threadsafe(close_all(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def emit(sandbox, n: int = 1) -> dict:
    return sandbox.post("/_sandbox/events", {"type": "customer.created",
                                             "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip


def deliveries(sandbox, event_id: str) -> dict:
    return sandbox.get(f"/_sandbox/events/{event_id}/deliveries")


def test_down_then_500_then_200_gets_it_with_a_fresh_signature(sandbox):
    port = free_port()
    endpoint = sandbox.client().v1.webhook_endpoints.create(
        {"url": f"http://127.0.0.1:{port}/webhook", "enabled_events": ["customer.created"]}
    )
    event = emit(sandbox)
    assert event["pending_webhooks"] == 1
    wait_for(lambda: deliveries(sandbox, event["id"])["deliveries"][0]["attempts"] == 1)
    first = deliveries(sandbox, event["id"])["deliveries"][0]
    assert first["status"] == "pending" and first["attempts_log"][0]["status_code"] is None
    assert "ConnectError" in first["attempts_log"][0]["error"]
    handler = Receiver(statuses=[500])
    with asgi_server(handler, port=port):
        wait_for(lambda: deliveries(sandbox, event["id"])["deliveries"][0]["status"] == "succeeded")
    log = deliveries(sandbox, event["id"])["deliveries"][0]["attempts_log"]
    assert [a["status_code"] for a in log] == [None, 500, 200]
    assert log[1]["response"] == "answered 500"
    # Test-mode schedule: +30 min, then +1 h, scaled to seconds; never early (a busy
    # machine may make it late).
    assert 0.5 <= log[1]["at"] - log[0]["at"] < 5
    assert 1.0 <= log[2]["at"] - log[1]["at"] < 6
    signatures = [headers["stripe-signature"] for headers, _ in handler.received]
    assert len(set(signatures)) == 2  # each attempt is signed anew
    for headers, body in handler.received:
        assert json.loads(body)["id"] == event["id"]
        verify(body, headers["stripe-signature"], endpoint.secret, tolerance=300)
    assert sandbox.client().v1.events.retrieve(event["id"]).pending_webhooks == 0


def test_a_redirect_is_a_failure_and_is_not_followed(sandbox, receiver):
    handler, url = receiver
    handler.statuses[:] = [301]
    sandbox.client().v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    event = emit(sandbox)
    wait_for(lambda: deliveries(sandbox, event["id"])["deliveries"][0]["attempts"] >= 2)
    log = deliveries(sandbox, event["id"])["deliveries"][0]["attempts_log"]
    assert [a["status_code"] for a in log[:2]] == [301, 200]
    assert len(handler.received) == 2  # the Location was never requested


def test_an_endpoint_failing_for_the_period_is_disabled(tmp_path):
    # Disable after 9 days scaled by 1/3600/24: a 9 s streak -> here ~0.1 s of failures.
    server, running = start(str(tmp_path / "s.db"), disable_scale=1 / (3600 * 24 * 90))
    key = server.platform()["keys"]["test"]  # type: ignore[index]
    handler = Receiver(default=503)
    with running as base, asgi_server(handler) as receiver_base:
        client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)
        endpoint = client.v1.webhook_endpoints.create(
            {"url": receiver_base + "/w", "enabled_events": ["*"]}
        )

        for n in range(3):
            httpx.post(base + "/_sandbox/events", headers={"Authorization": f"Bearer {key}"},
                       json={"type": "customer.created", "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip
        wait_for(lambda: client.v1.webhook_endpoints.retrieve(endpoint.id).status == "disabled")
        count = len(handler.received)
        time.sleep(1.2)
        assert len(handler.received) == count  # disabled: retries stop
    server.close()


def test_owed_deliveries_survive_a_sandbox_restart_without_duplicates(tmp_path):
    data = str(tmp_path / "s.db")
    port = free_port()
    server, running = start(data)
    key = server.platform()["keys"]["test"]  # type: ignore[index]

    with running as base:
        client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)
        client.v1.webhook_endpoints.create(
            {"url": f"http://127.0.0.1:{port}/w", "enabled_events": ["*"]}
        )
        ids = [
            httpx.post(base + "/_sandbox/events", headers={"Authorization": f"Bearer {key}"},
                       json={"type": "customer.created",
                             "object": {"id": f"cus_{n}", "object": "customer"}}).json()["id"]
            for n in range(5)
        ]  # fmt: skip
        time.sleep(0.3)  # first attempts fail: nothing listens yet
    server.close()
    handler = Receiver()
    server, running = start(data)
    with asgi_server(handler, port=port), running:
        wait_for(lambda: len(handler.received) >= 5, timeout=15)
        time.sleep(1.0)
    server.close()
    delivered = [json.loads(body)["id"] for _, body in handler.received]
    assert sorted(delivered) == sorted(ids)  # each exactly once


def test_resend_delivers_again_to_one_endpoint(sandbox, receiver):
    handler, url = receiver
    client = sandbox.client()
    endpoint = client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    event = emit(sandbox)
    wait_for(lambda: len(handler.received) == 1)
    resent = sandbox.post(f"/v1/events/{event['id']}/retry", {"webhook_endpoint": endpoint.id})
    assert resent["id"] == event["id"]
    wait_for(lambda: len(handler.received) == 2)
    assert [json.loads(body)["id"] for _, body in handler.received] == [event["id"]] * 2
    other = client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["charge.failed"]})

    never = httpx.post(sandbox.base + f"/v1/events/{emit(sandbox, 2)['id']}/retry",
                       data={"webhook_endpoint": other.id},
                       headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
    assert never.status_code == 200  # withheld by its filter: a manual resend is allowed
    missing = httpx.post(sandbox.base + "/v1/events/evt_missing/retry", data={"webhook_endpoint": other.id},
                         headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
    assert missing.status_code == 404


def test_basic_auth_with_the_key_as_user_works(sandbox):

    response = httpx.get(sandbox.base + "/v1/events", auth=(sandbox.key, ""))
    assert response.status_code == 200 and response.json()["object"] == "list"
    assert httpx.get(sandbox.base + "/v1/events").status_code == 401


def test_endpoints_that_never_answer_do_not_delay_a_healthy_endpoints_first_delivery(tmp_path):
    """Issue 12, item 27: endpoints that time out held all the senders; a healthy endpoint's
    first delivery waited behind their backlog. 12 of them (16 endpoints at most per
    account), 8 deliveries owed to each."""
    server, running = start(str(tmp_path / "s.db"), timeout=4.0)
    key = server.platform()["keys"]["test"]  # type: ignore[index]
    healthy = Receiver()
    with (
        hanging_servers(12) as (hanging_urls, accepted),
        running as base,
        asgi_server(healthy) as healthy_base,
    ):
        client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)
        for url in hanging_urls:
            client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["customer.created"]})
        hanging_events = [emit_as(base, key, "customer.created", n) for n in range(8)]
        wait_for(lambda: len(accepted) >= 12, timeout=5)  # every hanging endpoint holds one
        client.v1.webhook_endpoints.create(
            {"url": healthy_base + "/hook", "enabled_events": ["customer.updated"]}
        )
        emitted = time.monotonic()
        event_id = emit_as(base, key, "customer.updated", 99)
        wait_for(lambda: healthy.received, timeout=8)
        waited = time.monotonic() - emitted
        assert json.loads(healthy.received[0][1])["id"] == event_id
        # The slots the hanging endpoints hold are freed a quarter of the timeout after their
        # attempts began (slow_after), whatever the backlog; behind that backlog the first
        # delivery would wait a whole timeout at least. Three quarters leave room for a busy
        # machine without letting the backlog through.
        assert waited < 3.0, f"the healthy endpoint's first delivery took {waited:.2f} s"
        statuses = {
            delivery["status"]
            for event in hanging_events
            for delivery in httpx.get(base + f"/_sandbox/events/{event}/deliveries",
                                      headers={"Authorization": f"Bearer {key}"}).json()["deliveries"]
        }  # fmt: skip
        assert statuses == {"pending"}  # the hanging endpoints' deliveries are still owed
    server.close()


def emit_as(base: str, key: str, event_type: str, n: int) -> str:
    answer = httpx.post(base + "/_sandbox/events", headers={"Authorization": f"Bearer {key}"},
                        json={"type": event_type, "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])
