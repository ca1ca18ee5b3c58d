"""The Starlette integration over uvicorn on 127.0.0.1: a mounted endpoint that takes its
path from the mount, the lifespan that runs the store and worker, composed with a site's."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from appevents import App, ConfigurationError
from appevents.integrations.starlette import (
    appevents_endpoint,
    appevents_lifespan,
    appevents_route,
    mounted_receiver,
)
from appevents.testing import make_event, signed_headers
from asgi_sites import SECRET, deliver, receiver_app, stored_ids
from servers import asgi_server, poll_until


def test_mounted_under_a_prefix_answers_at_the_prefix_and_the_worker_processes(tmp_path):
    handled: list[str] = []
    app = receiver_app(tmp_path, handled)
    site = Starlette(
        routes=[Mount("/stripe", app=appevents_endpoint(app))], lifespan=appevents_lifespan(app)
    )
    body = make_event("payment_intent.succeeded", account="acct_1MountedPrefix")
    event_id = json.loads(body)["id"]
    with asgi_server(site) as base:
        first = deliver(base + "/stripe/webhook", body)
        assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
        assert stored_ids(tmp_path) == [event_id]  # committed before the 200
        again = deliver(base + "/stripe/webhook", body)
        assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
        poll_until(lambda: handled, what="the worker ran the handler")
        assert handled == [event_id]
        assert stored_ids(tmp_path) == [event_id]


def test_refusals_under_a_mount_name_the_full_path(tmp_path):
    app = receiver_app(tmp_path, [])
    site = Starlette(
        routes=[Mount("/stripe", app=appevents_endpoint(app))], lifespan=appevents_lifespan(app)
    )
    body = make_event("invoice.paid", account="acct_1MountedRefusals")
    with asgi_server(site) as base:
        get = httpx.get(base + "/stripe/webhook")
        assert (get.status_code, get.headers["allow"]) == (405, "POST")
        assert get.json()["error"] == {
            "code": "method_not_allowed",
            "message": "GET is not allowed: Stripe delivers events with POST",
        }
        wrong = deliver(base + "/stripe/webhooks", body)
        assert wrong.status_code == 404
        assert wrong.json()["error"] == {
            "code": "not_found",
            "message": "no endpoint at '/stripe/webhooks'; webhooks go to '/stripe/webhook'",
        }
        forged = deliver(base + "/stripe/webhook", body, secret="whsec_someone_else")
        assert forged.status_code == 400
        assert forged.json()["error"]["code"] == "no_matching_signature"
        stale = httpx.post(
            base + "/stripe/webhook",
            content=body,
            headers=signed_headers(body, SECRET, timestamp=1_000_000_000),
        )
        assert (stale.status_code, stale.json()["error"]["code"]) == (400, "timestamp_too_old")
    assert stored_ids(tmp_path) == []


def test_nested_mounts_add_up_and_app_path_stays_below_the_mount(tmp_path):
    handled: list[str] = []
    app = App(SECRET, store=f"sqlite:///{tmp_path / 'inbox.db'}", path="/events")
    app.on("*")(lambda event: handled.append(event.id))
    site = Starlette(
        routes=[Mount("/api", routes=[Mount("/stripe", app=appevents_endpoint(app))])],
        lifespan=appevents_lifespan(app),
    )
    body = make_event("customer.created", account="acct_1NestedMounts")
    with asgi_server(site) as base:
        assert deliver(base + "/api/stripe/events", body).status_code == 200
        wrong = deliver(base + "/api/stripe/webhook", body)
        assert wrong.json()["error"]["message"].endswith("webhooks go to '/api/stripe/events'")
        poll_until(lambda: handled, what="the worker ran the handler")
    assert handled == [json.loads(body)["id"]]


def test_a_route_in_a_router_answers_405_json_for_get_and_leaves_other_paths_to_the_site(
    tmp_path,
):
    app = receiver_app(tmp_path, [])

    async def hello(request: Request) -> JSONResponse:
        return JSONResponse({"hello": "site"})

    site = Starlette(
        routes=[Mount("/stripe", routes=[appevents_route(app), Route("/hello", hello)])],
        lifespan=appevents_lifespan(app),
    )
    body = make_event("invoice.paid", account="acct_1RoutedEndpoint")
    with asgi_server(site) as base:
        assert deliver(base + "/stripe/webhook", body).json()["duplicate"] is False
        get = httpx.get(base + "/stripe/webhook")
        assert (get.status_code, get.json()["error"]["code"]) == (405, "method_not_allowed")
        assert httpx.get(base + "/stripe/hello").json() == {"hello": "site"}
        assert httpx.post(base + "/stripe/other", content=body).status_code == 404
    assert stored_ids(tmp_path) == [json.loads(body)["id"]]


def test_the_lifespan_runs_around_the_sites_own_and_the_worker_stops_with_the_site(tmp_path):
    handled: list[str] = []
    app = receiver_app(tmp_path, handled)
    receiver = mounted_receiver(app)
    seen: list[tuple[str, bool]] = []

    @contextlib.asynccontextmanager
    async def site_lifespan(site: Starlette) -> AsyncIterator[dict[str, str]]:
        seen.append(("site startup", receiver.started))
        yield {"greeting": "from the site's lifespan"}
        seen.append(("site shutdown", receiver.started))

    async def greeting(request: Request) -> JSONResponse:
        return JSONResponse({"greeting": request.state.greeting})

    site = Starlette(
        routes=[Route("/greeting", greeting), Mount("/stripe", app=appevents_endpoint(app))],
        lifespan=appevents_lifespan(app, site_lifespan),
    )
    body = make_event("invoice.paid", account="acct_1ComposedLifespan")
    with asgi_server(site) as base:
        assert httpx.get(base + "/greeting").json() == {"greeting": "from the site's lifespan"}
        assert deliver(base + "/stripe/webhook", body).status_code == 200
        poll_until(lambda: handled, what="the worker ran the handler")
        runtime = receiver.runtime
        worker_task = runtime._worker_task
        assert worker_task is not None and not worker_task.done()
    assert seen == [("site startup", True), ("site shutdown", True)]
    assert not receiver.started and not runtime.started
    assert worker_task.done()
    # The next start is a fresh instance whose worker runs again (a stopped worker does not).
    second = make_event("invoice.paid", account="acct_1ComposedLifespan")
    with asgi_server(site) as base:
        assert deliver(base + "/stripe/webhook", second).status_code == 200
        poll_until(lambda: len(handled) == 2, what="the restarted worker ran the handler")
    assert receiver.runtime is not runtime


def test_a_failing_store_fails_the_sites_startup_with_the_reason(tmp_path):
    app = App(SECRET, store=f"sqlite:///{tmp_path / 'missing-folder' / 'inbox.db'}")
    lifespan = appevents_lifespan(app)

    async def start() -> None:
        async with lifespan(None):
            pass

    with pytest.raises(ConfigurationError, match=r"folder .*missing-folder' does not exist"):
        asyncio.run(start())
    assert not mounted_receiver(app).started


def test_without_the_lifespan_the_first_delivery_starts_it_and_says_what_is_missing(
    tmp_path, caplog
):
    handled: list[str] = []
    app = receiver_app(tmp_path, handled)
    site = Starlette(routes=[Mount("/stripe", app=appevents_endpoint(app))])
    body = make_event("invoice.paid", account="acct_1NoLifespan")
    with asgi_server(site) as base:
        assert deliver(base + "/stripe/webhook", body).status_code == 200
        poll_until(lambda: handled, what="the lazily started worker ran the handler")
        assert deliver(base + "/stripe/webhook", body).json()["duplicate"] is True
        receiver = mounted_receiver(app)
        assert receiver.started
        # Stopped here by the test: nothing in the site would.
        asyncio.run_coroutine_threadsafe(
            receiver.stop(), receiver.runtime._worker_task.get_loop()
        ).result(10)
    warnings = [r.getMessage() for r in caplog.records if r.name == "appevents.starlette"]
    assert len(warnings) == 1
    assert "receiver at /stripe/webhook was started by a request" in warnings[0]
    assert "lifespan=appevents_lifespan(app)" in warnings[0]
