"""The receiver's HTTP contract over real HTTP on 127.0.0.1 with SQLite on disk, for both
shells: the ASGI app under uvicorn and ``appevents serve``'s built-in server."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from appevents import sign
from appevents.receiver import App, SQLiteStore
from appevents.testing import make_event, signed_headers
from servers import endpoint_server, poll_until

SECRET = "whsec_http_test"


def row(db_path: Path, event_id: str):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT id, status FROM events WHERE id = ?", (event_id,)).fetchone()


def count_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]


@pytest.fixture(params=["asgi", "builtin"])
def shell(request):
    return request.param


@pytest.fixture
def receiver(tmp_path, shell):
    """A running receiver whose handlers record into the app's own table."""
    db_path = tmp_path / "inbox.db"
    app = App(SECRET, store=SQLiteStore(db_path), max_body_bytes=64 * 1024)

    @app.on_setup
    def schema(db):
        db.execute("CREATE TABLE IF NOT EXISTS handled (event_id TEXT, account TEXT)")

    @app.on("*")
    def record(event, ctx):
        ctx.transaction.execute("INSERT INTO handled VALUES (?, ?)", (event.id, ctx.account))

    @app.on_uninstall
    def forget(event, ctx):
        ctx.transaction.execute("DELETE FROM handled WHERE account = ?", (ctx.account,))

    with endpoint_server(shell, app) as base:
        yield base + "/webhook", db_path


def test_200_only_after_the_row_is_committed(receiver):
    url, db_path = receiver
    body = make_event("payment_intent.succeeded", account="acct_1")
    response = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
    assert (response.status_code, response.json()) == (200, {"received": True, "duplicate": False})
    event_id = json.loads(body)["id"]
    assert row(db_path, event_id) is not None  # another connection sees it: committed
    again = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
    assert again.json() == {"received": True, "duplicate": True}
    poll_until(lambda: row(db_path, event_id)[1] == "done")


BODY = make_event("customer.created", account="acct_1")


@pytest.mark.parametrize(
    ("body", "header", "code"),
    [
        (BODY, None, "missing_signature_header"),
        (BODY, "t=oops", "malformed_signature_header"),
        (BODY, lambda b: sign(b, "whsec_wrong"), "no_matching_signature"),
        (BODY, lambda b: sign(b, SECRET, int(time.time()) - 3600), "timestamp_too_old"),
        (BODY, lambda b: sign(b, SECRET, int(time.time()) + 3600), "timestamp_in_future"),
        (b"not json at all", lambda b: sign(b, SECRET), "body_not_json"),
        (b'{"object": "customer"}', lambda b: sign(b, SECRET), "body_not_an_event"),
        (b'{"object": "v2.core.event"}', lambda b: sign(b, SECRET), "body_not_an_event"),
    ],
)
def test_400_names_the_problem_and_stores_nothing(receiver, body, header, code):
    url, db_path = receiver
    headers = (
        {} if header is None else {"Stripe-Signature": header(body) if callable(header) else header}
    )
    response = httpx.post(url, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert count_rows(db_path) == 0


def test_413_above_the_body_limit_by_header_or_by_stream(receiver):
    url, db_path = receiver
    big = b"x" * (64 * 1024 + 1)
    response = httpx.post(url, content=big, headers={"Stripe-Signature": sign(big, SECRET)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"

    def chunks():
        for _ in range(70):
            yield b"y" * 1024

    streamed = httpx.post(url, content=chunks(), headers={"Stripe-Signature": "t=1,v1=" + "a" * 64})
    assert streamed.status_code == 413
    assert count_rows(db_path) == 0


def test_405_for_other_methods_and_404_for_other_paths(receiver):
    url, _ = receiver
    for method in ("GET", "PUT", "DELETE"):
        response = httpx.request(method, url)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
    assert httpx.post(url.replace("/webhook", "/other"), content=b"{}").status_code == 404


def test_503_when_the_store_cannot_commit_then_recovers(tmp_path, shell):
    db_path = tmp_path / "inbox.db"
    app = App(SECRET, store=SQLiteStore(db_path, busy_timeout=0.05))
    with endpoint_server(shell, app) as base:
        url = base + "/webhook"
        body = make_event("customer.created", account="acct_1")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        response = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "store_unavailable"
        blocker.execute("ROLLBACK")
        assert count_rows(db_path) == 0
        retried = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
        assert retried.json() == {"received": True, "duplicate": False}


def test_concurrent_duplicate_deliveries_store_one_row_and_run_once(receiver):
    url, db_path = receiver
    body = make_event("payment_intent.succeeded", account="acct_1")
    event_id = json.loads(body)["id"]

    async def deliver_many():
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            return await asyncio.gather(
                *(client.post(url, content=body, headers=signed_headers(body, SECRET))
                  for _ in range(40))
            )  # fmt: skip

    responses = asyncio.run(deliver_many())
    assert [r.status_code for r in responses] == [200] * 40
    assert sum(not r.json()["duplicate"] for r in responses) == 1
    poll_until(lambda: row(db_path, event_id)[1] == "done")
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (1,)
        assert db.execute(
            "SELECT COUNT(*) FROM handled WHERE event_id = ?", (event_id,)
        ).fetchone() == (1,)


LIFECYCLE = ["account.application.authorized", "payment_intent.succeeded",
             "account.application.deauthorized"]  # fmt: skip


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_lifecycle_outcome_is_the_same_for_every_arrival_order(tmp_path, order):
    db_path = tmp_path / "inbox.db"
    app = App(SECRET, store=SQLiteStore(db_path))
    ran = {"install": 0, "uninstall": 0}

    @app.on_setup
    def schema(db):
        db.execute("CREATE TABLE IF NOT EXISTS data (account TEXT)")

    @app.on("payment_intent.succeeded")
    def write(event, ctx):
        ctx.transaction.execute("INSERT INTO data VALUES (?)", (ctx.account,))

    app.on_install(lambda e: ran.__setitem__("install", ran["install"] + 1))
    app.on_uninstall(lambda e, ctx: (
        ran.__setitem__("uninstall", ran["uninstall"] + 1),
        ctx.transaction.execute("DELETE FROM data WHERE account = ?", (ctx.account,)),
    ))  # fmt: skip
    t0 = int(time.time()) - 100
    bodies = [make_event(t, account="acct_A", created=t0 + i) for i, t in enumerate(LIFECYCLE)]
    other = make_event("payment_intent.succeeded", account="acct_B", created=t0)
    with endpoint_server("builtin", app) as base:
        for body in [other] + [bodies[i] for i in order]:
            assert httpx.post(base + "/webhook", content=body,
                              headers=signed_headers(body, SECRET)).status_code == 200  # fmt: skip
            # Let each be processed before the next arrives: arrival order is processing order.
            poll_until(lambda: _unfinished(db_path) == 0)
    with sqlite3.connect(db_path) as db:
        states = db.execute("SELECT account, status FROM installations ORDER BY 1").fetchall()
        assert states == [("acct_A", "uninstalled"), ("acct_B", "active")]
        assert db.execute("SELECT account FROM data").fetchall() == [("acct_B",)]
        kept = db.execute(
            "SELECT account, COUNT(*) FROM events WHERE payload IS NOT NULL GROUP BY 1"
        ).fetchall()
        assert kept == [("acct_B", 1)]
    assert ran["uninstall"] == 1


def _unfinished(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT COUNT(*) FROM events WHERE status IN ('pending', 'failed')"
        ).fetchone()[0]
