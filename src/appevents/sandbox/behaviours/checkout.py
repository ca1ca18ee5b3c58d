"""Checkout: sessions in payment, subscription and setup modes, paid, set up or expired.

Creating a session emits nothing: it is ``open``, ``unpaid`` (``no_payment_required`` in
setup mode), with its line items (``/v1/checkout/sessions/{session}/line_items``), their
totals and a ``url`` on checkout.stripe.com; it expires 24 hours later unless told
otherwise. The customer's side of Stripe Checkout is the page the Stripe CLI's fixtures
drive through ``GET /v1/payment_pages/{session}`` and ``POST .../confirm`` (with the
``payment_method`` and the ``expected_amount`` the page showed), operations Stripe's
public spec does not list (they are declared here, ``UNLISTED``). Confirming:

- payment mode: a payment intent is made and confirmed with the method (its events:
  ``payment_intent.created``, the charge's, ``payment_intent.succeeded``); a customer is
  made first (``customer.created``, ``payment_method.attached``) when the session always
  creates one or saves the method (``payment_intent_data[setup_future_usage]``). A card
  pays at once: ``checkout.session.completed`` with ``payment_status`` ``paid``. A
  delayed method (SEPA Debit) leaves the intent ``processing``: the session completes
  ``unpaid``, then the bank's answer comes: ``checkout.session.async_payment_succeeded``
  (charge and intent succeeded) or ``.async_payment_failed`` (failed; the sandbox cannot
  tell Stripe's failing test IBANs, whose number payment methods do not keep, so the
  bank always accepts);
- subscription mode: the customer is made and the method attached, and the subscription
  is created with the line items' prices (its own events: invoice, payment), then
  ``checkout.session.completed``;
- setup mode: a setup intent is confirmed with the method (``setup_intent.created``,
  ``.succeeded``), then ``checkout.session.completed``.

A declined card leaves the session open and answers Stripe's 402. ``/expire`` ends an
open session: ``expired``, with ``checkout.session.expired``; a session that is not open
can be neither confirmed nor expired.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import CardError, InvalidRequest
from . import payment_methods

__all__ = ["BEHAVIOURS", "UNLISTED"]

_SESSION = ("checkout.session",)
_EXPIRES_AFTER = 24 * 3600
"""Seconds an open session lasts by default (Stripe: 24 hours)."""
_CHECKOUT = "https://checkout.stripe.com"
_MODES = ("payment", "setup", "subscription")

PAYMENT_PAGE = spec.Operation(
    method="GET",
    path="/v1/payment_pages/{session}",
    id="GetPaymentPagesSession",
    kind="retrieve",
    answers=_SESSION,
    path_params=("session",),
)
PAYMENT_PAGE_CONFIRM = spec.Operation(
    method="POST",
    path="/v1/payment_pages/{session}/confirm",
    id="PostPaymentPagesSessionConfirm",
    kind="action",
    answers=_SESSION,
    path_params=("session",),
    form={
        "t": "object",
        "p": {
            "payment_method": {"t": "string"},
            "expected_amount": {"t": "integer"},
            "expand": {"t": "array", "i": {"t": "string"}},
        },
    },
)
UNLISTED = (PAYMENT_PAGE, PAYMENT_PAGE_CONFIRM)
"""The Checkout page's own operations, which Stripe's public spec does not list."""


def create_session(engine: Engine, request: Request) -> Any:
    caller = request.caller
    params = request.params
    engine.require(caller, _SESSION[0], write=True)
    mode = params.get("mode")
    if mode not in _MODES:
        raise InvalidRequest(
            f"Missing required param: mode (one of {', '.join(_MODES)}).",
            param="mode",
            code="parameter_missing",
        )
    items = params.get("line_items") or []
    if mode != "setup" and not items:
        raise InvalidRequest(
            f"Missing required param: line_items: a session in {mode} mode needs at least "
            "one, such as line_items[0][price]=price_... and line_items[0][quantity]=1.",
            param="line_items",
            code="parameter_missing",
        )
    prices = [_price_of(engine, request, item, index) for index, item in enumerate(items)]
    recurring = [price for price in prices if price.get("type") == "recurring"]
    if mode == "subscription" and not recurring:
        raise InvalidRequest(
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
            param="line_items",
        )
    if mode == "payment" and recurring:
        raise InvalidRequest(
            f"You specified `payment` mode but passed a recurring price ({recurring[0]['id']})."
            " Either switch to `subscription` mode or use only one-time prices.",
            param="line_items",
        )
    now = engine.sandbox.now()
    subtotal = sum(
        int(price.get("unit_amount") or 0) * int(item.get("quantity", 1))
        for price, item in zip(prices, items, strict=True)
    )
    currency = params.get("currency") or (prices[0]["currency"] if prices else None)
    typed: dict[str, Any] = {
        "status": "open",
        "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
        "amount_subtotal": subtotal if mode != "setup" else None,
        "amount_total": subtotal if mode != "setup" else None,
        "currency": currency,
        "expires_at": params.get("expires_at", now + _EXPIRES_AFTER),
        "customer": params.get("customer"),
        "customer_email": params.get("customer_email"),
        "payment_intent": None,
        "setup_intent": None,
        "subscription": None,
        "invoice": None,
        "payment_link": None,
        "customer_details": None,
        "customer_creation": params.get("customer_creation", "if_required")
        if mode == "payment"
        else None,
        "payment_method_types": params.get("payment_method_types", ["card"]),
    }
    resource = spec.resource(_SESSION[0])
    item_resource = spec.resource("item")
    assert resource is not None and item_resource is not None  # the spec has both
    with engine.sandbox.transaction() as db:
        if isinstance(typed["customer"], str):
            engine.load(caller, typed["customer"], ("customer",))
        session = engine.new(resource, {**params, **typed}, caller)
        session["url"] = f"{_CHECKOUT}/c/pay/{session['id']}"
        session["total_details"] = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        engine.record(caller, session, "created", request)  # no event: Stripe emits none
        # What the intent it makes will be given: kept beside it, not a field of its own.
        store.save(db, caller.account, caller.livemode,
                   {"id": _intent_data_key(session), "object": "checkout.intent_data",
                    "data": params.get("payment_intent_data") or {}}, now)  # fmt: skip
        collection = f"/v1/checkout/sessions/{session['id']}/line_items"
        for price, item in zip(prices, items, strict=True):
            line = _line_item(engine, request, item_resource, price, int(item.get("quantity", 1)))
            store.save(db, caller.account, caller.livemode, line, now)
            store.add_child(db, caller.account, collection, str(line["id"]))
    return session


def payment_page(engine: Engine, request: Request) -> Any:
    """What the Checkout page shows: the session, as it is now."""
    engine.require(request.caller, _SESSION[0], write=False)
    return engine.load(request.caller, request.object_id, _SESSION)


def confirm_page(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, _SESSION[0], write=True)
    session = engine.load(caller, request.object_id, _SESSION)
    _require_open(session, "confirmed")
    expected = request.params.get("expected_amount")
    total = session.get("amount_total")
    if session.get("mode") != "setup" and expected is not None and expected != total:
        raise InvalidRequest(
            f"The expected_amount ({expected}) does not match this Checkout Session's "
            f"amount_total ({total}): reload the page to show the current amount.",
            param="expected_amount",
        )
    method = request.params.get("payment_method")
    if not isinstance(method, str) or not method:
        raise InvalidRequest(
            "Missing required param: payment_method (the pm_... the customer pays with).",
            param="payment_method",
            code="parameter_missing",
        )
    declined: CardError | None = None
    with engine.sandbox.transaction():
        mode = session["mode"]
        if mode == "payment":
            declined = _pay(engine, request, session, method)
        elif mode == "subscription":
            _subscribe(engine, request, session, method)
        else:
            _set_up(engine, request, session, method)
    if declined is not None:  # the decline's events are kept; the session stays open
        raise declined
    return session


def expire_session(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, _SESSION[0], write=True)
    session = engine.load(caller, request.object_id, _SESSION)
    _require_open(session, "expired")
    session.update(status="expired", url=None)
    with engine.sandbox.transaction():
        engine.record(caller, session, "expired", request)
    return session


# -- what confirming does, by mode ---------------------------------------------------------


def _pay(
    engine: Engine, request: Request, session: dict[str, Any], method: str
) -> CardError | None:
    kept = store.find(engine.sandbox.db, request.caller.account, _intent_data_key(session))
    intent_data: dict[str, Any] = (kept or {}).get("data") or {}
    saving = request.params.get("setup_future_usage") or intent_data.get("setup_future_usage")
    customer = session.get("customer")
    if customer is None and (saving or session.get("customer_creation") == "always"):
        customer = _new_customer(engine, request, session, method)
    if customer is not None:
        method = payment_methods.attach(engine, request, method, str(customer))
    params: dict[str, Any] = {
        "amount": session["amount_total"],
        "currency": session["currency"],
        "payment_method": method,
        "payment_method_types": session.get("payment_method_types") or ["card"],
        "confirm": True,
        "metadata": session.get("metadata") or {},
    }
    if customer is not None:
        params["customer"] = customer
    if saving:
        params["setup_future_usage"] = saving
    for name in ("description", "shipping", "statement_descriptor", "capture_method"):
        if name in intent_data:
            params[name] = intent_data[name]
    try:
        intent = engine.call(request, "POST", "/v1/payment_intents", params)
    except CardError as error:
        return error
    session.update(payment_intent=intent["id"], customer=customer)
    _details(engine, request, session, method)
    if intent.get("status") == "succeeded":
        _complete(engine, request, session, "paid")
    elif intent.get("status") == "processing":
        _complete(engine, request, session, "unpaid")
        _bank_answers(engine, request, session, intent)
    else:
        store.save(engine.sandbox.db, request.caller.account, request.caller.livemode,
                   session, engine.sandbox.now())  # fmt: skip
    return None


def _bank_answers(
    engine: Engine, request: Request, session: dict[str, Any], intent: dict[str, Any]
) -> None:
    """A delayed method's debit clears: the charge and intent succeed, then the session's
    ``async_payment_succeeded``."""
    caller = request.caller
    charge_id = intent.get("latest_charge")
    if isinstance(charge_id, str):
        charge = engine.load(caller, charge_id, ("charge",))
        charge.update(status="succeeded", paid=True, captured=True,
                      amount_captured=charge.get("amount"))  # fmt: skip
        engine.record(caller, charge, "succeeded", request)
    intent.update(status="succeeded", amount_received=intent.get("amount"))
    engine.record(caller, intent, "succeeded", request)
    session["payment_status"] = "paid"
    engine.record(caller, session, "async_payment_succeeded", request)


def _subscribe(engine: Engine, request: Request, session: dict[str, Any], method: str) -> None:
    customer = session.get("customer") or _new_customer(engine, request, session, method)
    method = payment_methods.attach(engine, request, method, str(customer))
    collection = f"/v1/checkout/sessions/{session['id']}/line_items"
    lines = store.children(engine.sandbox.db, request.caller.account, collection)
    items = [{"price": _id(line["price"]), "quantity": line.get("quantity", 1)} for line in lines]
    subscription = engine.call(
        request, "POST", "/v1/subscriptions",
        {"customer": customer, "items": items, "default_payment_method": method,
         "metadata": (session.get("subscription_data") or {}).get("metadata") or {}},
    )  # fmt: skip
    session.update(
        customer=customer, subscription=subscription["id"],
        invoice=_id(subscription.get("latest_invoice")),
    )  # fmt: skip
    _details(engine, request, session, method)
    paid = subscription.get("status") in ("active", "trialing")
    _complete(engine, request, session, "paid" if paid else "unpaid")


def _set_up(engine: Engine, request: Request, session: dict[str, Any], method: str) -> None:
    customer = session.get("customer")
    if customer is not None:
        method = payment_methods.attach(engine, request, method, str(customer))
    params: dict[str, Any] = {
        "payment_method": method,
        "payment_method_types": session.get("payment_method_types") or ["card"],
        "confirm": True,
    }
    if customer is not None:
        params["customer"] = customer
    intent = engine.call(request, "POST", "/v1/setup_intents", params)
    session["setup_intent"] = intent["id"]
    _details(engine, request, session, method)
    _complete(engine, request, session, "no_payment_required")


def _complete(engine: Engine, request: Request, session: dict[str, Any], paid: str) -> None:
    session.update(status="complete", payment_status=paid, url=None)
    engine.record(request.caller, session, "completed", request)


def _new_customer(engine: Engine, request: Request, session: dict[str, Any], method: str) -> str:
    """The customer Checkout makes from what the page collected (the method's billing
    details, or the session's ``customer_email``)."""
    found = store.find(engine.sandbox.db, request.caller.account, method)
    details = (found or {}).get("billing_details") or {}
    params = {"email": session.get("customer_email") or details.get("email"),
              "name": details.get("name")}  # fmt: skip
    customer = engine.call(request, "POST", "/v1/customers", {k: v for k, v in params.items() if v})
    return str(customer["id"])


def _details(engine: Engine, request: Request, session: dict[str, Any], method: str) -> None:
    """``customer_details``: who paid, as the page collected it."""
    found = store.find(engine.sandbox.db, request.caller.account, method) or {}
    details = found.get("billing_details") or {}
    session["customer_details"] = {
        "address": details.get("address"),
        "email": details.get("email") or session.get("customer_email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
        "tax_exempt": "none",
        "tax_ids": [],
    }


# -- helpers ---------------------------------------------------------------------------------


def _require_open(session: dict[str, Any], verb: str) -> None:
    if session.get("status") != "open":
        raise InvalidRequest(
            f"This Checkout Session is {session.get('status')} and can no longer be {verb}: "
            "only an open session can. Create a new Checkout Session.",
            code="checkout_session_unexpected_state",
        )


def _price_of(engine: Engine, request: Request, item: Any, index: int) -> dict[str, Any]:
    price = item.get("price") if isinstance(item, dict) else None
    if not isinstance(price, str):
        raise InvalidRequest(
            f"Missing required param: line_items[{index}][price] (the price_... it sells).",
            param=f"line_items[{index}][price]",
            code="parameter_missing",
        )
    return engine.load(request.caller, price, ("price",))


def _line_item(
    engine: Engine, request: Request, resource: spec.Resource, price: dict[str, Any],
    quantity: int,
) -> dict[str, Any]:  # fmt: skip
    amount = int(price.get("unit_amount") or 0) * quantity
    line = engine.new(resource, {}, request.caller)
    product = store.find(engine.sandbox.db, request.caller.account, _id(price.get("product")))
    line.update(
        price=price, quantity=quantity, currency=price.get("currency"),
        amount_subtotal=amount, amount_total=amount, amount_discount=0, amount_tax=0,
        description=(product or {}).get("name") or price.get("nickname") or "",
    )  # fmt: skip
    return line


def _intent_data_key(session: dict[str, Any]) -> str:
    return f"checkout_intent_data:{session['id']}"


def _id(value: Any) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value)


BEHAVIOURS: dict[str, Behaviour] = {
    "PostCheckoutSessions": create_session,
    "PostCheckoutSessionsSessionExpire": expire_session,
    PAYMENT_PAGE.id: payment_page,
    PAYMENT_PAGE_CONFIRM.id: confirm_page,
}
