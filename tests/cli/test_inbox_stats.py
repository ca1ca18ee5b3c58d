"""`appevents inbox stats [--json]`: the store's figures for an operator without
Prometheus, on SQLite and PostgreSQL, exactly as the store holds them."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from appevents.event import Event
from appevents.receiver import SQLiteStore
from appevents.receiver.inbox import Outcome, Status
from appevents.testing import make_event
from cli_results import run
from postgres_support import create_schema, drop_schema, url_with_schema


def event(kind: str, account: str | None, n: int) -> Event:
    return Event.parse(make_event(kind, account=account, created=1_796_000_000 + n))


async def fill(store) -> float:
    """A known inbox of 8: 2 done, 1 failed (retry later), 1 dead, 4 pending; a worker's beat.
    Returns the time the oldest pending event was received."""
    now = time.time()
    async with store:
        await store.insert_events(
            [event("invoice.paid", "acct_done", 1), event("invoice.paid", "acct_done", 2)],
            now - 300,
        )
        await store.insert_events([event("customer.created", "acct_fail", 3)], now - 200)
        await store.insert_events([event("charge.failed", "acct_dead", 4)], now - 150)

        async def work(stored, tx):
            if stored.type == "customer.created":
                return Outcome(Status.FAILED, now, now, error="boom", retry_at=now + 3600)
            if stored.type == "charge.failed":
                return Outcome(Status.DEAD, now, now, error="gone")
            return Outcome(Status.DONE, now, now)

        for _ in range(3):  # one event per account and batch
            await store.process_due(now=now, limit=10, work=work)
        await store.insert_events(
            [event("invoice.paid", "acct_busy", n) for n in range(10, 13)], now - 90
        )
        await store.insert_events([event("charge.failed", None, 20)], now - 30)
        await store.beat("worker-host:4242", started_at=now - 600, now=now - 2)
    return now - 90


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'inbox.db'}"
        return
    schema = create_schema()
    try:
        yield url_with_schema(schema)
    finally:
        drop_schema(schema)


def open_store(url: str):
    if url.startswith("sqlite"):
        return SQLiteStore.from_url(url)
    from appevents.receiver.stores.postgres import PostgresStore

    return PostgresStore(url)


def test_stats_json_has_the_stores_figures(store_url):
    oldest = asyncio.run(fill(open_store(store_url)))
    figures = json.loads(run("inbox", "stats", "--json", "--store", store_url))
    at = figures["at"]
    assert figures["events"] == 8
    assert figures["by_status"] == {"pending": 4, "failed": 1, "done": 2, "dead": 1, "skipped": 0}
    assert figures["dead"] == 1
    assert (figures["backlog"], figures["pending"]) == (4, 4)
    assert (figures["failed_due"], figures["failed_later"]) == (0, 1)
    assert figures["oldest_pending_received_at"] == pytest.approx(oldest, abs=1e-6)
    assert figures["oldest_pending_age_seconds"] == round(
        at - figures["oldest_pending_received_at"], 3
    )
    assert 90 <= figures["oldest_pending_age_seconds"] < 120
    assert figures["by_type"] == [
        {"type": "invoice.paid", "events": 5, "pending": 3, "failed": 0, "done": 2, "dead": 0,
         "skipped": 0},
        {"type": "charge.failed", "events": 2, "pending": 1, "failed": 0, "done": 0, "dead": 1,
         "skipped": 0},
        {"type": "customer.created", "events": 1, "pending": 0, "failed": 1, "done": 0,
         "dead": 0, "skipped": 0},
    ]  # fmt: skip
    busiest = figures["busiest_accounts"]
    assert [(a["account"], a["unfinished"]) for a in busiest] == [
        ("acct_busy", 3),
        (None, 1),  # the platform's own event
        ("acct_fail", 1),
    ]
    for account in busiest:
        assert account["lag_seconds"] == round(at - account["oldest_received_at"], 3)
    [worker] = figures["workers"]
    assert worker["worker"] == "worker-host:4242"
    assert worker["heartbeat_age_seconds"] == round(at - worker["beat_at"], 3)
    assert worker["beat_at"] - worker["started_at"] == pytest.approx(598)


def test_top_bounds_the_types_accounts_and_workers(store_url):
    asyncio.run(fill(open_store(store_url)))
    figures = json.loads(run("inbox", "stats", "--json", "--top", "1", "--store", store_url))
    assert [t["type"] for t in figures["by_type"]] == ["invoice.paid"]
    assert [a["account"] for a in figures["busiest_accounts"]] == ["acct_busy"]
    assert len(figures["workers"]) == 1
    assert figures["events"] == 8  # the totals are not bounded


def test_stats_as_text_for_a_terminal(tmp_path):
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    asyncio.run(fill(open_store(url)))
    output = run("inbox", "stats", "--store", url)
    lines = output.splitlines()
    assert lines[0] == "events: 8 (4 pending, 1 failed, 2 done, 1 dead, 0 skipped)"
    assert lines[1] == (
        "backlog: 4 (4 pending, 0 failed and due again; 1 failed waiting for their retry)"
    )
    assert lines[2].startswith("oldest pending: 9") and lines[2].endswith(" s ago")
    assert lines[3] == "dead: 1 (appevents inbox replay --dead)"
    assert "acct_busy" in output and "(platform)" in output and "worker-host:4242" in output


def test_stats_of_an_empty_inbox(tmp_path):
    url = f"sqlite:///{tmp_path / 'inbox.db'}"

    async def create():
        async with SQLiteStore.from_url(url):
            pass

    asyncio.run(create())
    figures = json.loads(run("inbox", "stats", "--json", "--store", url))
    assert figures["events"] == 0 and figures["backlog"] == 0
    assert figures["oldest_pending_age_seconds"] is None
    assert figures["by_type"] == figures["busiest_accounts"] == figures["workers"] == []
    assert "workers: none beat in the store in the last hour" in run(
        "inbox", "stats", "--store", url
    )
