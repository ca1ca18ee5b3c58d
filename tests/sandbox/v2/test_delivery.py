"""Destinations are delivered as webhook endpoints are: a snapshot one gets v1 events
exactly as an endpoint would, a thin one thin events; ``@self`` the owner's own,
``@accounts`` those of the accounts that installed the owner's app, with the permission;
failed attempts are retried on Stripe's (compressed) schedule, each recorded."""

from __future__ import annotations

import json
from typing import Any

import httpx
import stripe

from sandbox_fixtures import Receiver, start, wait_for
from servers import asgi_server
from v2_world import bodies, manifest, thin_destination, v2_client

NO_METER = "v1.billing.meter.no_meter_found"
METERS = "com.example.meters"


def test_a_snapshot_destination_gets_v1_events_as_an_endpoint_and_a_thin_one_none(
    sandbox, receiver
) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    snapshot = client.v2.core.event_destinations.create({
        "name": "snap", "type": "webhook_endpoint", "event_payload": "snapshot",
        "enabled_events": ["customer.created"], "webhook_endpoint": {"url": url},
        "include": ["webhook_endpoint.signing_secret"],
    })  # fmt: skip
    thin_destination(client, url + "/thin", [NO_METER])
    customer = client.v1.customers.create({"email": "a@example.com"})
    (sent,) = bodies(handler, 1)
    headers, raw = handler.received[0]
    event = stripe.Webhook.construct_event(raw, headers["stripe-signature"],
                                           snapshot.webhook_endpoint.signing_secret)  # fmt: skip
    assert (event.type, event.data.object.id) == ("customer.created", customer.id)
    assert sent["object"] == "event" and sent["pending_webhooks"] == 1
    assert headers["user-agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    log = sandbox.get(f"/_sandbox/events/{event.id}/deliveries")
    assert [d["endpoint"] for d in log["deliveries"]] == [snapshot.id]  # not the thin one


def test_app_destinations_get_installed_accounts_events_with_the_permission(
    sandbox, receiver
) -> None:
    handler, url = receiver
    platform = v2_client(sandbox)
    app = sandbox.post("/_sandbox/apps", {"manifest": manifest(
        METERS, "1.0.0", ["event_read", "billing_meter_read", "billing_meter_write"])})  # fmt: skip
    sandbox.post("/_sandbox/apps", {"manifest": manifest(METERS, "2.0.0", ["billing_meter_write"])})
    accounts_only = thin_destination(platform, url + "/accounts", [NO_METER],
                                     events_from=["@accounts"])  # fmt: skip
    both = thin_destination(platform, url + "/both", [NO_METER], events_from=["@self", "@accounts"])
    assert (accounts_only.events_from, both.events_from) == (["@accounts"], ["@self", "@accounts"])
    granted, lacking = (sandbox.post("/_sandbox/accounts", {}) for _ in range(2))
    for merchant, version in ((granted, "1.0.0"), (lacking, "2.0.0")):
        sandbox.post(f"/_sandbox/apps/{app['id']}/installs",
                     {"account": merchant["id"], "mode": "test", "version": version},
                     key=merchant["keys"]["test"])  # fmt: skip
    for account in (granted["id"], lacking["id"], None):
        client = platform if account is None else platform.with_stripe_context(account)
        client.v2.billing.meter_events.create({"event_name": f"on-{account}",
                                               "payload": {"value": "1"}})  # fmt: skip
    # Its own key reads the lacking account's events: the app may not (no event_read).
    readers = {granted["id"]: platform.with_stripe_context(granted["id"]), None: platform,
               lacking["id"]: v2_client(sandbox, lacking["keys"]["test"])}  # fmt: skip
    events = {account: readers[account].v2.core.events.list().data[0]
              for account in (granted["id"], lacking["id"], None)}  # fmt: skip
    assert [events[a].context for a in events] == [granted["id"], lacking["id"], None]

    def log(account: str | None) -> Any:
        return sandbox.get(f"/_sandbox/events/{events[account].id}/deliveries")

    assert sorted(d["endpoint"] for d in log(granted["id"])["deliveries"]) == sorted(
        [accounts_only.id, both.id]
    )
    assert log(lacking["id"])["deliveries"] == []  # withheld from both, naming why
    assert {(w["endpoint"], w["reason"]) for w in log(lacking["id"])["withheld"]} == {
        (accounts_only.id, "missing_permission"), (both.id, "missing_permission")
    }  # fmt: skip
    assert [d["endpoint"] for d in log(None)["deliveries"]] == [both.id]  # @self: its own
    sent = bodies(handler, 3)
    assert sorted(b["context"] or "" for b in sent) == sorted([granted["id"]] * 2 + [""])
    # The installed account's notification fetches its event in that account's context.
    headers, raw = next(
        (h, b) for h, b in handler.received if json.loads(b)["context"] == granted["id"]
    )
    secrets = [d.webhook_endpoint.signing_secret for d in (accounts_only, both)]
    notification = None
    for secret in secrets:
        try:
            notification = platform.parse_event_notification(
                raw, headers["stripe-signature"], secret
            )
        except stripe.SignatureVerificationError:
            continue
    assert notification is not None and str(notification.context) == granted["id"]
    assert notification.fetch_event().data["reason"]["error_types"][0]["code"] == "no_meter"


def test_a_failed_thin_delivery_is_retried_and_every_attempt_recorded(sandbox, receiver) -> None:
    handler, url = receiver
    handler.statuses = [500, 503]
    client = v2_client(sandbox)
    destination = thin_destination(client, url, ["v2.core.event_destination.ping"])
    event = client.v2.core.event_destinations.ping(destination.id)

    def log() -> Any:
        return sandbox.get(f"/_sandbox/events/{event.id}/deliveries")["deliveries"][0]

    wait_for(lambda: log()["status"] == "succeeded", timeout=30)
    assert [a["status_code"] for a in log()["attempts_log"]] == [500, 503, 200]
    assert {json.loads(b)["id"] for _, b in handler.received} == {event.id}


def test_a_thin_event_cannot_be_resent_through_v1_and_nothing_is_sent_again(
    sandbox, receiver
) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    destination = thin_destination(client, url, ["v2.core.event_destination.ping"])
    event = client.v2.core.event_destinations.ping(destination.id)
    bodies(handler, 1)
    response = httpx.post(
        f"{sandbox.base}/v1/events/{event.id}/retry",
        data={"webhook_endpoint": destination.id},
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["message"] == f"No such event: '{event.id}'"
    log = sandbox.get(f"/_sandbox/events/{event.id}/deliveries")["deliveries"][0]
    assert [a["status_code"] for a in log["attempts_log"]] == [200]
    assert len(handler.received) == 1


def test_a_thin_destination_selecting_a_v1_type_gets_each_events_thin_twin(
    sandbox, receiver
) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    destination = thin_destination(client, url, ["v1.customer.created"])
    customer = client.v1.customers.create({"email": "twin@example.com"})
    client.v1.products.create({"name": "no twin: not selected"})
    (sent,) = bodies(handler, 1)
    snapshot = client.v1.events.list({"type": "customer.created"}).data[0]
    assert sent["type"] == "v1.customer.created" and "snapshot_event" not in sent
    assert sent["related_object"] == {"id": customer.id, "type": "customer",
                                      "url": f"/v1/customers/{customer.id}"}  # fmt: skip
    headers, raw = handler.received[0]
    notification = client.parse_event_notification(
        raw, headers["stripe-signature"], destination.webhook_endpoint.signing_secret
    )
    assert notification.fetch_event().snapshot_event == snapshot.id
    assert notification.fetch_related_object().email == "twin@example.com"
    assert [e.type for e in client.v2.core.events.list().data] == ["v1.customer.created"]


def test_a_destination_failing_for_the_period_is_disabled_as_an_endpoint_is(tmp_path) -> None:
    # Disabled after days of failures, scaled down to a fraction of a second.
    server, running = start(str(tmp_path / "s.db"), disable_scale=1 / (3600 * 24 * 90))
    key = server.platform()["keys"]["test"]  # type: ignore[index]
    handler = Receiver(default=503)
    with running as base, asgi_server(handler) as receiver_base:
        client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)
        made = thin_destination(client, receiver_base + "/w", ["v2.core.event_destination.ping"])
        for _ in range(3):
            client.v2.core.event_destinations.ping(made.id)

        def status() -> str:
            return str(client.v2.core.event_destinations.retrieve(made.id).status)

        wait_for(lambda: status() == "disabled")
        shown = client.v2.core.event_destinations.retrieve(made.id)
        assert shown.status_details.disabled.reason == "user"
        assert client.v2.core.event_destinations.enable(made.id).status == "enabled"
    server.close()
