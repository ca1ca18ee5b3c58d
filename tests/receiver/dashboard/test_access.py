"""Nobody without the token sees a page or presses a button of the receiver dashboard,
and a logged-in browser gets a session cookie scripts and other sites cannot use."""

from __future__ import annotations

import json

import httpx
import pytest

from appevents.errors import ConfigurationError
from appevents.receiver.dashboard import TokenAuth
from appevents.receiver.dashboard.auth import COOKIE
from appevents.testing import make_event

PAGES = ["/", "/dead", "/installations", "/activity", "/events/evt_1NoSuchEvent", "/live"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_the_token_sends_the_browser_to_log_in(served, path):
    answer = httpx.get(served.base + path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=" + path.replace("/", "%2F")
    assert served.token not in answer.text


def test_a_wrong_token_is_refused_everywhere(served):
    body = make_event("invoice.paid", account="acct_1Wrong", object={"description": "secret"})
    served.deliver(body)
    wrong = {"Authorization": "Bearer not-the-token-of-this-dashboard"}
    for path in PAGES:
        answer = httpx.get(served.base + path, headers=wrong)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "not this dashboard" in answer.text
        assert "secret" not in answer.text
    refused = httpx.get(served.base + "/login", params={"token": "not-the-token-of-this-one"})
    assert refused.status_code == 401
    assert COOKIE not in refused.cookies
    forged = httpx.get(served.base + "/", cookies={COOKIE: "0" * 64})
    assert forged.status_code == 401


def test_a_button_without_the_token_is_refused_and_does_nothing(served):
    served.flags["broken"] = True
    body = make_event("invoice.paid", account="acct_1Button")
    event_id = json.loads(body)["id"]
    served.deliver(body)
    served.wait_status(event_id, "dead")
    csrf = served.client().get(f"/events/{event_id}").text.split('name="csrf_token" value="')[1]
    answer = httpx.post(
        f"{served.base}/actions/events/{event_id}/replay", data={"csrf_token": csrf.split('"')[0]}
    )
    assert answer.status_code == 401
    assert served.event(event_id).status == "dead"


def test_the_login_url_sets_an_httponly_samesite_strict_session_and_goes_back(served):
    client = httpx.Client(base_url=served.base)
    answer = client.get("/login", params={"token": served.token, "next": "/activity"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/activity"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert served.token not in cookie  # the cookie is no copy of the token
    page = client.get("/activity")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"


def test_the_login_form_takes_the_token_and_refuses_another_site(served):
    client = httpx.Client(base_url=served.base)
    form = client.get("/login", params={"next": "/dead"})
    assert form.status_code == 200
    assert 'type="password"' in form.text
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = client.post("/login", data={"csrf_token": csrf, "token": "x" * 20, "next": "/dead"})
    assert wrong.status_code == 401
    elsewhere = client.post("/login", data={"csrf_token": csrf, "token": served.token,
                            "next": "https://elsewhere.example/"})  # fmt: skip
    assert elsewhere.status_code == 303
    assert elsewhere.headers["location"] == "/"  # never off this dashboard
    assert client.get("/dead").status_code == 200


def test_logging_out_ends_the_session(served):
    client = served.client()
    csrf = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert client.get("/").status_code == 303


def test_bearer_token_serves_scripts_and_static_files_need_none(served):
    page = httpx.get(served.base + "/", headers={"Authorization": f"Bearer {served.token}"})
    assert page.status_code == 200
    css = httpx.get(served.base + "/static/app.css")
    assert css.status_code == 200 and "svg.chart" in css.text


def test_a_short_token_is_refused_with_the_fix():
    with pytest.raises(ConfigurationError, match="at least 16"):
        TokenAuth("short")
    assert len(TokenAuth().token) >= 16
    assert TokenAuth().token != TokenAuth().token


def test_the_webhook_address_serves_no_dashboard(served):
    webhook_base = served.webhook.removesuffix("/webhook")
    for path in ("/", "/login", "/dead", "/static/app.css"):
        answer = httpx.get(webhook_base + path, headers={"Authorization": f"Bearer {served.token}"})
        assert answer.status_code == 404, path
        assert "appevents receiver" not in answer.text


@pytest.mark.parametrize(
    "target",
    ["https://elsewhere.example/", "//elsewhere.example", "/\t/elsewhere.example",
     "/\\elsewhere.example", "\\\\elsewhere.example", "/\n/elsewhere.example", "dead", ""],
)  # fmt: skip
def test_logging_in_never_leads_off_the_dashboard(target):
    from appevents.receiver.dashboard.site import safe_next

    assert safe_next(target) == "/"


def test_logging_in_goes_back_to_the_page_asked_for():
    from appevents.receiver.dashboard.site import safe_next

    assert safe_next("/events/evt_1A?x=1") == "/events/evt_1A?x=1"
    assert safe_next("/dead?type=invoice.%2A") == "/dead?type=invoice.%2A"
