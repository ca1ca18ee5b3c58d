"""The dashboards' shared site (appevents.web.site) over real HTTP on 127.0.0.1: each
dashboard's error page leads back to its own home, carries its security headers, and a
form without the CSRF token is refused before any action runs."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appevents.web.site import MAX_FORM_BYTES, SECURITY_HEADERS, DashboardSite, to
from servers import asgi_server


def site_app(package: str, back: tuple[str, str], **options: Any) -> tuple[Starlette, list[str]]:
    site = DashboardSite(
        package, csrf=None, product="appevents test", nav=(("/", "Home"),), footer="",
        back=back, **options,
    )  # fmt: skip
    acted: list[str] = []

    async def missing(request: Request) -> Response:
        return site.error(request, 404, "no such <thing>")

    async def post(request: Request) -> Response:
        form = await site.form(request)
        if isinstance(form, Response):
            return form
        acted.append(form.get("name", ""))
        return Response("done")

    routes = [Route("/missing", missing), Route("/act", post, methods=["POST"])]
    return Starlette(routes=routes), acted


def test_each_dashboards_error_page_leads_back_to_its_own_home():
    for package, back in (
        ("appevents.receiver.dashboard", ("/", "Back to the inbox")),
        ("appevents.sandbox.dashboard", ("/events", "Back to the events")),
    ):
        app, _ = site_app(package, back, sections={"/": "/events"})
        with asgi_server(app) as base:
            page = httpx.get(base + "/missing")
        assert page.status_code == 404
        assert f'<a href="{back[0]}">{back[1]}</a>' in page.text
        assert "no such &lt;thing&gt;" in page.text
        assert {k: page.headers[k] for k in SECURITY_HEADERS} == dict(SECURITY_HEADERS)
        assert "x-frame-options" not in page.headers


def test_a_dashboards_own_headers_replace_the_shared_ones():
    headers = {**SECURITY_HEADERS, "X-Frame-Options": "DENY"}
    app, _ = site_app("appevents.receiver.dashboard", ("/", "Back"), sections={}, headers=headers)
    with asgi_server(app) as base:
        assert httpx.get(base + "/missing").headers["x-frame-options"] == "DENY"


def test_a_form_without_its_token_or_too_large_is_refused_before_the_action():
    app, acted = site_app("appevents.sandbox.dashboard", ("/events", "Back"), sections={})
    with asgi_server(app) as base:
        forged = httpx.post(base + "/act", data={"name": "forged"})
        huge = httpx.post(base + "/act", content=b"name=" + b"x" * MAX_FORM_BYTES)
    assert forged.status_code == 403 and "has no csrf_token" in forged.text
    assert huge.status_code == 413 and f"over {MAX_FORM_BYTES} bytes" in huge.text
    assert acted == []


def test_to_keeps_only_the_values_given():
    assert to("/events") == "/events"
    assert to("/events", "Replayed 2", account="acct_1Shop") == (
        "/events?account=acct_1Shop&notice=Replayed+2"
    )
