"""Recipes for payments: payment and setup intents, charges, refunds, disputes, payment
methods, Checkout and payment links, customer sources and cash balances (pure data)."""

from __future__ import annotations

from typing import Any

from .card_payments import CLI_DESCRIPTION, VISA, card_payment, payment_changes
from .cascades import customer_with_card, price, product
from .model import Recipe, create, recipe, step, update

__all__ = ["RECIPES"]

_CHARGE_REFUNDED = {
    "refunded": True,
    "amount_refunded": "${refund:amount}",
}
_REFUND = {
    "charge": "${charge:id}",
    "payment_intent": "${payment_intent:id}",
    "currency": "${charge:currency}",
    "status": "succeeded",
    "reason": None,
}
_DISPUTE = {
    "charge": "${charge:id}",
    "payment_intent": "${payment_intent:id}",
    "amount": "${charge:amount}",
    "currency": "${charge:currency}",
    "status": "needs_response",
    "is_charge_refundable": False,
}
_SESSION = {
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "payment_intent": None,
    "customer": None,
    "invoice": None,
    "subscription": None,
    "setup_intent": None,
    "payment_link": None,
    "amount_subtotal": 3000,
    "amount_total": 3000,
    "currency": "usd",
    "expires_at": "${context:now+86400}",
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cancel",
    "url": None,
}
_SETUP_INTENT = {
    "status": "requires_payment_method",
    "payment_method": None,
    "customer": None,
    "client_secret": None,
    "last_setup_error": None,
    "next_action": None,
    "payment_method_types": ["card"],
    "usage": "off_session",
}
_PAYMENT_LINK = {"active": True, "url": "https://buy.stripe.com/test_appevents"}
_BANK_TRANSFER = {
    "type": "display_bank_transfer_instructions",
    "display_bank_transfer_instructions": {
        "amount_remaining": 20000,
        "currency": "jpy",
        "type": "jp_bank_transfer",
    },
}


def _payment(outcome: Any = "succeeded", **params: Any) -> Any:
    return card_payment(outcome=outcome, params=params)


def _session_confirm(outcome: str) -> Any:
    """The payment page confirmed: the session's payment and the session's outcome."""
    if outcome == "completed":
        return step(
            "payment_page_confirm",
            *payment_changes("succeeded", amount="${checkout_session:amount_total}"),
            update(
                "checkout_session",
                "checkout.session.completed",
                values={
                    "status": "complete",
                    "payment_status": "paid",
                    "payment_intent": "${payment_intent:id}",
                },
            ),
        )
    processing = [
        *payment_changes("requires_action", amount="${checkout_session:amount_total}")[:2],
        update("payment_intent", "payment_intent.processing", values={"status": "processing"}),
        update(
            "checkout_session",
            "checkout.session.completed",
            values={
                "status": "complete",
                "payment_status": "unpaid",
                "payment_intent": "${payment_intent:id}",
            },
        ),
    ]
    settled = payment_changes(
        "succeeded" if outcome == "async_payment_succeeded" else "failed",
        amount="${checkout_session:amount_total}",
    )[2:]
    final = update(
        "checkout_session",
        f"checkout.session.{outcome}",
        values={"payment_status": "paid" if outcome == "async_payment_succeeded" else "unpaid"},
    )
    return step("payment_page_confirm", *processing, *settled, final)


def _checkout(outcome: str) -> Recipe:
    return recipe(
        f"checkout.session.{outcome}",
        product(),
        price(recurring=False, amount=1500),
        step(
            "checkout_session",
            create("checkout_session", "checkout.session", values=_SESSION),
            params={"line_items": [{"price": "${price:id}", "quantity": 2}]},
        ),
        _session_confirm(outcome),
    )


def _setup_intent(outcome: str, event: str, values: dict[str, Any]) -> Recipe:
    return recipe(
        event,
        step(
            "setup_intent",
            create("setup_intent", "setup_intent", "setup_intent.created", values=_SETUP_INTENT),
            create("card", "payment_method", values={"type": "card", "card": VISA}),
            update("setup_intent", event, values={"status": outcome, **values}),
            params={"description": CLI_DESCRIPTION},
        ),
    )


_refund = step(
    "refund",
    create("refund", "refund", "refund.created", values=_REFUND),
    update("charge", "charge.refunded", values=_CHARGE_REFUNDED),
    params={"amount": 2000},
)
_dispute = step(
    "dispute",
    create("dispute", "dispute", "charge.dispute.created", values=_DISPUTE),
    update("charge", values={"disputed": True}),
    params={"reason": "fraudulent"},
)
_attached_customer = customer_with_card(card=None)
_payment_method = step(
    "payment_method",
    create("payment_method", "payment_method", values={"type": "card", "card": VISA}),
    params={"billing_details": {"name": "Jenny Rosen"}},
)
_attach = step(
    "attach_payment_method",
    update("payment_method", "payment_method.attached", values={"customer": "${customer:id}"}),
)
_source = step(
    "source",
    create(
        "card",
        "card",
        "customer.source.created",
        values={"customer": "${customer:id}", **VISA, "name": None},
    ),
)
_cash_customer = customer_with_card(card=None)
_fund_cash_balance = step(
    "fund_cash_balance",
    create(
        "funded",
        "customer_cash_balance_transaction",
        "customer_cash_balance_transaction.created",
        values={
            "customer": "${customer:id}",
            "type": "funded",
            "currency": "usd",
            "net_amount": 1000,
            "ending_balance": 1000,
        },
    ),
    create(
        "cash_balance",
        "cash_balance",
        "cash_balance.funds_available",
        values={"customer": "${customer:id}", "available": {"usd": 1000}},
    ),
)

RECIPES: tuple[Recipe, ...] = (
    recipe(
        "payment_intent.created",
        step(
            "payment_intent",
            create(
                "payment_intent",
                "payment_intent",
                "payment_intent.created",
                values={
                    "status": "requires_payment_method",
                    "amount_received": 0,
                    "latest_charge": None,
                    "payment_method": None,
                    "client_secret": None,
                    "customer": None,
                    "invoice": None,
                },
            ),
            params={"amount": 2000, "currency": "usd", "description": CLI_DESCRIPTION},
        ),
    ),
    recipe("payment_intent.succeeded", _payment()),
    recipe("payment_intent.payment_failed", _payment("failed")),
    recipe("payment_intent.requires_action", _payment("requires_action")),
    recipe("payment_intent.amount_capturable_updated", _payment("requires_capture")),
    recipe(
        "payment_intent.canceled",
        _payment("requires_action"),
        step(
            "payment_intent_cancel",
            update(
                "payment_intent",
                "payment_intent.canceled",
                values={"status": "canceled", "canceled_at": "${context:now}", "next_action": None},
            ),
            params={"cancellation_reason": "requested_by_customer"},
        ),
    ),
    recipe(
        "payment_intent.processing",
        step(
            "payment_intent",
            *payment_changes("requires_action")[:2],
            create(
                "charge",
                "charge",
                "charge.pending",
                values={
                    "payment_intent": "${payment_intent:id}",
                    "status": "pending",
                    "amount": "${payment_intent:amount}",
                    "paid": False,
                    "payment_method": "${card:id}",
                    "captured": True,
                },
            ),
            update(
                "payment_intent",
                "payment_intent.processing",
                values={
                    "status": "processing",
                    "latest_charge": "${charge:id}",
                    "payment_method_types": ["us_bank_account"],
                },
            ),
            params={"amount": 2000, "currency": "usd", "description": CLI_DESCRIPTION},
        ),
        note="a bank debit stands for Stripe's fixture's; the payment method is a card object",
    ),
    recipe(
        "payment_intent.partially_funded",
        _cash_customer,
        step(
            "payment_intent",
            create(
                "payment_intent",
                "payment_intent",
                "payment_intent.created",
                values={
                    "customer": "${customer:id}",
                    "status": "requires_payment_method",
                    "payment_method_types": ["customer_balance"],
                    "latest_charge": None,
                    "amount_received": 0,
                    "payment_method": None,
                },
            ),
            update(
                "payment_intent",
                "payment_intent.requires_action",
                values={"status": "requires_action", "next_action": _BANK_TRANSFER},
            ),
            params={"amount": 20000, "currency": "jpy", "description": CLI_DESCRIPTION},
        ),
        step(
            "fund_cash_balance",
            create(
                "funded",
                "customer_cash_balance_transaction",
                "customer_cash_balance_transaction.created",
                values={
                    "customer": "${customer:id}",
                    "type": "funded",
                    "currency": "jpy",
                    "net_amount": 10000,
                    "ending_balance": 10000,
                },
            ),
            update(
                "payment_intent",
                "payment_intent.partially_funded",
                values={"next_action.display_bank_transfer_instructions.amount_remaining": 10000},
            ),
        ),
    ),
    recipe("charge.succeeded", _payment()),
    recipe("charge.failed", _payment("failed")),
    recipe(
        "charge.captured",
        _payment("requires_capture"),
        step(
            "capture",
            update(
                "charge",
                "charge.captured",
                values={"captured": True, "amount_captured": "${charge:amount}"},
            ),
            update(
                "payment_intent",
                "payment_intent.succeeded",
                values={
                    "status": "succeeded",
                    "amount_capturable": 0,
                    "amount_received": "${payment_intent:amount}",
                },
            ),
        ),
    ),
    recipe("charge.refunded", _payment(), _refund),
    recipe(
        "charge.refund.updated",
        _payment(),
        _refund,
        step(
            "refund_update",
            update("refund", "charge.refund.updated"),
            params={"metadata": {"order": "6735"}},
        ),
    ),
    recipe("charge.dispute.created", _payment(), _dispute),
    recipe(
        "charge.dispute.updated",
        _payment(),
        _dispute,
        step(
            "dispute_update",
            update("dispute", "charge.dispute.updated"),
            params={"evidence": {"uncategorized_text": "Winning evidence"}},
        ),
    ),
    recipe(
        "charge.dispute.closed",
        _payment(),
        _dispute,
        step(
            "dispute_close",
            update("dispute", "charge.dispute.closed"),
            params={"status": "won", "evidence": {"uncategorized_text": "winning_evidence"}},
        ),
    ),
    _checkout("completed"),
    _checkout("async_payment_succeeded"),
    _checkout("async_payment_failed"),
    recipe(
        "checkout.session.expired",
        product(),
        price(recurring=False, amount=1500),
        step(
            "checkout_session",
            create("checkout_session", "checkout.session", values=_SESSION),
            params={"line_items": [{"price": "${price:id}", "quantity": 2}]},
        ),
        step(
            "checkout_session_expire",
            update(
                "checkout_session",
                "checkout.session.expired",
                values={"status": "expired", "url": None},
            ),
        ),
    ),
    recipe(
        "setup_intent.created",
        step(
            "setup_intent",
            create("setup_intent", "setup_intent", "setup_intent.created", values=_SETUP_INTENT),
            params={"description": CLI_DESCRIPTION},
        ),
    ),
    _setup_intent("succeeded", "setup_intent.succeeded", {"payment_method": "${card:id}"}),
    _setup_intent("canceled", "setup_intent.canceled", {"cancellation_reason": "abandoned"}),
    _setup_intent(
        "requires_action",
        "setup_intent.requires_action",
        {"payment_method": "${card:id}", "next_action": {"type": "use_stripe_sdk"}},
    ),
    _setup_intent(
        "requires_payment_method",
        "setup_intent.setup_failed",
        {
            "last_setup_error": {
                "code": "card_declined",
                "type": "card_error",
                "message": "Your card was declined.",
            }
        },
    ),
    recipe("payment_method.attached", _attached_customer, _payment_method, _attach),
    recipe(
        "payment_method.detached",
        _attached_customer,
        _payment_method,
        _attach,
        step(
            "detach_payment_method",
            update("payment_method", "payment_method.detached", values={"customer": None}),
        ),
    ),
    recipe(
        "payment_method.updated",
        _attached_customer,
        _payment_method,
        _attach,
        step(
            "update_payment_method",
            update("payment_method", "payment_method.updated"),
            params={"billing_details": {"email": "jenny.rosen@example.com"}},
        ),
    ),
    recipe(
        "payment_link.created",
        product(),
        price(recurring=False, amount=1500),
        step(
            "payment_link",
            create("payment_link", "payment_link", "payment_link.created", values=_PAYMENT_LINK),
            params={"metadata": {}},
        ),
    ),
    recipe(
        "payment_link.updated",
        product(),
        price(recurring=False, amount=1500),
        step(
            "payment_link",
            create("payment_link", "payment_link", "payment_link.created", values=_PAYMENT_LINK),
        ),
        step(
            "payment_link_update",
            update("payment_link", "payment_link.updated"),
            params={"active": False},
        ),
    ),
    recipe("customer.source.created", _attached_customer, _source),
    recipe(
        "customer.source.updated",
        _attached_customer,
        _source,
        step(
            "source_update",
            update("card", "customer.source.updated"),
            params={"name": "Jenny Rosen", "exp_year": 2035},
        ),
    ),
    recipe("cash_balance.funds_available", _cash_customer, _fund_cash_balance),
)
