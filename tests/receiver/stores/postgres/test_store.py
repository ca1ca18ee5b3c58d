"""PostgreSQL only: exactly-once effects, workers racing, killed connections, migrations."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from appevents import StoreError, StoreUnavailable
from appevents.receiver import App, MemoryStore
from appevents.receiver.inbox import Outcome, Status
from appevents.receiver.stores.postgres import PostgresStore
from appevents.receiver.stores.postgres.connection import SyncConnection
from appevents.receiver.stores.queries import load_script
from environment import postgres_url

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
NOW = 1_800_000_000.0


def connect(schema: str) -> psycopg.Connection:
    """A connection of the test itself (not the store's) on the test's schema."""
    return psycopg.connect(postgres_url(), autocommit=True, options=f"-c search_path={schema}")


def query(schema: str, sql: str, params=()) -> list[tuple]:
    with connect(schema) as db:
        cursor = db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def done(status=Status.DONE, **kw):
    async def work(stored, tx):
        return Outcome(status, NOW, NOW, **kw)

    return work


async def test_handler_effects_commit_exactly_once_with_done_and_roll_back_with_failure(
    postgres_store_factory, postgres_schema, make_event
):
    now = [NOW]
    app = App("whsec_x", store=MemoryStore(), clock=lambda: now[0], random_fraction=lambda: 0.0)

    @app.on("payment_intent.succeeded")
    def sync_handler(event, ctx):
        ctx.transaction.execute(
            "INSERT INTO effects VALUES (%s, 'sync', %s)", (event.id, ctx.attempt)
        )

    @app.on("payment_intent.succeeded")
    async def async_handler(event, ctx):
        await ctx.transaction.execute(
            "INSERT INTO effects VALUES (%s, 'async', %s)", (event.id, ctx.attempt)
        )
        if event.id == "evt_000002" and ctx.attempt == 1:
            raise RuntimeError("flaky downstream")

    async with postgres_store_factory() as store:
        await store.setup(
            lambda db: db.execute("CREATE TABLE effects (event_id text, kind text, attempt int)")
        )
        await store.insert_events([make_event(1), make_event(2, account="acct_2")], NOW)
        worker = app.worker(store)
        assert await worker.drain() == 2  # evt_000002 failed once
        now[0] += 3600
        assert await worker.drain() == 1
        assert (await store.get_event("evt_000002")).attempts == 2
    assert sorted(query(postgres_schema, "SELECT * FROM effects")) == [
        ("evt_000001", "async", 1), ("evt_000001", "sync", 1),
        ("evt_000002", "async", 2), ("evt_000002", "sync", 2),
    ]  # fmt: skip


async def test_receivers_inserting_the_same_ids_in_opposite_orders_never_deadlock(
    postgres_schema, make_event
):
    # Each batch takes the ids' keys as it inserts; in opposite orders, two concurrent
    # batches would wait for each other until PostgreSQL aborts one (a 503 to Stripe).
    first = PostgresStore(postgres_url(), schema=postgres_schema)
    second = PostgresStore(postgres_url(), schema=postgres_schema)
    async with first, second:
        for round_ in range(20):
            events = [make_event(round_ * 100 + n) for n in range(40)]
            answers = await asyncio.gather(
                first.insert_events(events, NOW), second.insert_events(events[::-1], NOW)
            )
            # Each id new exactly once, whichever receiver won it.
            assert [a or b for a, b in zip(answers[0], answers[1][::-1], strict=True)] == [
                True
            ] * 40
            assert not any(a and b for a, b in zip(answers[0], answers[1][::-1], strict=True))


async def test_two_workers_share_the_load_one_event_per_account_at_a_time_in_created_order(
    postgres_store_factory, postgres_schema, make_event
):
    accounts = [f"acct_{a}" for a in range(6)]
    events = [
        make_event(n, account=accounts[n % 6], created=1_700_000_000 + n // 6) for n in range(1, 37)
    ]
    random.Random(7).shuffle(events)  # arrival order is not created order
    attempts = []  # every attempt, committed or not: (account, started, finished)
    first = PostgresStore(postgres_url(), schema=postgres_schema)
    second = PostgresStore(postgres_url(), schema=postgres_schema)
    async with first, second:
        await first.setup(
            lambda db: db.execute(
                "CREATE TABLE log (event_id text, account text, created bigint, worker text,"
                " started timestamptz, finished timestamptz)"
            )
        )
        await first.insert_events(events, NOW)

        def work_as(worker):
            async def work(stored, tx):
                started = time.monotonic()
                cursor = await tx.connection.execute("SELECT clock_timestamp()")
                (db_started,) = await cursor.fetchone()
                await asyncio.sleep(random.uniform(0.001, 0.01))
                failed = stored.id.endswith("5") and stored.attempts == 1
                await tx.connection.execute(
                    "INSERT INTO log VALUES (%s, %s, %s, %s, %s, clock_timestamp())",
                    (stored.id, stored.account, stored.created, worker, db_started),
                )
                attempts.append((stored.account, started, time.monotonic()))
                status = Status.FAILED if failed else Status.DONE
                return Outcome(status, NOW, NOW, retry_at=NOW if failed else None)

            return work

        async def run(store, worker):
            while (await store.counts())[Status.DONE] < len(events):
                await store.process_due(now=NOW, limit=4, work=work_as(worker))

        await asyncio.wait_for(asyncio.gather(run(first, "one"), run(second, "two")), 30)
    log = query(
        postgres_schema, "SELECT event_id, account, created, worker FROM log ORDER BY started"
    )
    assert sorted(row[0] for row in log) == sorted(e.id for e in events)  # each once
    assert {row[3] for row in log} == {"one", "two"}  # both workers did work
    by_account = defaultdict(list)
    for _, account, created, _ in log:
        by_account[account].append(created)
    assert all(created == sorted(created) for created in by_account.values())
    intervals = defaultdict(list)
    for account, started, finished in attempts:
        intervals[account].append((started, finished))
    for account, spans in intervals.items():
        spans.sort()
        overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
        assert not overlaps, f"{account} had two events in flight at once: {overlaps}"


async def test_an_older_event_arriving_while_a_newer_one_is_in_flight_waits_for_it(
    postgres_store_factory, make_event
):
    # The row lock of the head in flight does not cover an older event that arrives
    # meanwhile (it becomes the head); the account's advisory lock does.
    holding, release = asyncio.Event(), asyncio.Event()

    async def slow(stored, tx):
        holding.set()
        await release.wait()
        return Outcome(Status.DONE, NOW, NOW)

    async with postgres_store_factory() as first, postgres_store_factory() as second:
        await first.insert_events([make_event(2, created=20)], NOW)
        in_flight = asyncio.create_task(first.process_due(now=NOW, limit=10, work=slow))
        await asyncio.wait_for(holding.wait(), 10)
        await first.insert_events([make_event(1, created=10), make_event(3, account="acct_2")], NOW)
        taken = await second.process_due(now=NOW, limit=10, work=done())
        assert [e.id for e, _ in taken] == ["evt_000003"]
        release.set()
        assert [e.id for e, _ in await asyncio.wait_for(in_flight, 10)] == ["evt_000002"]
        taken = await second.process_due(now=NOW, limit=10, work=done())
        assert [e.id for e, _ in taken] == ["evt_000001"]


async def test_a_connection_killed_mid_batch_leaves_its_events_pending_and_unduplicated(
    postgres_store_factory, postgres_schema, make_event
):
    async with postgres_store_factory() as store:
        await store.setup(lambda db: db.execute("CREATE TABLE effects (event_id text)"))
        await store.insert_events([make_event(n, account=f"acct_{n}") for n in (1, 2, 3)], NOW)

        async def killed_at_the_second(stored, tx):
            await tx.connection.execute("INSERT INTO effects VALUES (%s)", (stored.id,))
            if stored.id == "evt_000002":
                pid = tx.connection.info.backend_pid
                query(postgres_schema, "SELECT pg_terminate_backend(%s)", (pid,))
            return Outcome(Status.DONE, NOW, NOW)

        with pytest.raises(StoreUnavailable, match="nothing was recorded") as raised:
            await store.process_due(now=NOW, limit=10, work=killed_at_the_second)
        assert "127.0.0.1" in str(raised.value) or "localhost" in str(raised.value)
        assert query(postgres_schema, "SELECT * FROM effects") == []
        assert query(postgres_schema, "SELECT COUNT(*) FROM attempts") == [(0,)]
        assert [(e.status, e.attempts) for e in await store.list_events()] == [
            (Status.PENDING, 0)
        ] * 3

        async def effect(stored, tx):
            await tx.connection.execute("INSERT INTO effects VALUES (%s)", (stored.id,))
            return Outcome(Status.DONE, NOW, NOW)

        assert len(await store.process_due(now=NOW, limit=10, work=effect)) == 3
    effects = query(postgres_schema, "SELECT event_id FROM effects ORDER BY 1")
    assert effects == [("evt_000001",), ("evt_000002",), ("evt_000003",)]


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    if parts.password is not None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{password}@{host}"))


async def test_ingest_on_a_killed_connection_is_unavailable_and_names_the_server_not_password(
    postgres_schema, make_event
):
    password = "s3cret-do-not-print"  # the test server trusts, so it is never checked
    url = with_password(postgres_url(), password)
    name = f"appevents {postgres_schema}"  # only this store's connections get killed
    store = PostgresStore(url, schema=postgres_schema, max_size=1, application_name=name)
    async with store:
        assert await store.insert_events([make_event(1)], NOW) == [True]
        killed = query(
            postgres_schema,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        )
        assert killed == [(True,)]
        with pytest.raises(StoreUnavailable, match="could not commit") as raised:
            await store.insert_events([make_event(2)], NOW)
        message = str(raised.value)
        assert urlsplit(postgres_url()).hostname in message
        assert password not in message and password not in store.url
        # The pool replaced the dead connection; nothing was half-stored.
        assert await store.insert_events([make_event(1), make_event(2)], NOW) == [False, True]


async def test_an_unreachable_server_is_unavailable_with_the_cause():
    store = PostgresStore("postgresql://app:hunter22@127.0.0.1:1/inbox", connect_timeout=2)
    with pytest.raises(StoreUnavailable) as raised:
        await store.open()
    message = str(raised.value)
    assert "postgresql://app@127.0.0.1:1/inbox cannot be opened" in message
    assert "refused" in message.lower() and "hunter22" not in message


async def test_migrations_reach_exactly_the_schema_file(postgres_store_factory, postgres_schema):
    async with postgres_store_factory() as store:
        assert store.applied_migrations == ["0001_initial", "0002_workers", "0003_catchup"]
    truth = f"{postgres_schema}_truth"
    try:
        with connect(truth) as db:
            db.execute(f'CREATE SCHEMA "{truth}"'.encode())
            db.execute(load_script("appevents.receiver.stores.postgres", "schema.sql").encode())
        assert catalog(postgres_schema) == catalog(truth)
    finally:
        query(truth, f'DROP SCHEMA IF EXISTS "{truth}" CASCADE'.encode())


def catalog(schema: str) -> dict[str, list[tuple]]:
    """Everything the schema declares, with its name taken out of the definitions."""
    sql = {
        "columns": """
            SELECT table_name, column_name, ordinal_position, data_type, is_nullable,
                   column_default, is_identity, identity_generation
            FROM information_schema.columns WHERE table_schema = %(s)s ORDER BY 1, 3""",
        "indexes": """
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = %(s)s ORDER BY 1, 2""",
        "constraints": """
            SELECT c.conrelid::regclass::text, c.conname, c.contype,
                   pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = %(s)s ORDER BY 1, 2""",
        "tables": """
            SELECT table_name, table_type FROM information_schema.tables
            WHERE table_schema = %(s)s ORDER BY 1""",
    }
    return {
        name: [
            tuple(str(v).replace(f"{schema}.", "") if v is not None else None for v in row)
            for row in query(schema, text, {"s": schema})
        ]
        for name, text in sql.items()
    }


async def test_processes_opening_a_fresh_schema_together_migrate_it_once(
    postgres_store_factory, postgres_schema
):
    stores = [postgres_store_factory() for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert sorted(len(s.applied_migrations) for s in stores) == [0, 0, 0, 3]
        assert {s.schema_version for s in stores} == {3}
        versions = query(
            postgres_schema, "SELECT version, name FROM appevents_schema_version ORDER BY 1"
        )
        assert versions == [(1, "0001_initial"), (2, "0002_workers"), (3, "0003_catchup")]
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_schema_newer_than_this_appevents_is_refused(
    postgres_store_factory, postgres_schema
):
    async with postgres_store_factory():
        pass
    query(postgres_schema, "INSERT INTO appevents_schema_version VALUES (99, '0099_future')")
    with pytest.raises(StoreError, match="version 99, newer than this appevents"):
        await postgres_store_factory().open()


async def test_sync_connection_refuses_the_event_loop_thread(postgres_store_factory, make_event):
    async with postgres_store_factory() as store:
        await store.insert_events([make_event(1)], NOW)

        async def misuse(stored, tx):
            assert isinstance(tx.sync_connection, SyncConnection)
            with pytest.raises(StoreError, match=r"tx\.call"):
                tx.sync_connection.execute("SELECT 1")
            row = await tx.call(lambda: tx.sync_connection.execute("SELECT 41 + 1").fetchone())
            assert row == (42,)
            return Outcome(Status.DONE, NOW, NOW)

        assert len(await store.process_due(now=NOW, limit=1, work=misuse)) == 1


async def test_a_handler_that_swallows_a_database_error_fails_its_event(
    postgres_store_factory, make_event
):
    async with postgres_store_factory() as store:
        await store.insert_events([make_event(1)], NOW)

        async def swallow(stored, tx):
            with pytest.raises(psycopg.errors.UndefinedTable):
                await tx.connection.execute("SELECT * FROM no_such_table")
            return Outcome(Status.DONE, NOW, NOW + 1)

        [(_, outcome)] = await store.process_due(now=NOW, limit=1, work=swallow)
        assert outcome.status == Status.FAILED and "caught a database error" in outcome.error
        stored = await store.get_event("evt_000001")
        assert (stored.status, stored.available_at) == (Status.FAILED, NOW + 61)

        async def fail_on_a_database_error(stored, tx):
            with pytest.raises(psycopg.errors.UndefinedTable):
                await tx.connection.execute("SELECT * FROM no_such_table")
            return Outcome(Status.DEAD, NOW, NOW + 2, error="UndefinedTable")

        [(_, outcome)] = await store.process_due(
            now=NOW + 61, limit=1, work=fail_on_a_database_error
        )
        assert (outcome.status, outcome.error) == (Status.DEAD, "UndefinedTable")
        assert (await store.get_event("evt_000001")).status == Status.DEAD


def test_schema_names_must_be_plain_identifiers():
    from appevents import ConfigurationError

    with pytest.raises(ConfigurationError, match="plain identifier"):
        PostgresStore("postgresql://localhost/db", schema='x"; DROP TABLE events; --')
