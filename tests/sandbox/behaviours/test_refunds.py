"""Refunds return a charge's money as Stripe's do: the charge's amount_refunded and
refunded, the refund's balance transaction, their events in Stripe's order."""

from __future__ import annotations

import pytest
import stripe

from payments_world import event_types, intent


def test_a_refund_of_a_payment_intent_refunds_its_charge(sandbox):
    client = sandbox.client()
    paid = intent(client, "pm_card_visa")
    before = len(event_types(client))
    refund = client.v1.refunds.create({"payment_intent": paid.id})
    assert (refund.status, refund.amount, refund.charge, refund.payment_intent) == (
        "succeeded", 2000, paid.latest_charge, paid.id,
    )  # fmt: skip
    assert event_types(client, before) == ["charge.refunded", "refund.created"]
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (2000, True)
    assert client.v1.balance_transactions.retrieve(refund.balance_transaction).amount == -2000
    listed = sandbox.get(f"/v1/charges/{charge.id}/refunds")["data"]
    assert [each["id"] for each in listed] == [refund.id]


def test_partial_refunds_add_up_and_no_more_than_the_charge_is_refunded(sandbox):
    client = sandbox.client()
    paid = intent(client, "pm_card_visa")
    client.v1.refunds.create({"charge": paid.latest_charge, "amount": 500})
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create({"charge": paid.latest_charge, "amount": 1501})
    assert (refused.value.code, refused.value.param) == ("amount_too_large", "amount")
    client.v1.refunds.create({"charge": paid.latest_charge})
    assert client.v1.charges.retrieve(paid.latest_charge).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"charge": paid.latest_charge})
    assert again.value.code == "charge_already_refunded"


def test_a_refund_updated_emits_both_of_stripes_events(sandbox):
    client = sandbox.client()
    paid = intent(client, "pm_card_visa")
    refund = client.v1.refunds.create({"payment_intent": paid.id})
    before = len(event_types(client))
    updated = client.v1.refunds.update(refund.id, {"metadata": {"order": "seven"}})
    assert updated.metadata.to_dict() == {"order": "seven"}
    assert event_types(client, before) == ["charge.refund.updated", "refund.updated"]


REFUSALS = [
    # (parameters, code)
    ({}, "parameter_missing"),
    ({"amount": 5}, "parameter_missing"),
]


@pytest.mark.parametrize(("params", "code"), REFUSALS)
def test_a_refund_must_name_what_it_refunds(sandbox, params, code):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sandbox.client().v1.refunds.create(params)
    assert refused.value.code == code


def test_a_failed_charge_cannot_be_refunded(sandbox):
    client = sandbox.client()
    with pytest.raises(stripe.CardError) as declined:
        intent(client, "pm_card_chargeDeclined")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create({"charge": declined.value.error.charge})
    assert refused.value.code == "charge_not_refundable"
