"""Payment intents: created, confirmed, captured and cancelled as Stripe's test methods make
them go (setup intents are setup_intents.py's).

Confirming (``confirm=true`` on create, or ``/confirm``) charges the intent's method
(charges.py), in Stripe's order of events:

- a card that authorizes: ``charge.succeeded`` then ``payment_intent.succeeded``; with
  ``capture_method=manual`` the charge is only authorized, the intent ``requires_capture``
  with ``amount_capturable`` (``payment_intent.amount_capturable_updated``) until
  ``/capture`` (``charge.captured``, ``payment_intent.succeeded``);
- a declining card: ``charge.failed`` then ``payment_intent.payment_failed``, the intent
  back to ``requires_payment_method`` with ``last_payment_error``, and Stripe's 402
  card_error answered once those events are out;
- a 3-D Secure card: ``requires_action`` with ``next_action``
  (``payment_intent.requires_action``), no charge yet;
- a delayed method (SEPA Debit, ACH): ``processing`` with a pending charge
  (``charge.pending``, ``payment_intent.processing``), its mandate active;
- the customer's cash balance (``customer_balance``): ``requires_action`` with bank
  transfer instructions, funded by cash_balance.py.

``/cancel`` ends an intent that has not succeeded (``payment_intent.canceled``), releasing
an authorized charge. :func:`pay` is the whole of it for other behaviours (an invoice's
payment).
"""

from __future__ import annotations

from typing import Any

from ..rest import spec
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import CardError, InvalidRequest
from . import balance, charges, currencies, disputes, mandates, payment_methods, test_methods

__all__ = ["BEHAVIOURS", "new_intent", "pay"]

_CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
               "requires_action", "processing")  # fmt: skip


def create_intent(engine: Engine, request: Request) -> Any:
    params = request.params
    engine.require(request.caller, "payment_intent", write=True)
    currencies.check_amount(params.get("amount"), params.get("currency"))
    intent = new_intent(engine, request, "payment_intent")
    if params.get("confirm") is True:
        return _confirm_answering(engine, request, intent, params)
    return intent


def new_intent(engine: Engine, request: Request, name: str) -> dict[str, Any]:
    """A payment or setup intent (``name``) made from the request's parameters and emitted:
    waiting for its payment method, or for its confirmation once it names one (a test name
    such as ``pm_card_visa`` becomes a new method)."""
    params = request.params
    waiting = "requires_confirmation" if params.get("payment_method") else "requires_payment_method"
    resource = spec.resource(name)
    assert resource is not None  # the spec has both intents
    intent = engine.new(resource, {**params, "status": waiting}, request.caller)
    with engine.sandbox.transaction():
        if isinstance(params.get("payment_method"), str):
            intent["payment_method"] = test_methods.payment_method_for(
                engine, request, params["payment_method"]
            )
        engine.record(request.caller, intent, "created", request)
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
    the intent's confirmation; a decline is never raised: the caller reads the status
    (``succeeded``, ``requires_payment_method`` with ``last_payment_error``, or
    ``requires_action`` for a 3-D Secure card, as an invoice's payment is)."""
    resource = spec.resource("payment_intent")
    assert resource is not None  # the spec has payment intents
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "description": description,
        "metadata": metadata or {},
        "status": "requires_confirmation" if payment_method else "requires_payment_method",
    }
    intent = engine.new(resource, params, request.caller)
    if invoice is not None:
        intent["invoice"] = invoice
    with engine.sandbox.transaction():
        if payment_method:
            intent["payment_method"] = test_methods.payment_method_for(
                engine, request, payment_method
            )
        engine.record(request.caller, intent, "created", request)
        intent, _ = _confirm(engine, request, intent, {}, invoiced=True)
    return intent


def confirm_intent(engine: Engine, request: Request) -> Any:
    intent = engine.load(request.caller, request.object_id, ("payment_intent",))
    engine.require(request.caller, "payment_intent", write=True)
    return _confirm_answering(engine, request, intent, request.params)


def _confirm_answering(
    engine: Engine, request: Request, intent: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """Confirm, and answer a decline with Stripe's 402 once its events are committed."""
    with engine.sandbox.transaction():
        intent, declined = _confirm(engine, request, intent, params, invoiced=False)
    if declined is not None:
        raise declined
    return intent


def _confirm(
    engine: Engine,
    request: Request,
    intent: dict[str, Any],
    params: dict[str, Any],
    *,
    invoiced: bool,
) -> tuple[dict[str, Any], CardError | None]:
    """Confirm ``intent``: its events, and the card error a decline answers (not raised)."""
    if intent.get("status") not in ("requires_payment_method", "requires_confirmation",
                                    "requires_action"):  # fmt: skip
        raise InvalidRequest(
            f"This PaymentIntent's status is {intent['status']}, so it cannot be confirmed. "
            "Only one that requires a payment method, a confirmation or an action can be; "
            "create a new PaymentIntent instead.",
            code="payment_intent_unexpected_state",
        )
    caller = request.caller
    method = _method_for(engine, request, intent, params)
    intent["payment_method"] = method["id"]
    if method.get("type") == "customer_balance":
        return _await_bank_transfer(engine, request, intent), None
    card = test_methods.card_of(method)
    # An invoice's intent is confirmed off session but waits for 3-D Secure, as Stripe's
    # invoices do (invoice.payment_action_required), rather than being declined.
    invoiced = invoiced or bool(intent.get("invoice"))
    off_session = bool(params.get("off_session")) or invoiced
    wants_action = card.authentication == "always" or (
        card.authentication == "setup" and not off_session
    )
    if charges.method_type(method) == "card" and wants_action:
        if params.get("off_session") and not invoiced:
            return _declined(engine, request, intent, method, "authentication_required")
        return _require_action(engine, request, intent), None
    manual = (params.get("capture_method") or intent.get("capture_method")) == "manual"
    charge = charges.new_charge(engine, request, intent, method, capture_now=not manual)
    intent["latest_charge"] = charge["id"]
    if charge["status"] == "failed":
        return _failed(engine, request, intent, charge, method, card)
    if charge["status"] == "pending":
        intent.update(status="processing", next_action=None)
        if params.get("mandate_data") or method.get("type") == "sepa_debit":
            mandates.activate(engine, request, method, params.get("mandate_data"))
        engine.record(caller, intent, "processing", request)
        return intent, None
    if manual:
        intent.update(status="requires_capture", amount_capturable=intent["amount"],
                      next_action=None)  # fmt: skip
        engine.record(caller, intent, "amount_capturable_updated", request)
        return intent, None
    intent.update(status="succeeded", amount_received=intent["amount"], next_action=None,
                  last_payment_error=None)  # fmt: skip
    engine.record(caller, intent, "succeeded", request)
    if card.available_at_once:
        balance.announce(engine, request)
    if card.dispute:
        disputes.open_dispute(engine, request, charge, card.dispute)
    return intent, None


def _failed(
    engine: Engine,
    request: Request,
    intent: dict[str, Any],
    charge: dict[str, Any],
    method: dict[str, Any],
    card: test_methods.TestingCard,
) -> tuple[dict[str, Any], CardError | None]:
    """The intent a declined charge leaves: waiting for another method, with the error."""
    error = payment_methods.decline_error(card, param=None, objects={}, charge=str(charge["id"]))
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error={**_error_fields(error), "payment_method": method},
    )
    engine.record(request.caller, intent, "payment_failed", request)
    error.objects = {"payment_intent": intent}
    return intent, error


def _declined(
    engine: Engine, request: Request, intent: dict[str, Any], method: dict[str, Any], code: str
) -> tuple[dict[str, Any], CardError | None]:
    """An off-session payment the card wants authenticated for: refused, no charge."""
    error = CardError(
        "Your card was declined. This transaction requires authentication: confirm the "
        "PaymentIntent on session (without off_session) so the customer can authenticate.",
        code=code,
        decline_code=code,
    )
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error={**_error_fields(error), "payment_method": method},
    )
    engine.record(request.caller, intent, "payment_failed", request)
    error.objects = {"payment_intent": intent}
    return intent, error


def _error_fields(error: CardError) -> dict[str, Any]:
    shown = dict(error.to_dict()["error"])
    shown.pop("payment_intent", None)
    return shown


def _require_action(engine: Engine, request: Request, intent: dict[str, Any]) -> dict[str, Any]:
    """A card that asks for 3-D Secure: the customer must authenticate (Stripe.js)."""
    intent.update(status="requires_action",
                  next_action=three_d_secure_action(request, intent))  # fmt: skip
    engine.record(request.caller, intent, "requires_action", request)
    return intent


def three_d_secure_action(request: Request, intent: dict[str, Any]) -> dict[str, Any]:
    """The ``next_action`` of an intent waiting for 3-D Secure: the page the customer
    authenticates on, then returns to ``return_url`` (when the confirmation gave one)."""
    return_url = request.params.get("return_url")
    return {"type": "redirect_to_url", "redirect_to_url": {
        "return_url": return_url if isinstance(return_url, str) else None,
        "url": f"https://hooks.stripe.com/3d_secure_2/hosted?intent={intent['id']}",
    }}  # fmt: skip


def _await_bank_transfer(
    engine: Engine, request: Request, intent: dict[str, Any]
) -> dict[str, Any]:
    """Paid from the customer's cash balance: waiting for a bank transfer to fund it."""
    intent.update(status="requires_action", next_action={
        "type": "display_bank_transfer_instructions",
        "display_bank_transfer_instructions": {
            "amount_remaining": intent["amount"], "currency": intent["currency"],
            "type": _transfer_type(intent), "financial_addresses": [],
            "hosted_instructions_url": None, "reference": None,
        },
    })  # fmt: skip
    engine.record(request.caller, intent, "requires_action", request)
    return intent


def _transfer_type(intent: dict[str, Any]) -> str:
    options = intent.get("payment_method_options") or {}
    transfer = (options.get("customer_balance") or {}).get("bank_transfer") or {}
    return str(transfer.get("type") or "us_bank_transfer")


def _method_for(
    engine: Engine, request: Request, intent: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The payment method a confirmation uses: the one given (a stored one, or a new one
    for Stripe's test names), ``payment_method_data``'s new one, or the intent's. A
    customer's card (``card_...``, a source) is one too, as Stripe takes it."""
    caller = request.caller
    data = params.get("payment_method_data")
    given = params.get("payment_method") or intent.get("payment_method")
    if isinstance(data, dict) and not params.get("payment_method"):
        resource = spec.resource("payment_method")
        assert resource is not None  # the spec has payment methods
        method = engine.new(resource, data, caller)
        method["customer"] = (
            intent.get("customer") if data.get("type") == "customer_balance" else None
        )
        engine.record(caller, method, "created", request)
        return method
    if not given:
        raise InvalidRequest(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "Update it with a payment_method (such as pm_card_visa), or pass one to confirm.",
            code="payment_intent_unexpected_state",
        )
    method_id = test_methods.payment_method_for(engine, request, str(given))
    return engine.load(caller, method_id, ("payment_method", "card"))


def capture_intent(engine: Engine, request: Request) -> Any:
    intent = engine.load(request.caller, request.object_id, ("payment_intent",))
    engine.require(request.caller, "payment_intent", write=True)
    if intent.get("status") != "requires_capture":
        raise InvalidRequest(
            f"This PaymentIntent could not be captured because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with status requires_capture can be "
            "captured: confirm it with capture_method=manual first.",
            code="payment_intent_unexpected_state",
        )
    amount = int(request.params.get("amount_to_capture") or intent["amount_capturable"])
    with engine.sandbox.transaction():
        charge = engine.load(request.caller, str(intent["latest_charge"]), ("charge",))
        charges.capture(engine, request, charge, amount)
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        engine.record(request.caller, intent, "succeeded", request)
        if test_methods.card_of(_stored_method(engine, request, charge)).available_at_once:
            balance.announce(engine, request)
    return intent


def cancel_intent(engine: Engine, request: Request) -> Any:
    intent = engine.load(request.caller, request.object_id, ("payment_intent",))
    engine.require(request.caller, "payment_intent", write=True)
    if intent.get("status") not in _CANCELABLE:
        raise InvalidRequest(
            f"You cannot cancel this PaymentIntent because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
            f"be canceled: {', '.join(_CANCELABLE)}.",
            code="payment_intent_unexpected_state",
        )
    with engine.sandbox.transaction():
        if intent["status"] == "requires_capture":
            charge = engine.load(request.caller, str(intent["latest_charge"]), ("charge",))
            charges.release(engine, request, charge)
        intent.update(status="canceled", canceled_at=engine.sandbox.now(), next_action=None,
                      amount_capturable=0,
                      cancellation_reason=request.params.get("cancellation_reason"))  # fmt: skip
        engine.record(request.caller, intent, "canceled", request)
    return intent


def _stored_method(engine: Engine, request: Request, charge: dict[str, Any]) -> dict[str, Any]:
    return engine.load(request.caller, str(charge["payment_method"]), ("payment_method", "card"))


BEHAVIOURS: dict[str, Behaviour] = {
    "PostPaymentIntents": create_intent,
    "PostPaymentIntentsIntentConfirm": confirm_intent,
    "PostPaymentIntentsIntentCapture": capture_intent,
    "PostPaymentIntentsIntentCancel": cancel_intent,
}
