"""Charges: the attempt to move money that confirming a payment intent makes, as Stripe's
test cards make it.

A card that authorizes makes a ``succeeded`` charge (``charge.succeeded``): captured at once
with its balance transaction (the funds pending, or available for ``bypassPending``), or
only authorized for a manual capture (``captured`` false, no balance transaction until
``charge.captured``). A declining card makes a ``failed`` charge (``charge.failed``) with
its ``failure_code``, ``failure_message`` and ``outcome``. A delayed method (SEPA Debit,
ACH) makes a ``pending`` charge (``charge.pending``). A card that opens disputes opens one
once its charge succeeds (disputes.py). ``POST /v1/charges`` (the older Charges API)
charges a card source the same way, without a payment intent.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import CardError, InvalidRequest
from . import balance, currencies, disputes, test_methods

__all__ = ["BEHAVIOURS", "capture", "method_type", "new_charge", "release"]

# Methods whose charges wait for the bank (docs.stripe.com/payments/payment-methods):
# ``processing``, with a pending charge.
DELAYED_TYPES = frozenset(
    {"sepa_debit", "us_bank_account", "bacs_debit", "au_becs_debit", "acss_debit", "boleto",
     "sofort", "konbini", "oxxo"}
)  # fmt: skip


def new_charge(
    engine: Engine,
    request: Request,
    intent: dict[str, Any],
    method: dict[str, Any],
    *,
    capture_now: bool,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new charge of ``intent`` with ``method`` as its card (or delayed method) makes it:
    failed, pending, authorized or captured; stored with its event (``charge.failed``,
    ``charge.pending``, ``charge.succeeded``). A captured charge's funds reach the balance
    (announced with :func:`balance.settle`'s ``balance.available`` by the caller, after
    the intent's own event, where the card makes them available at once)."""
    card = test_methods.card_of(method)
    resource = spec.resource("charge")
    assert resource is not None  # the spec has charges
    amount = int(intent["amount"])
    charge = engine.new(
        resource,
        {
            "amount": amount,
            "currency": intent["currency"],
            "customer": intent.get("customer"),
            "description": intent.get("description"),
            "metadata": intent.get("metadata") or {},
            "payment_intent": intent["id"],
            "payment_method": method["id"],
        },
        request.caller,
    )
    charge["payment_method_details"] = _details(method)
    if source is not None:  # a charge made with the Charges API names its card whole
        charge["source"] = source
    charge["billing_details"] = method.get("billing_details") or charge["billing_details"]
    kind = method_type(method)
    if kind in DELAYED_TYPES:
        charge.update(status="pending", paid=False, captured=True, amount_captured=amount,
                      outcome=_delayed_outcome())  # fmt: skip
        engine.record(request.caller, charge, "pending", request)
        return charge
    charge["outcome"] = card.outcome()
    if card.declines:
        charge.update(status="failed", paid=False, captured=False, amount_captured=0,
                      failure_code=card.error_code,
                      failure_message=card.decline_message())  # fmt: skip
        engine.record(request.caller, charge, "failed", request)
        return charge
    charge.update(status="succeeded", paid=True, captured=False, amount_captured=0)
    if capture_now:
        _capture_funds(engine, request, charge, amount, card)
    engine.record(request.caller, charge, "succeeded", request)
    return charge


def capture(
    engine: Engine, request: Request, charge: dict[str, Any], amount: int
) -> dict[str, Any]:
    """Capture ``amount`` of an authorized charge (the rest is released, counted as
    refunded, as Stripe does): its funds reach the balance; ``charge.captured``."""
    if charge.get("captured"):
        raise InvalidRequest(
            f"Charge {charge['id']} has already been captured. Refund it to return funds.",
            code="charge_already_captured",
        )
    if amount > int(charge["amount"]) or amount <= 0:
        raise InvalidRequest(
            f"The amount to capture ({amount}) must be positive and at most the charge's "
            f"authorized amount ({charge['amount']}).",
            param="amount_to_capture",
            code="parameter_invalid_integer",
        )
    method = store.find(engine.sandbox.db, request.caller.account, str(charge["payment_method"]))
    _capture_funds(engine, request, charge, amount, test_methods.card_of(method))
    charge["amount_refunded"] = int(charge["amount"]) - amount
    engine.record(request.caller, charge, "captured", request)
    return charge


def release(engine: Engine, request: Request, charge: dict[str, Any]) -> None:
    """An authorized charge whose intent is cancelled: its authorization is released,
    the whole amount counted as refunded (``charge.refunded``)."""
    charge.update(amount_refunded=charge["amount"], refunded=True)
    engine.record(request.caller, charge, "refunded", request)


def _capture_funds(
    engine: Engine,
    request: Request,
    charge: dict[str, Any],
    amount: int,
    card: test_methods.TestingCard,
) -> None:
    transaction = balance.credit(
        engine, request, amount=amount, currency=str(charge["currency"]),
        source=str(charge["id"]), type="charge", fee=balance.card_fee(amount),
        available=card.available_at_once, announce=False,
    )  # fmt: skip
    charge.update(captured=True, amount_captured=amount, balance_transaction=transaction["id"])


# A customer's card spells its brand as the older API did; a charge's details as today's.
_CARD_BRANDS = {"American Express": "amex", "Diners Club": "diners", "MasterCard": "mastercard"}


def _details(method: dict[str, Any]) -> dict[str, Any]:
    """A charge's ``payment_method_details``: the method's type and its details."""
    kind = method_type(method)
    found = method if method.get("object") == "card" else method.get(kind)
    own: dict[str, Any] = found if isinstance(found, dict) else {}
    details: dict[str, Any] = dict(own)
    if kind == "card":
        details = {name: own.get(name) for name in
                   ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding",
                    "last4", "network", "three_d_secure", "wallet")}  # fmt: skip
        brand = str(own.get("brand") or "")
        details["brand"] = details["network"] = _CARD_BRANDS.get(brand, brand.lower())
        details["checks"] = own.get("checks")
    return {"type": kind, kind: details}


def method_type(method: dict[str, Any]) -> str:
    """A payment method's type; a customer's card (a source) is a card."""
    return "card" if method.get("object") == "card" else str(method.get("type"))


def _delayed_outcome() -> dict[str, Any]:
    return {"network_status": "approved_by_network", "reason": None, "risk_level": "not_assessed",
            "seller_message": "Payment complete.", "type": "authorized"}  # fmt: skip


def capture_charge(engine: Engine, request: Request) -> Any:
    """``POST /v1/charges/{charge}/capture``: its intent's capture, when it has one."""
    charge = engine.load(request.caller, request.object_id, ("charge",))
    engine.require(request.caller, "charge", write=True)
    intent = charge.get("payment_intent")
    amount = int(request.params.get("amount") or charge["amount"])
    if isinstance(intent, str) and intent:
        engine.call(request, "POST", f"/v1/payment_intents/{intent}/capture",
                    {"amount_to_capture": amount})  # fmt: skip
        return engine.load(request.caller, str(charge["id"]), ("charge",))
    with engine.sandbox.transaction():
        return capture(engine, request, charge, amount)


def create_charge(engine: Engine, request: Request) -> Any:
    """``POST /v1/charges`` (the Charges API): the card ``source`` names (a test token, a
    customer's card) or the ``customer``'s default source is charged at once, captured
    unless ``capture=false``; a decline is Stripe's 402 once ``charge.failed`` is out."""
    params = request.params
    engine.require(request.caller, "charge", write=True)
    for name in ("amount", "currency"):
        if name not in params:
            raise InvalidRequest(f"Missing required param: {name}.", param=name,
                                 code="parameter_missing")  # fmt: skip
    currencies.check_amount(params["amount"], params["currency"])
    with engine.sandbox.transaction():
        card = _card_charged(engine, request, params)
        paying = {"id": None, "amount": params["amount"], "currency": params["currency"],
                  "customer": params.get("customer"), "description": params.get("description"),
                  "metadata": params.get("metadata") or {}}  # fmt: skip
        capture_now = params.get("capture") is not False
        charge = new_charge(engine, request, paying, card, capture_now=capture_now, source=card)
        testing = test_methods.card_of(card)
        if charge["status"] == "succeeded" and testing.available_at_once and charge["captured"]:
            balance.announce(engine, request)
        if charge["status"] == "succeeded" and testing.dispute:
            disputes.open_dispute(engine, request, charge, testing.dispute)
    if charge["status"] == "failed":
        raise CardError(testing.decline_message(), code=testing.error_code,
                        decline_code=testing.decline_code, charge=str(charge["id"]))  # fmt: skip
    return charge


def _card_charged(engine: Engine, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    given = params.get("source")
    if isinstance(given, str) and test_methods.is_test_name(given):
        card = test_methods.card_for_source(engine, request, given)
        engine.record(request.caller, card, "created", request)  # a token's card: no event
        return card
    customer = params.get("customer")
    if not given and isinstance(customer, str):
        given = engine.load(request.caller, customer, ("customer",)).get("default_source")
    if not isinstance(given, str) or not given:
        raise InvalidRequest(
            "Must provide source or customer: a test token (such as tok_visa), a card of the "
            "customer's, or a customer that has a default source."
        )
    return engine.load(request.caller, given, ("card", "source"))


BEHAVIOURS: dict[str, Behaviour] = {
    "PostCharges": create_charge,
    "PostChargesChargeCapture": capture_charge,
}
