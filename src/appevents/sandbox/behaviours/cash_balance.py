"""Customers' cash balances: bank transfers a customer sends, held for them and applied to
their payment intents paid with ``customer_balance``, as Stripe applies them.

``/v1/test_helpers/customers/{customer}/fund_cash_balance`` stands for a transfer coming in:
a ``funded`` cash balance transaction (``customer_cash_balance_transaction.created``), the
cash balance grown (``cash_balance.funds_available``), then, with automatic reconciliation,
the funds applied to the customer's waiting intents, oldest first: an ``applied_to_payment``
transaction each; an intent paid in full succeeds (``charge.succeeded``,
``payment_intent.succeeded``), one paid in part is ``payment_intent.partially_funded``
with what remains in its bank transfer instructions.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import charges

__all__ = ["BEHAVIOURS"]

# The bank transfer each currency arrives by (docs.stripe.com/payments/bank-transfers).
_TRANSFER_TYPES = {
    "jpy": "jp_bank_transfer",
    "usd": "us_bank_transfer",
    "eur": "eu_bank_transfer",
    "gbp": "gb_bank_transfer",
    "mxn": "mx_bank_transfer",
}


def fund_cash_balance(engine: Engine, request: Request) -> Any:
    params = request.params
    caller = request.caller
    engine.require(caller, "customer", write=True)
    customer = engine.load(caller, request.first_id, ("customer",))
    amount, currency = params.get("amount"), str(params.get("currency", "")).lower()
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidRequest(
            f"Invalid amount: {amount!r}. The amount to fund must be a positive integer in "
            "the currency's smallest unit (such as 1000).",
            param="amount",
            code="parameter_invalid_integer",
        )
    if currency not in _TRANSFER_TYPES:
        raise InvalidRequest(
            f"Invalid currency: {currency!r}. A cash balance is funded in one of "
            f"{', '.join(sorted(_TRANSFER_TYPES))}.",
            param="currency",
            code="parameter_invalid_string",
        )
    with engine.sandbox.transaction():
        cash = _cash_balance(engine, request, str(customer["id"]))
        held = dict(cash.get("available") or {})
        held[currency] = int(held.get(currency, 0)) + amount
        cash["available"] = held
        funded = _transaction(engine, request, str(customer["id"]), currency, amount, held)
        funded["funded"] = {"bank_transfer": {
            "reference": params.get("reference") or str(funded["id"])[-10:].upper(),
            "type": _TRANSFER_TYPES[currency],
        }}  # fmt: skip
        _record(engine, request, funded)
        _keep(engine, request, cash)
        engine.record(caller, cash, "funds_available", request)
        if (cash.get("settings") or {}).get("reconciliation_mode", "automatic") == "automatic":
            _apply(engine, request, cash, currency)
    return funded


def _apply(engine: Engine, request: Request, cash: dict[str, Any], currency: str) -> None:
    """Apply the held funds to the customer's intents waiting for a transfer."""
    caller = request.caller
    customer = str(cash["customer"])
    rows = store.list_of(engine.sandbox.db, caller.account, caller.livemode, ["payment_intent"])
    waiting = sorted(
        (row for row in rows if row.get("customer") == customer
         and row.get("status") in ("requires_action", "partially_funded")
         and row.get("currency") == currency and _remaining(row) > 0),
        key=lambda row: int(row.get("created") or 0),
    )  # fmt: skip
    for intent in waiting:
        held = int(cash["available"].get(currency, 0))
        if held <= 0:
            return
        applied = min(held, _remaining(intent))
        cash["available"][currency] = held - applied
        txn = _transaction(engine, request, customer, currency, -applied, cash["available"])
        txn["type"] = "applied_to_payment"
        txn["applied_to_payment"] = {"payment_intent": intent["id"]}
        _record(engine, request, txn)
        _keep(engine, request, cash)
        left = _remaining(intent) - applied
        if left > 0:
            intent["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] = left
            engine.record(caller, intent, "partially_funded", request)
            continue
        method = engine.load(caller, str(intent["payment_method"]), ("payment_method",))
        charge = charges.new_charge(engine, request, intent, method, capture_now=True)
        intent.update(status="succeeded", amount_received=intent["amount"], next_action=None,
                      latest_charge=charge["id"])  # fmt: skip
        engine.record(caller, intent, "succeeded", request)


def _remaining(intent: dict[str, Any]) -> int:
    action = intent.get("next_action") or {}
    instructions = action.get("display_bank_transfer_instructions") or {}
    return int(instructions.get("amount_remaining") or 0)


def _cash_balance(engine: Engine, request: Request, customer: str) -> dict[str, Any]:
    found = store.find(engine.sandbox.db, request.caller.account, _key(customer))
    if found is not None:
        return {name: value for name, value in found.items() if name != "id"}
    return {
        "object": "cash_balance",
        "available": {},
        "customer": customer,
        "livemode": request.caller.livemode,
        "settings": {"reconciliation_mode": "automatic", "using_merchant_default": True},
    }


def _transaction(
    engine: Engine,
    request: Request,
    customer: str,
    currency: str,
    net: int,
    held: dict[str, int],
) -> dict[str, Any]:
    resource = spec.resource("customer_cash_balance_transaction")
    assert resource is not None  # the spec has cash balance transactions
    body = engine.new(resource, {}, request.caller)
    body.update(customer=customer, currency=currency, net_amount=net,
                ending_balance=int(held.get(currency, 0)), type="funded")  # fmt: skip
    return body


def _record(engine: Engine, request: Request, transaction: dict[str, Any]) -> None:
    engine.record(request.caller, transaction, "created", request)
    collection = f"/v1/customers/{transaction['customer']}/cash_balance_transactions"
    store.add_child(engine.sandbox.db, request.caller.account, collection, str(transaction["id"]))


def _keep(engine: Engine, request: Request, cash: dict[str, Any]) -> None:
    caller = request.caller
    store.save(engine.sandbox.db, caller.account, caller.livemode,
               {**cash, "id": _key(str(cash["customer"]))}, engine.sandbox.now())  # fmt: skip


def _key(customer: str) -> str:
    """Where the engine keeps ``GET /v1/customers/{customer}/cash_balance``'s object."""
    return store.singleton_id(f"/v1/customers/{customer}/cash_balance")


BEHAVIOURS: dict[str, Behaviour] = {
    "PostTestHelpersCustomersCustomerFundCashBalance": fund_cash_balance,
}
