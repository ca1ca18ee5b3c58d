"""The receiver takes v2 thin event notifications as it takes snapshot events: over real
HTTP on 127.0.0.1, verified, stored, deduplicated by id, processed one account (context)
at a time in ``created`` order, on every store; and refused with a 400 naming the field
when malformed. Every body posted is first parsed by stripe-python's own
``parse_event_notification``: the bytes are what Stripe's SDK accepts."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pytest
import stripe

from appevents.receiver import App, MemoryStore, SQLiteStore
from appevents.receiver.http import ASGIEndpoint
from appevents.testing import make_event, make_thin_event, signed_headers
from environment import postgres_url
from postgres_support import create_schema, drop_schema
from servers import asgi_server, endpoint_server, poll_until

SECRET = "whsec_thin_receiver"
T0 = 1_796_673_600  # 2026-12-07T20:00:00Z


def meter(n: int) -> dict[str, str]:
    return {"id": f"mtr_{n}", "type": "billing.meter", "url": f"/v1/billing/meters/mtr_{n}"}


def post(url: str, body: bytes) -> httpx.Response:
    headers = signed_headers(body, SECRET)
    # The very bytes and header we send are a notification stripe-python accepts.
    notification = stripe.StripeClient("sk_test_x").parse_event_notification(
        body, headers["Stripe-Signature"], SECRET
    )
    assert notification.id == json.loads(body)["id"]
    return httpx.post(url, content=body, headers=headers)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_store(request, tmp_path):
    """A function giving a store on the same data each call (a memory store: the same one)."""
    if request.param == "memory":
        memory = MemoryStore()
        return lambda: memory
    if request.param == "sqlite":
        return lambda: SQLiteStore(tmp_path / "inbox.db")
    from appevents.receiver.stores.postgres import PostgresStore

    schema = create_schema()
    request.addfinalizer(lambda: drop_schema(schema))
    return lambda: PostgresStore(postgres_url(), schema=schema, max_size=2)


def test_thin_events_are_stored_deduplicated_and_run_per_context_in_created_order(open_store):
    handled: list[tuple[str, str | None, str | None, str | None, int]] = []
    app = App(SECRET, store=open_store())

    @app.on("v1.billing.*")
    def record(event, ctx):
        related = event.related_object.id if event.related_object else None
        handled.append((event.id, ctx.account, event.context, related, event.created))

    # acct_a's three arrive newest first, acct_b's between them, the platform's last.
    bodies = [
        make_thin_event("v1.billing.meter.error_report_triggered", context="acct_a",
                        related_object=meter(3), created=T0 + 2.5, event_id="evt_test_a3"),
        make_thin_event("v1.billing.meter.no_meter_found", context="acct_b",
                        created=T0 + 0.2, event_id="evt_test_b1", request_id="req_b1"),
        make_thin_event("v1.billing.meter.error_report_triggered", context="acct_a",
                        related_object=meter(1), created=T0 + 0.9, event_id="evt_test_a1"),
        make_thin_event("v1.billing.meter.error_report_triggered", context="acct_a",
                        related_object=meter(2), created=T0 + 1.1, event_id="evt_test_a2"),
        make_thin_event("v1.billing.meter.no_meter_found", created=T0, event_id="evt_test_p1"),
    ]  # fmt: skip
    # No worker while they arrive: the order below is the store's, not the arrival's.
    endpoint = ASGIEndpoint(app, app.runtime(run_worker=False))
    with asgi_server(endpoint) as base:
        answers = [post(base + "/webhook", body) for body in bodies]
        again = post(base + "/webhook", bodies[0])
    assert [(a.status_code, a.json()) for a in answers] == [
        (200, {"received": True, "duplicate": False})
    ] * 5
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})

    async def stored_then_worked():
        async with open_store() as store:
            rows = {e.id: e for e in await store.list_events()}
            await app.worker(store).drain()
            statuses = {e.id: e.status for e in await store.list_events()}
        return rows, statuses

    rows, statuses = asyncio.run(stored_then_worked())
    assert sorted(rows) == ["evt_test_a1", "evt_test_a2", "evt_test_a3", "evt_test_b1",
                            "evt_test_p1"]  # fmt: skip
    a3 = rows["evt_test_a3"]
    assert (a3.account, a3.livemode, a3.type, a3.created, a3.attempts) == (
        "acct_a", False, "v1.billing.meter.error_report_triggered", T0 + 2, 0
    )  # fmt: skip
    assert a3.payload == bodies[0]  # the bytes as signed
    assert rows["evt_test_p1"].account is None
    assert set(statuses.values()) == {"done"}
    by_account: dict[str | None, list[str]] = {}
    for event_id, account, _, _, _ in handled:
        by_account.setdefault(account, []).append(event_id)
    assert by_account == {
        "acct_a": ["evt_test_a1", "evt_test_a2", "evt_test_a3"],  # created order
        "acct_b": ["evt_test_b1"],
        None: ["evt_test_p1"],
    }
    assert ("evt_test_a1", "acct_a", "acct_a", "mtr_1", T0) in handled
    assert ("evt_test_b1", "acct_b", "acct_b", None, T0) in handled


@pytest.mark.parametrize("shell", ["asgi", "builtin"])
def test_a_thin_event_reaches_its_handler_beside_snapshot_events(tmp_path, shell):
    seen: list[tuple[str, bool, str | None, str | None]] = []
    app = App(SECRET, store=SQLiteStore(tmp_path / f"{shell}.db"))

    @app.on("v1.billing.meter.error_report_triggered")
    def on_meter_error(event, ctx):
        seen.append((event.type, event.thin, ctx.account, event.object_id))

    @app.on("customer.created")
    def on_customer(event, ctx):
        seen.append((event.type, event.thin, ctx.account, event.object_id))

    thin = make_thin_event("v1.billing.meter.error_report_triggered",
                           context="acct_platform/acct_c", related_object=meter(9))  # fmt: skip
    snapshot = make_event("customer.created", account="acct_c")
    with endpoint_server(shell, app) as base:
        assert post(base + "/webhook", thin).status_code == 200
        response = httpx.post(
            base + "/webhook", content=snapshot, headers=signed_headers(snapshot, SECRET)
        )
        assert response.status_code == 200
        poll_until(lambda: len(seen) == 2)
    customer_id = json.loads(snapshot)["data"]["object"]["id"]
    assert sorted(seen) == [
        ("customer.created", False, "acct_c", customer_id),
        ("v1.billing.meter.error_report_triggered", True, "acct_c", "mtr_9"),
    ]


def thin_doc(**changes):
    doc = json.loads(make_thin_event("v1.billing.meter.error_report_triggered",
                                     context="acct_1", related_object=meter(1)))  # fmt: skip
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not ...}


@pytest.mark.parametrize(
    ("doc", "named"),
    [
        (thin_doc(id=...), '"id"'),
        (thin_doc(type=...), '"type"'),
        (thin_doc(created=T0), '"created"'),
        (thin_doc(created="2026-12-07 20:00:00"), "RFC 3339"),
        (thin_doc(related_object={"id": "mtr_1", "type": "billing.meter"}), '"related_object"'),
        (thin_doc(related_object=["mtr_1"]), '"related_object"'),
        (thin_doc(context=42), '"context"'),
    ],
)
def test_a_malformed_thin_notification_is_a_400_naming_the_field_and_nothing_is_stored(
    tmp_path, doc, named
):
    db_path = tmp_path / "inbox.db"
    app = App(SECRET, store=SQLiteStore(db_path))
    body = json.dumps(doc).encode()
    with endpoint_server("builtin", app) as base:
        response = httpx.post(base + "/webhook", content=body, headers=signed_headers(body, SECRET))
        good = make_thin_event("v1.billing.meter.no_meter_found", context="acct_1")
        assert post(base + "/webhook", good).status_code == 200  # the endpoint still works
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "body_not_an_event"
    assert named in error["message"]
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT id FROM events").fetchall() == [(json.loads(good)["id"],)]


def test_a_thin_notification_signed_with_another_secret_is_refused(tmp_path):
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"))
    body = make_thin_event("v1.billing.meter.no_meter_found", context="acct_1")
    with endpoint_server("builtin", app) as base:
        response = httpx.post(
            base + "/webhook", content=body, headers=signed_headers(body, "whsec_other")
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_matching_signature"


def test_a_thin_uninstall_runs_on_uninstall_and_erases_the_accounts_thin_events(tmp_path):
    calls: list[tuple[str, str, str | None]] = []
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"))

    @app.on_install
    def installed(event, ctx):
        calls.append(("install", event.type, ctx.installation.source))

    @app.on_uninstall
    def uninstalled(event, ctx):
        calls.append(("uninstall", event.type, ctx.account))

    @app.on("v1.billing.*")
    def business(event, ctx):
        calls.append(("business", event.type, ctx.account))

    bodies = [
        make_thin_event("v1.account.application.authorized", context="acct_u", created=T0),
        make_thin_event("v1.billing.meter.updated", context="acct_u", created=T0 + 1,
                        related_object=meter(1)),
        make_thin_event("v1.account.application.deauthorized", context="acct_u",
                        created=T0 + 2),
        # Delivered late, from before the uninstall: never dispatched, erased.
        make_thin_event("v1.billing.meter.updated", context="acct_u", created=T0 + 1.5,
                        related_object=meter(2)),
    ]  # fmt: skip

    async def work():
        async with SQLiteStore(tmp_path / "inbox.db") as store:
            await app.worker(store).drain()
            return await store.list_events(account="acct_u"), await store.list_installations()

    # The first three are processed before the fourth arrives.
    for batch in (bodies[:3], bodies[3:]):
        endpoint = ASGIEndpoint(app, app.runtime(run_worker=False))
        with asgi_server(endpoint) as base:
            for body in batch:
                assert post(base + "/webhook", body).status_code == 200
        events, installations = asyncio.run(work())
    assert calls == [
        ("install", "v1.account.application.authorized", "authorized"),
        ("business", "v1.billing.meter.updated", "acct_u"),
        ("uninstall", "v1.account.application.deauthorized", "acct_u"),
    ]
    assert [(i.account, i.status) for i in installations] == [("acct_u", "uninstalled")]
    assert {e.id: (e.status, e.payload) for e in events} == {
        json.loads(b)["id"]: (status, None)
        for b, status in zip(bodies, ["done", "done", "done", "skipped"], strict=True)
    }
