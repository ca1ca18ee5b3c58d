"""/healthz and /readyz on the metrics listener: up, ready, and 503 naming the check that
failed (store unreachable, worker silent, backlog over its threshold) with its value;
never reachable under the webhook's address."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import psycopg
import pytest

from appevents.receiver import App, MemoryStore, SQLiteStore
from appevents.receiver.health import Readiness
from appevents.testing import make_event, signed_headers
from environment import postgres_url
from observed_servers import FakeClock, observed_server, postgres_store
from servers import poll_until

SECRET = "whsec_health_endpoint_secret"


def deliver(observed, clock: FakeClock, count: int) -> None:
    for _ in range(count):
        body = make_event("customer.created", account="acct_1")
        headers = signed_headers(body, SECRET, int(clock.now))
        assert httpx.post(observed.webhook, content=body, headers=headers).status_code == 200


def readyz(observed) -> httpx.Response:
    return httpx.get(observed.base + "/readyz")


def test_healthz_says_the_process_is_up_even_when_the_store_is_not():
    store = MemoryStore()
    app = App(SECRET, store=store)
    with observed_server(app) as observed:
        store.unavailable = RuntimeError("down")
        response = httpx.get(observed.base + "/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
        assert response.headers["content-type"] == "application/json"
        assert readyz(observed).status_code == 503


def test_readyz_is_ready_with_each_check_and_its_value():
    clock = FakeClock()
    store = MemoryStore()
    app = App(SECRET, store=store, clock=clock)
    readiness = Readiness(max_backlog=5, max_worker_age=30, clock=clock)
    with observed_server(app, readiness=readiness) as observed:
        observed.call(store.beat("host:1", started_at=clock.now, now=clock.now))
        clock.now += 3
        deliver(observed, clock, 2)
        response = readyz(observed)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "store": {"ok": True},
            "worker": {"ok": True, "heartbeat_age_seconds": 3.0, "max_seconds": 30},
            "backlog": {"ok": True, "events": 2, "max_events": 5},
        },
    }


def test_readyz_fails_when_the_backlog_exceeds_its_threshold():
    clock = FakeClock()
    app = App(SECRET, store=MemoryStore(), clock=clock)
    readiness = Readiness(max_backlog=2, max_worker_age=None, clock=clock)
    with observed_server(app, readiness=readiness) as observed:
        deliver(observed, clock, 2)
        assert readyz(observed).status_code == 200  # at the threshold: still ready
        deliver(observed, clock, 1)
        response = readyz(observed)
        assert response.status_code == 503
        assert response.json() == {
            "status": "unready",
            "failed": ["backlog"],
            "checks": {
                "store": {"ok": True},
                "backlog": {"ok": False, "events": 3, "max_events": 2},
            },
        }
        observed.call(observed.runtime.worker.run_once())  # the worker catches up
        assert readyz(observed).status_code == 200


def test_readyz_fails_when_no_worker_beat_recently():
    clock = FakeClock()
    store = MemoryStore()
    app = App(SECRET, store=store, clock=clock)
    readiness = Readiness(max_backlog=None, max_worker_age=30, clock=clock)
    with observed_server(app, readiness=readiness) as observed:
        response = readyz(observed)
        assert response.status_code == 503  # no worker ever beat
        assert response.json()["checks"]["worker"] == {
            "ok": False,
            "heartbeat_age_seconds": None,
            "max_seconds": 30,
        }
        observed.call(store.beat("host:1", started_at=clock.now, now=clock.now))
        assert readyz(observed).status_code == 200
        clock.now += 30.5
        response = readyz(observed)
        assert response.status_code == 503
        assert response.json()["failed"] == ["worker"]
        assert response.json()["checks"]["worker"]["heartbeat_age_seconds"] == 30.5


def test_an_in_process_worker_beats_and_keeps_the_receiver_ready(tmp_path):
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"))
    readiness = Readiness(max_worker_age=30)
    with observed_server(app, readiness=readiness, run_worker=True) as observed:
        # The worker's first beat comes as it starts.
        poll_until(lambda: readyz(observed).status_code == 200, what="a ready receiver")
        [beat] = observed.call(observed.runtime.store.backlog(now=app.clock())).workers
        assert beat.name == observed.runtime.worker.name
    # A worker that stops cleanly forgets its heartbeat.
    store = SQLiteStore(tmp_path / "inbox.db")

    async def workers():
        async with store:
            return (await store.backlog(now=app.clock())).workers

    assert asyncio.run(workers()) == ()


def test_readyz_fails_when_the_sqlite_store_is_closed(tmp_path):
    store = SQLiteStore(tmp_path / "inbox.db")
    app = App(SECRET, store=store)
    readiness = Readiness(max_worker_age=None)
    with observed_server(app, readiness=readiness) as observed:
        assert readyz(observed).status_code == 200
        observed.call(store.close())
        response = readyz(observed)
        assert response.status_code == 503
        body = response.json()
        assert body["failed"] == ["store"]
        assert "is not open" in body["checks"]["store"]["error"]
        samples = observed.samples()
        assert samples[("appevents_store_up", ())] == 0


@pytest.mark.postgres
def test_readyz_fails_when_postgresql_stops_answering_then_recovers():
    name = f"appevents-readyz-{uuid.uuid4().hex[:8]}"
    with postgres_store(application_name=name, min_size=1, max_size=1) as store:
        app = App(SECRET, store=store)
        readiness = Readiness(max_worker_age=None)
        with observed_server(app, readiness=readiness) as observed:
            assert readyz(observed).status_code == 200
            # The server ends this store's sessions, as a failover or a restart would.
            with psycopg.connect(postgres_url(), autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s",
                    (name,),
                )
            response = readyz(observed)
            assert response.status_code == 503
            assert response.json()["failed"] == ["store"]
            assert "PostgreSQL store" in response.json()["checks"]["store"]["error"]
            statuses = [readyz(observed).status_code for _ in range(5)]
            assert statuses[-1] == 200  # the pool reconnects


def test_the_listener_answers_only_its_three_paths_and_the_webhook_never_them():
    app = App(SECRET, store=MemoryStore())
    with observed_server(app) as observed:
        webhook_base = observed.webhook.rsplit("/", 1)[0]
        for path in ("/metrics", "/healthz", "/readyz", "/webhook/metrics"):
            assert httpx.get(webhook_base + path).status_code in (404, 405), path
        assert httpx.get(observed.webhook + "/../metrics").status_code in (404, 405)
        body = make_event("customer.created", account="acct_1")
        listener = observed.base + "/webhook"
        response = httpx.post(listener, content=body, headers=signed_headers(body, SECRET))
        assert response.status_code == 404
        assert httpx.post(observed.base + "/metrics").status_code == 405
        assert httpx.head(observed.base + "/healthz").status_code == 200
        assert observed.runtime.committer.committed == 0
