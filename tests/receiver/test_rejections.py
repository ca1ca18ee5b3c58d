"""Rejected deliveries are counted and logged: the reason, the signature's t=, where from,
a hint; rate-limited per reason; never the secret, never the body."""

from __future__ import annotations

import logging

import httpx
import pytest

from appevents import sign
from appevents.receiver import App, SQLiteStore
from appevents.receiver.rejections import Rejections, describe_signature
from appevents.receiver.replies import error_reply, method_not_allowed, not_found, too_large
from appevents.testing import make_event, signed_headers
from servers import endpoint_server, wsgi_server

SECRET = "whsec_the_real_endpoint_secret"
WRONG = "whsec_some_other_endpoint"
MISMATCH = error_reply(400, "no_matching_signature", "no v1 signature matches")
TOO_OLD = error_reply(400, "timestamp_too_old", "too old")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def rejections(clock):
    return Rejections(clock=clock, interval=60.0)


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "appevents.receiver.rejections"]


@pytest.mark.parametrize(
    ("header", "described"),
    [
        ("t=1765105200,v1=" + "a" * 64, "t=1765105200 (2025-12-07 11:00:00 UTC)"),
        (b"t=1765105200,v1=" + b"a" * 64, "t=1765105200 (2025-12-07 11:00:00 UTC)"),
        (None, "no Stripe-Signature header"),
        ("", "no Stripe-Signature header"),
        ("v1=" + "a" * 64, "a Stripe-Signature header without t="),
        ("t=soon,v1=abc", "a Stripe-Signature header with a malformed t="),
        ("t=1,t=2,v1=abc", "a Stripe-Signature header with a malformed t="),
        ("t=" + "9" * 40, "a Stripe-Signature header with a malformed t="),
        ("t=999999999999,v1=abc", "t=999999999999 (after the year 9999)"),
        ("t=0,v1=abc", "t=0 (1970-01-01 00:00:00 UTC)"),
        (b"t=\xff\xfe", "a Stripe-Signature header that is not ASCII"),
    ],
)
def test_the_signature_header_is_described_by_its_timestamp_alone(header, described):
    assert describe_signature(header) == described


def test_a_timestamp_past_any_calendar_is_refused_and_logged_not_raised(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"))
    body = make_event("customer.created", account="acct_1")
    with endpoint_server("builtin", app) as base:
        response = httpx.post(
            base + "/webhook",
            content=body,
            headers={"Stripe-Signature": sign(body, SECRET, 10**12 - 1)},
        )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "timestamp_in_future")
    assert any("t=999999999999 (after the year 9999)" in line for line in lines(caplog))


def test_the_first_of_each_reason_is_logged_at_once_with_its_hint(rejections, caplog):
    caplog.set_level(logging.WARNING)
    rejections.rejected(MISMATCH, "t=1765105200,v1=" + "b" * 64, "203.0.113.9")
    rejections.rejected(TOO_OLD, "t=1765100000,v1=" + "c" * 64, None)
    assert lines(caplog) == [
        "rejected a delivery from 203.0.113.9: 400 no_matching_signature, Stripe-Signature "
        "t=1765105200 (2025-12-07 11:00:00 UTC); is the secret (--secret, "
        "APPEVENTS_WEBHOOK_SECRET, App(secrets=...)) the endpoint's signing secret?",
        "rejected a delivery: 400 timestamp_too_old, Stripe-Signature t=1765100000 "
        "(2025-12-07 09:33:20 UTC); is this machine's clock right? If it is, the delivery "
        "was replayed",
    ]
    assert rejections.totals == {"no_matching_signature": 1, "timestamp_too_old": 1}


def test_then_one_line_per_reason_per_interval_says_how_many_were_not_logged(
    rejections, clock, caplog
):
    caplog.set_level(logging.WARNING)
    header = "t=1765105200,v1=" + "b" * 64
    for _ in range(5):
        rejections.rejected(MISMATCH, header, None)
        clock.now += 10  # 5 within the first 60 s
    assert len(lines(caplog)) == 1
    rejections.rejected(TOO_OLD, header, None)  # another reason has its own budget
    assert len(lines(caplog)) == 2
    clock.now = 1000.0 + 60
    rejections.rejected(MISMATCH, header, None)
    assert len(lines(caplog)) == 3
    assert lines(caplog)[-1].endswith(
        " (and 4 more no_matching_signature in the last 60 s, not logged one by one)"
    )
    rejections.rejected(MISMATCH, header, None)
    assert len(lines(caplog)) == 3
    assert rejections.totals == {"no_matching_signature": 7, "timestamp_too_old": 1}


def test_summaries_of_the_last_period_and_of_the_whole_run(rejections, clock):
    assert rejections.period_summary() is None  # nothing rejected: nothing to say
    for _ in range(3):
        rejections.rejected(MISMATCH, None, None)
    rejections.rejected(too_large(10), None, None)
    clock.now += 60
    assert rejections.period_summary() == (
        "rejected 4 deliveries in the last 60 s: 3 no_matching_signature, 1 body_too_large"
    )
    clock.now += 60
    assert rejections.period_summary() is None
    rejections.rejected(not_found("/x", "/webhook"), None, None)
    clock.now += 30
    assert rejections.period_summary() == "rejected 1 delivery in the last 30 s: 1 not_found"
    assert rejections.run_summary() == (
        "rejected 5 deliveries since the start: 3 no_matching_signature, 1 body_too_large, "
        "1 not_found"
    )


def test_a_store_that_cannot_commit_is_logged_with_its_error_and_counted(rejections, caplog):
    caplog.set_level(logging.WARNING)
    rejections.unavailable(RuntimeError("database is locked"))
    rejections.unavailable(RuntimeError("database is locked"))
    assert lines(caplog) == [
        "answered 503 (store_unavailable, Stripe will retry): database is locked"
    ]
    assert rejections.totals == {"store_unavailable": 2}


@pytest.fixture(params=["asgi", "builtin"])
def shell(request):
    return request.param


def test_a_wrong_secret_is_logged_without_the_secret_or_the_body(tmp_path, shell, caplog):
    caplog.set_level(logging.DEBUG)
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"))
    body = make_event("customer.created", account="acct_1")
    headers = signed_headers(body, WRONG)
    with endpoint_server(shell, app) as base:
        for _ in range(3):
            response = httpx.post(base + "/webhook", content=body, headers=headers)
            assert response.status_code == 400
    logged = "\n".join(r.getMessage() for r in caplog.records)
    timestamp = headers["Stripe-Signature"].split(",")[0]
    [line] = [line for line in lines(caplog) if "no_matching_signature" in line]
    assert f"Stripe-Signature {timestamp} (" in line
    assert "the endpoint's signing secret?" in line
    assert line.startswith(
        "rejected a delivery from 127.0.0.1 to /webhook: 400 no_matching_signature"
    )
    for secret in (SECRET, WRONG, SECRET[6:], WRONG[6:]):
        assert secret not in logged
    assert body.decode() not in logged
    assert "acct_1" not in logged and "customer.created" not in logged
    signature = headers["Stripe-Signature"].split("v1=")[1]
    assert signature not in logged
    assert "rejected 3 deliveries since the start: 3 no_matching_signature" in logged


def test_the_asgi_shell_counts_its_own_refusals(tmp_path):
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), max_body_bytes=100)
    with endpoint_server("asgi", app) as base:
        url = base + "/webhook"
        assert httpx.get(url).status_code == 405
        assert httpx.post(base + "/other", content=b"{}").status_code == 404
        assert httpx.post(url, content=b"x" * 101).status_code == 413
        assert (
            httpx.post(url, content=b"{}", headers={"Stripe-Signature": "t=1"}).status_code == 400
        )
        assert app.asgi().runtime.rejections.totals == {
            "method_not_allowed": 1,
            "not_found": 1,
            "body_too_large": 1,
            "no_v1_signature": 1,
        }


def test_the_wsgi_shell_counts_its_own_refusals(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), max_body_bytes=4000)
    endpoint = app.wsgi()
    try:
        with wsgi_server(endpoint) as base:
            url = base + "/webhook"
            assert httpx.get(url).status_code == 405
            assert httpx.post(base + "/other", content=b"{}").status_code == 404
            big = b"x" * 4001
            assert httpx.post(url, content=big, headers={"Stripe-Signature": sign(big, WRONG)}
                              ).status_code == 413  # fmt: skip
            body = make_event("customer.created", account="acct_1")
            headers = signed_headers(body, WRONG)
            assert httpx.post(url, content=body, headers=headers).status_code == 400
            assert endpoint.runtime.rejections.totals == {
                "method_not_allowed": 1,
                "not_found": 1,
                "body_too_large": 1,
                "no_matching_signature": 1,
            }
    finally:
        endpoint.close()
    assert any(
        line.startswith("rejected a delivery from 127.0.0.1 to /webhook: 413")
        for line in lines(caplog)
    )


def test_method_not_allowed_is_logged_with_its_hint(rejections, caplog):
    caplog.set_level(logging.WARNING)
    rejections.rejected(method_not_allowed("GET"), None, "198.51.100.7")
    assert lines(caplog) == [
        "rejected a delivery from 198.51.100.7: 405 method_not_allowed, no Stripe-Signature "
        "header; Stripe delivers events with POST"
    ]
