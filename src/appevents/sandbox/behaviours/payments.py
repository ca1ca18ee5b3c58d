"""Payments: payment intents and setup intents, confirmed as Stripe's test cards confirm.

Confirming a payment intent (``confirm=true`` on create, or ``/confirm``) charges it: a
``charge.succeeded`` and a ``payment_intent.succeeded``, in that order, with the charge
and the intent naming each other. Confirming a setup intent emits
``setup_intent.succeeded``. A new intent waits for its payment method, or for its
confirmation once it has one, and has its own client secret.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import test_methods

__all__ = ["BEHAVIOURS", "pay"]

# Stripe's outcome for its 4242 test card (docs: testing).
_AUTHORIZED = {
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "risk_score": 32,
    "seller_message": "Payment complete.",
    "type": "authorized",
}


def create_intent(engine: Engine, request: Request) -> Any:
    params = request.params
    waiting = "requires_confirmation" if params.get("payment_method") else "requires_payment_method"
    resource = spec.resource(request.op.answers[0])
    assert resource is not None  # the spec has both intents
    engine.require(request.caller, resource.name, write=True)
    intent = engine.new(resource, {**params, "status": waiting}, request.caller)
    with engine.sandbox.transaction():
        engine.record(request.caller, intent, "created", request)
        if params.get("confirm") is True:
            return _confirm(engine, request, intent, params)
    return intent


def pay(
    engine: Engine,
    request: Request,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    payment_method: str | None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    invoice: str | None = None,
    off_session: bool = True,
) -> dict[str, Any]:
    """Create and confirm a payment intent for another behaviour (an invoice's payment),
    emitting its events, and return it. ``invoice`` and ``off_session`` are recorded for
    the intent's confirmation; a decline is never raised: the caller reads the status."""
    resource = spec.resource("payment_intent")
    assert resource is not None  # the spec has payment intents
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "description": description,
        "metadata": metadata or {},
        "payment_method": payment_method,
        "status": "requires_confirmation" if payment_method else "requires_payment_method",
    }
    intent = engine.new(resource, params, request.caller)
    if invoice is not None:
        intent["invoice"] = invoice
    with engine.sandbox.transaction():
        engine.record(request.caller, intent, "created", request)
        return _confirm(engine, request, intent, {"off_session": off_session})


def confirm_intent(engine: Engine, request: Request) -> Any:
    name = request.op.answers[0]
    intent = engine.load(request.caller, request.object_id, (name,))
    engine.require(request.caller, name, write=True)
    return _confirm(engine, request, intent, request.params)


def _confirm(
    engine: Engine, request: Request, intent: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    kind = str(intent["object"])
    if intent.get("status") in ("succeeded", "canceled"):
        raise InvalidRequest(
            f"This {kind.replace('_', ' ')} has a status of {intent['status']} and cannot be "
            "confirmed: create a new one",
            code=f"{kind}_unexpected_state",
        )
    caller = request.caller
    with engine.sandbox.transaction():
        method = _payment_method(
            engine, request, params.get("payment_method") or intent.get("payment_method"),
            intent.get("customer"),
        )  # fmt: skip
        if kind == "setup_intent":
            intent.update(status="succeeded", payment_method=method)
            engine.record(caller, intent, "succeeded", request)
            return intent
        charge_resource = spec.resource("charge")
        assert charge_resource is not None  # the spec has charges
        charge = engine.new(
            charge_resource,
            {
                "amount": intent["amount"],
                "currency": intent["currency"],
                "customer": intent.get("customer"),
                "description": intent.get("description"),
                "metadata": intent.get("metadata") or {},
                "payment_intent": intent["id"],
                "payment_method": method,
            },
            caller,
        )
        charge.update(
            amount_captured=intent["amount"],
            captured=True,
            outcome=dict(_AUTHORIZED),
            paid=True,
            status="succeeded",
        )
        intent.update(
            amount_received=intent["amount"],
            latest_charge=charge["id"],
            payment_method=method,
            status="succeeded",
        )
        engine.record(caller, charge, "succeeded", request)
        engine.record(caller, intent, "succeeded", request)
    return intent


def _payment_method(
    engine: Engine, request: Request, given: str | None, customer: str | None
) -> str:
    """The id of the payment method a confirmation uses: a stored one as given; for one of
    Stripe's test methods (``pm_card_visa``) or none, a new card payment method, as Stripe
    makes one from the test name."""
    return test_methods.payment_method_for(engine, request, given or "pm_card_visa")


BEHAVIOURS: dict[str, Behaviour] = {
    "PostPaymentIntents": create_intent,
    "PostPaymentIntentsIntentConfirm": confirm_intent,
    "PostSetupIntents": create_intent,
    "PostSetupIntentsIntentConfirm": confirm_intent,
}
