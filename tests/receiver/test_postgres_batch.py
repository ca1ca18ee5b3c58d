"""PostgreSQL: batches of all-sync apps run on a sync connection on one thread.

What a batch sends is observed by counting ``psycopg.Connection.execute`` calls (the
sync pool's connections are that class); everything else is read back from the
database over the test's own connection.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import defaultdict

import psycopg
import pytest

from appevents import Event, StoreUnavailable
from appevents.receiver import App, MemoryStore
from appevents.receiver.inbox import Status
from appevents.receiver.stores.postgres import PostgresStore
from appevents.receiver.stores.postgres.connection import SyncConnection
from environment import postgres_url
from postgres_support import create_schema, drop_schema

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
NOW = 1_800_000_000.0
EFFECTS = "CREATE TABLE effects (event_id text, account text, note text)"


def query(schema: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(postgres_url(), autocommit=True, options=f"-c search_path={schema}") as db:
        cursor = db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def new_app(now: list[float]) -> App:
    return App("whsec_x", store=MemoryStore(), clock=lambda: now[0], random_fraction=lambda: 0.0)


def lifecycle(n: int, account: str, kind: str, created: int) -> Event:
    doc = {
        "id": f"evt_life{n:04d}",
        "object": "event",
        "type": f"account.application.{kind}",
        "livemode": False,
        "account": account,
        "created": created,
        "data": {"object": {"id": "ca_app", "object": "application", "name": "Ours"}},
    }
    return Event.parse(json.dumps(doc).encode())


@pytest.fixture
def postgres_schema():
    """A fresh schema on the test server (skipped, loudly, without one), then dropped."""
    schema = create_schema()
    yield schema
    drop_schema(schema)


@pytest.fixture
def postgres_store_factory(postgres_schema):
    return lambda **options: PostgresStore(postgres_url(), schema=postgres_schema, **options)


@pytest.fixture
def statements(monkeypatch):
    """Every statement sync connections send, in order, from any thread."""
    sent: list[str] = []
    lock = threading.Lock()
    execute = psycopg.Connection.execute

    def counting(self, query, params=None, **kw):
        code = [line for line in str(query).splitlines() if not line.startswith("--")]
        with lock:
            sent.append(" ".join(" ".join(code).split())[:60])
        return execute(self, query, params, **kw)

    monkeypatch.setattr(psycopg.Connection, "execute", counting)
    return sent


async def test_a_failing_handler_rolls_back_only_its_event_and_the_batch_settles_at_once(
    postgres_store_factory, postgres_schema, make_event, statements
):
    now = [NOW]
    app = new_app(now)
    seen = []

    @app.on("payment_intent.succeeded")
    def record(event, ctx):
        seen.append(type(ctx.transaction))
        ctx.transaction.execute(
            "INSERT INTO effects VALUES (%s, %s, 'first')", (event.id, ctx.account)
        )
        if event.id == "evt_000002":
            raise RuntimeError("downstream refused")

    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute(EFFECTS))
        await store.insert_events([make_event(n, account=f"acct_{n}") for n in (1, 2, 3)], NOW)
        worker = app.worker(store)
        statements.clear()
        results = await worker.run_once()
        assert [(e.id, o.status) for e, o in results] == [
            ("evt_000001", Status.DONE), ("evt_000002", Status.FAILED),
            ("evt_000003", Status.DONE),
        ]  # fmt: skip
        assert seen == [psycopg.Connection] * 3
        # claim, installations, savepoint; per event (the account's first: an implied
        # installation) its writes and one savepoint statement (RELEASE + next SAVEPOINT,
        # or ROLLBACK TO); one settle for all.
        effect, installation = "INSERT INTO effects", "INSERT INTO installations"
        expected = [
            "WITH RECURSIVE head AS", "SELECT i.account", "SAVEPOINT appevents_event",
            installation, effect, "RELEASE SAVEPOINT appevents_event; SAVEPOINT",
            installation, effect, "ROLLBACK TO SAVEPOINT appevents_event",
            installation, effect, "WITH batch AS ( SELECT * FROM unnest",
        ]  # fmt: skip
        assert len(statements) == len(expected), statements
        assert [
            p if s.startswith(p) else s for s, p in zip(statements, expected, strict=True)
        ] == expected
        failed = await store.get_event("evt_000002")
        assert (failed.status, failed.attempts) == (Status.FAILED, 1)
        assert "downstream refused" in failed.last_error
        assert failed.available_at > NOW
        assert [(a.number, a.status) for a in await store.attempts("evt_000003")] == [
            (1, Status.DONE)
        ]
    rows = query(postgres_schema, "SELECT event_id, account FROM effects ORDER BY 1")
    assert rows == [("evt_000001", "acct_1"), ("evt_000003", "acct_3")]
    settled = query(
        postgres_schema,
        "SELECT id, status, attempts, completed_at IS NOT NULL, last_error IS NULL "
        "FROM events ORDER BY id",
    )
    assert settled == [
        ("evt_000001", "done", 1, True, True),
        ("evt_000002", "failed", 1, False, False),
        ("evt_000003", "done", 1, True, True),
    ]
    attempts = query(
        postgres_schema,
        "SELECT event_id, account, livemode, number, status FROM attempts ORDER BY 1",
    )
    assert attempts == [
        ("evt_000001", "acct_1", False, 1, "done"),
        ("evt_000002", "acct_2", False, 1, "failed"),
        ("evt_000003", "acct_3", False, 1, "done"),
    ]


async def test_sync_handlers_get_a_psycopg_connection_that_reads_inside_the_batch(
    postgres_store_factory, postgres_schema, make_event
):
    app = new_app([NOW])
    read = []

    @app.on("payment_intent.succeeded")
    def record(event, ctx):
        ctx.transaction.execute(
            "INSERT INTO effects VALUES (%s, %s, %s)", (event.id, ctx.account, "x")
        )
        # Its own write is visible (same transaction); the event is not done yet.
        row = ctx.transaction.execute(
            "SELECT e.status, count(f.*) FROM events e LEFT JOIN effects f "
            "ON f.event_id = e.id WHERE e.id = %s GROUP BY e.status",
            (event.id,),
        ).fetchone()
        read.append((type(ctx.transaction), row))

    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute(EFFECTS))
        await store.insert_events([make_event(1)], NOW)
        assert await app.worker(store).drain() == 1
    assert read == [(psycopg.Connection, ("pending", 1))]
    assert query(postgres_schema, "SELECT event_id FROM effects") == [("evt_000001",)]


async def test_mixed_sync_and_async_apps_take_the_async_path(
    postgres_store_factory, postgres_schema, make_event
):
    now = [NOW]
    app = new_app(now)
    kinds = []

    @app.on("payment_intent.succeeded")
    def sync_handler(event, ctx):
        kinds.append(type(ctx.transaction))
        ctx.transaction.execute("INSERT INTO effects VALUES (%s, %s, 'sync')", (event.id, "s"))

    @app.on("payment_intent.succeeded")
    async def async_handler(event, ctx):
        kinds.append(type(ctx.transaction))
        await ctx.transaction.execute(
            "INSERT INTO effects VALUES (%s, %s, 'async')", (event.id, "a")
        )
        if event.id == "evt_000002" and ctx.attempt == 1:
            raise RuntimeError("flaky")

    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute(EFFECTS))
        await store.insert_events([make_event(n, account=f"acct_{n}") for n in (1, 2)], NOW)
        worker = app.worker(store)
        assert await worker.drain() == 2
        now[0] += 3600
        assert await worker.drain() == 1
    assert set(kinds) == {SyncConnection, psycopg.AsyncConnection}
    assert sorted(query(postgres_schema, "SELECT event_id, note FROM effects")) == [
        ("evt_000001", "async"), ("evt_000001", "sync"),
        ("evt_000002", "async"), ("evt_000002", "sync"),
    ]  # fmt: skip
    assert query(
        postgres_schema, "SELECT event_id, number, status FROM attempts ORDER BY 1, 2"
    ) == [("evt_000001", 1, "done"), ("evt_000002", 1, "failed"), ("evt_000002", 2, "done")]


async def test_a_failed_install_is_rolled_back_with_its_installation_and_retried_as_first(
    postgres_store_factory, postgres_schema
):
    now = [NOW]
    app = new_app(now)
    installs = []

    @app.on_install
    def welcome(event, ctx):
        installs.append((ctx.account, ctx.previous, ctx.installation.status, ctx.attempt))
        ctx.transaction.execute(
            "INSERT INTO effects VALUES (%s, %s, 'hi')", (event.id, ctx.account)
        )
        if ctx.account == "acct_b" and ctx.attempt == 1:
            raise RuntimeError("mail server down")

    @app.on_uninstall
    def goodbye(event, ctx):
        ctx.transaction.execute("DELETE FROM effects WHERE account = %s", (ctx.account,))

    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute(EFFECTS))
        t = 1_700_000_000
        await store.insert_events(
            [lifecycle(1, "acct_a", "authorized", t), lifecycle(2, "acct_b", "authorized", t)],
            NOW,
        )
        worker = app.worker(store)
        assert await worker.drain() == 2
        by_account = {i.account: i for i in await store.list_installations()}
        assert set(by_account) == {"acct_a"}  # acct_b's install rolled back with its handler
        now[0] += 3600
        await store.insert_events([lifecycle(3, "acct_a", "deauthorized", t + 5)], now[0])
        assert await worker.drain() == 2
        by_account = {i.account: i.status for i in await store.list_installations()}
        assert by_account == {"acct_a": "uninstalled", "acct_b": "active"}
        erased = await store.get_event("evt_life0001")
        assert erased.payload is None and erased.erased_at is not None
    assert installs == [
        ("acct_a", None, "active", 1), ("acct_b", None, "active", 1),
        ("acct_b", None, "active", 2),
    ]  # fmt: skip
    assert query(postgres_schema, "SELECT event_id, account FROM effects") == [
        ("evt_life0002", "acct_b")
    ]


async def test_a_connection_killed_mid_batch_records_nothing_and_the_next_batch_works(
    postgres_store_factory, postgres_schema, make_event
):
    app = new_app([NOW])

    @app.on("payment_intent.succeeded")
    def record(event, ctx):
        ctx.transaction.execute("INSERT INTO effects VALUES (%s, %s, '')", (event.id, ctx.account))
        if event.id == "evt_000002" and not killed:
            killed.append(ctx.transaction.info.backend_pid)
            query(postgres_schema, "SELECT pg_terminate_backend(%s)", (killed[0],))

    killed: list[int] = []
    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute(EFFECTS))
        await store.insert_events([make_event(n, account=f"acct_{n}") for n in (1, 2, 3)], NOW)
        worker = app.worker(store)
        with pytest.raises(StoreUnavailable, match="nothing was recorded"):
            await worker.run_once()
        assert query(postgres_schema, "SELECT count(*) FROM effects") == [(0,)]
        assert query(postgres_schema, "SELECT count(*) FROM attempts") == [(0,)]
        assert await worker.drain() == 3
    rows = query(postgres_schema, "SELECT event_id FROM effects ORDER BY 1")
    assert rows == [("evt_000001",), ("evt_000002",), ("evt_000003",)]


async def test_two_sync_workers_on_one_database_process_each_event_once_in_account_order(
    postgres_schema, make_event
):
    accounts = [f"acct_{a}" for a in range(8)]
    events = [
        make_event(n, account=accounts[n % 8], created=1_700_000_000 + n // 8)
        for n in range(1, 161)
    ]
    random.Random(11).shuffle(events)  # arrival order is not created order
    by_worker: dict[str, int] = defaultdict(int)

    def app_for(name: str) -> App:
        app = new_app([NOW])

        @app.on("payment_intent.succeeded")
        def record(event, ctx):
            # seq is drawn at insert: an account's next event inserts only after this
            # one's batch committed, so seq follows the order events were processed in.
            ctx.transaction.execute(
                "INSERT INTO log (event_id, account, created, worker) VALUES (%s, %s, %s, %s)",
                (event.id, ctx.account, event.created, name),
            )
            by_worker[name] += 1

        return app

    first = PostgresStore(postgres_url(), schema=postgres_schema)
    second = PostgresStore(postgres_url(), schema=postgres_schema)
    async with first, second:
        await first.setup(
            lambda db: db.execute(
                "CREATE TABLE log (seq bigserial, event_id text, account text, created bigint,"
                " worker text)"
            )
        )
        await first.insert_events(events, NOW)
        workers = [
            app_for("one").worker(first, batch_size=3),
            app_for("two").worker(second, batch_size=3),
        ]

        async def run(worker):
            while (await worker.store.counts())[Status.DONE] < len(events):
                await worker.run_once()

        await asyncio.wait_for(asyncio.gather(*(run(w) for w in workers)), 60)
    log = query(postgres_schema, "SELECT event_id, account, created, worker FROM log ORDER BY seq")
    assert sorted(row[0] for row in log) == sorted(e.id for e in events)  # each exactly once
    assert {row[3] for row in log} == {"one", "two"}
    assert sum(by_worker.values()) == len(events)  # no attempt was rolled back and rerun
    created_by_account = defaultdict(list)
    for _, account, created, _ in log:
        created_by_account[account].append(created)
    assert all(c == sorted(c) for c in created_by_account.values())
    assert query(postgres_schema, "SELECT count(*), count(DISTINCT event_id) FROM attempts") == [
        (len(events), len(events))
    ]


async def test_a_sync_pool_that_cannot_connect_says_why(make_event):
    # The role may hold one connection: the async pool's; the sync pool gets refused.
    schema = create_schema()
    role = f"{schema}_one"
    query(schema, f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    try:
        query(schema, f"ALTER SCHEMA {schema} OWNER TO {role}")
        database = psycopg.conninfo.conninfo_to_dict(postgres_url())["dbname"]
        query(schema, f"GRANT CREATE ON DATABASE {database} TO {role}")
        url = psycopg.conninfo.make_conninfo(postgres_url(), user=role)
        store = PostgresStore(url, schema=schema, min_size=1, max_size=1, connect_timeout=1)
        async with store:
            await store.insert_events([make_event(1)], NOW)
            app = new_app([NOW])
            app.on("payment_intent.succeeded")(lambda event: None)
            with pytest.raises(StoreUnavailable, match=f"too many connections for role.*{role}"):
                await app.worker(store).run_once()
            assert (await store.get_event("evt_000001")).status == Status.PENDING
    finally:
        drop_schema(schema)
        query("public", f"DROP OWNED BY {role}")  # its grant on the database
        query("public", f"DROP ROLE {role}")


async def test_a_sync_handler_swallowing_a_database_error_fails_unless_it_nested_a_transaction(
    postgres_store_factory, postgres_schema, make_event
):
    now = [NOW]
    app = new_app(now)

    @app.on("payment_intent.succeeded")
    def record(event, ctx):
        db = ctx.transaction
        db.execute("INSERT INTO effects VALUES (%s, %s, 'kept?')", (event.id, ctx.account))
        if ctx.account == "acct_nested":
            with pytest.raises(psycopg.errors.UndefinedTable), db.transaction():
                db.execute("SELECT * FROM no_such_table")
        else:
            with pytest.raises(psycopg.errors.UndefinedTable):
                db.execute("SELECT * FROM no_such_table")

    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute(EFFECTS))
        events = [make_event(1, account="acct_nested"), make_event(2, account="acct_bare")]
        await store.insert_events(events, NOW)
        results = await app.worker(store).run_once()
        outcomes = {e.id: o for e, o in results}
        assert outcomes["evt_000001"].status == Status.DONE
        assert outcomes["evt_000002"].status == Status.FAILED
        assert "caught a database error" in outcomes["evt_000002"].error
        assert (await store.get_event("evt_000002")).available_at == NOW + 60
    assert query(postgres_schema, "SELECT event_id FROM effects") == [("evt_000001",)]
