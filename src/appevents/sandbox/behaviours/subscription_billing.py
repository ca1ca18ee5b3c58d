"""A subscription's invoice for a period, made as Stripe makes it: through the invoices API
(``POST /v1/invoices`` with the ``subscription``, whose lines come from its items; then
``/finalize`` and, when it can be paid, ``/pay``), so that the invoice's own behaviour
emits its events (invoice.created, invoice.finalized, the payment intent's, invoice.paid
and invoice.payment_succeeded, or invoice.payment_failed).

An invoice Stripe cannot collect (charged automatically, the customer has no payment
method, the amount is not zero) is finalized and left open: its payment intent waits for a
payment method, and the subscription is ``incomplete`` (its first invoice) or ``past_due``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..rest import store
from ..rest.engine import Engine, Request
from ..stripe_errors import ApiError
from . import invoices

__all__ = ["can_pay", "invoice_period"]


def can_pay(engine: Engine, request: Request, subscription: dict[str, Any]) -> bool:
    """Whether Stripe would try to collect the subscription's invoice now: it is sent
    (``send_invoice``), in a trial (nothing to pay), or has a payment method to charge."""
    if subscription.get("collection_method") == "send_invoice":
        return False
    if subscription.get("status") == "trialing":
        return True
    if subscription.get("default_payment_method") or subscription.get("default_source"):
        return True
    customer = store.find(
        engine.sandbox.db, request.caller.account, _id(subscription.get("customer"))
    )
    if customer is None:
        return False
    settings = customer.get("invoice_settings") or {}
    return bool(settings.get("default_payment_method") or customer.get("default_source"))


def invoice_period(
    engine: Engine, request: Request, subscription: dict[str, Any], reason: str
) -> bool:
    """Invoice the subscription's current period (``reason``: Stripe's billing_reason,
    ``subscription_create``, ``subscription_cycle``, ``subscription_update``); return
    whether the invoice is paid. The subscription is stored first (the invoice reads its
    items) and names the invoice as its ``latest_invoice`` after."""
    account = request.caller.account
    with engine.sandbox.transaction() as db:
        store.save(db, account, request.caller.livemode, subscription, engine.sandbox.now())
        params: dict[str, Any] = {
            "customer": _id(subscription.get("customer")),
            "subscription": subscription["id"],
            "collection_method": subscription.get("collection_method") or "charge_automatically",
            "billing_reason": reason,
        }
        if subscription.get("collection_method") == "send_invoice":
            params["days_until_due"] = subscription.get("days_until_due") or 30
        invoice = engine.call(request, "POST", "/v1/invoices", params)
        invoice_id = str(invoice["id"])
        if subscription.get("status") == "trialing":
            _free_trial(engine, request, invoice_id)
        subscription["latest_invoice"] = invoice_id
        store.save(db, account, request.caller.livemode, subscription, engine.sandbox.now())
        engine.call(request, "POST", f"/v1/invoices/{invoice_id}/finalize", {})
        if can_pay(engine, request, subscription):
            # A decline answers the subscription, not an error: it is incomplete
            # (allow_incomplete, Stripe's default), the invoice open.
            with contextlib.suppress(ApiError):
                engine.call(request, "POST", f"/v1/invoices/{invoice_id}/pay", {})
        elif subscription.get("collection_method") != "send_invoice":
            _attempted(engine, request, invoice_id)
        stored = store.find(db, account, invoice_id) or invoice
    return stored.get("status") == "paid" or bool(stored.get("paid"))


def _attempted(engine: Engine, request: Request, invoice_id: str) -> None:
    """Stripe attempts a subscription's invoice at once; with no payment method to
    charge, the attempt is all that happens: ``invoice.updated``, ``attempted`` true, the
    invoice open and its payment intent waiting for a payment method."""
    invoice = store.find(engine.sandbox.db, request.caller.account, invoice_id)
    if invoice is None or invoice.get("status") != "open" or invoice.get("attempted"):
        return
    invoice["attempted"] = True
    engine.record(request.caller, invoice, "updated", request, previous={"attempted": False})


def _free_trial(engine: Engine, request: Request, invoice_id: str) -> None:
    """A trial's invoice bills nothing: each line is the trial period, for 0 (Stripe's
    "Trial period for <product>"); the invoice adds up to 0 (invoices.add_up)."""
    account, livemode = request.caller.account, request.caller.livemode
    db = engine.sandbox.db
    invoice = store.find(db, account, invoice_id)
    if invoice is None or not isinstance(invoice.get("lines"), dict):
        return
    for line in invoice["lines"].get("data", []):
        described = str(line.get("description") or "")
        product = described.split(" × ", 1)[-1] if " × " in described else "item"
        line.update(amount=0, description=f"Trial period for {product}")
        if "unit_amount_excluding_tax" in line:
            line["unit_amount_excluding_tax"] = "0"
        if isinstance(line.get("id"), str) and store.find(db, account, line["id"]) is not None:
            store.save(db, account, livemode, line, engine.sandbox.now())
    invoices.add_up(invoice)
    store.save(db, account, livemode, invoice, engine.sandbox.now())


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id"))
    return str(value)
