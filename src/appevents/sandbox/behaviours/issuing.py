"""Issuing: authorizations on a card and the transactions that capture them.

A purchase on an active card asks the platform first: Stripe emits
``issuing_authorization.request`` with the ``pending_request`` (amount, currency) it
waits on, then, the request answered, ``issuing_authorization.created`` with the decision
in ``request_history``. The sandbox has no real-time webhook to wait for: it approves, as
Stripe does for a card whose spending controls allow it when the request is not
declined. A card that is not active is declined without a request (``card_inactive``).
Capturing an authorization (test helper) makes an ``issuing.transaction`` of type
``capture`` (``issuing_transaction.created``) and closes the authorization
(``issuing_authorization.updated``); a forced capture makes the transaction without one.
A transaction given ``purchase_details[receipt]`` emits
``issuing_transaction.purchase_details_receipt_updated`` after its ``.created``.
Amounts of a capture reach the balance as a spend: they are negative on the transaction.

Besides the test helpers of Stripe's spec, the Stripe CLI's fixtures authorize through
``POST /v1/issuing/cards/{card}/test/authorizations`` (``held_amount``), a path Stripe's
public spec lacks: it is declared here (``UNLISTED``) and routed as the others.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS", "UNLISTED"]

_CARD = ("issuing.card",)
_AUTHORIZATION = ("issuing.authorization",)

CARD_TEST_AUTHORIZATION = spec.Operation(
    method="POST",
    path="/v1/issuing/cards/{card}/test/authorizations",
    id="PostIssuingCardsCardTestAuthorizations",
    kind="create",
    answers=_AUTHORIZATION,
    path_params=("card",),
    form={
        "t": "object",
        "p": {
            "held_amount": {"t": "integer"},
            "held_currency": {"t": "string"},
            "amount": {"t": "integer"},
            "currency": {"t": "string"},
            "authorization_method": {
                "t": "string", "e": ["chip", "contactless", "keyed_in", "online", "swipe"],
            },
            "expand": {"t": "array", "i": {"t": "string"}},
        },
    },
)  # fmt: skip
UNLISTED = (CARD_TEST_AUTHORIZATION,)
"""Operations the CLI's fixtures call that Stripe's public spec does not list."""

# What a test authorization names when its request gives no merchant (Stripe's defaults
# for its test helpers).
_MERCHANT: dict[str, Any] = {
    "category": "miscellaneous_general_merchandise",
    "category_code": "5399",
    "city": None,
    "country": None,
    "name": None,
    "network_id": "1234567890",
    "postal_code": None,
    "state": None,
    "terminal_id": None,
    "url": None,
}


def create_test_authorization(engine: Engine, request: Request) -> Any:
    """``/v1/test_helpers/issuing/authorizations``: a purchase on ``card``."""
    card = request.params.get("card")
    if not isinstance(card, str):
        raise InvalidRequest(
            "Missing required param: card (the ic_... card the purchase is made with).",
            param="card",
            code="parameter_missing",
        )
    return _authorize(engine, request, card, request.params.get("amount"))


def card_test_authorization(engine: Engine, request: Request) -> Any:
    """The CLI's ``/v1/issuing/cards/{card}/test/authorizations`` (``held_amount``)."""
    params = request.params
    amount = params.get("held_amount", params.get("amount"))
    if "held_currency" in params:
        request = request.with_params(currency=params["held_currency"])
    return _authorize(engine, request, request.first_id, amount)


def _authorize(engine: Engine, request: Request, card_id: str, amount: Any) -> dict[str, Any]:
    caller = request.caller
    engine.require(caller, _AUTHORIZATION[0], write=True)
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidRequest(
            f"Invalid amount: {amount!r}: the purchase's amount is a positive integer in the "
            "currency's smallest unit (such as 100 for $1.00).",
            param="amount",
        )
    card = engine.load(caller, card_id, _CARD)
    currency = str(request.params.get("currency") or card.get("currency") or "usd")
    resource = spec.resource(_AUTHORIZATION[0])
    assert resource is not None  # the spec has authorizations
    authorization = engine.new(resource, {}, caller)
    merchant = {**_MERCHANT, **(request.params.get("merchant_data") or {})}
    now = engine.sandbox.now()
    active = card.get("status") == "active"
    decision = {
        "amount": amount if active else 0,
        "amount_details": None,
        "approved": active,
        "authorization_code": None,
        "created": now,
        "currency": currency,
        "merchant_amount": amount,
        "merchant_currency": currency,
        "network_risk_score": None,
        "reason": "webhook_approved" if active else "card_inactive",
        "reason_message": None,
        "requested_at": now,
    }
    authorization.update(
        amount=0,
        amount_details=None,
        approved=False,
        authorization_method=request.params.get("authorization_method", "online"),
        balance_transactions=[],
        card=card,
        cardholder=_id_of(card.get("cardholder")),
        currency=currency,
        merchant_amount=amount,
        merchant_currency=currency,
        merchant_data=merchant,
        metadata=request.params.get("metadata") or {},
        request_history=[],
        status="pending",
        transactions=[],
        token=None,
        treasury=None,
        wallet=None,
    )
    with engine.sandbox.transaction():
        if active:
            authorization["pending_request"] = {
                "amount": amount, "amount_details": None, "currency": currency,
                "is_amount_controllable": False, "merchant_amount": amount,
                "merchant_currency": currency, "network_risk_score": None,
            }  # fmt: skip
            engine.record(caller, authorization, "request", request)
        authorization.update(
            amount=amount if active else 0,
            approved=active,
            pending_request=None,
            request_history=[decision],
            status="pending" if active else "closed",
        )
        engine.record(caller, authorization, "created", request)
    return authorization


def capture_authorization(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, _AUTHORIZATION[0], write=True)
    authorization = engine.load(caller, request.object_id, _AUTHORIZATION)
    if authorization.get("status") != "pending" or not authorization.get("approved"):
        raise InvalidRequest(
            f"Authorization {authorization['id']} has a status of {authorization.get('status')}"
            f"{'' if authorization.get('approved') else ' (declined)'} and cannot be captured: "
            "capture an approved, pending authorization.",
            code="issuing_authorization_unexpected_state",
        )
    amount = request.params.get("capture_amount", authorization["amount"])
    card = authorization["card"]
    with engine.sandbox.transaction():
        transaction = _transaction(
            engine, request, card, amount, str(authorization["currency"]),
            authorization["merchant_data"], authorization=str(authorization["id"]),
        )  # fmt: skip
        previous = {
            "amount": authorization["amount"],
            "status": authorization["status"],
            "transactions": list(authorization["transactions"]),
        }
        close = request.params.get("close_authorization", True)
        authorization.update(
            amount=0 if close else max(0, int(authorization["amount"]) - int(amount)),
            status="closed" if close else "pending",
            transactions=[*authorization["transactions"], transaction],
        )
        engine.record(caller, authorization, "updated", request, previous=previous)
    return authorization


def force_capture(engine: Engine, request: Request) -> Any:
    caller = request.caller
    params = request.params
    engine.require(caller, "issuing.transaction", write=True)
    card = engine.load(caller, str(params.get("card", "")), _CARD)
    amount = params.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidRequest(
            f"Invalid amount: {amount!r}: a capture's amount is a positive integer in the "
            "currency's smallest unit.",
            param="amount",
        )
    currency = str(params.get("currency") or card.get("currency") or "usd")
    merchant = {**_MERCHANT, **(params.get("merchant_data") or {})}
    with engine.sandbox.transaction():
        return _transaction(
            engine, request, card, amount, currency, merchant, authorization=None,
            purchase_details=params.get("purchase_details"),
        )  # fmt: skip


def _transaction(
    engine: Engine,
    request: Request,
    card: dict[str, Any],
    amount: int,
    currency: str,
    merchant: dict[str, Any],
    *,
    authorization: str | None,
    purchase_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A capture of ``amount`` on ``card``: ``.created``, then its receipt's event."""
    caller = request.caller
    resource = spec.resource("issuing.transaction")
    assert resource is not None  # the spec has transactions
    transaction = engine.new(resource, {}, caller)
    transaction.update(
        amount=-amount,  # a spend: it leaves the balance
        amount_details=None,
        authorization=authorization,
        balance_transaction=None,
        card=card["id"],
        cardholder=_id_of(card.get("cardholder")),
        currency=currency,
        dispute=None,
        merchant_amount=-amount,
        merchant_currency=currency,
        merchant_data=merchant,
        metadata={},
        purchase_details=None,
        token=None,
        treasury=None,
        type="capture",
        wallet=None,
    )
    engine.record(caller, transaction, "created", request)
    receipt = (purchase_details or {}).get("receipt")
    if purchase_details:
        transaction["purchase_details"] = _purchase_details(purchase_details)
        if receipt:
            engine.record(caller, transaction, "purchase_details_receipt_updated", request)
        else:
            engine.record(caller, transaction, "updated", request,
                          previous={"purchase_details": None})  # fmt: skip
    return transaction


def _purchase_details(given: dict[str, Any]) -> dict[str, Any]:
    """The spec's shape, with what the request gave."""
    fields = ("flight", "fleet", "fuel", "lodging", "receipt", "reference")
    details = {name: given.get(name) for name in fields}
    if isinstance(details["receipt"], list):
        details["receipt"] = [_receipt_line(each) for each in details["receipt"]]
    return details


def _receipt_line(given: Any) -> dict[str, Any]:
    """A receipt's line as the spec types it: a number of items at a unit cost, totalled
    (the request's ``quantity`` is a decimal string)."""
    line = given if isinstance(given, dict) else {}
    quantity = float(line["quantity"]) if line.get("quantity") not in (None, "") else None
    unit_cost = int(line["unit_cost"]) if line.get("unit_cost") not in (None, "") else None
    total = line.get("total")
    if total in (None, "") and quantity is not None and unit_cost is not None:
        total = round(quantity * unit_cost)
    return {
        "description": line.get("description"),
        "quantity": quantity,
        "total": None if total in (None, "") else int(total),
        "unit_cost": unit_cost,
    }


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("id"))
    return None if value in (None, "") else str(value)


BEHAVIOURS: dict[str, Behaviour] = {
    CARD_TEST_AUTHORIZATION.id: card_test_authorization,
    "PostTestHelpersIssuingAuthorizations": create_test_authorization,
    "PostTestHelpersIssuingAuthorizationsAuthorizationCapture": capture_authorization,
    "PostTestHelpersIssuingTransactionsCreateForceCapture": force_capture,
}
