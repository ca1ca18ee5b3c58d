"""Quotes: a draft offer of prices to a customer, finalized (``open``), then accepted or
canceled.

A new quote's ``line_items`` (a price and a quantity each) are ``item`` objects, listed by
``/v1/quotes/{quote}/line_items``; its amounts add them up (``computed.upfront``, and
``computed.recurring`` for recurring prices). Finalizing gives it a number (``QT-...``) and
an expiry 30 days on (``quote.finalized``). Accepting an open quote makes what it offers as
Stripe does: with recurring prices, a subscription to them (its first invoice charged as
the subscription's behaviour charges it), else a draft invoice of its lines as invoice
items; then ``quote.accepted``, naming the subscription or invoice. Canceling a draft or
open quote emits ``quote.canceled``.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS"]

_VALID_FOR = 30 * 24 * 60 * 60
_NUMBER_ALPHABET = "0123456789ABCDEF"


def create_quote(engine: Engine, request: Request) -> Any:
    caller = request.caller
    params = request.params
    engine.require(caller, "quote", write=True)
    resource, item_resource = spec.resource("quote"), spec.resource("item")
    assert resource is not None and item_resource is not None  # the spec has both
    if params.get("customer"):
        engine.load(caller, str(params["customer"]), ("customer",))
    items = []
    for index, given in enumerate(params.get("line_items") or []):
        if not isinstance(given.get("price"), str):
            raise InvalidRequest(
                f"Missing required param: line_items[{index}][price] (a price_... id).",
                param=f"line_items[{index}][price]",
                code="parameter_missing",
            )
        price = engine.load(caller, given["price"], ("price",))
        quantity = int(given.get("quantity") or 1)
        amount = int(price.get("unit_amount") or 0) * quantity
        item = engine.new(item_resource, {}, caller)
        item.update(
            amount_discount=0, amount_subtotal=amount, amount_tax=0, amount_total=amount,
            currency=price["currency"], description=_name(engine, request, price),
            discounts=[], price=price, quantity=quantity, taxes=[],
        )  # fmt: skip
        items.append(item)
    quote = engine.new(resource, {k: v for k, v in params.items() if k != "line_items"}, caller)
    _add_up(quote, items)
    url = f"/v1/quotes/{quote['id']}/line_items"
    with engine.sandbox.transaction() as db:
        for item in items:
            store.save(db, caller.account, caller.livemode, item, engine.sandbox.now())
            store.add_child(db, caller.account, url, item["id"])
        engine.record(caller, quote, "created", request)
    return quote


def _name(engine: Engine, request: Request, price: dict[str, Any]) -> str | None:
    product = price.get("product")
    product_id = product.get("id") if isinstance(product, dict) else product
    found = store.find(engine.sandbox.db, request.caller.account, str(product_id))
    return None if found is None else found.get("name")


def _add_up(quote: dict[str, Any], items: list[dict[str, Any]]) -> None:
    total = sum(int(item["amount_total"]) for item in items)
    recurring = [item for item in items if item["price"].get("recurring")]
    details = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    quote.update(
        amount_subtotal=total, amount_total=total, total_details=details,
        currency=items[0]["currency"] if items else quote.get("currency"),
        computed={
            "upfront": {"amount_subtotal": total, "amount_total": total,
                        "total_details": details},
            "recurring": None if not recurring else {
                "amount_subtotal": sum(int(i["amount_total"]) for i in recurring),
                "amount_total": sum(int(i["amount_total"]) for i in recurring),
                "interval": recurring[0]["price"]["recurring"]["interval"],
                "interval_count": recurring[0]["price"]["recurring"].get("interval_count") or 1,
                "total_details": details,
            },
        },
    )  # fmt: skip


def _load(engine: Engine, request: Request, allowed: tuple[str, ...], verb: str) -> Any:
    engine.require(request.caller, "quote", write=True)
    quote = engine.load(request.caller, request.object_id, ("quote",))
    if quote.get("status") not in allowed:
        raise InvalidRequest(
            f"Quote {quote['id']} is {quote.get('status')}: only a quote that is "
            f"{' or '.join(allowed)} can be {verb}.",
        )
    return quote


def finalize_quote(engine: Engine, request: Request) -> Any:
    quote = _load(engine, request, ("draft",), "finalized")
    if not quote.get("customer"):
        raise InvalidRequest(
            f"Quote {quote['id']} has no customer: set customer before finalizing it.",
            param="customer",
        )
    now = engine.sandbox.now()
    quote.update(
        status="open",
        number=f"QT-{engine.sandbox.ids.code(_NUMBER_ALPHABET, 8)}-0001",
        expires_at=int(request.params.get("expires_at") or now + _VALID_FOR),
        status_transitions={**(quote.get("status_transitions") or {}), "finalized_at": now},
    )
    with engine.sandbox.transaction():
        engine.record(request.caller, quote, "finalized", request)
    return quote


def accept_quote(engine: Engine, request: Request) -> Any:
    quote = _load(engine, request, ("open",), "accepted")
    caller = request.caller
    items = store.children(engine.sandbox.db, caller.account,
                           f"/v1/quotes/{quote['id']}/line_items")  # fmt: skip
    customer = str(quote["customer"])
    with engine.sandbox.transaction():
        recurring = [item for item in items if item["price"].get("recurring")]
        if recurring:
            subscription = engine.call(request, "POST", "/v1/subscriptions", {
                "customer": customer,
                "items": [{"price": i["price"]["id"], "quantity": i["quantity"]}
                          for i in recurring],
                "metadata": quote.get("metadata") or {},
            })  # fmt: skip
            quote["subscription"] = subscription["id"]
            latest = subscription.get("latest_invoice")
            quote["invoice"] = latest.get("id") if isinstance(latest, dict) else latest
        else:
            for item in items:
                engine.call(request, "POST", "/v1/invoiceitems", {
                    "customer": customer, "price": item["price"]["id"],
                    "quantity": item["quantity"],
                })  # fmt: skip
            invoice = engine.call(request, "POST", "/v1/invoices", {
                "customer": customer, "pending_invoice_items_behavior": "include",
                "collection_method": quote.get("collection_method") or "charge_automatically",
            })  # fmt: skip
            quote["invoice"] = invoice["id"]
        quote["status"] = "accepted"
        quote["status_transitions"] = {**(quote.get("status_transitions") or {}),
                                       "accepted_at": engine.sandbox.now()}  # fmt: skip
        engine.record(caller, quote, "accepted", request)
    return quote


def cancel_quote(engine: Engine, request: Request) -> Any:
    quote = _load(engine, request, ("draft", "open"), "canceled")
    quote["status"] = "canceled"
    quote["status_transitions"] = {**(quote.get("status_transitions") or {}),
                                   "canceled_at": engine.sandbox.now()}  # fmt: skip
    with engine.sandbox.transaction():
        engine.record(request.caller, quote, "canceled", request)
    return quote


BEHAVIOURS: dict[str, Behaviour] = {
    "PostQuotes": create_quote,
    "PostQuotesQuoteFinalize": finalize_quote,
    "PostQuotesQuoteAccept": accept_quote,
    "PostQuotesQuoteCancel": cancel_quote,
}
