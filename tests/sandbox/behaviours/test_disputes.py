"""The dispute test cards open a dispute once charged; it is updated with evidence and
closed as Stripe's are."""

from __future__ import annotations

import pytest
import stripe

from payments_world import event_types, intent

OPENED = [
    # (test method, status, reason, events after the payment's, closed status)
    ("pm_card_createDisputeInquiry", "warning_needs_response", "fraudulent",
     ["charge.dispute.created"], "warning_closed"),
    ("pm_card_createDispute", "needs_response", "fraudulent",
     ["charge.dispute.created", "charge.dispute.funds_withdrawn"], "lost"),
    ("pm_card_createDisputeProductNotReceived", "needs_response", "product_not_received",
     ["charge.dispute.created", "charge.dispute.funds_withdrawn"], "lost"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "status", "reason", "types", "closed"), OPENED)
def test_a_dispute_card_opens_a_dispute_that_updates_and_closes(
    sandbox, method, status, reason, types, closed
):
    client = sandbox.client()
    paid = intent(client, method)
    assert event_types(client)[3:] == types
    disputes = client.v1.disputes.list({"payment_intent": paid.id}).data
    assert len(disputes) == 1
    dispute = disputes[0]
    assert (dispute.status, dispute.reason, dispute.charge, dispute.amount) == (
        status, reason, paid.latest_charge, 2000,
    )  # fmt: skip
    assert client.v1.charges.retrieve(paid.latest_charge).disputed is True
    before = len(event_types(client))
    updated = client.v1.disputes.update(
        dispute.id, {"evidence": {"uncategorized_text": "Delivered."}}
    )
    assert updated.evidence_details.has_evidence is True
    assert event_types(client, before) == ["charge.dispute.updated"]
    assert client.v1.disputes.close(dispute.id).status == closed
    assert event_types(client, before + 1) == ["charge.dispute.closed"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute.id)


def test_a_lost_dispute_takes_its_amount_and_fee_from_the_balance(sandbox):
    client = sandbox.client()
    paid = intent(client, "pm_card_createDispute")
    dispute = client.v1.disputes.list({"payment_intent": paid.id}).data[0]
    withdrawn = dispute.balance_transactions[0]
    assert (withdrawn.amount, withdrawn.type) == (-3500, "adjustment")
    assert client.v1.balance_transactions.retrieve(withdrawn.id).source == dispute.id
