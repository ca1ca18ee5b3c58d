"""The FastAPI integration over uvicorn on 127.0.0.1: ``include_router(appevents_router(app),
prefix=...)`` alone runs the receiver (its lifespan merged into the site's), and the
``ui_request`` dependency answers a UI extension's calls with the verified caller or 401."""

# No "from __future__ import annotations": FastAPI reads the endpoints' annotations, which
# name dependencies local to the function that builds the site.

import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from appevents import ConfigurationError, UIRequest, sign_ui_request
from appevents.integrations.fastapi import UIRequestDependency, appevents_router, ui_request
from appevents.integrations.starlette import appevents_lifespan, mounted_receiver
from appevents.testing import make_event
from asgi_sites import deliver, receiver_app, stored_ids
from servers import asgi_server, poll_until

APP_SECRET = "absec_fastapi_ui_test"
NOW = 1_800_000_000


def test_include_router_with_a_prefix_is_all_a_site_needs(tmp_path):
    handled: list[str] = []
    app = receiver_app(tmp_path, handled)
    site = FastAPI()
    site.include_router(appevents_router(app), prefix="/stripe")
    receiver = mounted_receiver(app)
    body = make_event("payment_intent.succeeded", account="acct_1FastAPIRouter")
    event_id = json.loads(body)["id"]
    with asgi_server(site) as base:
        assert receiver.started  # the router's lifespan, merged into the site's
        first = deliver(base + "/stripe/webhook", body)
        assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
        assert stored_ids(tmp_path) == [event_id]
        again = deliver(base + "/stripe/webhook", body)
        assert again.json() == {"received": True, "duplicate": True}
        poll_until(lambda: handled, what="the worker ran the handler")
        get = httpx.get(base + "/stripe/webhook")
        assert (get.status_code, get.headers["allow"]) == (405, "POST")
        assert get.json()["error"]["code"] == "method_not_allowed"
        forged = deliver(base + "/stripe/webhook", body, secret="whsec_not_this_one")
        assert (forged.status_code, forged.json()["error"]["code"]) == (
            400,
            "no_matching_signature",
        )
        # Other paths are the site's: its own 404, not the receiver's.
        wrong = deliver(base + "/stripe/webhooks", body)
        assert (wrong.status_code, wrong.json()) == (404, {"detail": "Not Found"})
        assert "/stripe/webhook" not in site.openapi()["paths"]
        worker_task = receiver.runtime._worker_task
    assert handled == [event_id]
    assert not receiver.started
    assert worker_task is not None and worker_task.done()


def test_the_sites_lifespan_and_the_routers_nest_and_the_receiver_runs_around_the_sites(
    tmp_path,
):
    app = receiver_app(tmp_path, [])
    receiver = mounted_receiver(app)
    seen: list[tuple[str, bool]] = []

    @contextlib.asynccontextmanager
    async def site_lifespan(site: FastAPI) -> AsyncIterator[dict[str, str]]:
        seen.append(("startup", receiver.started))
        yield {"greeting": "hello"}
        seen.append(("shutdown", receiver.started))

    site = FastAPI(lifespan=appevents_lifespan(app, site_lifespan))
    site.include_router(appevents_router(app), prefix="/stripe")

    @site.get("/greeting")
    async def greeting(request: Request) -> dict[str, str]:
        return {"greeting": request.state.greeting}

    with asgi_server(site) as base:
        assert httpx.get(base + "/greeting").json() == {"greeting": "hello"}
        body = make_event("invoice.paid", account="acct_1FastAPINested")
        assert deliver(base + "/stripe/webhook", body).status_code == 200
    assert seen == [("startup", True), ("shutdown", True)]
    assert not receiver.started


def ui_site(clock=time.time) -> FastAPI:
    site = FastAPI()
    caller_of = ui_request(APP_SECRET, clock=clock)

    @site.post("/api/settings")
    async def settings(
        request: Request, caller: Annotated[UIRequest, Depends(caller_of)]
    ) -> dict[str, object]:
        # The body stays readable after the dependency read it.
        return {
            "user": caller.user_id,
            "account": caller.account_id,
            "body": await request.json(),
        }

    return site


def ui_call(base: str, body: dict[str, str], signature: str | None) -> httpx.Response:
    headers = {} if signature is None else {"Stripe-Signature": signature}
    return httpx.post(base + "/api/settings", json=body, headers=headers)


CALLER = {"user_id": "usr_1FastAPIUser", "account_id": "acct_1FastAPIAccount"}


def test_ui_request_gives_the_verified_caller():
    site = ui_site(clock=lambda: NOW)
    signature = sign_ui_request(CALLER["user_id"], CALLER["account_id"], APP_SECRET, timestamp=NOW)
    with asgi_server(site) as base:
        answer = ui_call(base, CALLER, signature)
    assert (answer.status_code, answer.json()) == (
        200,
        {"user": "usr_1FastAPIUser", "account": "acct_1FastAPIAccount", "body": CALLER},
    )


@pytest.mark.parametrize(
    ("signature", "body", "code"),
    [
        (
            sign_ui_request(
                CALLER["user_id"], CALLER["account_id"], APP_SECRET, timestamp=NOW - 301
            ),
            CALLER,
            "timestamp_too_old",
        ),
        (
            sign_ui_request(
                CALLER["user_id"], CALLER["account_id"], APP_SECRET, timestamp=NOW + 301
            ),
            CALLER,
            "timestamp_in_future",
        ),
        (
            sign_ui_request(CALLER["user_id"], CALLER["account_id"], "absec_forger", timestamp=NOW),
            CALLER,
            "no_matching_signature",
        ),
        (
            sign_ui_request(CALLER["user_id"], CALLER["account_id"], APP_SECRET, timestamp=NOW),
            {**CALLER, "account_id": "acct_1SomeoneElse"},
            "no_matching_signature",
        ),
        (None, CALLER, "missing_signature_header"),
        ("t=abc", CALLER, "malformed_signature_header"),
        (
            sign_ui_request(CALLER["user_id"], CALLER["account_id"], APP_SECRET, timestamp=NOW),
            {"account_id": CALLER["account_id"]},
            "missing_user_id",
        ),
    ],
    ids=["stale", "future", "forged", "other-account", "missing", "malformed", "no-user"],
)
def test_ui_request_refuses_with_401_and_the_reason(signature, body, code):
    site = ui_site(clock=lambda: NOW)
    with asgi_server(site) as base:
        answer = ui_call(base, body, signature)
    assert answer.status_code == 401
    detail = answer.json()["detail"]
    assert detail["code"] == code
    assert isinstance(detail["message"], str) and detail["message"]


def test_ui_request_refuses_a_webhook_secret_when_the_site_is_built():
    with pytest.raises(ConfigurationError, match="webhook endpoint secret"):
        UIRequestDependency("whsec_not_for_ui_calls")
