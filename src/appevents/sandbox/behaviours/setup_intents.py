"""Setup intents: saving a payment method for later payments, as Stripe's test cards let it.

Confirming (``confirm=true`` on create, or ``/confirm``) sets the method up:

- a card that authorizes: ``succeeded``; with a ``customer`` the method is attached to it
  first (``payment_method.attached``, then ``setup_intent.succeeded``);
- a declining card (``chargeDeclined``; ``chargeCustomerFail`` sets up and declines its
  payments later): back to ``requires_payment_method`` with ``last_setup_error``
  (``setup_intent.setup_failed``) and Stripe's 402 card_error once that event is out;
- a 3-D Secure card: ``requires_action`` with ``next_action``
  (``setup_intent.requires_action``).

``/cancel`` ends one that has not succeeded (``setup_intent.canceled``).
"""

from __future__ import annotations

from typing import Any

from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import CardError, InvalidRequest
from . import payment_methods, payments, test_methods

__all__ = ["BEHAVIOURS"]

_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_CANCELABLE = _CONFIRMABLE


def create_setup_intent(engine: Engine, request: Request) -> Any:
    params = request.params
    engine.require(request.caller, "setup_intent", write=True)
    intent = payments.new_intent(engine, request, "setup_intent")
    if params.get("confirm") is True:
        return _confirm_answering(engine, request, intent, params)
    return intent


def confirm_setup_intent(engine: Engine, request: Request) -> Any:
    intent = engine.load(request.caller, request.object_id, ("setup_intent",))
    engine.require(request.caller, "setup_intent", write=True)
    return _confirm_answering(engine, request, intent, request.params)


def cancel_setup_intent(engine: Engine, request: Request) -> Any:
    intent = engine.load(request.caller, request.object_id, ("setup_intent",))
    engine.require(request.caller, "setup_intent", write=True)
    if intent.get("status") not in _CANCELABLE:
        raise InvalidRequest(
            f"You cannot cancel this SetupIntent because it has a status of {intent['status']}."
            f" Only a SetupIntent with one of the following statuses may be canceled: "
            f"{', '.join(_CANCELABLE)}.",
            code="setup_intent_unexpected_state",
        )
    intent.update(status="canceled", next_action=None,
                  cancellation_reason=request.params.get("cancellation_reason"))  # fmt: skip
    with engine.sandbox.transaction():
        engine.record(request.caller, intent, "canceled", request)
    return intent


def _confirm_answering(
    engine: Engine, request: Request, intent: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """Confirm, and answer a decline with Stripe's 402 once its event is committed."""
    with engine.sandbox.transaction():
        declined = _confirm(engine, request, intent, params)
    if declined is not None:
        raise declined
    return intent


def _confirm(
    engine: Engine, request: Request, intent: dict[str, Any], params: dict[str, Any]
) -> CardError | None:
    if intent.get("status") not in _CONFIRMABLE:
        raise InvalidRequest(
            f"This SetupIntent's status is {intent['status']}, so it cannot be confirmed. "
            "Create a new SetupIntent instead.",
            code="setup_intent_unexpected_state",
        )
    caller = request.caller
    given = params.get("payment_method") or intent.get("payment_method")
    if not given:
        raise InvalidRequest(
            "You cannot confirm this SetupIntent because it's missing a payment method. "
            "Pass a payment_method (such as pm_card_visa).",
            code="setup_intent_unexpected_state",
        )
    method_id = test_methods.payment_method_for(engine, request, str(given))
    method = engine.load(caller, method_id, ("payment_method",))
    intent["payment_method"] = method_id
    card = test_methods.card_of(method)
    if method.get("type") == "card" and card.declines_on_attach:
        error = payment_methods.decline_error(card, param=None, objects={})
        shown = {k: v for k, v in error.to_dict()["error"].items() if k != "setup_intent"}
        intent.update(status="requires_payment_method", payment_method=None,
                      last_setup_error={**shown, "payment_method": method})  # fmt: skip
        engine.record(caller, intent, "setup_failed", request)
        error.objects = {"setup_intent": intent}
        return error
    if method.get("type") == "card" and card.authentication in ("always", "setup"):
        intent.update(status="requires_action",
                      next_action=payments.three_d_secure_action(request, intent))  # fmt: skip
        engine.record(caller, intent, "requires_action", request)
        return None
    customer = intent.get("customer")
    if isinstance(customer, str) and customer and method.get("customer") != customer:
        payment_methods.attach(engine, request, method_id, customer)
    intent.update(status="succeeded", next_action=None, last_setup_error=None)
    engine.record(caller, intent, "succeeded", request)
    return None


BEHAVIOURS: dict[str, Behaviour] = {
    "PostSetupIntents": create_setup_intent,
    "PostSetupIntentsIntentConfirm": confirm_setup_intent,
    "PostSetupIntentsIntentCancel": cancel_setup_intent,
}
