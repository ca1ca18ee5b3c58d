"""Payment methods made from Stripe's test names and tokens, attached and detached."""

from __future__ import annotations

import pytest
import stripe

from payments_world import event_types


def test_attaching_a_test_name_attaches_a_new_method_with_its_card(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    method = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    assert method.id.startswith("pm_") and method.id != "pm_card_visa"
    assert (method.customer, method.type, method.card.brand, method.card.last4) == (
        customer.id, "card", "visa", "4242",
    )  # fmt: skip
    assert method.card.exp_year > 2025 and method.card.funding == "credit"
    second = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    assert second.id != method.id and second.card.fingerprint == method.card.fingerprint
    assert event_types(client) == ["customer.created", *["payment_method.attached"] * 2]
    listed = client.v1.customers.payment_methods.list(customer.id).data
    assert {each.id for each in listed} >= {method.id, second.id}


def test_a_detached_method_has_no_customer_and_cannot_be_detached_again(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    method = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    detached = client.v1.payment_methods.detach(method.id)
    assert detached.customer is None
    assert event_types(client)[-1] == "payment_method.detached"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_methods.detach(method.id)
    assert refused.value.code == "payment_method_unexpected_state"


def test_a_declining_card_cannot_be_attached(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": customer.id})
    assert (declined.value.code, declined.value.error.decline_code) == (
        "card_declined", "generic_decline",
    )  # fmt: skip
    assert event_types(client) == ["customer.created"]


TOKENS = [
    # (card parameter, brand, last4)
    ({"token": "tok_visa"}, "visa", "4242"),
    ({"token": "tok_amex"}, "amex", "0005"),
    ({"token": "tok_chargeCustomerFail"}, "visa", "0341"),
    ({"number": "4000000000000077", "exp_month": 1, "exp_year": 2040}, "visa", "0077"),
]


@pytest.mark.parametrize(("card", "brand", "last4"), TOKENS)
def test_a_method_made_from_a_token_has_its_card(sandbox, card, brand, last4):
    method = sandbox.client().v1.payment_methods.create({"type": "card", "card": card})
    assert (method.card.brand, method.card.last4) == (brand, last4)


def test_an_unknown_test_name_is_missing(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_methods.attach("pm_card_nonesuch", {"customer": customer.id})
    assert missing.value.code == "resource_missing"
