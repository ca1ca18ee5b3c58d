"""Stripe's test payment methods: the names (``pm_card_visa``, ``tok_chargeDeclined``) that
stand for its testing cards wherever a parameter names a payment method or a source, and
what each card does when it is used.

At Stripe, naming one of them (in ``/v1/payment_methods/pm_card_visa/attach``, an intent's
``payment_method``, a customer's ``invoice_settings[default_payment_method]``, a
``source=tok_visa``...) makes a NEW object with the card's brand, last4, expiry, funding
and country: a ``pm_...`` payment method, or a ``card_...`` for a source; that new id is
what is stored and answered. The card then behaves as Stripe's testing page says: it
declines with its decline code, asks for 3-D Secure, opens a dispute once charged, or
makes its funds available at once (``bypassPending``). A stored object is recognised as
one of these cards by its brand and last4, which every testing card has its own of.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from ..rest import spec, store
from ..rest.engine import Engine, Request
from ..stripe_errors import ResourceMissing

__all__ = [
    "TestingCard",
    "card_for_source",
    "card_numbered",
    "card_of",
    "is_test_name",
    "new_card_method",
    "payment_method_for",
    "testing_card",
]


@dataclass(frozen=True, slots=True)
class TestingCard:
    """One of Stripe's testing cards, and what it does when used."""

    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    decline_code: str | None = None
    """The charge is declined with this ``decline_code`` (code ``card_declined``)."""
    error_code: str = "card_declined"
    """The error's ``code`` for a decline (``expired_card``, ``incorrect_cvc``...)."""
    declines_on_attach: bool = False
    """Attaching (or setting it up) is declined too; ``chargeCustomerFail`` attaches."""
    authentication: str | None = None
    """``always``: every payment asks for 3-D Secure; ``setup``: only a setup does (and
    payments off session after it succeed)."""
    dispute: str | None = None
    """The reason of the dispute a charge opens (``inquiry`` opens an inquiry)."""
    available_at_once: bool = False
    """Funds skip the pending balance (``bypassPending``)."""
    risk_level: str = "normal"
    __test__ = False  # not a pytest test class, despite its name

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def declines(self) -> bool:
        return self.decline_code is not None

    def decline_message(self) -> str:
        """What Stripe's card_error says to the customer for this card's decline."""
        return _MESSAGES.get(str(self.decline_code), "Your card was declined.")

    def outcome(self) -> dict[str, Any]:
        """A charge's ``outcome`` with this card: authorized, declined by the bank, or
        blocked by Radar (``chargeDeclinedFraudulent``)."""
        if self.decline_code == "fraudulent":
            return {"network_status": "not_sent_to_network", "reason": "highest_risk_level",
                    "risk_level": "highest", "risk_score": 95, "type": "blocked",
                    "seller_message": "Stripe blocked this payment as too risky."}  # fmt: skip
        if self.declines:
            told = (
                "The bank did not return any further details with this decline."
                if self.decline_code == "generic_decline"
                else f"The bank returned the decline code `{self.decline_code}`."
            )
            return {"network_status": "declined_by_network", "reason": self.decline_code,
                    "risk_level": self.risk_level, "risk_score": _RISK[self.risk_level],
                    "seller_message": told, "type": "issuer_declined"}  # fmt: skip
        return {"network_status": "approved_by_network", "reason": None,
                "risk_level": self.risk_level, "risk_score": _RISK[self.risk_level],
                "seller_message": "Payment complete.", "type": "authorized"}  # fmt: skip


# Stripe's texts for each decline (docs.stripe.com/declines/codes).
_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}
_RISK = {"normal": 32, "elevated": 67, "highest": 95}

_VISA = "4242424242424242"
# Stripe's testing page (docs.stripe.com/testing): name -> card. ``pm_card_<name>`` and
# ``tok_<name>`` both stand for it; ``pm_card_visa_<name>`` is the same card as Visa.
CARDS: dict[str, TestingCard] = {
    "visa": TestingCard(_VISA, "visa"),
    "visa_debit": TestingCard("4000056655665556", "visa", funding="debit"),
    "mastercard": TestingCard("5555555555554444", "mastercard"),
    "mastercard_debit": TestingCard("5200828282828210", "mastercard", funding="debit"),
    "mastercard_prepaid": TestingCard("5105105105105100", "mastercard", funding="prepaid"),
    "amex": TestingCard("378282246310005", "amex"),
    "discover": TestingCard("6011111111111117", "discover"),
    "diners": TestingCard("3056930009020004", "diners"),
    "jcb": TestingCard("3566002020360505", "jcb", country="JP"),
    "unionpay": TestingCard("6200000000000005", "unionpay", country="CN"),
    "gb": TestingCard("4000008260000000", "visa", country="GB"),
    "de": TestingCard("4000002760000016", "visa", country="DE"),
    "fr": TestingCard("4000002500000003", "visa", country="FR"),
    "bypassPending": TestingCard("4000000000000077", "visa", available_at_once=True),
    "chargeDeclined": TestingCard(
        "4000000000000002", "visa", decline_code="generic_decline", declines_on_attach=True
    ),
    "chargeDeclinedInsufficientFunds": TestingCard(
        "4000000000009995", "visa", decline_code="insufficient_funds", declines_on_attach=True
    ),
    "chargeDeclinedLostCard": TestingCard(
        "4000000000009987", "visa", decline_code="lost_card", declines_on_attach=True
    ),
    "chargeDeclinedStolenCard": TestingCard(
        "4000000000009979", "visa", decline_code="stolen_card", declines_on_attach=True
    ),
    "chargeDeclinedFraudulent": TestingCard(
        "4100000000000019", "visa", decline_code="fraudulent", risk_level="highest"
    ),
    "chargeDeclinedExpiredCard": TestingCard(
        "4000000000000069",
        "visa",
        error_code="expired_card",
        decline_code="expired_card",
        declines_on_attach=True,
    ),
    "chargeDeclinedIncorrectCvc": TestingCard(
        "4000000000000127",
        "visa",
        error_code="incorrect_cvc",
        decline_code="incorrect_cvc",
        declines_on_attach=True,
    ),
    "chargeDeclinedProcessingError": TestingCard(
        "4000000000000119",
        "visa",
        error_code="processing_error",
        decline_code="processing_error",
        declines_on_attach=True,
    ),
    "chargeCustomerFail": TestingCard("4000000000000341", "visa", decline_code="generic_decline"),
    "riskLevelElevated": TestingCard("4000000000009235", "visa", risk_level="elevated"),
    "threeDSecure2Required": TestingCard("4000000000003220", "visa", authentication="always"),
    "threeDSecureRequired": TestingCard("4000000000003063", "visa", authentication="always"),
    "authenticationRequired": TestingCard("4000002760003184", "visa", authentication="always"),
    "authenticationRequiredOnSetup": TestingCard(
        "4000002500003155", "visa", authentication="setup"
    ),
    "createDispute": TestingCard("4000000000000259", "visa", dispute="fraudulent"),
    "createDisputeInquiry": TestingCard("4000000000001976", "visa", dispute="inquiry"),
    "createDisputeProductNotReceived": TestingCard(
        "4000000000002685", "visa", dispute="product_not_received"
    ),
}
_BY_CARD = {(card.brand, card.last4): card for card in CARDS.values()}
_BY_NUMBER = {card.number: card for card in CARDS.values()}
_PREFIXES = ("pm_card_", "tok_", "src_card_")


def is_test_name(given: object) -> bool:
    """Whether ``given`` is the name of one of Stripe's test methods, not a stored id."""
    return isinstance(given, str) and given.startswith(_PREFIXES) and _named(given) is not None


def testing_card(given: str) -> TestingCard:
    """The testing card a name stands for (``pm_card_visa_chargeDeclined`` -> 0002), or
    Stripe's 404 for a name it has none of."""
    card = _named(given)
    if card is None:
        kind = "token" if given.startswith("tok_") else "payment_method"
        raise ResourceMissing(kind, given)
    return card


def card_numbered(number: object) -> TestingCard | None:
    """The testing card with this number (``card[number]=4000000000000002``), if any."""
    return _BY_NUMBER.get(str(number).replace(" ", ""))


def card_of(body: dict[str, Any] | None) -> TestingCard:
    """The testing card behind a stored payment method, card or source (by brand and last4);
    any other card behaves as Visa 4242 does: it succeeds."""
    details = (body or {}).get("card") if (body or {}).get("object") != "card" else body
    if not isinstance(details, dict):
        return CARDS["visa"]
    brand = str(details.get("brand"))
    brand = next((k for k, v in _SOURCE_BRANDS.items() if v == brand), brand)  # a card's
    return _BY_CARD.get((brand, str(details.get("last4"))), CARDS["visa"])


def payment_method_for(
    engine: Engine, request: Request, given: str, *, customer: str | None = None
) -> str:
    """The id of the payment method ``given`` names: itself when stored; for one of Stripe's
    test names (``pm_card_visa``, ``tok_visa``), a new card payment method made from it
    (stored, with ``customer`` when given), as Stripe makes one each time the name is used."""
    if not is_test_name(given) and _stored(engine, request, given) is not None:
        return given
    method = new_card_method(engine, request, testing_card(given), customer=customer)
    return str(method["id"])


def new_card_method(
    engine: Engine,
    request: Request,
    card: TestingCard,
    params: dict[str, Any] | None = None,
    *,
    customer: str | None = None,
) -> dict[str, Any]:
    """A new card payment method of a testing card, with ``params`` (billing details,
    metadata) applied; stored (Stripe has no event for a new payment method)."""
    resource = spec.resource("payment_method")
    assert resource is not None  # the spec has payment methods
    given = {k: v for k, v in (params or {}).items() if k not in ("card", "token")}
    method = engine.new(resource, {**given, "type": "card"}, request.caller)
    method.update(card=_card_details(engine, request, card, method.get("card")),
                  customer=customer)  # fmt: skip
    engine.record(request.caller, method, "created", request)
    return method


def card_for_source(engine: Engine, request: Request, given: str) -> dict[str, Any]:
    """A new ``card`` object (``card_...``) for a token a customer's source names
    (``tok_visa``), not yet stored: the create that adds it to its customer stores it."""
    card = testing_card(given)
    resource = spec.resource("card")
    assert resource is not None  # the spec has cards
    body = engine.new(resource, {}, request.caller)
    details = _card_details(engine, request, card, None)
    for name in ("brand", "last4", "exp_month", "exp_year", "funding", "country", "fingerprint"):
        body[name] = details[name]
    body["brand"] = _SOURCE_BRANDS.get(card.brand, card.brand)
    body["cvc_check"] = "pass"
    return body


# A card object spells its brand as Stripe's older API did.
_SOURCE_BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}


def _named(given: str) -> TestingCard | None:
    name = given
    for prefix in _PREFIXES:
        name = name.removeprefix(prefix)
    if name in CARDS:
        return CARDS[name]
    if name.startswith("visa_") and name.removeprefix("visa_") in CARDS:
        return CARDS[name.removeprefix("visa_")]
    return None


def _stored(engine: Engine, request: Request, given: str) -> dict[str, Any] | None:
    return store.find(engine.sandbox.db, request.caller.account, given)


def _card_details(
    engine: Engine, request: Request, card: TestingCard, built: Any
) -> dict[str, Any]:
    """A payment method's ``card``: the testing card's, expiring a year from now (Stripe's
    test methods expire in the future), with a fingerprint that is the same for the same
    number on one account, as Stripe's."""
    today = datetime.datetime.fromtimestamp(engine.sandbox.now(), tz=datetime.UTC)
    digest = hashlib.sha256(f"{request.caller.account}:{card.number}".encode()).hexdigest()
    details: dict[str, Any] = dict(built) if isinstance(built, dict) else {}
    details.update(
        brand=card.brand,
        display_brand=card.brand.replace("amex", "american_express"),
        country=card.country,
        exp_month=today.month,
        exp_year=today.year + 1,
        fingerprint=digest[:16],
        funding=card.funding,
        last4=card.last4,
        checks={"address_line1_check": None, "address_postal_code_check": None,
                "cvc_check": "pass"},
        networks={"available": [card.brand], "preferred": None},
        three_d_secure_usage={"supported": True},
        wallet=None,
        generated_from=None,
    )  # fmt: skip
    return details
