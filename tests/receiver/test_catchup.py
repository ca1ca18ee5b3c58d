"""Catching up against the real sandbox: events the receiver never got (its endpoints
disabled; the receiver down past Stripe's retries) are inserted exactly once, oldest
first, for the platform and two installed accounts; a rerun inserts nothing; an
interrupted run resumes; the rate limiter and the API's retries with a fake clock."""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from appevents import StripeAPIError
from appevents.receiver import App, SQLiteStore
from appevents.receiver.catchup import Since, TokenBucket, Window, parse_since
from appevents.receiver.catchup_api import EventsAPI
from appevents.receiver.catchup_run import accounts_to_catch_up, catch_up
from appevents.receiver.inbox import Source, Status
from appevents.sandbox.server import SandboxServer
from sandbox_fixtures import wait_for
from servers import asgi_server, free_port

MANIFEST = {
    "id": "com.example.catchup",
    "version": "1.0.0",
    "name": "Catch-up",
    "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "events"},
        {"permission": "payment_intent_read", "purpose": "payments"},
    ],
}
HANDLED = ("payment_intent.succeeded", "customer.created")


def emit(sandbox, key, n, kind="payment_intent"):
    if kind == "customer":
        body = {"type": "customer.created", "object": {"id": f"cus_c{n}", "object": "customer"}}
    else:
        body = {
            "type": "payment_intent.succeeded",
            "object": {"id": f"pi_c{n}", "object": "payment_intent", "amount": n},
        }
    return sandbox.post("/_sandbox/events", body, key=key)["id"]


def listed(sandbox, account=None):
    """Every event of the account (None: the platform's), newest first, as Stripe lists."""
    headers = {"Authorization": f"Bearer {sandbox.key}"}
    if account:
        headers["Stripe-Account"] = account
    response = httpx.get(sandbox.base + "/v1/events", params={"limit": 100}, headers=headers)
    assert response.status_code == 200 and not response.json()["has_more"]
    return [e["id"] for e in response.json()["data"]]


def given_up(sandbox, event_id):
    deliveries = sandbox.get(f"/_sandbox/events/{event_id}/deliveries")["deliveries"]
    return bool(deliveries) and all(d["status"] == "failed" for d in deliveries)


async def run_catchup(store, sandbox, accounts, **options):
    api = EventsAPI(sandbox.key, sandbox.base, limiter=TokenBucket(1000))
    try:
        return await catch_up(
            store, api, livemode=False, accounts=accounts,
            since=parse_since("1d", now=time.time()), **options,
        ), api.requests  # fmt: skip
    finally:
        await api.aclose()


def test_missed_events_are_caught_up_once_in_order_and_a_rerun_inserts_nothing(sandbox, tmp_path):
    developer = sandbox.client()
    app_id = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})["id"]
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    own = developer.v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    connect = developer.v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"], "connect": True}
    )
    merchants = [sandbox.post("/_sandbox/accounts", {}) for _ in range(2)]
    keys = {m["id"]: m["keys"]["test"] for m in merchants}
    path = tmp_path / "inbox.db"
    handled: list[tuple[str | None, str]] = []
    lock = threading.Lock()

    def receiver() -> App:
        """The app as a fresh process of it would be."""
        app = App([own.secret, connect.secret], store=SQLiteStore(path), poll_interval=0.05)

        @app.on(*HANDLED)
        def record(event, ctx):
            with lock:
                handled.append((event.account, event.id))

        return app

    delivered = set()
    with asgi_server(receiver().asgi(), port=port):
        for merchant in merchants:
            sandbox.post(f"/_sandbox/apps/{app_id}/installs", {"account": merchant["id"],
                         "mode": "test"}, key=keys[merchant["id"]])  # fmt: skip
        delivered |= {emit(sandbox, sandbox.key, 1, "customer")}
        delivered |= {emit(sandbox, key, 2) for key in keys.values()}
        wait_for(lambda: len(handled) == 3, timeout=20)

        # Endpoints disabled: these events are never sent.
        for endpoint in (own, connect):
            developer.v1.webhook_endpoints.update(endpoint.id, {"disabled": True})
        missed = {emit(sandbox, sandbox.key, 3, "customer")}
        missed |= {emit(sandbox, key, n) for key in keys.values() for n in (4, 5)}
        for endpoint in (own, connect):
            developer.v1.webhook_endpoints.update(endpoint.id, {"disabled": False})
    # The receiver down: Stripe (the sandbox, an hour a second) retries, then gives up.
    down = {emit(sandbox, sandbox.key, 6, "customer")}
    down |= {emit(sandbox, key, 7) for key in keys.values()}
    # The developer sees the deliveries to its endpoints, the merchants' events' too.
    wait_for(lambda: all(given_up(sandbox, e) for e in down), timeout=30)
    missed |= down

    async def first_run():
        async with SQLiteStore(path) as store:
            accounts = await accounts_to_catch_up(store, False)
            return accounts, *(await run_catchup(store, sandbox, accounts))

    accounts, results, requests = asyncio.run(first_run())
    assert accounts == [None, *sorted(keys)]
    by_account = {r.account: r for r in results}
    assert {a: (r.inserted, r.error) for a, r in by_account.items()} == {
        None: (2, None),
        **{acct: (3, None) for acct in keys},
    }
    assert sum(r.inserted for r in results) == len(missed) == 8
    assert requests == 3  # one page each
    with sqlite3.connect(path) as db:
        sources = dict(db.execute("SELECT id, source FROM inbox"))
        for account in (None, *keys):
            caught = [i for (i,) in db.execute(
                "SELECT id FROM inbox WHERE source = 'catchup' AND account = ? ORDER BY seq",
                (account or "",),
            )]  # fmt: skip
            # Oldest first: Stripe's order (newest first), reversed.
            assert caught == [e for e in reversed(listed(sandbox, account)) if e in missed]
    assert {e for e, s in sources.items() if s == "catchup"} == missed
    assert delivered <= {e for e, s in sources.items() if s == "delivered"}

    # The receiver back up: its worker processes each caught-up event once.
    with asgi_server(receiver().asgi(), port=port):
        wait_for(lambda: len(handled) == 3 + len(missed), timeout=20)
        time.sleep(0.2)  # nothing more comes
    counts = collections.Counter(event_id for _, event_id in handled)
    assert set(counts) == delivered | missed and set(counts.values()) == {1}

    async def rerun():
        async with SQLiteStore(path) as store:
            return (await run_catchup(store, sandbox, accounts))[0], await store.get_event(
                sorted(missed)[0]
            )

    again, stored = asyncio.run(rerun())
    # Everything listed is in the inbox now: the install, one delivered, three caught up.
    assert [(r.inserted, r.duplicates) for r in again] == [(0, 3), (0, 5), (0, 5)]
    assert (stored.source, stored.status) == (Source.CATCHUP, Status.DONE)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_at_its_saved_cursor(tmp_path):
    """Events a minute apart (a sandbox on a clock of the test's); windows of a few events
    (max_buffered=4); the first run stops after two windows, the second continues."""
    clock = Clock(1_790_000_000.0)
    server = SandboxServer(str(tmp_path / "sandbox.db"), clock=clock)
    key = server.platform()["keys"]["test"]  # type: ignore[index]
    with asgi_server(server.asgi()) as base:
        ids = []
        for n in range(12):
            clock.now += 60
            response = httpx.post(base + "/_sandbox/events", json={
                "type": "customer.created", "object": {"id": f"cus_r{n}", "object": "customer"},
            }, headers={"Authorization": f"Bearer {key}"})  # fmt: skip
            ids.append(response.json()["id"])
        clock.now += 60
        asked: list[dict[str, list[str]]] = []

        class Recording(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request):
                asked.append(parse_qs(urlsplit(str(request.url)).query))
                return await super().handle_async_request(request)

        class StopAfterTwo:
            windows = 0

            def started(self, result, through):
                pass

            def advanced(self, result, through):
                self.windows += 1
                if self.windows == 2:
                    raise Interrupted

            def finished(self, result):
                pass

        async def runs():
            store = SQLiteStore(tmp_path / "inbox.db")
            start = int(clock.now) - 13 * 60
            since = Since(at=start, asked=start)
            api = EventsAPI(key, base, limiter=TokenBucket(1000), transport=Recording(),
                            page_size=2)  # fmt: skip
            async with store:
                with pytest.raises(Interrupted):
                    await catch_up(store, api, livemode=False, accounts=[None], since=since,
                                   progress=StopAfterTwo(), clock=clock, max_buffered=4)  # fmt: skip
                saved = await store.catchup_progress(None, False)
                first = len(await store.list_events())
                asked.clear()
                (result,) = await catch_up(store, api, livemode=False, accounts=[None],
                                           since=since, clock=clock, max_buffered=4)  # fmt: skip
                stored = await store.list_events(limit=100)
                await api.aclose()
                return saved, first, result, stored

        saved, first, result, stored = asyncio.run(runs())
    server.close()
    assert saved is not None and not saved.finished and 0 < first < 12
    assert saved.since == int(clock.now) - 13 * 60 and saved.until == int(clock.now) + 1
    # Continued where it stopped, up to the same end, and inserted only the rest.
    assert result.resumed_from == saved.through
    assert asked[0]["created[gte]"] == [str(saved.through)]
    assert asked[0]["created[lt]"][0] <= str(saved.until)
    assert (result.inserted, result.duplicates, result.error) == (12 - first, 0, None)
    assert sorted(e.id for e in stored) == sorted(ids)
    assert {e.source for e in stored} == {Source.CATCHUP}


def test_the_token_bucket_keeps_to_its_rate_with_a_fake_clock():
    clock = Clock(0.0)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    bucket = TokenBucket(25, burst=5, clock=clock, sleep=sleep)
    stamps = []

    async def main() -> None:
        for _ in range(105):
            await bucket.acquire()
            stamps.append(clock.now)

    asyncio.run(main())
    assert stamps[:5] == [0.0] * 5  # the burst at once
    assert stamps[-1] == pytest.approx(100 / 25)  # then 25 a second
    for start in stamps:  # no second ever holds more than the rate plus the burst
        assert sum(1 for s in stamps if start <= s < start + 1.0) <= 25 + 5
    assert bucket.waited == pytest.approx(sum(slept))
    with pytest.raises(ValueError, match="positive number of requests a second, got 0"):
        TokenBucket(0)


def test_the_api_waits_out_429_and_5xx_and_names_the_account_of_a_refusal():
    answers = [429, 503, 200, 403]
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append((request.headers.get("stripe-account"), request.url.params["created[lt]"]))
        status = answers.pop(0)
        if status == 200:
            return httpx.Response(200, json={"data": [{"id": "evt_a", "created": 5}],
                                             "has_more": False})  # fmt: skip
        return httpx.Response(status, json={"error": {"message": f"said {status}"}})

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main():
        api = EventsAPI("sk_test_x", "http://stripe.invalid", limiter=TokenBucket(1000),
                        sleep=sleep, transport=httpx.MockTransport(handler))  # fmt: skip
        page = await api.page("acct_a", Window(1, 9))
        with pytest.raises(StripeAPIError) as refused:
            await api.page("acct_b", Window(1, 9))
        await api.aclose()
        return page, refused.value, api.requests

    page, refused, requests = asyncio.run(main())
    assert page.events == [{"id": "evt_a", "created": 5, "account": "acct_a"}]
    assert slept == [1.0, 2.0] and requests == 4
    assert asked == [("acct_a", "9")] * 3 + [("acct_b", "9")]
    assert refused.status == 403
    assert "account acct_b's events answered 403: said 403" in str(refused)
    assert "is the app still installed there" in str(refused)
