"""The receiver against the sandbox: a thin event destination delivers to an App, whose
handlers fetch the full event and the related object back from the sandbox's API."""

from __future__ import annotations

import threading

from appevents import StripeAPIError
from appevents.receiver import App, SQLiteStore
from sandbox_fixtures import wait_for
from servers import asgi_server, free_port
from v2_world import thin_destination, v2_client

TYPES = ["v1.billing.meter.error_report_triggered", "v1.billing.meter.no_meter_found"]


def test_a_sandbox_thin_delivery_is_handled_and_its_event_and_meter_fetched(sandbox, tmp_path):
    client = v2_client(sandbox)
    port = free_port()
    destination = thin_destination(client, f"http://127.0.0.1:{port}/webhook", TYPES)
    secret = destination.webhook_endpoint.signing_secret
    app = App(secret, store=SQLiteStore(tmp_path / "inbox.db"), api_key=sandbox.key,
              api_base=sandbox.base)  # fmt: skip
    handled: list[tuple] = []
    lock = threading.Lock()

    @app.on("v1.billing.*")
    def on_meter(event, ctx):
        full = ctx.fetch_event()
        related = ctx.fetch_related_object()
        with lock:
            handled.append((event, full, related))

    with asgi_server(app.asgi(), port=port):
        meter_id = client.v1.billing.meters.create({
            "display_name": "calls", "event_name": "calls",
            "default_aggregation": {"formula": "sum"},
        }).id  # fmt: skip
        # No customer in the payload: an error report on that meter.
        client.v2.billing.meter_events.create({"event_name": "calls", "payload": {"value": "2"}})
        # No meter by that name: no_meter_found, about no object.
        client.v2.billing.meter_events.create({"event_name": "none", "payload": {"value": "1"}})
        wait_for(lambda: len(handled) == 2, timeout=20)
    by_type = {event.type: (event, full, related) for event, full, related in handled}
    event, full, related = by_type["v1.billing.meter.error_report_triggered"]
    assert event.thin and event.account is None and event.context is None  # the platform's own
    assert event.related_object is not None and event.related_object.id == meter_id
    assert (full["id"], full["object"], full["type"]) == (event.id, "v2.core.event", event.type)
    assert full["data"]["reason"]["error_types"][0]["code"] == "meter_event_no_customer_defined"
    assert (related["id"], related["object"]) == (meter_id, "billing.meter")
    event, full, related = by_type["v1.billing.meter.no_meter_found"]
    assert event.related_object is None and related is None
    assert full["data"]["developer_message_summary"] == (
        "No active meter was found for event_name none"
    )


def test_fetching_with_another_accounts_key_is_the_sandboxs_404_as_a_stripe_api_error(
    sandbox, tmp_path
):
    client = v2_client(sandbox)
    port = free_port()
    destination = thin_destination(client, f"http://127.0.0.1:{port}/webhook", TYPES[1:])
    other = sandbox.post("/_sandbox/accounts", {})["keys"]["test"]
    app = App(destination.webhook_endpoint.signing_secret, store=SQLiteStore(tmp_path / "i.db"),
              api_key=other, api_base=sandbox.base)  # fmt: skip
    errors: list[StripeAPIError] = []

    @app.on("v1.billing.meter.no_meter_found")
    def on_meter(event, ctx):
        try:
            ctx.fetch_event()
        except StripeAPIError as error:
            errors.append(error)
            raise

    with asgi_server(app.asgi(), port=port):
        client.v2.billing.meter_events.create({"event_name": "none", "payload": {"value": "1"}})
        wait_for(lambda: errors, timeout=20)
    (error,) = errors[:1]
    assert (error.status, error.code) == (404, "resource_missing")
    assert error.stripe_message and error.stripe_message in str(error)
    assert "is the key of the event's mode" in str(error)


def test_an_installed_accounts_thin_event_is_fetched_in_that_accounts_context(sandbox, tmp_path):
    platform = v2_client(sandbox)
    meters_app = sandbox.post("/_sandbox/apps", {"manifest": {
        "id": "com.example.meters", "version": "1.0.0", "name": "Meters", "icon": "",
        "permissions": [{"permission": p, "purpose": "metering"}
                        for p in ("event_read", "billing_meter_read", "billing_meter_write")],
    }})  # fmt: skip
    merchant = sandbox.post("/_sandbox/accounts", {})
    sandbox.post(f"/_sandbox/apps/{meters_app['id']}/installs",
                 {"account": merchant["id"], "mode": "test", "version": "1.0.0"},
                 key=merchant["keys"]["test"])  # fmt: skip
    port = free_port()
    destination = thin_destination(platform, f"http://127.0.0.1:{port}/webhook", TYPES[:1],
                                   events_from=["@accounts"])  # fmt: skip
    app = App(destination.webhook_endpoint.signing_secret, store=SQLiteStore(tmp_path / "i.db"),
              api_key=sandbox.key, api_base=sandbox.base)  # fmt: skip
    seen: list[tuple] = []

    @app.on_install
    def installed(event, ctx):
        seen.append(("install", ctx.account, ctx.installation.source))

    @app.on("v1.billing.meter.error_report_triggered")
    def on_meter(event, ctx):
        seen.append(("fetched", ctx.account, ctx.fetch_event()["context"],
                     ctx.fetch_related_object()["id"]))  # fmt: skip

    as_merchant = platform.with_stripe_context(merchant["id"])
    with asgi_server(app.asgi(), port=port):
        meter_id = as_merchant.v1.billing.meters.create({
            "display_name": "calls", "event_name": "calls",
            "default_aggregation": {"formula": "sum"},
        }).id  # fmt: skip
        as_merchant.v2.billing.meter_events.create(
            {"event_name": "calls", "payload": {"value": "2"}}
        )
        wait_for(lambda: len(seen) == 2, timeout=20)
    assert seen == [
        ("install", merchant["id"], "implied"),
        ("fetched", merchant["id"], merchant["id"], meter_id),
    ]
