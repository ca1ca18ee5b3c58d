"""Stripe's test payment methods: each name stands for its testing card, and a stored
card is known again by its brand and last4."""

from __future__ import annotations

import pytest

from appevents.sandbox.behaviours import test_methods

NAMES = [
    # (name, brand, last4, what it does)
    ("pm_card_visa", "visa", "4242", {}),
    ("tok_visa", "visa", "4242", {}),
    ("pm_card_amex", "amex", "0005", {}),
    ("pm_card_visa_debit", "visa", "5556", {"funding": "debit"}),
    ("pm_card_chargeDeclined", "visa", "0002",
     {"decline_code": "generic_decline", "declines_on_attach": True}),
    ("pm_card_visa_chargeDeclined", "visa", "0002", {"decline_code": "generic_decline"}),
    ("tok_chargeCustomerFail", "visa", "0341",
     {"decline_code": "generic_decline", "declines_on_attach": False}),
    ("pm_card_threeDSecure2Required", "visa", "3220", {"authentication": "always"}),
    ("pm_card_authenticationRequiredOnSetup", "visa", "3155", {"authentication": "setup"}),
    ("pm_card_bypassPending", "visa", "0077", {"available_at_once": True}),
    ("pm_card_createDispute", "visa", "0259", {"dispute": "fraudulent"}),
    ("pm_card_createDisputeInquiry", "visa", "1976", {"dispute": "inquiry"}),
    ("pm_card_chargeDeclinedFraudulent", "visa", "0019", {"risk_level": "highest"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "brand", "last4", "does"), NAMES)
def test_a_name_stands_for_its_testing_card(name, brand, last4, does):
    assert test_methods.is_test_name(name)
    card = test_methods.testing_card(name)
    assert (card.brand, card.last4) == (brand, last4)
    assert {key: getattr(card, key) for key in does} == does
    stored = {"object": "payment_method", "card": {"brand": brand, "last4": last4}}
    assert test_methods.card_of(stored) == card


@pytest.mark.parametrize("given", ["pm_1234567890abcd", "pm_card_nonesuch", "tok_", "card_1"])
def test_other_ids_are_not_test_names(given):
    assert not test_methods.is_test_name(given)


def test_a_customer_card_is_known_by_its_older_brand_spelling():
    declining = {"object": "card", "brand": "Visa", "last4": "0002"}
    assert test_methods.card_of(declining) == test_methods.CARDS["chargeDeclined"]


def test_an_unknown_stored_card_behaves_as_one_that_succeeds():
    stranger = {"object": "card", "brand": "Visa", "last4": "1881"}
    assert not test_methods.card_of(stranger).declines
    assert test_methods.card_of(None).outcome()["type"] == "authorized"


def test_every_decline_has_stripes_outcome_and_message():
    for card in test_methods.CARDS.values():
        outcome = card.outcome()
        if card.declines:
            assert outcome["type"] in ("issuer_declined", "blocked")
            assert card.decline_message().startswith(("Your card", "An error"))
        else:
            assert outcome["type"] == "authorized"
