"""Recipes for Issuing: cardholders, cards, authorizations and transactions, with the
Stripe CLI's EU and GB variants (``….eu``, ``….gb``: same events, European params) (pure
data)."""

from __future__ import annotations

from typing import Any

from .model import Recipe, Step, create, recipe, step, update

__all__ = ["RECIPES"]

_REGIONS: dict[str, dict[str, Any]] = {
    "": {
        "currency": "usd",
        "address": {
            "line1": "1234 Main Street",
            "city": "San Francisco",
            "state": "CA",
            "postal_code": "94111",
            "country": "US",
        },
    },
    ".eu": {
        "currency": "eur",
        "address": {
            "line1": "Friedrichstraße 123",
            "city": "Berlin",
            "postal_code": "10117",
            "country": "DE",
        },
    },
    ".gb": {
        "currency": "gbp",
        "address": {
            "line1": "71 Crown Street",
            "city": "London",
            "postal_code": "W10 2WB",
            "country": "GB",
        },
    },
}


def _cardholder(region: str) -> Step:
    return step(
        "cardholder",
        create(
            "cardholder",
            "issuing.cardholder",
            "issuing_cardholder.created",
            values={"status": "active", "type": "individual"},
        ),
        params={
            "name": "My Cardholder",
            "email": "cardholder@example.com",
            "individual": {"first_name": "My", "last_name": "Cardholder"},
            "billing": {"address": _REGIONS[region]["address"]},
        },
    )


def _card(region: str) -> Step:
    return step(
        "card",
        create(
            "card",
            "issuing.card",
            "issuing_card.created",
            values={
                "cardholder": "${cardholder}",
                "type": "virtual",
                "status": "active",
                "replaced_by": None,
                "replacement_for": None,
            },
        ),
        params={"currency": _REGIONS[region]["currency"]},
    )


def _authorization(region: str) -> Step:
    return step(
        "authorization_request",
        create(
            "authorization",
            "issuing.authorization",
            "issuing_authorization.request",
            values={
                "card": "${card}",
                "cardholder": "${cardholder:id}",
                "approved": False,
                "status": "pending",
                "currency": _REGIONS[region]["currency"],
                "merchant_currency": _REGIONS[region]["currency"],
                "pending_request": {
                    "amount": 100,
                    "is_amount_controllable": False,
                    "currency": _REGIONS[region]["currency"],
                },
                "transactions": [],
            },
        ),
        update(
            "authorization",
            "issuing_authorization.created",
            values={"approved": True, "pending_request": None},
        ),
        params={"amount": 100, "authorization_method": "online"},
    )


_transaction = step(
    "transaction",
    create(
        "transaction",
        "issuing.transaction",
        "issuing_transaction.created",
        values={
            "card": "${card:id}",
            "cardholder": "${cardholder:id}",
            "authorization": None,
            "type": "capture",
            "amount": -100,
            "merchant_amount": -100,
            "currency": "usd",
        },
    ),
    params={"metadata": {}},
)

RECIPES: tuple[Recipe, ...] = (
    *(
        recipe(
            f"issuing_cardholder.created{region}",
            _cardholder(region),
            event_type="issuing_cardholder.created",
        )
        for region in _REGIONS
    ),
    *(
        recipe(
            f"issuing_card.created{region}",
            _cardholder(region),
            _card(region),
            event_type="issuing_card.created",
        )
        for region in _REGIONS
    ),
    *(
        recipe(
            f"issuing_authorization.request{region}",
            _cardholder(region),
            _card(region),
            _authorization(region),
            event_type="issuing_authorization.request",
        )
        for region in _REGIONS
    ),
    recipe("issuing_transaction.created", _cardholder(""), _card(""), _transaction),
    recipe(
        "issuing_transaction.updated",
        _cardholder(""),
        _card(""),
        _transaction,
        step(
            "transaction_update",
            update("transaction", "issuing_transaction.updated"),
            params={"metadata": {"order": "6735"}},
        ),
    ),
    recipe(
        "issuing_transaction.purchase_details_receipt_updated",
        _cardholder(""),
        _card(""),
        _transaction,
        step(
            "purchase_details_receipt",
            update(
                "transaction",
                "issuing_transaction.purchase_details_receipt_updated",
                values={
                    "purchase_details.receipt": [
                        {"description": "Coffee", "quantity": 1, "total": 100, "unit_cost": 100}
                    ]
                },
            ),
        ),
    ),
)
