"""The Django app over a real WSGI server on 127.0.0.1 (Django's own WSGI handler, CSRF
middleware on), with the receiver's store a SQLite URL: signed deliveries stored before
the 200 and processed, refusals in the receiver's JSON, the settings' errors."""

from __future__ import annotations

import json

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from djsite import events
from djsite.support import SECRET, sqlite_rows

from appevents.integrations.django import conf
from appevents.testing import make_event, signed_headers
from servers import poll_until, wsgi_server


@pytest.fixture
def site(tmp_path, settings_override):
    events.handled.clear()
    settings_override(
        APP="djsite.events.receiver", SECRETS=[SECRET], STORE=f"sqlite:///{tmp_path / 'inbox.db'}"
    )
    with wsgi_server(get_wsgi_application()) as base:
        yield base
    conf.reset()


def deliver(url: str, body: bytes, secret: str = SECRET) -> httpx.Response:
    return httpx.post(url, content=body, headers=signed_headers(body, secret))


def test_a_signed_delivery_needs_no_csrf_token_is_stored_before_200_and_processed(site, tmp_path):
    body = make_event("invoice.paid", account="acct_1DjangoView")
    event_id = json.loads(body)["id"]
    first = deliver(site + "/stripe/webhook", body)
    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert [row[0] for row in sqlite_rows(tmp_path / "inbox.db")] == [event_id]
    again = deliver(site + "/stripe/webhook", body)
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    poll_until(lambda: events.handled, what="the worker ran the handler")
    assert events.handled == [event_id]
    poll_until(
        lambda: sqlite_rows(tmp_path / "inbox.db") == [(event_id, "done")],
        what="the event marked done",
    )


def test_other_methods_get_405_with_allow_and_bad_signatures_400(site, tmp_path):
    get = httpx.get(site + "/stripe/webhook")
    assert (get.status_code, get.headers["allow"], get.headers["content-type"]) == (
        405, "POST", "application/json",
    )  # fmt: skip
    assert get.json()["error"] == {
        "code": "method_not_allowed",
        "message": "GET is not allowed: Stripe delivers events with POST",
    }
    assert httpx.put(site + "/stripe/webhook", content=b"{}").status_code == 405
    body = make_event("invoice.paid", account="acct_1DjangoRefused")
    forged = deliver(site + "/stripe/webhook", body, secret="whsec_someone_else")
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "no_matching_signature")
    unsigned = httpx.post(site + "/stripe/webhook", content=body)
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (
        400,
        "missing_signature_header",
    )
    big = httpx.post(site + "/stripe/webhook", content=b"x" * (2 * 1024 * 1024 + 1))
    assert (big.status_code, big.json()["error"]["code"]) == (413, "body_too_large")
    assert httpx.get(site + "/hello").json() == {"hello": "site"}
    assert sqlite_rows(tmp_path / "inbox.db") == []


def test_the_first_request_of_any_page_starts_the_worker(tmp_path, settings_override):
    """Events stored before a restart are processed without waiting for a new delivery."""
    from appevents import App
    from appevents.receiver.http import WSGIEndpoint

    store = f"sqlite:///{tmp_path / 'inbox.db'}"
    alone = WSGIEndpoint(App(SECRET, store=store), run_worker=False)
    body = make_event("invoice.paid", account="acct_1DjangoRestart")
    with wsgi_server(alone) as base:  # a receiver without a worker stores it, then stops
        assert deliver(base + "/webhook", body).status_code == 200
    alone.close()
    events.handled.clear()
    settings_override(APP="djsite.events.receiver", SECRETS=[SECRET], STORE=store)
    with wsgi_server(get_wsgi_application()) as base:
        assert httpx.get(base + "/hello").status_code == 200
        poll_until(lambda: events.handled, what="the worker processed the stored event")
    assert events.handled == [json.loads(body)["id"]]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SECRETS": [SECRET]}, "settings.APPEVENTS has no 'APP'"),
        ({"APP": "djsite.events.nothing", "SECRETS": [SECRET]}, "cannot be imported"),
        ({"APP": "djsite.events.handled", "SECRETS": [SECRET]}, "is a list, not an appevents.App"),
        ({"APP": "djsite.events.receiver"}, "has no 'SECRETS'"),
        (
            {"APP": "djsite.events.receiver", "SECRETS": [SECRET], "STORES": "x"},
            "unknown keys ['STORES']",
        ),
        (
            {"APP": "djsite.events.receiver", "SECRETS": [SECRET], "STORE": "inbox.db"},
            "is not a URL",
        ),
        (
            {
                "APP": "djsite.events.receiver",
                "SECRETS": [SECRET],
                "STORE": "django",
                "DATABASE": "nope",
            },
            "'DATABASE'] is 'nope', not one of",
        ),
        (
            {"APP": "djsite.events.receiver", "SECRETS": [SECRET], "DATABASE": "default"},
            "only used with 'STORE': 'django'",
        ),
        (
            {"APP": "djsite.events.receiver", "SECRETS": [SECRET], "RUN_WORKER": "no"},
            "'RUN_WORKER'] is 'no'",
        ),
    ],
)
def test_a_wrong_setting_is_named_with_its_fix(settings_override, values, message):
    settings_override(**values)
    with pytest.raises(ImproperlyConfigured) as raised:
        conf.endpoint()
    assert message in str(raised.value)


def test_manage_py_check_reports_a_wrong_setting(settings_override):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings_override(APP="djsite.events.receiver")
    with pytest.raises(SystemCheckError, match=r"appevents.E001.*has no 'SECRETS'"):
        call_command("check")
    settings_override(APP="djsite.events.receiver", SECRETS=[SECRET])
    call_command("check")  # no error


def test_reset_stops_the_worker_and_closes_the_store_leaving_no_thread(site, tmp_path):
    import threading

    def ours() -> list[str]:
        return sorted(
            t.name for t in threading.enumerate() if t.name.startswith(("appevents-", "asyncio"))
        )

    assert httpx.get(site + "/hello").status_code == 200  # starts it
    assert "appevents-wsgi-loop" in ours()
    runtime = conf.endpoint().runtime
    conf.reset()
    assert not runtime.started
    poll_until(lambda: "appevents-wsgi-loop" not in ours(), what="the loop thread ended")
    assert [name for name in ours() if not name.startswith("asyncio")] == []


def test_a_store_that_cannot_open_answers_503_and_leaves_the_pages_working(
    tmp_path, settings_override, caplog
):
    import threading

    store = f"sqlite:///{tmp_path / 'no-such-folder' / 'inbox.db'}"
    settings_override(APP="djsite.events.receiver", SECRETS=[SECRET], STORE=store)
    with wsgi_server(get_wsgi_application()) as base:
        assert httpx.get(base + "/hello").json() == {"hello": "site"}
        body = make_event("invoice.paid", account="acct_1DjangoBroken")
        refused = deliver(base + "/stripe/webhook", body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            503, "receiver_unavailable",
        )  # fmt: skip
        assert "no-such-folder" not in refused.text  # the reason is the site's, in its log
    assert "the receiver did not start" in caplog.text
    assert "the receiver could not start" in caplog.text and "no-such-folder" in caplog.text
    assert not any(t.name == "appevents-wsgi-loop" for t in threading.enumerate())
