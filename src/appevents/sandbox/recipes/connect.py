"""Recipes for the account and money movement: account updates, transfers to a connected
account, payouts, top-ups and the balance (pure data).

The transfer recipes make the destination as an account object in the sandbox's object store
(retrievable at ``/v1/accounts/{id}`` only as an object of the event), not as a connected
account with keys: create one with ``appevents accounts create`` for that.
"""

from __future__ import annotations

from .card_payments import CLI_DESCRIPTION, card_payment
from .model import Recipe, create, recipe, step, update

__all__ = ["RECIPES"]

_funds = card_payment(params={"amount": 1000, "description": CLI_DESCRIPTION})
_destination = step(
    "account",
    create(
        "account",
        "account",
        values={
            "type": "custom",
            "country": "US",
            "charges_enabled": True,
            "payouts_enabled": True,
            "metadata": {},
        },
    ),
)
_transfer = step(
    "transfer",
    create(
        "transfer",
        "transfer",
        "transfer.created",
        values={
            "destination": "${account:id}",
            "reversed": False,
            "amount_reversed": 0,
            "source_transaction": None,
            "reversals.data": [],
            "reversals.total_count": 0,
        },
    ),
    params={"amount": 1000, "currency": "usd", "description": CLI_DESCRIPTION},
)
_payout = step(
    "payout",
    create(
        "payout",
        "payout",
        "payout.created",
        values={
            "status": "pending",
            "arrival_date": "${context:now+172800}",
            "failure_code": None,
            "failure_message": None,
        },
    ),
    params={"amount": 1100, "currency": "usd", "description": CLI_DESCRIPTION},
)

RECIPES: tuple[Recipe, ...] = (
    recipe(
        "account.updated",
        step(
            "account",
            create(
                "account",
                "account",
                values={"id": "${context:account}", "metadata": {}, "email": None},
            ),
        ),
        step(
            "account_update",
            update("account", "account.updated"),
            params={"metadata": {"updated_by": "appevents trigger"}},
        ),
        note="the account object is Stripe's sample with the target account's id",
    ),
    recipe(
        "balance.available",
        _funds,
        step(
            "balance",
            create(
                "balance",
                "balance",
                "balance.available",
                values={
                    "available": [
                        {
                            "amount": "${payment_intent:amount}",
                            "currency": "usd",
                            "source_types": {"card": "${payment_intent:amount}"},
                        }
                    ],
                    "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
                },
            ),
        ),
    ),
    recipe("transfer.created", _funds, _destination, _transfer),
    recipe(
        "transfer.updated",
        _funds,
        _destination,
        _transfer,
        step(
            "transfer_update",
            update("transfer", "transfer.updated"),
            params={"description": "(updated by appevents trigger)"},
        ),
    ),
    recipe(
        "transfer.reversed",
        _funds,
        _destination,
        _transfer,
        step(
            "transfer_reversal",
            create(
                "reversal",
                "transfer_reversal",
                values={
                    "transfer": "${transfer:id}",
                    "amount": "${transfer:amount}",
                    "currency": "usd",
                },
            ),
            update(
                "transfer",
                "transfer.reversed",
                values={
                    "reversed": True,
                    "amount_reversed": "${reversal:amount}",
                    "reversals.data": ["${reversal}"],
                    "reversals.total_count": 1,
                },
            ),
        ),
    ),
    recipe("payout.created", _payout),
    recipe(
        "payout.updated",
        _payout,
        step(
            "payout_update", update("payout", "payout.updated"), params={"metadata": {"foo": "bar"}}
        ),
    ),
    recipe(
        "topup.created",
        step(
            "topup",
            create(
                "topup",
                "topup",
                "topup.created",
                values={"status": "pending", "expected_availability_date": None},
            ),
            params={"amount": 2000, "currency": "usd", "description": CLI_DESCRIPTION},
        ),
    ),
)
