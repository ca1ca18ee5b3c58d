"""Payment intents go through Stripe's states as its test cards make them, emitting
Stripe's events in its order; a decline is the stripe library's CardError."""

from __future__ import annotations

import pytest
import stripe

from payments_world import card_error, event_types, intent

CONFIRMATIONS = [
    # (test method, extra parameters, status, events in order)
    ("pm_card_visa", {}, "succeeded",
     ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]),
    ("pm_card_mastercard", {}, "succeeded",
     ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]),
    ("pm_card_bypassPending", {}, "succeeded",
     ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
      "balance.available"]),
    ("pm_card_visa", {"capture_method": "manual"}, "requires_capture",
     ["payment_intent.created", "charge.succeeded", "payment_intent.amount_capturable_updated"]),
    ("pm_card_authenticationRequired", {}, "requires_action",
     ["payment_intent.created", "payment_intent.requires_action"]),
    ("pm_card_threeDSecure2Required", {}, "requires_action",
     ["payment_intent.created", "payment_intent.requires_action"]),
    ("pm_card_createDisputeInquiry", {}, "succeeded",
     ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
      "charge.dispute.created"]),
]  # fmt: skip


@pytest.mark.parametrize(("method", "params", "status", "types"), CONFIRMATIONS)
def test_a_confirmation_goes_where_its_test_card_takes_it(sandbox, method, params, status, types):
    client = sandbox.client()
    paid = intent(client, method, **params)
    assert paid.status == status
    assert event_types(client) == types
    method_object = client.v1.payment_methods.retrieve(paid.payment_method)
    assert method_object.id.startswith("pm_") and method_object.id != method
    if paid.latest_charge:
        charge = client.v1.charges.retrieve(paid.latest_charge)
        assert (charge.payment_intent, charge.payment_method) == (paid.id, method_object.id)
    if status == "requires_action":
        assert paid.next_action.type == "redirect_to_url"
        assert paid.id in paid.next_action.redirect_to_url.url


DECLINES = [
    # (test method, code, decline code, message)
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline",
     "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
     "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card",
     "Your card has expired."),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "Your card was declined."),
]  # fmt: skip


@pytest.mark.parametrize(("method", "code", "decline_code", "message"), DECLINES)
def test_a_declining_card_fails_its_charge_and_answers_a_card_error(
    sandbox, method, code, decline_code, message
):
    client = sandbox.client()
    error = card_error(client, method)
    assert (error.http_status, error.code, error.error.decline_code) == (402, code, decline_code)
    assert error.user_message == message
    assert event_types(client) == [
        "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
    ]  # fmt: skip
    left = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert left.status == "requires_payment_method"
    assert left.last_payment_error.decline_code == decline_code
    charge = client.v1.charges.retrieve(error.error.charge)
    assert (charge.status, charge.failure_code, charge.failure_message) == ("failed", code, message)
    assert charge.outcome.type == "issuer_declined" and not charge.paid
    assert left.latest_charge == charge.id


def test_an_off_session_payment_wanting_authentication_is_declined(sandbox):
    client = sandbox.client()
    error = card_error(client, "pm_card_authenticationRequired", off_session=True)
    assert (error.code, error.error.decline_code) == ("authentication_required",) * 2
    assert event_types(client) == ["payment_intent.created", "payment_intent.payment_failed"]


def test_a_manual_capture_takes_part_and_releases_the_rest(sandbox):
    client = sandbox.client()
    held = intent(client, "pm_card_visa", capture_method="manual")
    assert held.amount_capturable == 2000
    charge = client.v1.charges.retrieve(held.latest_charge)
    assert (charge.captured, charge.balance_transaction) == (False, None)
    before = len(event_types(client))
    captured = client.v1.payment_intents.capture(held.id, {"amount_to_capture": 1500})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded", 1500, 0,
    )  # fmt: skip
    assert event_types(client, before) == ["charge.captured", "payment_intent.succeeded"]
    charge = client.v1.charges.retrieve(held.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.amount_refunded) == (True, 1500, 500)
    assert client.v1.balance_transactions.retrieve(charge.balance_transaction).amount == 1500
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.capture(held.id)
    assert again.value.code == "payment_intent_unexpected_state"


def test_cancelling_releases_an_authorization_and_ends_the_intent(sandbox):
    client = sandbox.client()
    held = intent(client, "pm_card_visa", capture_method="manual")
    before = len(event_types(client))
    canceled = client.v1.payment_intents.cancel(
        held.id, {"cancellation_reason": "requested_by_customer"}
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "requested_by_customer")
    assert event_types(client, before) == ["charge.refunded", "payment_intent.canceled"]
    assert client.v1.charges.retrieve(held.latest_charge).amount_refunded == 2000


def test_a_waiting_intent_cancels_and_a_succeeded_one_refuses(sandbox):
    client = sandbox.client()
    waiting = client.v1.payment_intents.create({"amount": 500, "currency": "usd"})
    assert client.v1.payment_intents.cancel(waiting.id).status == "canceled"
    assert event_types(client) == ["payment_intent.created", "payment_intent.canceled"]
    paid = intent(client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.cancel(paid.id)
    assert refused.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in str(refused.value.user_message)


def test_a_sepa_debit_is_processing_with_a_pending_charge_and_an_active_mandate(sandbox):
    client = sandbox.client()
    method = client.v1.payment_methods.create(
        {"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"},
         "billing_details": {"name": "A. Payer", "email": "payer@sandbox.invalid"}}
    )  # fmt: skip
    paying = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": method.id, "confirm": True,
         "payment_method_types": ["sepa_debit"],
         "mandate_data": {"customer_acceptance": {"type": "offline"}}}
    )  # fmt: skip
    assert paying.status == "processing"
    assert event_types(client) == [
        "payment_intent.created", "charge.pending", "mandate.updated", "payment_intent.processing",
    ]  # fmt: skip
    assert client.v1.charges.retrieve(paying.latest_charge).status == "pending"


def test_a_confirmed_intent_cannot_be_confirmed_again(sandbox):
    client = sandbox.client()
    paid = intent(client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.confirm(paid.id)
    assert refused.value.code == "payment_intent_unexpected_state"
