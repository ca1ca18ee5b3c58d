"""A confirmed card payment as Stripe performs it: the payment intent, its card, its charge
and the intent's outcome (succeeded, failed, requiring action or capture), linked both ways.
Used by the payment recipes and by invoices and subscriptions that get paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .model import Change, Step, create, step, update

__all__ = [
    "CLI_DESCRIPTION",
    "DECLINE",
    "VISA",
    "PaymentOutcome",
    "card_payment",
    "payment_changes",
]

PaymentOutcome = Literal["succeeded", "failed", "requires_action", "requires_capture"]
CLI_DESCRIPTION = "(created by appevents trigger)"
VISA = {
    "brand": "visa",
    "country": "US",
    "exp_month": 12,
    "exp_year": 2034,
    "funding": "credit",
    "last4": "4242",
}
DECLINE = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "type": "card_error",
}


def card_payment(
    name: str = "payment_intent",
    *,
    outcome: PaymentOutcome = "succeeded",
    amount: int = 2000,
    currency: str = "usd",
    customer: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Step:
    """``POST /v1/payment_intents`` with ``confirm=true`` and a test card."""
    return step(
        name,
        *payment_changes(outcome, customer=customer),
        params={
            "amount": amount,
            "currency": currency,
            "description": CLI_DESCRIPTION,
            **(params or {}),
        },
    )


def payment_changes(
    outcome: PaymentOutcome = "succeeded",
    *,
    customer: str | None = None,
    invoice: str | None = None,
    amount: int | str = 2000,
    keys: tuple[str, str, str] = ("payment_intent", "charge", "card"),
) -> list[Change]:
    """A confirmed payment intent: the intent, its card, its charge and the intent's outcome,
    linked both ways."""
    intent, charge, card = keys
    link = {
        "customer": f"${{{customer}:id}}" if customer else None,
        "invoice": f"${{{invoice}:id}}" if invoice else None,
    }
    charge_values: dict[str, Any] = {
        **link,
        "amount": f"${{{intent}:amount}}",
        "currency": f"${{{intent}:currency}}",
        "payment_intent": f"${{{intent}:id}}",
        "payment_method": f"${{{card}:id}}",
        "amount_refunded": 0,
        "refunded": False,
        "disputed": False,
        "refunds": None,
        "status": "succeeded",
        "paid": True,
        "captured": True,
        "amount_captured": f"${{{intent}:amount}}",
        "failure_code": None,
        "failure_message": None,
        "description": f"${{{intent}:description}}",
    }
    changes: list[Change] = [
        create(
            intent,
            "payment_intent",
            "payment_intent.created",
            values={
                **link,
                "amount": amount,
                "currency": "usd",
                "status": "requires_confirmation",
                "amount_received": 0,
                "amount_capturable": 0,
                "latest_charge": None,
                "last_payment_error": None,
                "next_action": None,
                "canceled_at": None,
                "cancellation_reason": None,
                "payment_method": f"${{{card}:id}}",
                "payment_method_types": ["card"],
                "client_secret": None,
                "capture_method": "automatic",
            },
        ),
        create(card, "payment_method", values={"type": "card", "card": VISA, "customer": None}),
    ]
    if outcome == "succeeded":
        changes += [
            create(charge, "charge", "charge.succeeded", values=charge_values),
            update(
                intent,
                "payment_intent.succeeded",
                values={
                    "status": "succeeded",
                    "amount_received": f"${{{intent}:amount}}",
                    "latest_charge": f"${{{charge}:id}}",
                },
            ),
        ]
    elif outcome == "requires_capture":
        changes += [
            create(
                charge,
                "charge",
                "charge.succeeded",
                values={**charge_values, "captured": False, "amount_captured": 0},
            ),
            update(
                intent,
                "payment_intent.amount_capturable_updated",
                values={
                    "status": "requires_capture",
                    "latest_charge": f"${{{charge}:id}}",
                    "amount_capturable": f"${{{intent}:amount}}",
                    "capture_method": "manual",
                },
            ),
        ]
    elif outcome == "failed":
        failure = {**DECLINE, "charge": f"${{{charge}:id}}"}
        changes += [
            create(
                charge,
                "charge",
                "charge.failed",
                values={
                    **charge_values,
                    "status": "failed",
                    "paid": False,
                    "captured": False,
                    "amount_captured": 0,
                    "failure_code": "card_declined",
                    "failure_message": "Your card was declined.",
                },
            ),
            update(
                intent,
                "payment_intent.payment_failed",
                values={
                    "status": "requires_payment_method",
                    "last_payment_error": failure,
                    "latest_charge": f"${{{charge}:id}}",
                    "payment_method": None,
                },
            ),
        ]
    else:
        changes.append(
            update(
                intent,
                "payment_intent.requires_action",
                values={
                    "status": "requires_action",
                    "next_action": {"type": "use_stripe_sdk", "use_stripe_sdk": {}},
                },
            )
        )
    return changes
