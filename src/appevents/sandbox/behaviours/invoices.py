"""Invoices as Stripe runs them: a draft is finalized, then paid, voided, marked
uncollectible or sent.

A new invoice (``POST /v1/invoices``) is a draft of its customer's. Its lines are the
customer's pending invoice items when ``pending_invoice_items_behavior=include`` (each item
then names the invoice), and, for a subscription's invoice, one line per subscription item
(its price times its quantity, for the subscription's current period). Its totals add its
lines up: ``subtotal``, ``total``, ``amount_due`` (less the credit notes issued before
payment) and ``amount_remaining``; a ``send_invoice`` one is due ``days_until_due`` days on.

Finalizing (``/finalize``; ``/pay`` and ``/send`` finalize a draft first) gives it its
number, ``<customer's invoice_prefix>-<the customer's next_invoice_sequence, 4 digits>``,
its ``hosted_invoice_url`` and ``invoice_pdf``, and ``status: open``; one charged
automatically gets a payment intent for its amount due (``payment_intent.created``), named
by the invoice and naming it back, before ``invoice.finalized``. An invoice with nothing due
is paid as it is finalized. Voiding cancels its payment intent (``payment_intent.canceled``),
then ``invoice.updated`` and ``invoice.voided``; marking it uncollectible emits
``invoice.updated`` and ``invoice.marked_uncollectible``; sending emits ``invoice.sent``.
Paying is invoice_payments.py.

For other behaviours (subscriptions make their invoices with ``engine.call``), POST
/v1/invoices also takes, beyond the parameters Stripe documents:

- ``subscription``: the subscription whose items make the lines (Stripe's own parameter;
  the customer is the subscription's when not given);
- ``billing_reason``: ``subscription_create`` (the default with a subscription),
  ``subscription_cycle``, ``subscription_update``... as Stripe names why it was made;
- ``period_start``/``period_end``: the lines' period, when not the subscription's current one.
"""

from __future__ import annotations

from typing import Any

from ..callers import Caller
from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS", "finalize_draft", "load_invoice", "mark_paid", "transition"]

_DAY = 24 * 60 * 60
_URL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def create_invoice(engine: Engine, request: Request) -> Any:
    params = request.params
    caller = request.caller
    engine.require(caller, "invoice", write=True)
    subscription = None
    if isinstance(params.get("subscription"), str):
        subscription = engine.load(caller, params["subscription"], ("subscription",))
    customer_id = params.get("customer") or (subscription and _id(subscription["customer"]))
    if not customer_id:
        raise InvalidRequest(
            "Missing required param: customer (the cus_... id of the customer to invoice).",
            param="customer",
            code="parameter_missing",
        )
    customer = engine.load(caller, str(customer_id), ("customer",))
    include = params.get("pending_invoice_items_behavior") == "include"
    pending = _pending_items(engine, caller, customer["id"]) if include else []
    resource = spec.resource("invoice")
    assert resource is not None  # the spec has invoices
    typed = _typed(engine, params, customer, subscription, pending)
    invoice = engine.new(resource, {**params, **typed}, caller)
    lines = [_item_line(engine, caller, item, invoice["id"]) for item in pending]
    if subscription is not None:
        lines += _subscription_lines(engine, caller, subscription, invoice["id"], params)
    invoice["lines"] = {
        "object": "list",
        "data": lines,
        "has_more": False,
        "total_count": len(lines),
        "url": f"/v1/invoices/{invoice['id']}/lines",
    }
    add_up(invoice)
    with engine.sandbox.transaction() as db:
        engine.record(caller, invoice, "created", request)
        for item in pending:
            item["invoice"] = invoice["id"]
            store.save(db, caller.account, caller.livemode, item, engine.sandbox.now())
        for line in lines:
            store.save(db, caller.account, caller.livemode, line, engine.sandbox.now())
            store.add_child(db, caller.account, invoice["lines"]["url"], line["id"])
    return invoice


def _typed(
    engine: Engine,
    params: dict[str, Any],
    customer: dict[str, Any],
    subscription: dict[str, Any] | None,
    pending: list[dict[str, Any]],
) -> dict[str, Any]:
    """What a new invoice takes from its customer, subscription and items."""
    price_currency = None
    if subscription is not None:
        for item in (subscription.get("items") or {}).get("data", []):
            price = item.get("price")
            if isinstance(price, dict):
                price_currency = price.get("currency")
    currency = (
        params.get("currency")
        or (pending[0]["currency"] if pending else None)
        or price_currency
        or customer.get("currency")
        or "usd"
    )
    typed: dict[str, Any] = {
        "customer": customer["id"],
        "currency": currency,
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_address": customer.get("address"),
        "billing_reason": params.get("billing_reason")
        or ("subscription_create" if subscription is not None else "manual"),
    }
    if params.get("collection_method") == "send_invoice" and "due_date" not in params:
        days = int(params.get("days_until_due") or 30)
        typed["due_date"] = engine.sandbox.now() + days * _DAY
    if subscription is not None:
        start = params.get("period_start", subscription.get("current_period_start"))
        end = params.get("period_end", subscription.get("current_period_end"))
        typed.update(period_start=start, period_end=end)
        if params.get("collection_method") is None and subscription.get("collection_method"):
            typed["collection_method"] = subscription["collection_method"]
    return typed


def _pending_items(engine: Engine, caller: Caller, customer_id: str) -> list[dict[str, Any]]:
    """The customer's invoice items on no invoice yet, oldest first."""
    items = store.list_of(engine.sandbox.db, caller.account, caller.livemode, ["invoiceitem"])
    mine = [
        item
        for item in items
        if _id(item.get("customer")) == customer_id
        and not item.get("invoice")
        and not item.get("deleted")
    ]
    return sorted(mine, key=lambda item: int(item.get("date") or 0))


def _new_line(engine: Engine, caller: Caller, fields: dict[str, Any]) -> dict[str, Any]:
    resource = spec.resource("line_item")
    assert resource is not None  # the spec has invoice lines
    line = engine.new(resource, {}, caller)
    line.update(
        amount_excluding_tax=fields["amount"],
        discount_amounts=[],
        discountable=True,
        discounts=[],
        metadata={},
        proration=False,
        proration_details={"credited_items": None},
        tax_amounts=[],
        tax_rates=[],
    )
    line.update(fields)
    return line


def _item_line(
    engine: Engine, caller: Caller, item: dict[str, Any], invoice_id: str
) -> dict[str, Any]:
    quantity = int(item.get("quantity") or 1)
    amount = int(item.get("amount") or 0)
    return _new_line(
        engine,
        caller,
        {
            "amount": amount,
            "currency": item["currency"],
            "description": item.get("description"),
            "invoice": invoice_id,
            "invoice_item": item["id"],
            "metadata": item.get("metadata") or {},
            "period": item.get("period"),
            "price": item.get("price"),
            "quantity": quantity,
            "subscription": item.get("subscription"),
            "type": "invoiceitem",
            "unit_amount_excluding_tax": str(amount // quantity),
        },
    )


def _subscription_lines(
    engine: Engine,
    caller: Caller,
    subscription: dict[str, Any],
    invoice_id: str,
    params: dict[str, Any],
) -> list[dict[str, Any]]:
    """One line per subscription item: its price's unit amount times its quantity."""
    period = {
        "start": params.get("period_start", subscription.get("current_period_start")),
        "end": params.get("period_end", subscription.get("current_period_end")),
    }
    lines = []
    for item in (subscription.get("items") or {}).get("data", []):
        price = item.get("price")
        if isinstance(price, str):
            price = engine.load(caller, price, ("price",))
        quantity = int(item.get("quantity") or 1)
        unit = int((price or {}).get("unit_amount") or 0)
        lines.append(
            _new_line(
                engine,
                caller,
                {
                    "amount": unit * quantity,
                    "currency": (price or {}).get("currency") or "usd",
                    "description": f"{quantity} × {_product_name(engine, caller, price)}",
                    "invoice": invoice_id,
                    "period": period,
                    "price": price,
                    "quantity": quantity,
                    "subscription": subscription["id"],
                    "subscription_item": item.get("id"),
                    "type": "subscription",
                    "unit_amount_excluding_tax": str(unit),
                },
            )
        )
    return lines


def _product_name(engine: Engine, caller: Caller, price: dict[str, Any] | None) -> str:
    product = _id((price or {}).get("product"))
    found = store.find(engine.sandbox.db, caller.account, product) if product else None
    return str((found or {}).get("name") or "item")


def add_up(invoice: dict[str, Any]) -> None:
    """The invoice's totals from its lines and the credit notes issued against it."""
    subtotal = sum(int(line.get("amount") or 0) for line in invoice["lines"]["data"])
    credited = int(invoice.get("pre_payment_credit_notes_amount") or 0)
    due = max(subtotal - credited, 0)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=subtotal,
        total_excluding_tax=subtotal,
        amount_due=due,
        amount_remaining=max(due - int(invoice.get("amount_paid") or 0), 0),
    )


def load_invoice(engine: Engine, request: Request) -> dict[str, Any]:
    engine.require(request.caller, "invoice", write=True)
    return engine.load(request.caller, request.object_id, ("invoice",))


def transition(
    engine: Engine, request: Request, invoice: dict[str, Any], verbs: tuple[str, ...],
    **changes: Any,
) -> None:  # fmt: skip
    """Apply ``changes`` to the invoice (``status_transitions`` merged) and emit, in order,
    its events for ``verbs`` (``updated`` carrying the fields as they were)."""
    previous: dict[str, Any] = {}
    for name, value in changes.items():
        old = invoice.get(name)
        if isinstance(old, dict) and isinstance(value, dict):
            before = {k: old.get(k) for k, v in value.items() if old.get(k) != v}
            if before:
                previous[name] = before
            invoice[name] = {**old, **value}
        elif old != value:
            previous[name] = old
            invoice[name] = value
    with engine.sandbox.transaction():
        for verb in verbs:
            prior = previous if verb == "updated" else None
            engine.record(request.caller, invoice, verb, request, previous=prior)


def finalize_draft(engine: Engine, request: Request, invoice: dict[str, Any]) -> None:
    """Number a draft, open it and (charged automatically, with something due) give it its
    payment intent; an invoice with nothing due is paid at once."""
    if invoice.get("status") != "draft":
        raise InvalidRequest(
            f"This invoice is already finalized (status {invoice.get('status')}): you can't "
            "re-finalize a non-draft invoice.",
            code="invoice_not_editable",
        )
    caller = request.caller
    now = engine.sandbox.now()
    with engine.sandbox.transaction() as db:
        customer = engine.load(caller, _id(invoice["customer"]), ("customer",))
        sequence = int(customer.get("next_invoice_sequence") or 1)
        customer["next_invoice_sequence"] = sequence + 1
        store.save(db, caller.account, caller.livemode, customer, now)  # Stripe: no event
        token = "test_" + engine.sandbox.ids.code(_URL_ALPHABET, 40)
        invoice.update(
            number=f"{customer.get('invoice_prefix') or 'INVOICE'}-{sequence:04d}",
            status="open",
            effective_at=now,
            hosted_invoice_url=f"https://invoice.stripe.com/i/{caller.account}/{token}",
            invoice_pdf=f"https://pay.stripe.com/invoice/{caller.account}/{token}/pdf",
            status_transitions={**(invoice.get("status_transitions") or {}), "finalized_at": now},
        )
        if invoice.get("collection_method") != "send_invoice" and invoice["amount_due"] > 0:
            invoice["payment_intent"] = _new_intent(engine, request, invoice)
        engine.record(caller, invoice, "finalized", request)
        if invoice["amount_due"] == 0:
            mark_paid(engine, request, invoice, None)


def _new_intent(engine: Engine, request: Request, invoice: dict[str, Any]) -> str:
    resource = spec.resource("payment_intent")
    assert resource is not None  # the spec has payment intents
    number = invoice.get("number")
    intent = engine.new(
        resource,
        {
            "amount": invoice["amount_due"],
            "currency": invoice["currency"],
            "customer": _id(invoice["customer"]),
            "description": f"Payment for Invoice {number}" if number else None,
            "metadata": {},
            "payment_method_types": ["card"],
            "setup_future_usage": "off_session",
            "status": "requires_payment_method",
        },
        request.caller,
    )
    intent["invoice"] = invoice["id"]
    engine.record(request.caller, intent, "created", request)
    return str(intent["id"])


def mark_paid(
    engine: Engine,
    request: Request,
    invoice: dict[str, Any],
    intent: dict[str, Any] | None,
    *,
    out_of_band: bool = False,
) -> None:
    """The invoice paid (by its intent's charge, out of band, or with nothing due)."""
    changes: dict[str, Any] = {
        "status": "paid",
        "paid": True,
        "paid_out_of_band": out_of_band,
        "amount_paid": invoice["amount_due"],
        "amount_remaining": 0,
        "status_transitions": {"paid_at": engine.sandbox.now()},
    }
    if intent is not None:
        changes.update(
            attempted=True,
            attempt_count=int(invoice.get("attempt_count") or 0) + 1,
            charge=intent.get("latest_charge"),
            next_payment_attempt=None,
        )
    # Nothing due: paid as it is finalized, with no attempt to report (no invoice.updated).
    nothing_due = intent is None and not out_of_band
    verbs = (
        ("paid", "payment_succeeded") if nothing_due else ("updated", "paid", "payment_succeeded")
    )
    transition(engine, request, invoice, verbs, **changes)


def finalize_invoice(engine: Engine, request: Request) -> Any:
    invoice = load_invoice(engine, request)
    finalize_draft(engine, request, invoice)
    return invoice


def void_invoice(engine: Engine, request: Request) -> Any:
    invoice = load_invoice(engine, request)
    _require_open(invoice, "voided", "Delete a draft invoice instead of voiding it.")
    now = engine.sandbox.now()
    with engine.sandbox.transaction():
        intent_id = _id(invoice.get("payment_intent"))
        intent = store.find(engine.sandbox.db, request.caller.account, intent_id or "")
        if intent is not None and intent.get("status") not in ("succeeded", "canceled"):
            intent.update(status="canceled", canceled_at=now, cancellation_reason="void_invoice")
            engine.record(request.caller, intent, "canceled", request)
        transition(
            engine, request, invoice, ("updated", "voided"),
            status="void", amount_remaining=0, status_transitions={"voided_at": now},
        )  # fmt: skip
    return invoice


def mark_uncollectible(engine: Engine, request: Request) -> Any:
    invoice = load_invoice(engine, request)
    _require_open(invoice, "marked uncollectible", "Finalize it first.")
    transition(
        engine, request, invoice, ("updated", "marked_uncollectible"),
        status="uncollectible",
        status_transitions={"marked_uncollectible_at": engine.sandbox.now()},
    )  # fmt: skip
    return invoice


def send_invoice(engine: Engine, request: Request) -> Any:
    """Email the invoice: only one collected by ``send_invoice``; a draft is finalized
    first, and the ``invoice.updated`` that follows carries what finalizing changed."""
    invoice = load_invoice(engine, request)
    if invoice.get("collection_method") != "send_invoice":
        raise InvalidRequest(
            f"You can only manually send an invoice if its collection method is "
            f"'send_invoice' (this one's is '{invoice.get('collection_method')}'): update "
            "its collection_method first.",
            param="collection_method",
        )
    if invoice.get("status") not in ("draft", "open"):
        raise InvalidRequest(
            f"This invoice's status is {invoice.get('status')}: only a draft or open invoice "
            "can be sent.",
            code="invoice_not_editable",
        )
    with engine.sandbox.transaction():
        if invoice["status"] == "draft":
            before = {k: invoice.get(k) for k in ("status", "number", "hosted_invoice_url",
                                                   "invoice_pdf", "effective_at")}  # fmt: skip
            finalize_draft(engine, request, invoice)
            changed = {k: v for k, v in before.items() if invoice.get(k) != v}
            engine.record(request.caller, invoice, "updated", request, previous=changed)
        engine.record(request.caller, invoice, "sent", request)
    return invoice


def _require_open(invoice: dict[str, Any], done: str, fix: str) -> None:
    if invoice.get("status") not in ("open", "uncollectible") or (
        done == "marked uncollectible" and invoice.get("status") != "open"
    ):
        raise InvalidRequest(
            f"Invoice {invoice['id']} is {invoice.get('status')}: only an open invoice can be "
            f"{done}. {fix}",
            code="invoice_not_editable" if invoice.get("status") != "draft" else None,
        )


def _id(value: Any) -> str:
    """An id, whether the field holds it or the object (expanded)."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


BEHAVIOURS: dict[str, Behaviour] = {
    "PostInvoices": create_invoice,
    "PostInvoicesInvoiceFinalize": finalize_invoice,
    "PostInvoicesInvoiceVoid": void_invoice,
    "PostInvoicesInvoiceMarkUncollectible": mark_uncollectible,
    "PostInvoicesInvoiceSend": send_invoice,
}
