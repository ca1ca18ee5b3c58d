"""Creating and updating objects through the API emits the events Stripe emits."""

from __future__ import annotations

import httpx
import pytest
import stripe


def types_of(client, **filters):
    return [
        (e.type, e.data.object.id)
        for e in reversed(client.v1.events.list({"limit": 100, **filters}).data)
    ]


def test_customer_created_updated_deleted_with_previous_attributes(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create({"email": "a@example.com", "metadata": {"tier": "gold"}})
    assert customer.id.startswith("cus_") and customer.email == "a@example.com"
    updated = client.v1.customers.update(
        customer.id, {"email": "b@example.com", "metadata": {"tier": ""}}
    )
    assert (updated.email, updated.metadata.to_dict()) == ("b@example.com", {})
    assert client.v1.customers.retrieve(customer.id).email == "b@example.com"
    assert [c.id for c in client.v1.customers.list().data] == [customer.id]
    client.v1.customers.delete(customer.id)
    assert types_of(client) == [
        ("customer.created", customer.id), ("customer.updated", customer.id),
        ("customer.deleted", customer.id),
    ]  # fmt: skip
    update_event = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert update_event.data.previous_attributes.to_dict() == {
        "email": "a@example.com", "metadata": {"tier": "gold"},
    }  # fmt: skip
    assert update_event.request.id.startswith("req_")
    stub = client.v1.customers.retrieve(customer.id)  # Stripe answers a deleted customer's stub
    assert stub.to_dict() == {"id": customer.id, "object": "customer", "deleted": True}


def test_an_update_that_changes_nothing_emits_nothing(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create({"email": "same@example.com"})
    client.v1.customers.update(customer.id, {"email": "same@example.com"})
    assert [t for t, _ in types_of(client)] == ["customer.created"]


def test_product_and_price(sandbox):
    client = sandbox.client()
    product = client.v1.products.create({"name": "T-shirt"})
    price = client.v1.prices.create({"product": product.id, "currency": "eur", "unit_amount": 2500})
    assert (price.unit_amount, price.product, price.currency) == (2500, product.id, "eur")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.prices.create({"product": product.id, "currency": "eur"})
    assert missing.value.param == "unit_amount"
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.prices.create({"product": product.id, "currency": "eur", "unit_amount": "lots"})
    assert bad.value.param == "unit_amount"
    assert [t for t, _ in types_of(client)] == ["product.created", "price.created"]


def test_payment_intent_confirm_emits_the_linked_cascade(sandbox):
    client = sandbox.client()
    intent = client.v1.payment_intents.create({"amount": 1999, "currency": "usd"})
    assert (intent.status, intent.amount) == ("requires_payment_method", 1999)
    confirmed = client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert (confirmed.status, confirmed.amount_received) == ("succeeded", 1999)
    charge = client.v1.charges.retrieve(confirmed.latest_charge)
    assert (charge.payment_intent, charge.amount, charge.status) == (intent.id, 1999, "succeeded")
    assert types_of(client) == [
        ("payment_intent.created", intent.id), ("charge.succeeded", charge.id),
        ("payment_intent.succeeded", intent.id),
    ]  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.confirm(intent.id)
    assert again.value.code == "payment_intent_unexpected_state"
    one_step = client.v1.payment_intents.create(
        {"amount": 500, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa"}
    )
    assert one_step.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError, match="missing a payment method"):
        client.v1.payment_intents.create({"amount": 500, "currency": "usd", "confirm": True})


def test_setup_intent_confirm(sandbox):
    client = sandbox.client()
    intent = client.v1.setup_intents.create({})
    done = client.v1.setup_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert done.status == "succeeded"
    assert [t for t, _ in types_of(client)] == ["setup_intent.created", "setup_intent.succeeded"]


def test_a_path_stripe_does_not_have_is_an_unrecognized_url(sandbox):
    answer = httpx.post(
        f"{sandbox.base}/v1/invoices/in_1/frobnicate",
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["message"].startswith(
        "Unrecognized request URL (POST: /v1/invoices/in_1/frobnicate)."
    )


def test_stripe_version_is_echoed_and_a_malformed_one_refused(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.key}"}
    asked = httpx.get(
        f"{sandbox.base}/v1/customers", headers={**headers, "Stripe-Version": "2023-10-16"}
    )
    assert (asked.status_code, asked.headers["stripe-version"]) == (200, "2023-10-16")
    assert asked.headers["request-id"].startswith("req_")
    bad = httpx.get(f"{sandbox.base}/v1/customers", headers={**headers, "Stripe-Version": "latest"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "api_version_invalid"
    assert bad.json()["error"]["message"].startswith("Invalid Stripe API version: latest.")
    assert bad.headers["request-id"].startswith("req_")


def test_a_connected_account_update_is_read_back_and_emits_account_updated(sandbox):
    client = sandbox.client()
    account = client.v1.accounts.create({"type": "custom", "country": "US"})
    client.v1.accounts.update(account.id, {"metadata": {"tier": "gold"}})
    assert client.v1.accounts.retrieve(account.id).metadata.to_dict() == {"tier": "gold"}
    event = client.v1.events.list({"type": "account.updated"}, {"stripe_account": account.id})
    assert [e.data.previous_attributes.to_dict() for e in event.data] == [
        {"metadata": {"tier": None}}
    ]
