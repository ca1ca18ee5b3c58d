"""Paying an invoice (``POST /v1/invoices/{invoice}/pay``), as Stripe attempts it.

A draft is finalized first (invoices.py). Paying confirms the invoice's payment intent
with the payment method the call names (``payment_method`` or ``source``), else the
invoice's default, else its customer's (``invoice_settings.default_payment_method``, then
``default_source``, a card the intent takes as its payment method): that confirmation
emits what payments.py emits for it. Then:

- succeeded: ``invoice.updated``, ``invoice.paid``, ``invoice.payment_succeeded``, the
  invoice naming the charge, ``amount_paid`` its amount due;
- declined: ``invoice.updated`` (one more ``attempt_count``), ``invoice.payment_failed``; the
  invoice stays open and the call answers Stripe's 402 card_error for the decline;
- needing the customer's action (3D Secure): ``invoice.updated``,
  ``invoice.payment_action_required``, and the 402 ``invoice_payment_intent_requires_action``.

``paid_out_of_band=true`` marks it paid with no charge.
"""

from __future__ import annotations

from typing import Any

from ..rest import store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import CardError, InvalidRequest
from .invoices import finalize_draft, load_invoice, mark_paid, transition

__all__ = ["BEHAVIOURS"]

_NEXT_ATTEMPT = 3 * 24 * 60 * 60
"""Smart Retries' first retry, in the sandbox: three days on."""


def pay_invoice(engine: Engine, request: Request) -> Any:
    invoice = load_invoice(engine, request)
    params = request.params
    if invoice.get("status") not in ("draft", "open", "uncollectible"):
        raise InvalidRequest(
            f"Invoice {invoice['id']} is {invoice.get('status')}: only a draft, open or "
            "uncollectible invoice can be paid.",
            code="invoice_not_editable" if invoice.get("status") == "paid" else None,
        )
    refusal: CardError | None = None
    with engine.sandbox.transaction():
        if invoice["status"] == "draft":
            finalize_draft(engine, request, invoice)
        if invoice["status"] == "paid":  # nothing was due
            return invoice
        if params.get("paid_out_of_band") is True:
            mark_paid(engine, request, invoice, None, out_of_band=True)
            return invoice
        refusal = _attempt(engine, request, invoice, _method_for(engine, request, invoice))
    if refusal is not None:
        raise refusal  # after the attempt's events are kept, as Stripe keeps them
    return invoice


def _attempt(
    engine: Engine, request: Request, invoice: dict[str, Any], method: str
) -> CardError | None:
    """Confirm the invoice's intent with ``method``; what to answer if it did not pay."""
    caller = request.caller
    intent_id = str(invoice.get("payment_intent") or "")
    declined: CardError | None = None
    try:
        engine.call(
            request, "POST", f"/v1/payment_intents/{intent_id}/confirm",
            {"payment_method": method, "off_session": True},
        )  # fmt: skip
    except CardError as error:
        declined = error
    intent = engine.load(caller, intent_id, ("payment_intent",))
    if intent.get("status") == "succeeded":
        mark_paid(engine, request, invoice, intent)
        return None
    attempts = int(invoice.get("attempt_count") or 0) + 1
    if intent.get("status") == "requires_action":
        transition(
            engine, request, invoice, ("updated", "payment_action_required"),
            attempted=True, attempt_count=attempts,
        )  # fmt: skip
        return CardError(
            "This payment requires additional user action before it can be completed "
            f"successfully. Payment can be completed using the PaymentIntent {intent_id} "
            "associated with the invoice: confirm it on the client with its client_secret.",
            code="invoice_payment_intent_requires_action",
            objects={"payment_intent": intent},
        )
    transition(
        engine, request, invoice, ("updated", "payment_failed"),
        attempted=True, attempt_count=attempts, charge=intent.get("latest_charge"),
        next_payment_attempt=engine.sandbox.now() + _NEXT_ATTEMPT,
    )  # fmt: skip
    if declined is not None:
        return declined
    last = intent.get("last_payment_error") or {}
    return CardError(
        str(last.get("message") or "Your card was declined."),
        code=str(last.get("code") or "card_declined"),
        decline_code=last.get("decline_code") or "generic_decline",
        charge=intent.get("latest_charge"),
        objects={"payment_intent": intent},
    )


def _method_for(engine: Engine, request: Request, invoice: dict[str, Any]) -> str:
    """The payment method (or source) the attempt uses."""
    params = request.params
    customer_id = _id(invoice.get("customer"))
    customer = store.find(engine.sandbox.db, request.caller.account, customer_id) or {}
    settings = customer.get("invoice_settings") or {}
    for candidate in (
        params.get("payment_method"),
        params.get("source"),
        invoice.get("default_payment_method"),
        invoice.get("default_source"),
        settings.get("default_payment_method"),
        customer.get("default_source"),
    ):
        if candidate:
            return _id(candidate)
    raise InvalidRequest(
        f"This customer ({customer_id}) has no attached payment source or default payment "
        "method. Please consider adding a default payment method, or pass payment_method.",
        param="payment_method",
    )


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


BEHAVIOURS: dict[str, Behaviour] = {"PostInvoicesInvoicePay": pay_invoice}
