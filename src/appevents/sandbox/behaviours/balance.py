"""The account's Stripe balance: what each movement of money (a charge, a refund, a payout,
a transfer, a top-up) adds or takes, as a balance transaction, and the balance object
``GET /v1/balance`` answers, one per account and mode.

At Stripe, a card charge's funds are ``pending`` until its balance transaction's
``available_on`` (some days later; at once for the ``bypassPending`` test card), then
``available``, and Stripe emits ``balance.available`` with the balance object when funds
become available. Money going out (a payout, a transfer) is taken from the available
balance and refused with ``balance_insufficient`` when it is short; a refund is taken from
the available balance, then from the pending one, and may leave it negative.

The API other behaviours use:

- :func:`credit` adds money (a charge, a top-up, a reversed transfer) and returns its
  balance transaction;
- :func:`debit` takes money (a refund, a payout, a transfer) and returns its balance
  transaction, or raises Stripe's ``balance_insufficient``;
- :func:`announce` emits ``balance.available``; :func:`current` is the balance object
  now; :func:`settle` makes due pending funds available (``balance.available``).
"""

from __future__ import annotations

from typing import Any

from ..rest import build, spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = [
    "BEHAVIOURS",
    "PENDING_DAYS",
    "announce",
    "card_fee",
    "credit",
    "current",
    "debit",
    "settle",
]

PENDING_DAYS = 2
"""Days a card charge's funds stay pending (Stripe's US test accounts: about two)."""
_DAY = 86400
# What Stripe reports each type of balance transaction under.
_CATEGORIES = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "adjustment": "dispute",
    "payout": "payout",
    "payout_cancel": "payout_reversal",
    "payout_failure": "payout_reversal",
    "transfer": "transfer",
    "transfer_cancel": "transfer_reversal",
    "transfer_refund": "transfer_reversal",
    "topup": "topup",
    "topup_reversal": "topup_reversal",
    "stripe_fee": "fee",
}


def card_fee(amount: int) -> int:
    """Stripe's fee for a US card charge: 2.9% + 30 cents."""
    return round(amount * 0.029) + 30 if amount > 0 else 0


def credit(
    engine: Engine,
    request: Request,
    *,
    amount: int,
    currency: str,
    source: str | None,
    type: str,
    fee: int = 0,
    available: bool = False,
    description: str | None = None,
    source_type: str = "card",
    announce: bool = True,
) -> dict[str, Any]:
    """Add ``amount`` (less ``fee``) to the balance for ``source`` (a ch_, tu_, trr_ id),
    as a new balance transaction of ``type`` (``charge``, ``topup``...), stored and
    returned. ``available`` funds are available at once (and ``balance.available`` is
    emitted, unless not ``announce``: then the caller calls :func:`announce` once its own
    events are out, as Stripe's come after the charge's); others are pending for
    :data:`PENDING_DAYS`."""
    now = engine.sandbox.now()
    transaction = _transaction(
        engine, request, amount=amount, currency=currency, source=source, type=type, fee=fee,
        description=description,
        available_on=now if available else now + PENDING_DAYS * _DAY,
    )  # fmt: skip
    if available:
        transaction["status"] = "available"
    with engine.sandbox.transaction():
        engine.record(request.caller, transaction, "created", request)
        balance = current(engine, request)
        _add(balance, "available" if available else "pending", currency, amount - fee,
             source_type)  # fmt: skip
        _keep(engine, request, balance)
        if available and announce:
            engine.record(request.caller, balance, "available", request)
    return transaction


def announce(engine: Engine, request: Request) -> None:
    """Emit ``balance.available`` with the balance as it is now."""
    engine.record(request.caller, current(engine, request), "available", request)


def debit(
    engine: Engine,
    request: Request,
    *,
    amount: int,
    currency: str,
    source: str | None,
    type: str,
    description: str | None = None,
    from_pending: bool = False,
    source_type: str = "card",
) -> dict[str, Any]:
    """Take ``amount`` from the available balance for ``source`` (a re_, po_, tr_ id), as
    a new balance transaction of ``type`` (``refund``, ``payout``, ``transfer``) with a
    negative amount, stored and returned. Short of available funds, Stripe's
    ``balance_insufficient`` error is raised, unless ``from_pending`` (a refund, a
    dispute): then the rest is taken from the pending balance, and what that does not
    cover leaves the available balance negative."""
    balance = current(engine, request)
    have = _amount(balance, "available", currency)
    pending = _amount(balance, "pending", currency)
    if amount > have and not from_pending:
        raise InvalidRequest(
            f"You have insufficient funds in your Stripe account for this {type}: it needs "
            f"{amount} {currency} and your available {currency} balance is {have}. Add funds "
            "(a top-up, or a charge with the test card 4000000000000077, whose funds are "
            "available at once) or ask for less. See GET /v1/balance.",
            code="balance_insufficient",
        )
    now = engine.sandbox.now()
    transaction = _transaction(
        engine, request, amount=-amount, currency=currency, source=source, type=type, fee=0,
        description=description, available_on=now,
    )  # fmt: skip
    transaction["status"] = "available"
    # A refund or a dispute is never refused: what neither the available nor the pending
    # balance covers leaves the available balance negative, as Stripe's does.
    from_pending_part = min(amount - min(amount, max(have, 0)), max(pending, 0))
    from_pending_part = from_pending_part if from_pending else 0
    with engine.sandbox.transaction():
        engine.record(request.caller, transaction, "created", request)
        _add(balance, "available", currency, from_pending_part - amount, source_type)
        if from_pending_part:
            _add(balance, "pending", currency, -from_pending_part, source_type)
        _keep(engine, request, balance)
    return transaction


def current(engine: Engine, request: Request) -> dict[str, Any]:
    """The account's balance object in the caller's mode (an empty one at first)."""
    caller = request.caller
    found = store.find(engine.sandbox.db, caller.account, _key(caller.livemode))
    if found is None:
        return build.new_value("balance", engine.made(caller))
    return {name: value for name, value in found.items() if name != "id"}


def settle(engine: Engine, request: Request) -> None:
    """Make the pending funds whose ``available_on`` has come available, as Stripe does
    each day, emitting ``balance.available`` when any did."""
    caller = request.caller
    now = engine.sandbox.now()
    rows = store.list_of(engine.sandbox.db, caller.account, caller.livemode,
                         ["balance_transaction"])  # fmt: skip
    due = [r for r in rows if r.get("status") == "pending" and int(r["available_on"]) <= now]
    if not due:
        return
    with engine.sandbox.transaction():
        balance = current(engine, request)
        for transaction in due:
            transaction["status"] = "available"
            net, currency = int(transaction["net"]), str(transaction["currency"])
            _add(balance, "pending", currency, -net, "card")
            _add(balance, "available", currency, net, "card")
            store.save(engine.sandbox.db, caller.account, caller.livemode, transaction, now)
        _keep(engine, request, balance)
        engine.record(caller, balance, "available", request)


def retrieve_balance(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "balance", write=False)
    settle(engine, request)
    return current(engine, request)


def _transaction(
    engine: Engine,
    request: Request,
    *,
    amount: int,
    currency: str,
    source: str | None,
    type: str,
    fee: int,
    description: str | None,
    available_on: int,
) -> dict[str, Any]:
    resource = spec.resource("balance_transaction")
    assert resource is not None  # the spec has balance transactions
    body = engine.new(resource, {}, request.caller)
    fee_details = (
        [{"amount": fee, "application": None, "currency": currency,
          "description": "Stripe processing fees", "type": "stripe_fee"}]
        if fee else []
    )  # fmt: skip
    body.update(
        amount=amount,
        available_on=available_on,
        currency=currency,
        description=description,
        fee=fee,
        fee_details=fee_details,
        net=amount - fee,
        reporting_category=_CATEGORIES.get(type, type),
        source=source,
        status="pending",
        type=type,
    )
    return body


def _amount(balance: dict[str, Any], part: str, currency: str) -> int:
    funds = balance.get(part, [])
    return sum(int(each["amount"]) for each in funds if each["currency"] == currency)


def _add(balance: dict[str, Any], part: str, currency: str, amount: int, source_type: str) -> None:
    """Add ``amount`` to the ``part`` (available, pending) of ``currency``, by source type."""
    funds = balance.setdefault(part, [])
    entry = next((each for each in funds if each["currency"] == currency), None)
    if entry is None:
        entry = {"amount": 0, "currency": currency, "source_types": {source_type: 0}}
        funds.append(entry)
    entry["amount"] += amount
    types = entry.setdefault("source_types", {})
    types[source_type] = types.get(source_type, 0) + amount


def _keep(engine: Engine, request: Request, balance: dict[str, Any]) -> None:
    caller = request.caller
    store.save(engine.sandbox.db, caller.account, caller.livemode,
               {**balance, "id": _key(caller.livemode)}, engine.sandbox.now())  # fmt: skip


def _key(livemode: bool) -> str:
    """Where an account's balance is kept: the engine's key for ``/v1/balance`` in test
    mode, its own in live mode (one balance per mode, as Stripe's)."""
    key = store.singleton_id("/v1/balance")
    return key if not livemode else f"{key}#live"


BEHAVIOURS: dict[str, Behaviour] = {"GetBalance": retrieve_balance}
