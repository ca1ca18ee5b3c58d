"""A payment intent's amount and currency are refused as Stripe refuses them."""

from __future__ import annotations

import pytest
import stripe

from appevents.sandbox.behaviours import currencies

REFUSALS = [
    # (amount, currency, param, code)
    (0, "usd", "amount", "parameter_invalid_integer"),
    (49, "usd", "amount", "amount_too_small"),
    (29, "gbp", "amount", "amount_too_small"),
    (49, "jpy", "amount", "amount_too_small"),
    (500, "usdx", "currency", None),
]

TAKEN = [(50, "usd"), (30, "gbp"), (50, "jpy"), (1000, "eur")]


@pytest.mark.parametrize(("amount", "currency", "param", "code"), REFUSALS)
def test_an_amount_stripe_cannot_charge_is_refused(sandbox, amount, currency, param, code):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sandbox.client().v1.payment_intents.create({"amount": amount, "currency": currency})
    assert (refused.value.param, refused.value.code) == (param, code)


@pytest.mark.parametrize(("amount", "currency"), TAKEN)
def test_the_minimum_charge_is_taken(sandbox, amount, currency):
    made = sandbox.client().v1.payment_intents.create({"amount": amount, "currency": currency})
    assert (made.amount, made.currency) == (amount, currency)


def test_every_minimum_is_in_a_supported_currency():
    assert all(currencies.minimum(each) >= 1 for each in currencies.SUPPORTED)
    assert currencies.ZERO_DECIMAL <= currencies.SUPPORTED
