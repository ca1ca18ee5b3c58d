"""The official stripe library, pointed at the sandbox (`api_base`), works unchanged."""

from __future__ import annotations

import pytest
import stripe

from appevents.sandbox.state import accounts
from sandbox_fixtures import wait_for


def test_webhook_endpoints_create_list_update_delete(sandbox):
    client = sandbox.client()
    created = client.v1.webhook_endpoints.create(
        {"url": "https://example.com/hook", "enabled_events": ["charge.succeeded", "customer.*"],
         "description": "orders", "metadata": {"team": "payments"}, "api_version": "2024-06-20"}
    )  # fmt: skip
    assert created.id.startswith("we_")
    assert created.secret.startswith("whsec_")
    assert (created.status, created.livemode, created.url) == (
        "enabled",
        False,
        "https://example.com/hook",
    )
    assert created.enabled_events == ["charge.succeeded", "customer.*"]
    assert created.metadata.to_dict() == {"team": "payments"}
    fetched = client.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in fetched  # only the create response carries it, as Stripe
    listed = client.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [created.id]
    updated = client.v1.webhook_endpoints.update(
        created.id, {"disabled": True, "enabled_events": ["*"], "metadata": {"team": ""}}
    )
    assert (updated.status, updated.enabled_events, updated.metadata.to_dict()) == (
        "disabled",
        ["*"],
        {},
    )
    deleted = client.v1.webhook_endpoints.delete(created.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.webhook_endpoints.retrieve(created.id)
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")


def test_the_legacy_global_configuration_works_too(sandbox, monkeypatch):
    monkeypatch.setattr(stripe, "api_base", sandbox.base)
    monkeypatch.setattr(stripe, "api_key", sandbox.key)
    endpoint = stripe.WebhookEndpoint.create(url="https://example.com/a", enabled_events=["*"])
    assert stripe.WebhookEndpoint.retrieve(endpoint.id).url == "https://example.com/a"


def test_errors_map_to_the_stripe_error_classes(sandbox):
    with pytest.raises(stripe.AuthenticationError) as auth:
        sandbox.client("sk_test_wrong_key_123456").v1.events.list()
    assert auth.value.http_status == 401
    client = sandbox.client()
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.webhook_endpoints.create({"url": "not a url", "enabled_events": ["*"]})
    assert (bad.value.http_status, bad.value.param) == (400, "url")
    with pytest.raises(stripe.InvalidRequestError) as typo:
        client.v1.webhook_endpoints.create(
            {"url": "https://x.example", "enabled_events": ["charge.succeded"]}
        )
    assert "charge.succeeded" in str(typo.value)  # the closest real type is suggested
    stranger = client.v1.accounts.create({"type": "custom"})
    other_platform = sandbox.server.lane.submit(sandbox.server.sandbox.create_account, None, {})
    other_key = sandbox.server.lane.submit(
        accounts.keys_of, sandbox.server.db, other_platform["id"]
    )["test"]
    with pytest.raises(stripe.PermissionError) as denied:
        sandbox.client(other_key).v1.events.list(options={"stripe_account": stranger.id})
    assert denied.value.http_status == 403


def test_events_are_listed_filtered_and_retrieved_also_for_connected_accounts(sandbox):
    client = sandbox.client()
    connected = client.v1.accounts.create({"type": "custom", "email": "shop@example.com"})
    assert [a.id for a in client.v1.accounts.list().data] == [connected.id]
    mine = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                             "object": {"id": "cus_1", "object": "customer"}})  # fmt: skip
    for n, event_type in enumerate(["charge.succeeded", "charge.refunded", "charge.succeeded"]):
        charge = {"id": f"ch_{n}", "object": "charge", "amount": 100 * n}
        sandbox.post("/_sandbox/events", {"type": event_type, "object": charge})
    listed = client.v1.events.list({"type": "charge.*"})
    assert [e.type for e in listed.data] == [
        "charge.succeeded",
        "charge.refunded",
        "charge.succeeded",
    ]
    assert client.v1.events.list({"types": ["customer.created"]}).data[0].id == mine["id"]
    page = client.v1.events.list({"limit": 2})
    assert len(page.data) == 2 and page.has_more
    rest = client.v1.events.list({"limit": 2, "starting_after": page.data[-1].id})
    assert len(rest.data) == 2 and not rest.has_more
    event = client.v1.events.retrieve(mine["id"])
    assert (event.type, event.data.object.id, event.pending_webhooks) == (
        "customer.created",
        "cus_1",
        0,
    )
    assert client.v1.customers.retrieve("cus_1").object == "customer"
    assert client.v1.charges.retrieve("ch_2").amount == 200
    assert client.v1.events.list({"created": {"gte": event.created}}).data
    assert client.v1.events.list(options={"stripe_account": connected.id}).data == []


def test_every_delivery_verifies_with_construct_event(sandbox, receiver):
    handler, url = receiver
    client = sandbox.client()
    endpoint = client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    for n in range(3):
        sandbox.post("/_sandbox/events", {"type": "customer.created",
                                          "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip
    wait_for(lambda: len(handler.received) == 3)
    for headers, body in handler.received:
        event = stripe.Webhook.construct_event(body, headers["stripe-signature"], endpoint.secret)
        assert event.type == "customer.created"
        assert headers["user-agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        assert headers["content-type"] == "application/json; charset=utf-8"
