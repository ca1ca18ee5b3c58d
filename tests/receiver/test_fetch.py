"""``ctx.fetch_event()`` and ``ctx.fetch_related_object()`` (and their ``_async`` twins)
against an HTTP server on 127.0.0.1 that answers as Stripe's API does: the paths, the
account headers (Stripe-Context on /v2, Stripe-Account on /v1), the key, and Stripe's
errors turned into StripeAPIError with the status, Stripe's message and the fix."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from appevents import ConfigurationError, Event, StripeAPIError
from appevents.receiver import App, MemoryStore, SQLiteStore, Status
from appevents.receiver.stripe_api import V2_API_VERSION
from appevents.testing import make_event, make_thin_event, signed_headers
from servers import asgi_server, free_port, poll_until, webhook_server

SECRET = "whsec_fetch_test"
KEY = "sk_test_platform"
METER = {"id": "mtr_1", "type": "billing.meter", "url": "/v1/billing/meters/mtr_1"}
HEADERS = ("authorization", "stripe-context", "stripe-account", "stripe-version",
           "stripe-request-trigger")  # fmt: skip


def stripe_error(status: int, code: str, message: str) -> JSONResponse:
    error = {"type": "invalid_request_error", "code": code, "message": message}
    return JSONResponse({"error": error}, status_code=status)


def fake_stripe(requests: list[tuple[str, dict[str, str]]]) -> Starlette:
    """Stripe's API for one key, recording each request's path and account headers."""

    def recorded(request: Request) -> JSONResponse | None:
        requests.append((request.url.path, {h: request.headers[h] for h in HEADERS
                                            if h in request.headers}))  # fmt: skip
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return stripe_error(401, "api_key_invalid", "Invalid API Key provided: sk_test_***ong")
        return None

    async def v2_event(request: Request) -> JSONResponse:
        refused = recorded(request)
        event_id = request.path_params["id"]
        return refused or JSONResponse({
            "id": event_id, "object": "v2.core.event", "type": "v1.billing.meter.error_report_triggered",
            "created": "2026-12-07T20:00:00.123Z", "livemode": False,
            "context": request.headers.get("stripe-context"), "related_object": METER,
            "data": {"developer_message_summary": "2 meter events had no meter"},
        })  # fmt: skip

    async def v1_event(request: Request) -> JSONResponse:
        refused = recorded(request)
        return refused or JSONResponse({"id": request.path_params["id"], "object": "event"})

    async def meter(request: Request) -> JSONResponse:
        refused = recorded(request)
        meter_id = request.path_params["id"]
        if refused is None and meter_id != "mtr_1":
            return stripe_error(404, "resource_missing", f"No such billing meter: '{meter_id}'")
        return refused or JSONResponse(
            {"id": meter_id, "object": "billing.meter", "display_name": "API calls"}
        )

    async def broken(request: Request) -> JSONResponse:
        recorded(request)
        return JSONResponse({"error": {"type": "api_error", "message": "An unknown error"}}, 500)

    return Starlette(routes=[
        Route("/v2/core/events/{id}", v2_event), Route("/v1/events/{id}", v1_event),
        Route("/v1/billing/meters/{id}", meter), Route("/v1/broken/{id}", broken),
    ])  # fmt: skip


@pytest.fixture
def stripe_api():
    requests: list[tuple[str, dict[str, str]]] = []
    with asgi_server(fake_stripe(requests)) as base:
        yield base, requests


def run_handlers(app: App, *bodies: bytes) -> list:
    """Store ``bodies`` in a memory store and let the app's worker process them."""

    async def main():
        store = MemoryStore()
        async with store:
            await store.insert_events([Event.parse(b) for b in bodies], time.time())
            worker = app.worker(store)
            try:
                await worker.drain()
            finally:
                await worker.close()
            return await store.list_events()

    return asyncio.run(main())


def test_a_sync_handler_fetches_the_event_and_its_object_as_the_events_account(
    stripe_api, tmp_path
):
    base, requests = stripe_api
    fetched = []
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), api_key=KEY, api_base=base)

    @app.on("v1.billing.meter.error_report_triggered")
    def on_meter_error(event, ctx):
        fetched.append((ctx.fetch_event(), ctx.fetch_related_object()))

    body = make_thin_event("v1.billing.meter.error_report_triggered", context="acct_1",
                           related_object=METER)  # fmt: skip
    event_id = json.loads(body)["id"]
    with webhook_server(app) as receiver:  # the receiver's own worker runs the handler
        response = httpx.post(receiver + "/webhook", content=body,
                              headers=signed_headers(body, SECRET))  # fmt: skip
        assert response.status_code == 200
        poll_until(lambda: fetched)
    full, meter = fetched[0]
    assert (full["id"], full["object"], full["context"]) == (event_id, "v2.core.event", "acct_1")
    assert full["data"] == {"developer_message_summary": "2 meter events had no meter"}
    assert meter == {"id": "mtr_1", "object": "billing.meter", "display_name": "API calls"}
    assert requests == [
        (f"/v2/core/events/{event_id}", {
            "authorization": f"Bearer {KEY}", "stripe-context": "acct_1",
            "stripe-version": V2_API_VERSION, "stripe-request-trigger": f"event={event_id}",
        }),
        ("/v1/billing/meters/mtr_1", {
            "authorization": f"Bearer {KEY}", "stripe-account": "acct_1",
            "stripe-request-trigger": f"event={event_id}",
        }),
    ]  # fmt: skip


def test_an_async_handler_fetches_with_the_async_client_and_the_apps_version(stripe_api):
    base, requests = stripe_api
    fetched = []
    app = App(SECRET, store=MemoryStore(), api_key=KEY, api_base=base + "/",
              api_version="2026-10-28.endive")  # fmt: skip

    @app.on("v1.billing.*")
    async def on_meter(event, ctx):
        fetched.append((await ctx.fetch_event_async(), await ctx.fetch_related_object_async()))

    body = make_thin_event("v1.billing.meter.error_report_triggered",
                           context="acct_platform/acct_2", related_object=METER)  # fmt: skip
    (stored,) = run_handlers(app, body)
    assert stored.status == Status.DONE
    assert fetched[0][0]["context"] == "acct_platform/acct_2"
    assert fetched[0][1]["id"] == "mtr_1"
    assert [(path, h.get("stripe-context"), h.get("stripe-account"), h["stripe-version"])
            for path, h in requests] == [
        (f"/v2/core/events/{stored.id}", "acct_platform/acct_2", None, "2026-10-28.endive"),
        ("/v1/billing/meters/mtr_1", None, "acct_2", "2026-10-28.endive"),
    ]  # fmt: skip


def test_nothing_is_asked_for_an_event_without_a_related_object(stripe_api):
    base, requests = stripe_api
    results = []
    app = App(SECRET, store=MemoryStore(), api_key=KEY, api_base=base)

    @app.on("v1.billing.meter.no_meter_found", "customer.created")
    def record(event, ctx):
        results.append((event.type, ctx.fetch_related_object()))

    thin = make_thin_event("v1.billing.meter.no_meter_found", context="acct_3")
    snapshot = make_event("customer.created", account="acct_3", created=1)
    run_handlers(app, snapshot, thin)
    assert sorted(results) == [
        ("customer.created", None),
        ("v1.billing.meter.no_meter_found", None),
    ]
    assert requests == []


def test_a_snapshot_events_fetch_event_is_the_v1_event_as_its_account(stripe_api):
    base, requests = stripe_api
    results = []
    app = App(SECRET, store=MemoryStore(), api_key=KEY, api_base=base)

    @app.on("customer.created")
    def record(event, ctx):
        results.append(ctx.fetch_event())

    body = make_event("customer.created", account="acct_4")
    event_id = json.loads(body)["id"]
    run_handlers(app, body)
    assert results == [{"id": event_id, "object": "event"}]
    assert [(p, h.get("stripe-account"), h.get("stripe-context")) for p, h in requests] == [
        (f"/v1/events/{event_id}", "acct_4", None)
    ]


def failure_of(app: App, body: bytes, fetch) -> tuple[BaseException, object]:
    """The exception ``fetch(ctx)`` raises in a handler, and the stored event after."""
    raised: list[BaseException] = []

    @app.on("*")
    def handler(event, ctx):
        try:
            fetch(ctx)
        except Exception as exc:
            raised.append(exc)
            raise

    (stored,) = run_handlers(app, body)
    return raised[0], stored


THIN = make_thin_event("v1.billing.meter.error_report_triggered", context="acct_5",
                       related_object=METER)  # fmt: skip


def test_a_wrong_key_is_a_401_naming_stripes_message_and_the_setting_and_the_attempt_fails(
    stripe_api,
):
    base, _ = stripe_api
    app = App(SECRET, store=MemoryStore(), api_key="sk_test_wrong", api_base=base)
    error, stored = failure_of(app, THIN, lambda ctx: ctx.fetch_event())
    assert isinstance(error, StripeAPIError)
    assert (error.status, error.code) == (401, "api_key_invalid")
    assert error.stripe_message == "Invalid API Key provided: sk_test_***ong"
    assert error.url == f"{base}/v2/core/events/{stored.id}"
    assert "answered 401: Invalid API Key provided: sk_test_***ong (api_key_invalid)" in str(error)
    assert "APPEVENTS_API_KEY" in str(error)
    assert stored.status == Status.FAILED  # retried later with backoff
    assert "StripeAPIError" in (stored.last_error or "")


def test_a_missing_object_is_a_404_saying_what_to_check(stripe_api):
    base, _ = stripe_api
    app = App(SECRET, store=MemoryStore(), api_key=KEY, api_base=base)
    gone = {"id": "mtr_gone", "type": "billing.meter", "url": "/v1/billing/meters/mtr_gone"}
    body = make_thin_event("v1.billing.meter.updated", context="acct_5", related_object=gone)
    error, _ = failure_of(app, body, lambda ctx: ctx.fetch_related_object())
    assert isinstance(error, StripeAPIError)
    assert (error.status, error.code) == (404, "resource_missing")
    assert "No such billing meter: 'mtr_gone'" in str(error)
    assert "livemode=False" in str(error)


def test_a_server_error_says_the_attempt_is_retried(stripe_api):
    base, _ = stripe_api
    app = App(SECRET, store=MemoryStore(), api_key=KEY, api_base=base)
    broken = {"id": "x_1", "type": "thing", "url": "/v1/broken/x_1"}
    body = make_thin_event("v1.billing.meter.updated", context="acct_5", related_object=broken)
    error, _ = failure_of(app, body, lambda ctx: ctx.fetch_related_object())
    assert isinstance(error, StripeAPIError)
    assert (error.status, error.code) == (500, None)
    assert "answered 500: An unknown error; Stripe's side failed" in str(error)


def test_an_api_nobody_answers_is_a_stripe_api_error_without_status():
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = App(SECRET, store=MemoryStore(), api_key=KEY, api_base=base)
    error, _ = failure_of(app, THIN, lambda ctx: ctx.fetch_event())
    assert isinstance(error, StripeAPIError)
    assert error.status is None
    assert f"is api_base ({base}) reachable?" in str(error)


def test_fetching_without_an_api_key_says_where_to_give_one():
    app = App(SECRET, store=MemoryStore())
    error, _ = failure_of(app, THIN, lambda ctx: ctx.fetch_event())
    assert isinstance(error, ConfigurationError)
    assert "App(api_key='sk_...'), appevents serve --api-key, or APPEVENTS_API_KEY" in str(error)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"api_key": ""}, "api_key '' is not a key"),
        ({"api_base": "api.stripe.com"}, "api_base 'api.stripe.com' is not an http(s) URL"),
    ],
)
def test_bad_api_settings_are_refused_when_the_app_is_made(settings, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        App(SECRET, **settings)
    with pytest.raises(ConfigurationError, match="is not"):
        App(SECRET).configured(**settings)


def test_the_default_api_is_stripes():
    app = App(SECRET, api_key=KEY)
    assert app.api().api_base == "https://api.stripe.com"
    assert app.configured(api_base="http://127.0.0.1:12111").api().api_base == (
        "http://127.0.0.1:12111"
    )
