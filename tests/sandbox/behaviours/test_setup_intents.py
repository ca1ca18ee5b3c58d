"""Setup intents save a payment method as Stripe's test cards let them: attached to the
customer and succeeded, declined with a 402, waiting for 3-D Secure, or cancelled."""

from __future__ import annotations

import pytest
import stripe

from payments_world import event_types


def setup(client: stripe.StripeClient, method: str, **params: object) -> object:
    return client.v1.setup_intents.create(
        {"confirm": True, "payment_method": method, "payment_method_types": ["card"], **params}
    )


SETUPS = [
    # (test method, with a customer, status, events in order)
    ("pm_card_visa", False, "succeeded", ["setup_intent.created", "setup_intent.succeeded"]),
    ("pm_card_visa", True, "succeeded",
     ["customer.created", "setup_intent.created", "payment_method.attached",
      "setup_intent.succeeded"]),
    ("pm_card_chargeCustomerFail", True, "succeeded",
     ["customer.created", "setup_intent.created", "payment_method.attached",
      "setup_intent.succeeded"]),
    ("pm_card_authenticationRequired", False, "requires_action",
     ["setup_intent.created", "setup_intent.requires_action"]),
    ("pm_card_authenticationRequiredOnSetup", False, "requires_action",
     ["setup_intent.created", "setup_intent.requires_action"]),
]  # fmt: skip


@pytest.mark.parametrize(("method", "with_customer", "status", "types"), SETUPS)
def test_a_setup_goes_where_its_test_card_takes_it(sandbox, method, with_customer, status, types):
    client = sandbox.client()
    extra = {"customer": client.v1.customers.create().id} if with_customer else {}
    intent = setup(client, method, **extra)
    assert intent.status == status
    assert event_types(client) == types
    saved = client.v1.payment_methods.retrieve(intent.payment_method)
    assert saved.customer == extra.get("customer")


def test_a_declining_card_fails_the_setup_with_a_card_error(sandbox):
    client = sandbox.client()
    with pytest.raises(stripe.CardError) as declined:
        setup(client, "pm_card_chargeDeclined")
    error = declined.value
    assert (error.http_status, error.code, error.error.decline_code) == (
        402, "card_declined", "generic_decline",
    )  # fmt: skip
    assert event_types(client) == ["setup_intent.created", "setup_intent.setup_failed"]
    left = client.v1.setup_intents.retrieve(error.error.setup_intent.id)
    assert (left.status, left.last_setup_error.code) == ("requires_payment_method", "card_declined")


def test_a_setup_intent_cancels_until_it_succeeds(sandbox):
    client = sandbox.client()
    waiting = client.v1.setup_intents.create({"payment_method_types": ["card"]})
    canceled = client.v1.setup_intents.cancel(
        waiting.id, {"cancellation_reason": "requested_by_customer"}
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "requested_by_customer")
    assert event_types(client) == ["setup_intent.created", "setup_intent.canceled"]
    done = setup(client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.setup_intents.cancel(done.id)
    assert refused.value.code == "setup_intent_unexpected_state"
