"""Charges as confirming an intent makes them, and the objects payments' events name: each
one a GET returns."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest
import stripe

from payments_world import events, intent

# Where the sandbox serves each kind of id the payments' objects name.
SERVED = {
    "pi": "/v1/payment_intents/{}", "ch": "/v1/charges/{}", "pm": "/v1/payment_methods/{}",
    "txn": "/v1/balance_transactions/{}", "re": "/v1/refunds/{}", "dp": "/v1/disputes/{}",
    "seti": "/v1/setup_intents/{}", "cus": "/v1/customers/{}", "mandate": "/v1/mandates/{}",
}  # fmt: skip
_ID = re.compile(r"^(pi|ch|pm|txn|re|dp|seti|cus|mandate)_[A-Za-z0-9]+$")


def named_ids(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(named_ids(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(named_ids(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and _ID.match(value) else set()


def test_a_succeeded_charge_is_stripes(sandbox):
    client = sandbox.client()
    charge = client.v1.charges.retrieve(intent(client, "pm_card_visa").latest_charge)
    assert (charge.status, charge.paid, charge.captured, charge.amount_captured) == (
        "succeeded", True, True, 2000,
    )  # fmt: skip
    assert (charge.outcome.type, charge.outcome.network_status) == (
        "authorized", "approved_by_network",
    )  # fmt: skip
    assert charge.payment_method_details.type == "card"
    assert charge.payment_method_details.card.last4 == "4242"


def test_capturing_the_charge_captures_its_intent(sandbox):
    client = sandbox.client()
    held = intent(client, "pm_card_visa", capture_method="manual")
    captured = client.v1.charges.capture(held.latest_charge)
    assert (captured.captured, captured.amount_captured) == (True, 2000)
    assert client.v1.payment_intents.retrieve(held.id).status == "succeeded"


@pytest.mark.parametrize("method", ["pm_card_visa", "pm_card_createDispute",
                                    "pm_card_chargeDeclined", "pm_card_bypassPending"])  # fmt: skip
def test_every_object_payments_events_name_is_served(sandbox, method):
    client = sandbox.client()
    customer = client.v1.customers.create()
    with contextlib.suppress(stripe.CardError):  # a decline's events are checked too
        paid = intent(client, method, customer=customer.id)
        client.v1.refunds.create({"payment_intent": paid.id, "amount": 100})
    named = set().union(*(named_ids(event.data.object.to_dict()) for event in events(client)))
    assert named
    for object_id in sorted(named):
        prefix = object_id.split("_", 1)[0]
        sandbox.get(SERVED[prefix].format(object_id))  # 200, or the assertion says which


def test_a_customers_card_pays_as_its_payment_method(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    card = client.v1.customers.payment_sources.create(customer.id, {"source": "tok_visa"})
    paid = intent(client, card.id, customer=customer.id)
    assert paid.status == "succeeded"
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.payment_method, charge.payment_method_details.card.brand) == (card.id, "visa")


CHARGES_API = [
    # (source, capture, status, captured, events)
    ("tok_visa", True, "succeeded", True, ["charge.succeeded"]),
    ("tok_visa", False, "succeeded", False, ["charge.succeeded"]),
    ("tok_bypassPending", True, "succeeded", True, ["charge.succeeded", "balance.available"]),
    ("tok_createDispute", True, "succeeded", True,
     ["charge.succeeded", "charge.dispute.created", "charge.dispute.funds_withdrawn"]),
]  # fmt: skip


@pytest.mark.parametrize(("source", "capture", "status", "captured", "types"), CHARGES_API)
def test_the_charges_api_charges_a_token_card(sandbox, source, capture, status, captured, types):
    client = sandbox.client()
    charge = client.v1.charges.create(
        {"amount": 1000, "currency": "usd", "source": source, "capture": capture}
    )
    assert (charge.status, charge.captured, charge.payment_intent) == (status, captured, None)
    assert (charge.source.object, charge.payment_method) == ("card", charge.source.id)
    assert [event.type for event in events(client)] == types


def test_the_charges_api_declines_with_a_card_error(sandbox):
    client = sandbox.client()
    with pytest.raises(stripe.CardError) as declined:
        client.v1.charges.create(
            {"amount": 1000, "currency": "usd", "source": "tok_chargeDeclined"}
        )
    assert declined.value.error.decline_code == "generic_decline"
    assert client.v1.charges.retrieve(declined.value.error.charge).status == "failed"
    with pytest.raises(stripe.InvalidRequestError) as nothing:
        client.v1.charges.create({"amount": 1000, "currency": "usd"})
    assert "Must provide source or customer" in str(nothing.value.user_message)
