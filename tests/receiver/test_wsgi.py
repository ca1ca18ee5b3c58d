"""The WSGI shell (for Flask, Django, gunicorn) over a real WSGI server on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import pytest

from appevents.receiver import App, SQLiteStore
from appevents.testing import make_event, signed_headers
from servers import wsgi_server

SECRET = "whsec_wsgi_test"


@pytest.fixture
def wsgi_receiver(tmp_path):
    db_path = tmp_path / "inbox.db"
    app = App(SECRET, store=SQLiteStore(db_path), max_body_bytes=10_000)
    handled = []
    app.on("*")(lambda event: handled.append(event.id))
    endpoint = app.wsgi()
    with wsgi_server(endpoint) as base:
        yield base + "/webhook", db_path, handled, endpoint
    endpoint.close()


def test_wsgi_stores_before_200_and_runs_the_worker(wsgi_receiver):
    url, db_path, handled, _ = wsgi_receiver
    body = make_event("invoice.paid", account="acct_1")
    event_id = json.loads(body)["id"]
    response = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
    assert (response.status_code, response.json()) == (200, {"received": True, "duplicate": False})
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT id FROM events").fetchall() == [(event_id,)]
    again = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
    assert again.json()["duplicate"] is True
    deadline = time.monotonic() + 5
    while not handled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert handled == [event_id]


def test_wsgi_error_answers(wsgi_receiver):
    url, db_path, _, _ = wsgi_receiver
    body = make_event("invoice.paid", account="acct_1")
    bad = httpx.post(url, content=body, headers={"Stripe-Signature": "t=1"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "no_v1_signature")
    big = httpx.post(url, content=b"x" * 10_001, headers={"Stripe-Signature": "t=1"})
    assert big.status_code == 413
    get = httpx.get(url)
    assert (get.status_code, get.headers["allow"]) == (405, "POST")
    assert httpx.post(url + "/nested", content=body).status_code == 404
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (0,)


def test_deliver_serves_view_functions(wsgi_receiver):
    _, _, _, endpoint = wsgi_receiver
    body = make_event("invoice.paid", account="acct_2")
    reply = endpoint.deliver(body, signed_headers(body, SECRET)["Stripe-Signature"])
    assert (reply.status, json.loads(reply.body)["duplicate"]) == (200, False)


def test_flask_mount_with_dispatcher_middleware(tmp_path):
    import flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), path="/stripe/webhook")
    site = flask.Flask("site")
    site.wsgi_app = DispatcherMiddleware(site.wsgi_app, {"/stripe": app.wsgi()})
    client = site.test_client()
    body = make_event("customer.created", account="acct_3")
    response = client.post("/stripe/webhook", data=body, headers=signed_headers(body, SECRET))
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False}
    app.wsgi().close()
