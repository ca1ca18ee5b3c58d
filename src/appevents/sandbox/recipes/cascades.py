"""Steps many recipes share, as Stripe performs them: a customer with a card, a product and
its price, a subscription and its first invoice (paid with :mod:`.card_payments`).

Each builder returns step data; keys name the objects so that later steps can link to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .card_payments import CLI_DESCRIPTION, VISA, payment_changes
from .model import Change, Step, create, step, update

__all__ = [
    "CLI_DESCRIPTION",
    "customer_with_card",
    "paid_subscription",
    "price",
    "product",
]


def customer_with_card(
    name: str = "customer",
    *,
    card: str | None = "payment_method",
    params: Mapping[str, Any] | None = None,
) -> Step:
    """``POST /v1/customers`` with a card as the default: customer.created, then
    payment_method.attached (when ``card`` names the payment method's key)."""
    changes: list[Change] = [
        create(
            name,
            "customer",
            "customer.created",
            values={
                "balance": 0,
                "delinquent": False,
                "discount": None,
                "default_source": None,
                "email": "jenny.rosen@example.com",
                "name": "Jenny Rosen",
                "invoice_settings.default_payment_method": f"${{{card}:id}}" if card else None,
            },
        )
    ]
    if card:
        changes.append(
            create(
                card,
                "payment_method",
                "payment_method.attached",
                values={"type": "card", "card": VISA, "customer": f"${{{name}:id}}"},
            )
        )
    return step(name, *changes, params={"description": CLI_DESCRIPTION, **(params or {})})


def product(name: str = "product", **params: Any) -> Step:
    return step(
        name,
        create(name, "product", "product.created", values={"active": True, "default_price": None}),
        params={"name": "myproduct", "description": CLI_DESCRIPTION, **params},
    )


def price(
    name: str = "price", *, product_key: str = "product", recurring: bool = True, amount: int = 2000
) -> Step:
    """``POST /v1/prices``; a recurring price is also a plan (plan.created, same id)."""
    changes = [
        create(
            name,
            "price",
            "price.created",
            values={
                "product": f"${{{product_key}:id}}",
                "active": True,
                "billing_scheme": "per_unit",
                "type": "recurring" if recurring else "one_time",
                "lookup_key": None,
                "tiers_mode": None,
                "transform_quantity": None,
                "custom_unit_amount": None,
            },
        )
    ]
    params: dict[str, Any] = {"unit_amount": amount, "currency": "usd"}
    if recurring:
        params["recurring"] = {"interval": "month", "interval_count": 1}
        changes.append(
            create(
                "plan",
                "plan",
                "plan.created",
                values={
                    "id": f"${{{name}:id}}",
                    "product": f"${{{product_key}:id}}",
                    "amount": f"${{{name}:unit_amount}}",
                    "currency": f"${{{name}:currency}}",
                    "interval": "month",
                    "interval_count": 1,
                    "billing_scheme": "per_unit",
                    "usage_type": "licensed",
                    "active": True,
                    "tiers_mode": None,
                    "amount_decimal": None,
                    "transform_usage": None,
                    "meter": None,
                },
            )
        )
        # The plan shares the price's id and the sandbox keeps one object per id: the price.
        changes.append(update(name))
    else:
        params["recurring"] = None
    return step(name, *changes, params=params)


def paid_subscription(
    *,
    outcome: Literal["succeeded", "failed"] = "succeeded",
    customer: str = "customer",
    price_key: str = "price",
    params: Mapping[str, Any] | None = None,
) -> Step:
    """``POST /v1/subscriptions``: the subscription, its first invoice (created, finalized)
    and that invoice's payment, then the invoice paid (or failed)."""
    paid = outcome == "succeeded"
    invoice_paid = (
        update(
            "invoice",
            "invoice.updated",
            "invoice.paid",
            "invoice.payment_succeeded",
            values={
                "status": "paid",
                "paid": True,
                "amount_paid": "${invoice:amount_due}",
                "amount_remaining": 0,
                "attempted": True,
                "attempt_count": 1,
                "status_transitions.paid_at": "${context:now}",
            },
        )
        if paid
        else update(
            "invoice",
            "invoice.updated",
            "invoice.payment_failed",
            values={
                "attempted": True,
                "attempt_count": 1,
                "paid": False,
                "next_payment_attempt": "${context:now+259200}",
            },
        )
    )
    payment = payment_changes(
        "succeeded" if paid else "failed",
        customer=customer,
        invoice="invoice",
        amount="${invoice:amount_due}",
    )
    return step(
        "subscription",
        create(
            "subscription",
            "subscription",
            "customer.subscription.created",
            values={
                "customer": f"${{{customer}:id}}",
                "status": "active" if paid else "incomplete",
                "latest_invoice": "${invoice:id}",
                "items.data.0.price": f"${{{price_key}}}",
                "items.data.0.plan": "${plan}",
                "items.data.0.subscription": "${subscription:id}",
                "items.data.0.quantity": 1,
                "items.data.0.id": "${subscription_item:id}",
                "plan": "${plan}",
                "quantity": 1,
                "start_date": "${context:now}",
                "current_period_start": "${context:now}",
                "current_period_end": "${context:now+2592000}",
                "items.data.0.current_period_start": "${context:now}",
                "items.data.0.current_period_end": "${context:now+2592000}",
                "cancel_at": None,
                "canceled_at": None,
                "ended_at": None,
                "trial_start": None,
                "trial_end": None,
                "pause_collection": None,
                "schedule": None,
                "default_payment_method": None,
                "cancel_at_period_end": False,
            },
        ),
        create(
            "subscription_item",
            "subscription_item",
            values={
                "subscription": "${subscription:id}",
                "price": f"${{{price_key}}}",
                "plan": "${plan}",
                "quantity": 1,
            },
        ),
        *_first_invoice(customer),
        *payment,
        invoice_paid,
        params=params,
    )


def _first_invoice(customer: str) -> tuple[Change, Change]:
    return (
        create(
            "invoice",
            "invoice",
            "invoice.created",
            values={
                "customer": f"${{{customer}:id}}",
                "subscription": "${subscription:id}",
                "parent": {
                    "type": "subscription_details",
                    "quote_details": None,
                    "subscription_details": {"subscription": "${subscription:id}", "metadata": {}},
                },
                "billing_reason": "subscription_create",
                "status": "draft",
                "paid": False,
                "amount_due": 2000,
                "amount_paid": 0,
                "amount_remaining": 2000,
                "subtotal": 2000,
                "total": 2000,
                "currency": "usd",
                "attempted": False,
                "attempt_count": 0,
                "payment_intent": "${payment_intent:id}",
                "charge": "${charge:id}",
                "lines.data.0.invoice": "${invoice:id}",
                "lines.data.0.amount": 2000,
                "lines.data.0.subscription": "${subscription:id}",
                "number": None,
                "hosted_invoice_url": None,
                "invoice_pdf": None,
                "status_transitions.finalized_at": None,
                "status_transitions.paid_at": None,
                "customer_email": "${customer:email}",
                "customer_name": "${customer:name}",
            },
        ),
        update(
            "invoice",
            "invoice.finalized",
            values={
                "status": "open",
                "number": "${context:account}-0001",
                "status_transitions.finalized_at": "${context:now}",
            },
        ),
    )
