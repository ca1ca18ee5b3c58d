"""Funding a customer's cash balance, and the funds applied to an intent paid from it."""

from __future__ import annotations

import pytest
import stripe

from payments_world import event_types


def fund(client: stripe.StripeClient, customer: str, amount: int, currency: str) -> object:
    return client.v1.test_helpers.customers.fund_cash_balance(
        customer, {"amount": amount, "currency": currency}
    )


def test_funding_holds_the_funds_for_the_customer(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    funded = fund(client, customer.id, 1000, "usd")
    assert (funded.type, funded.net_amount, funded.ending_balance) == ("funded", 1000, 1000)
    assert funded.funded.bank_transfer.type == "us_bank_transfer"
    assert event_types(client) == [
        "customer.created", "customer_cash_balance_transaction.created",
        "cash_balance.funds_available",
    ]  # fmt: skip
    held = sandbox.get(f"/v1/customers/{customer.id}/cash_balance")
    assert held["available"] == {"usd": 1000}
    listed = sandbox.get(f"/v1/customers/{customer.id}/cash_balance_transactions")["data"]
    assert [each["id"] for each in listed] == [funded.id]


def test_an_intent_paid_from_the_cash_balance_is_funded_in_part_then_in_full(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    waiting = client.v1.payment_intents.create(
        {"amount": 20000, "currency": "jpy", "customer": customer.id, "confirm": True,
         "payment_method_types": ["customer_balance"],
         "payment_method_data": {"type": "customer_balance"},
         "payment_method_options": {"customer_balance": {
             "funding_type": "bank_transfer", "bank_transfer": {"type": "jp_bank_transfer"}}}}
    )  # fmt: skip
    assert waiting.status == "requires_action"
    assert waiting.next_action.display_bank_transfer_instructions.amount_remaining == 20000
    before = len(event_types(client))
    fund(client, customer.id, 10000, "jpy")
    assert event_types(client, before) == [
        "customer_cash_balance_transaction.created", "cash_balance.funds_available",
        "customer_cash_balance_transaction.created", "payment_intent.partially_funded",
    ]  # fmt: skip
    part = client.v1.payment_intents.retrieve(waiting.id)
    assert part.next_action.display_bank_transfer_instructions.amount_remaining == 10000
    before = len(event_types(client))
    fund(client, customer.id, 10000, "jpy")
    assert event_types(client, before)[-2:] == ["charge.succeeded", "payment_intent.succeeded"]
    assert client.v1.payment_intents.retrieve(waiting.id).status == "succeeded"
    assert sandbox.get(f"/v1/customers/{customer.id}/cash_balance")["available"] == {"jpy": 0}


@pytest.mark.parametrize(("amount", "currency", "param"), [(0, "usd", "amount"),
                                                            (100, "xyz", "currency")])  # fmt: skip
def test_funding_needs_a_positive_amount_in_a_bank_transfer_currency(
    sandbox, amount, currency, param
):
    client = sandbox.client()
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as refused:
        fund(client, customer.id, amount, currency)
    assert refused.value.param == param
