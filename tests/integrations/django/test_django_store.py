"""``"STORE": "django"``: the inbox in the Django database itself, SQLite and PostgreSQL.
A handler's ORM row commits with its event's ``done``; a handler that fails after writing
leaves neither its row nor a ``done`` (rolled back together). Deliveries over a real
WSGI server (CSRF middleware on); the worker as the web process's own and as the
management command."""

from __future__ import annotations

import json

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import connections
from djsite import events
from djsite.models import Payment
from djsite.support import PG_SCHEMA, SECRET, fresh_database

from appevents import App, Status
from appevents.integrations.django import conf
from appevents.integrations.django.store import DjangoStore
from appevents.testing import make_event, signed_headers
from postgres_support import require_postgres
from servers import poll_until, wsgi_server


@pytest.fixture(params=["default", "pg"])
def alias(request):
    if request.param == "pg":
        require_postgres()
    fresh_database(request.param)
    yield request.param
    for name in connections:
        connections[name].close()


def configure(settings_override, alias: str, **more: object) -> None:
    events.handled.clear()
    settings_override(
        APP="djsite.events.receiver", SECRETS=[SECRET], STORE="django", DATABASE=alias, **more
    )


def deliver(base: str, body: bytes) -> httpx.Response:
    return httpx.post(base + "/stripe/webhook", content=body, headers=signed_headers(body, SECRET))


def statuses(capsys) -> dict[str, str]:
    capsys.readouterr()
    call_command("appevents_inbox", "list", "--format", "json")
    return {row["id"]: row["status"] for row in json.loads(capsys.readouterr().out)}


def payments(alias: str) -> list[tuple[str, str]]:
    return sorted(Payment.objects.using(alias).values_list("event_id", "account"))


def test_the_handlers_row_commits_with_done_and_a_failures_row_rolls_back(
    alias, settings_override, capsys
):
    configure(settings_override, alias, RUN_WORKER=False)
    paid = make_event("payment_intent.succeeded", account="acct_1DjangoStorePaid")
    failed = make_event("charge.failed", account="acct_1DjangoStoreFailed")
    with wsgi_server(get_wsgi_application()) as base:
        for body in (paid, failed):
            assert deliver(base, body).json() == {"received": True, "duplicate": False}
        assert deliver(base, paid).json() == {"received": True, "duplicate": True}
    paid_id, failed_id = json.loads(paid)["id"], json.loads(failed)["id"]
    assert statuses(capsys) == {paid_id: "pending", failed_id: "pending"}
    call_command("appevents_worker", "--once")
    assert sorted(events.handled) == sorted([paid_id, failed_id])  # both handlers ran
    # The failing handler's row went with its savepoint; the other's committed with done.
    assert payments(alias) == [(paid_id, "acct_1DjangoStorePaid")]
    assert statuses(capsys) == {paid_id: "done", failed_id: "dead"}
    call_command("appevents_inbox", "show", failed_id)
    assert f"the handler failed after writing {failed_id}" in capsys.readouterr().out
    call_command("appevents_replay", "--dead")
    assert capsys.readouterr().out.strip() == f"1 event(s) queued for replay: {failed_id}"
    assert statuses(capsys) == {paid_id: "done", failed_id: "pending"}


def test_the_web_process_runs_the_worker_on_the_django_database(alias, settings_override):
    configure(settings_override, alias)
    body = make_event("payment_intent.succeeded", account="acct_1DjangoStoreWeb")
    event_id = json.loads(body)["id"]
    with wsgi_server(get_wsgi_application()) as base:
        assert deliver(base, body).status_code == 200
        poll_until(lambda: payments(alias), what="the handler's row committed")
    assert payments(alias) == [(event_id, "acct_1DjangoStoreWeb")]
    conf.reset()
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT id, status, attempts FROM events")  # the store's own view/table
        assert cursor.fetchall() == [(event_id, "done", 1)]


def test_async_handlers_are_refused_with_the_django_store(alias):
    app = App(SECRET)

    @app.on("invoice.paid")
    async def paid(event): ...

    with pytest.raises(ImproperlyConfigured, match=r"paid \(invoice.paid\) is async def"):
        DjangoStore(alias, app=app)


def test_a_dropped_connection_is_unavailable_once_then_connected_again(settings_override):
    """The server ends the store's sessions: that commit fails (the receiver answers 503,
    Stripe retries), and the next one connects anew."""
    require_postgres()
    fresh_database("pg")
    configure(settings_override, "pg", RUN_WORKER=False)
    first = make_event("invoice.paid", account="acct_1DjangoDropped")
    second = make_event("invoice.paid", account="acct_1DjangoDropped")
    with wsgi_server(get_wsgi_application()) as base:
        assert deliver(base, first).status_code == 200
        with connections["pg"].cursor() as cursor:  # another session ends the store's
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                [PG_SCHEMA],
            )
            assert cursor.rowcount >= 1
        refused = deliver(base, second)
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "store_unavailable")
        assert deliver(base, second).json() == {"received": True, "duplicate": False}
    conf.reset()
    with connections["pg"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events")
        assert cursor.fetchone() == (2,)
    connections["pg"].close()


def end_this_process_sessions() -> None:
    with connections["pg"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            [PG_SCHEMA],
        )
        assert cursor.rowcount >= 1


def test_a_read_on_a_dropped_connection_fails_once_then_reconnects():
    """Outside a transaction Django would keep the broken connection: the store closes it."""
    import asyncio

    from appevents import StoreUnavailable

    require_postgres()
    fresh_database("pg")

    async def main() -> None:
        async with DjangoStore("pg") as store:
            assert (await store.counts())[Status.DONE] == 0
            await asyncio.to_thread(end_this_process_sessions)
            with pytest.raises(StoreUnavailable, match="Django database 'pg' could not be read"):
                await store.counts()
            assert (await store.counts())[Status.DONE] == 0

    asyncio.run(main())
    connections["pg"].close()


@pytest.mark.parametrize("database", ["default", "wal", "pg"])
def test_receiving_while_the_worker_runs_processes_each_event_exactly_once(database):
    """The receiver's connection and the worker's write the same database at once: every
    event is stored once and its handler's row committed once, in per-account order."""
    import asyncio

    from appevents import Event

    if database == "pg":
        require_postgres()
    fresh_database(database)
    app = App(SECRET)
    seen: list[tuple[str, int]] = []

    @app.on("payment_intent.succeeded")
    def record(event, ctx):
        Payment.objects.using(database).create(event_id=event.id, account=ctx.account)
        seen.append((ctx.account, event.created))

    accounts = [f"acct_1Busy{n}" for n in range(4)]
    bodies = [
        make_event(
            "payment_intent.succeeded",
            account=accounts[n % 4],
            created=1_700_000_000 + n,
            event_id=f"evt_1Busy{n:04d}",
        )
        for n in range(120)
    ]

    async def main() -> None:
        store = DjangoStore(database, app=app)
        async with store:
            worker = app.worker(store)
            all_done = asyncio.Event()
            done = 0

            def observe(results) -> None:
                nonlocal done
                done += sum(outcome.status == Status.DONE for _, outcome in results)
                if done >= len(bodies):
                    all_done.set()

            worker.observer = observe
            running = asyncio.create_task(worker.run())
            for start in range(0, len(bodies), 6):  # as the group committer batches
                batch = [Event.parse(b) for b in bodies[start : start + 6]]
                assert await store.insert_events(batch, 1.0) == [True] * len(batch)
                worker.notify()
            await asyncio.wait_for(all_done.wait(), 60)
            worker.stop()
            await running
            assert (await store.counts())[Status.DONE] == len(bodies)

    asyncio.run(main())
    assert Payment.objects.using(database).count() == len(bodies)
    for account in accounts:  # each account's events in created order
        created = [when for who, when in seen if who == account]
        assert created == sorted(created) and len(created) == len(bodies) // 4
    connections[database].close()


@pytest.mark.parametrize("database", ["default", "pg"])
def test_install_and_uninstall_write_through_the_orm_and_the_uninstall_erases(database):
    """on_uninstall deletes the account's rows with the ORM, in the transaction that
    records the uninstall and erases the account's stored payloads."""
    import asyncio

    from appevents import Event

    if database == "pg":
        require_postgres()
    fresh_database(database)
    app = App(SECRET)
    rows = Payment.objects.using(database)

    @app.on_install
    def installed(event, ctx):
        rows.create(event_id=f"install-{ctx.account}", account=ctx.account)

    @app.on("payment_intent.succeeded")
    def paid(event, ctx):
        rows.create(event_id=event.id, account=ctx.account)

    @app.on_uninstall
    def uninstalled(event, ctx):
        rows.filter(account=ctx.account).delete()

    account, other = "acct_1DjangoLife", "acct_1DjangoOther"
    lifecycle = [
        make_event("account.application.authorized", account=account, created=100),
        make_event("payment_intent.succeeded", account=account, created=101),
        make_event("account.application.authorized", account=other, created=100),
        make_event("account.application.deauthorized", account=account, created=102),
    ]

    async def main() -> None:
        async with DjangoStore(database, app=app) as store:
            await store.insert_events([Event.parse(b) for b in lifecycle], 1.0)
            worker = app.worker(store)
            await worker.drain()
            await worker.close()
            assert {(i.account, i.status) for i in await store.list_installations()} == {
                (account, "uninstalled"), (other, "active"),
            }  # fmt: skip
            payment = await store.get_event(json.loads(lifecycle[1])["id"])
            assert (payment.status, payment.payload) == (Status.DONE, None)  # erased

    asyncio.run(main())
    assert list(rows.values_list("event_id", "account")) == [(f"install-{other}", other)]
    connections[database].close()
