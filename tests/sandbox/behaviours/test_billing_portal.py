"""A portal session uses the account's default configuration (or the one it names), and
only ``billing_portal.session.created`` is emitted: Stripe's default comes from settings."""

from __future__ import annotations

import pytest
import stripe


def _types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in reversed(client.v1.events.list({"limit": 100}).data)]


def test_sessions_share_the_default_configuration_made_without_an_event(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    first = client.v1.billing_portal.sessions.create({"customer": customer.id})
    second = client.v1.billing_portal.sessions.create({"customer": customer.id})
    assert first.configuration == second.configuration
    default = client.v1.billing_portal.configurations.retrieve(str(first.configuration))
    assert (default.is_default, default.active) == (True, True)
    assert _types(client) == [
        "customer.created", "billing_portal.session.created", "billing_portal.session.created",
    ]  # fmt: skip


def test_a_named_configuration_is_used_and_must_exist(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    mine = client.v1.billing_portal.configurations.create(
        {
            "business_profile": {"headline": "Manage your plan"},
            "features": {"invoice_history": {"enabled": True}},
        }
    )
    session = client.v1.billing_portal.sessions.create(
        {"customer": customer.id, "configuration": mine.id}
    )
    assert session.configuration == mine.id
    assert (
        client.v1.billing_portal.sessions.create({"customer": customer.id}).configuration != mine.id
    )
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(
            {"customer": customer.id, "configuration": "bpc_none"}
        )
    assert missing.value.http_status == 404 and "bpc_none" in str(missing.value)


def test_a_session_has_the_url_its_customer_goes_to(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    session = client.v1.billing_portal.sessions.create({"customer": customer.id})
    assert session.url.startswith("https://billing.stripe.com/p/session/test_")
