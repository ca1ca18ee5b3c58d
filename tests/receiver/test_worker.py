"""The worker with a fake clock: handlers, retries, dead letters, lifecycle, exactly-once."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from appevents.receiver import App, MemoryStore, RetryPolicy, SQLiteStore, Status

pytestmark = pytest.mark.anyio
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def make_app(clock, **kw):
    return App("whsec_x", store=MemoryStore(), clock=clock, random_fraction=lambda: 0.0, **kw)


async def test_sync_and_async_handlers_get_the_event_and_context(clock, make_event):
    app = make_app(clock)
    calls = []

    @app.on("payment_intent.*")
    async def first(event, ctx):
        calls.append(("async", event.id, ctx.account, ctx.attempt, ctx.installation.status))

    @app.on("*")
    def second(event):
        calls.append(("sync", event.id))

    store = app.open_store()
    worker = app.worker(store)
    await store.insert_events([make_event(1)], clock.now)
    await worker.drain()
    assert calls == [("async", "evt_000001", "acct_1", 1, "active"), ("sync", "evt_000001")]


async def test_platform_events_run_handlers_without_installation(clock, make_event):
    app = make_app(clock)
    seen = []
    app.on("*")(lambda event, ctx: seen.append((ctx.account, ctx.installation)))
    store = app.open_store()
    await store.insert_events([make_event(1, account=None)], clock.now)
    await app.worker(store).drain()
    assert seen == [(None, None)]
    assert await store.list_installations() == []


async def test_failures_retry_with_backoff_then_succeed(clock, make_event):
    app = make_app(clock, retry=RetryPolicy(max_attempts=5, base_delay=10, factor=2, jitter=0))
    failures = iter([RuntimeError("db down"), RuntimeError("still down")])

    @app.on("payment_intent.succeeded")
    def flaky(event):
        error = next(failures, None)
        if error:
            raise error

    store = app.open_store()
    worker = app.worker(store)
    await store.insert_events([make_event(1)], clock.now)
    await worker.run_once()
    event = await store.get_event("evt_000001")
    assert (event.status, event.attempts, event.available_at) == (Status.FAILED, 1, T0 + 10)
    assert "RuntimeError: db down" in event.last_error
    clock.now = T0 + 9.9
    assert await worker.run_once() == []  # not due yet: no sleeping, just the clock
    clock.now = T0 + 10
    await worker.run_once()
    event = await store.get_event("evt_000001")
    assert (event.status, event.available_at) == (Status.FAILED, T0 + 10 + 20)
    clock.now = T0 + 30
    await worker.run_once()
    event = await store.get_event("evt_000001")
    assert (event.status, event.attempts, event.last_error) == (Status.DONE, 3, None)
    assert worker.stats.failed == 2


async def test_dead_letter_after_max_attempts_then_replay(clock, make_event):
    app = make_app(clock, retry=RetryPolicy(max_attempts=2, base_delay=1, jitter=0))
    broken = True

    @app.on("*")
    def handler(event):
        if broken:
            raise ValueError("bad handler")

    store = app.open_store()
    worker = app.worker(store)
    await store.insert_events([make_event(1), make_event(2)], clock.now)
    await worker.run_once()
    clock.now += 1
    await worker.run_once()
    assert (await store.get_event("evt_000001")).status == Status.DEAD
    # The dead event no longer blocks its account's next one (which fails in turn).
    await worker.run_once()
    assert (await store.get_event("evt_000002")).attempts == 1
    broken = False
    await store.replay(["evt_000001"], now=clock.now)
    await worker.drain()
    assert (await store.get_event("evt_000001")).status == Status.DONE
    assert worker.stats.dead == 1


async def test_async_handler_timeout_is_a_failure(clock, make_event):
    app = make_app(clock)

    @app.on("*")
    async def slow(event):
        await asyncio.sleep(5)

    store = app.open_store()
    worker = app.worker(store, handler_timeout=0.05)
    await store.insert_events([make_event(1)], clock.now)
    await worker.run_once()
    event = await store.get_event("evt_000001")
    assert event.status == Status.FAILED and "TimeoutError" in event.last_error


async def test_lifecycle_hooks_and_dispatch(clock, make_event):
    app = make_app(clock)
    log = []
    app.on_install(lambda e, ctx: log.append(("install", ctx.account, ctx.previous is None)))
    app.on_uninstall(lambda e, ctx: log.append(("uninstall", ctx.account)))
    app.on("payment_intent.succeeded")(lambda e: log.append(("payment", e.id)))
    store = app.open_store()
    worker = app.worker(store)
    events = [
        make_event(1, event_type="account.application.authorized"),
        make_event(2),
        make_event(3, event_type="account.application.deauthorized"),
        make_event(4, created=1_700_000_002 - 1),  # from before the uninstall, arrives late
    ]
    await store.insert_events(events[:3], clock.now)
    await worker.drain()
    await store.insert_events(events[3:], clock.now)
    await worker.drain()
    assert log == [("install", "acct_1", True), ("payment", "evt_000002"), ("uninstall", "acct_1")]
    late = await store.get_event("evt_000004")
    assert (late.status, late.payload) == (Status.SKIPPED, None)
    assert all(e.payload is None for e in await store.list_events())
    [installation] = await store.list_installations()
    assert installation.status == "uninstalled"


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_an_event_erased_while_pending_is_skipped_not_retried(
    clock, make_event, tmp_path, kind
):
    # Same second as the uninstall, later in id order: the uninstall's erasure (everything
    # created up to its second) covers it before its turn. With PostgreSQL the same happens
    # to a delivery committed while the uninstall runs.
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "inbox.db")
    app = App("whsec_x", store=store, clock=clock, random_fraction=lambda: 0.0)
    ran = []
    app.on("*")(lambda e: ran.append(e.id))
    worker = app.worker(store)
    async with store:
        await store.insert_events(
            [
                make_event(1, event_type="account.application.authorized"),
                make_event(2, event_type="account.application.deauthorized"),
                make_event(3, created=1_700_000_002),
            ],
            clock.now,
        )
        await worker.drain()
        erased = await store.get_event("evt_000003")
        assert (erased.status, erased.attempts, erased.payload, erased.last_error) == (
            Status.SKIPPED, 1, None, None,
        )  # fmt: skip
        assert ran == ["evt_000001", "evt_000002"] and worker.stats.failed == 0


async def test_sqlite_effects_happen_exactly_once_through_the_transaction(
    clock, tmp_path, make_event
):
    path = tmp_path / "inbox.db"
    app = App("whsec_x", store=SQLiteStore(path), clock=clock, random_fraction=lambda: 0.0,
              retry=RetryPolicy(base_delay=1, jitter=0))  # fmt: skip
    attempts: dict[str, int] = {}

    @app.on_setup
    def schema(db):
        db.execute("CREATE TABLE IF NOT EXISTS effects (event_id TEXT)")

    @app.on("*")
    def effect(event, ctx):
        ctx.transaction.execute("INSERT INTO effects VALUES (?)", (event.id,))
        attempts[event.id] = attempts.get(event.id, 0) + 1
        if event.id == "evt_000002" and attempts[event.id] == 1:
            raise RuntimeError("fails after writing")

    @app.on("customer.*")
    async def async_effect(event, ctx):
        ctx.transaction.execute("INSERT INTO effects VALUES (?)", ("async-" + event.id,))

    store = app.open_store()
    await store.open()
    for hook in app.setup_hooks:
        await store.setup(hook)
    worker = app.worker(store)
    await store.insert_events(
        [
            make_event(1),
            make_event(2, account="acct_2"),
            make_event(3, event_type="customer.created"),
        ],
        clock.now,
    )
    await worker.drain()
    clock.now += 5
    await worker.drain()
    await store.close()
    rows = sqlite3.connect(path).execute("SELECT event_id FROM effects ORDER BY 1").fetchall()
    assert rows == [("async-evt_000003",), ("evt_000001",), ("evt_000002",), ("evt_000003",)]
    assert attempts == {"evt_000001": 1, "evt_000002": 2, "evt_000003": 1}


async def test_run_wakes_on_notify_and_stops(clock, make_event):
    app = App("whsec_x", store=MemoryStore(), poll_interval=30)
    seen = asyncio.Event()
    app.on("*")(lambda e: seen.set())
    store = app.open_store()
    worker = app.worker(store)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.05)
    await store.insert_events([make_event(1)], 0)
    worker.notify()
    await asyncio.wait_for(seen.wait(), 2)
    worker.stop()
    await asyncio.wait_for(task, 2)
