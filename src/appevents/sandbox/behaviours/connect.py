"""Connect's money movements: transfers to connected accounts and their reversals, payouts
to the bank, top-ups, each drawing on (or adding to) the account's balance (balance.py).

- A transfer sends ``amount`` of the platform's available balance to a connected account
  of the platform's (``destination``): refused with Stripe's ``balance_insufficient``
  when the available balance is short, and with a 404 for an account that is not one of
  the platform's. Its balance transaction (type ``transfer``) is negative; it emits
  ``transfer.created``.
- A reversal (``/v1/transfers/{id}/reversals``) gives back up to what is left of the
  transfer (all of it by default): the funds return to the available balance (type
  ``transfer_refund``), ``amount_reversed`` grows, ``reversed`` is true once nothing is
  left, and Stripe emits ``transfer.reversed`` (for partial reversals too).
- A payout takes ``amount`` from the available balance (type ``payout``) and is
  ``pending`` until it arrives (``arrival_date``, two days later): ``payout.created``.
  Cancelling a pending one returns its funds (``payout_cancel``): ``payout.canceled``.
- A top-up adds funds that stay pending until the bank debit clears (Stripe's test
  top-ups: ``pending``, then ``succeeded`` later): ``topup.created``.
"""

from __future__ import annotations

from typing import Any

from ..rest import store
from ..rest.engine import Behaviour, Engine, Request
from ..state import accounts
from ..stripe_errors import InvalidRequest, ResourceMissing
from . import balance

__all__ = ["BEHAVIOURS"]

_DAY = 86400
_PAYOUT_DAYS = 2
"""Days a standard payout takes to arrive (Stripe's US test accounts)."""


def create_transfer(engine: Engine, request: Request) -> Any:
    caller = request.caller
    params = request.params
    engine.require(caller, "transfer", write=True)
    amount, currency = _amount(params, "transfer"), str(params.get("currency", "usd"))
    destination = params.get("destination")
    if not isinstance(destination, str) or not destination:
        raise InvalidRequest(
            "Missing required param: destination (the acct_... of a connected account).",
            param="destination",
            code="parameter_missing",
        )
    if accounts.platform_of(engine.sandbox.db, destination) != caller.account:
        raise ResourceMissing("destination", destination, param="destination")
    with engine.sandbox.transaction():
        moved = balance.debit(engine, request, amount=amount, currency=currency, source=None,
                              type="transfer")  # fmt: skip
        transfer = engine.generic(
            request.with_params(
                balance_transaction=moved["id"], amount_reversed=0, reversed=False,
                source_type="card",
            )
        )  # fmt: skip
        _name_source(engine, request, moved, str(transfer["id"]))
    return transfer


def reverse_transfer(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "transfer", write=True)
    transfer = engine.load(caller, request.first_id, ("transfer",))
    left = int(transfer["amount"]) - int(transfer.get("amount_reversed") or 0)
    amount = request.params.get("amount", left)
    if not isinstance(amount, int) or amount <= 0 or amount > left:
        raise InvalidRequest(
            f"The reversal amount ({amount}) must be positive and at most what is left of "
            f"transfer {transfer['id']} ({left}): ask for {left} or less.",
            param="amount",
        )
    currency = str(transfer["currency"])
    with engine.sandbox.transaction():
        returned = balance.credit(engine, request, amount=amount, currency=currency,
                                  source=None, type="transfer_refund", available=True,
                                  announce=False)  # fmt: skip
        reversal = engine.generic(
            request.with_params(
                amount=amount, currency=currency, balance_transaction=returned["id"]
            )
        )
        _name_source(engine, request, returned, str(reversal["id"]))
        reversals = transfer.get("reversals") or {}
        transfer.update(
            amount_reversed=int(transfer.get("amount_reversed") or 0) + amount,
            reversed=amount == left,
            reversals={**reversals, "data": [reversal, *(reversals.get("data") or [])],
                       "total_count": len(reversals.get("data") or []) + 1},
        )  # fmt: skip
        engine.record(caller, transfer, "reversed", request)
    return reversal


def create_payout(engine: Engine, request: Request) -> Any:
    caller = request.caller
    params = request.params
    engine.require(caller, "payout", write=True)
    amount, currency = _amount(params, "payout"), str(params.get("currency", "usd"))
    with engine.sandbox.transaction():
        moved = balance.debit(engine, request, amount=amount, currency=currency, source=None,
                              type="payout")  # fmt: skip
        payout = engine.generic(
            request.with_params(
                balance_transaction=moved["id"], status="pending", automatic=False,
                arrival_date=engine.sandbox.now() + _PAYOUT_DAYS * _DAY,
                method=params.get("method", "standard"), type="bank_account",
                source_type=params.get("source_type", "card"),
                reconciliation_status="not_applicable",
            )
        )  # fmt: skip
        _name_source(engine, request, moved, str(payout["id"]))
    return payout


def cancel_payout(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "payout", write=True)
    payout = engine.load(caller, request.object_id, ("payout",))
    if payout.get("status") != "pending":
        raise InvalidRequest(
            f"Payout {payout['id']} has a status of {payout.get('status')} and cannot be "
            "canceled: only a pending payout can.",
            code="payout_unexpected_state",
        )
    with engine.sandbox.transaction():
        returned = balance.credit(engine, request, amount=int(payout["amount"]),
                                  currency=str(payout["currency"]), source=payout["id"],
                                  type="payout_cancel", available=True, announce=False)  # fmt: skip
        payout.update(status="canceled", failure_balance_transaction=returned["id"])
        engine.record(caller, payout, "canceled", request)
    return payout


def create_topup(engine: Engine, request: Request) -> Any:
    caller = request.caller
    params = request.params
    engine.require(caller, "topup", write=True)
    amount, currency = _amount(params, "top-up"), str(params.get("currency", "usd"))
    with engine.sandbox.transaction():
        added = balance.credit(engine, request, amount=amount, currency=currency, source=None,
                               type="topup", source_type="bank_account")  # fmt: skip
        topup = engine.generic(
            request.with_params(
                balance_transaction=added["id"], status="pending",
                expected_availability_date=engine.sandbox.now() + balance.PENDING_DAYS * _DAY,
            )
        )  # fmt: skip
        _name_source(engine, request, added, str(topup["id"]))
    return topup


def _amount(params: dict[str, Any], what: str) -> int:
    amount = params.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidRequest(
            f"Invalid amount: {amount!r}: a {what}'s amount is a positive integer in the "
            "currency's smallest unit (such as 1000 for $10.00).",
            param="amount",
        )
    return amount


def _name_source(
    engine: Engine, request: Request, transaction: dict[str, Any], source: str
) -> None:
    """A balance transaction names what moved the money, once that has its id."""
    transaction["source"] = source
    store.save(engine.sandbox.db, request.caller.account, request.caller.livemode,
               transaction, engine.sandbox.now())  # fmt: skip


BEHAVIOURS: dict[str, Behaviour] = {
    "PostTransfers": create_transfer,
    "PostTransfersIdReversals": reverse_transfer,
    "PostPayouts": create_payout,
    "PostPayoutsPayoutCancel": cancel_payout,
    "PostTopups": create_topup,
}
