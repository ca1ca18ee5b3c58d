"""Recipes for billing objects: customers and their discounts, coupons and promotion codes,
products, prices and plans, tax rates, invoice items, one-off invoices, credit notes and
quotes (pure data)."""

from __future__ import annotations

from typing import Any

from .card_payments import CLI_DESCRIPTION, payment_changes
from .cascades import customer_with_card, price, product
from .model import Change, Recipe, Step, create, delete, recipe, step, update

__all__ = ["RECIPES"]

_customer = customer_with_card(card=None)
_customer_with_card = customer_with_card()
_coupon = step(
    "coupon",
    create(
        "coupon",
        "coupon",
        "coupon.created",
        values={"valid": True, "times_redeemed": 0, "amount_off": None, "currency": None},
    ),
    params={"percent_off": 20, "duration": "once", "name": "20% off"},
)
_discount_values = {
    "customer": "${customer:id}",
    "coupon": "${coupon}",
    "start": "${context:now}",
    "end": None,
    "subscription": None,
    "invoice": None,
    "invoice_item": None,
    "promotion_code": None,
}
_discounted_customer = step(
    "customer",
    create(
        "customer",
        "customer",
        "customer.created",
        values={"email": "jenny.rosen@example.com", "name": "Jenny Rosen"},
    ),
    create("discount", "discount", "customer.discount.created", values=_discount_values),
    update("customer", values={"discount": "${discount}"}),
    params={"description": CLI_DESCRIPTION},
)
_tax_rate = step(
    "tax_rate",
    create("tax_rate", "tax_rate", "tax_rate.created", values={"active": True}),
    params={"display_name": "VAT", "percentage": 20, "inclusive": False, "country": "DE"},
)
_invoiceitem = step(
    "invoiceitem",
    create(
        "invoiceitem",
        "invoiceitem",
        "invoiceitem.created",
        values={"customer": "${customer:id}", "invoice": None, "subscription": None},
    ),
    params={"amount": 2000, "currency": "usd", "description": CLI_DESCRIPTION},
)
_INVOICE = {
    "customer": "${customer:id}",
    "subscription": None,
    "parent": None,
    "status": "draft",
    "paid": False,
    "billing_reason": "manual",
    "amount_due": "${invoiceitem:amount}",
    "amount_paid": 0,
    "amount_remaining": "${invoiceitem:amount}",
    "subtotal": "${invoiceitem:amount}",
    "total": "${invoiceitem:amount}",
    "currency": "usd",
    "attempted": False,
    "attempt_count": 0,
    "payment_intent": None,
    "charge": None,
    "number": None,
    "lines.data.0.invoice": "${invoice:id}",
    "lines.data.0.amount": "${invoiceitem:amount}",
    "lines.data.0.subscription": None,
    "status_transitions.finalized_at": None,
    "status_transitions.paid_at": None,
    "customer_email": "${customer:email}",
    "customer_name": "${customer:name}",
}
_invoice = step(
    "invoice",
    create("invoice", "invoice", "invoice.created", values=_INVOICE),
    update("invoiceitem", values={"invoice": "${invoice:id}"}),
    params={"collection_method": "charge_automatically", "description": CLI_DESCRIPTION},
)
_finalize = step(
    "invoice_finalize",
    update(
        "invoice",
        "invoice.finalized",
        values={
            "status": "open",
            "number": "${context:account}-0001",
            "status_transitions.finalized_at": "${context:now}",
            "hosted_invoice_url": "https://invoice.stripe.com/i/appevents",
        },
    ),
)


def _invoice_payment(outcome: Any) -> Step:
    """``POST /v1/invoices/{id}/pay``: the invoice's payment intent, then the invoice."""
    paid: Change = update(
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
            "charge": "${charge:id}",
            "status_transitions.paid_at": "${context:now}",
        },
    )
    if outcome == "failed":
        paid = update(
            "invoice",
            "invoice.updated",
            "invoice.payment_failed",
            values={
                "attempted": True,
                "attempt_count": 1,
                "charge": "${charge:id}",
                "next_payment_attempt": "${context:now+259200}",
            },
        )
    elif outcome == "requires_action":
        paid = update(
            "invoice",
            "invoice.updated",
            "invoice.payment_action_required",
            values={"attempted": True, "attempt_count": 1},
        )
    changes = payment_changes(
        outcome, customer="customer", invoice="invoice", amount="${invoice:amount_due}"
    )
    linked = update("invoice", values={"payment_intent": "${payment_intent:id}"})
    return step("invoice_pay", linked, *changes, paid)


def _invoice_recipe(name: str, *more: Step, customer: Step = _customer_with_card) -> Recipe:
    return recipe(name, customer, _invoiceitem, _invoice, *more)


def _quote(*more: Step, name: str) -> Recipe:
    return recipe(
        name,
        customer_with_card(),
        product(),
        price(amount=1500),
        step(
            "quote",
            create(
                "quote",
                "quote",
                "quote.created",
                values={
                    "customer": "${customer:id}",
                    "status": "draft",
                    "amount_subtotal": 15000,
                    "amount_total": 15000,
                    "currency": "usd",
                    "invoice": None,
                    "subscription": None,
                    "subscription_schedule": None,
                    "line_items": {
                        "object": "list",
                        "has_more": False,
                        "data": [
                            {
                                "object": "item",
                                "price": "${price}",
                                "quantity": 10,
                                "amount_total": 15000,
                            }
                        ],
                    },
                },
            ),
            params={"description": CLI_DESCRIPTION},
        ),
        *more,
    )


_quote_finalize = step(
    "quote_finalize",
    update(
        "quote",
        "quote.finalized",
        values={
            "status": "open",
            "number": "QT-${context:account}-0001",
            "status_transitions.finalized_at": "${context:now}",
        },
    ),
)
_quote_accept = step(
    "quote_accept",
    create(
        "subscription",
        "subscription",
        "customer.subscription.created",
        values={
            "customer": "${customer:id}",
            "status": "active",
            "quantity": 10,
            "items.data.0.price": "${price}",
            "items.data.0.quantity": 10,
            "items.data.0.subscription": "${subscription:id}",
            "latest_invoice": None,
            "schedule": None,
            "start_date": "${context:now}",
        },
    ),
    update(
        "quote",
        "quote.accepted",
        values={
            "status": "accepted",
            "subscription": "${subscription:id}",
            "status_transitions.accepted_at": "${context:now}",
        },
    ),
)

RECIPES: tuple[Recipe, ...] = (
    recipe("customer.created", _customer),
    recipe(
        "customer.updated",
        _customer,
        step(
            "customer_update",
            update("customer", "customer.updated"),
            params={"description": "(updated by appevents trigger)"},
        ),
    ),
    recipe(
        "customer.deleted",
        _customer,
        step("customer_delete", delete("customer", "customer.deleted")),
    ),
    recipe("customer.discount.created", _coupon, _discounted_customer),
    recipe(
        "customer.discount.updated",
        _coupon,
        _discounted_customer,
        step(
            "discount_update",
            update(
                "discount",
                "customer.discount.updated",
                values={"coupon.percent_off": 30, "coupon.name": "30% off"},
            ),
            update("customer", values={"discount": "${discount}"}),
        ),
    ),
    recipe(
        "customer.discount.deleted",
        _coupon,
        _discounted_customer,
        step(
            "discount_delete",
            delete("discount", "customer.discount.deleted"),
            update("customer", "customer.updated", values={"discount": None}),
        ),
    ),
    recipe("coupon.created", _coupon),
    recipe(
        "coupon.updated",
        _coupon,
        step(
            "coupon_update",
            update("coupon", "coupon.updated"),
            params={"metadata": {"campaign": "spring"}},
        ),
    ),
    recipe("coupon.deleted", _coupon, step("coupon_delete", delete("coupon", "coupon.deleted"))),
    recipe(
        "promotion_code.created",
        _coupon,
        step(
            "promotion_code",
            create(
                "promotion_code",
                "promotion_code",
                "promotion_code.created",
                values={"coupon": "${coupon}", "active": True, "customer": None},
            ),
            params={"code": "APPEVENTS20"},
        ),
    ),
    recipe(
        "promotion_code.updated",
        _coupon,
        step(
            "promotion_code",
            create(
                "promotion_code",
                "promotion_code",
                "promotion_code.created",
                values={"coupon": "${coupon}", "active": True, "customer": None},
            ),
            params={"code": "APPEVENTS20"},
        ),
        step(
            "promotion_code_update",
            update("promotion_code", "promotion_code.updated"),
            params={"active": False},
        ),
    ),
    recipe("product.created", product()),
    recipe(
        "product.updated",
        product(),
        step(
            "product_update",
            update("product", "product.updated"),
            params={"description": "(updated by appevents trigger)"},
        ),
    ),
    recipe(
        "product.deleted", product(), step("product_delete", delete("product", "product.deleted"))
    ),
    recipe("price.created", product(), price(recurring=False)),
    recipe(
        "price.updated",
        product(),
        price(recurring=False),
        step("price_update", update("price", "price.updated"), params={"nickname": "Standard"}),
    ),
    recipe("plan.created", product(), price()),
    recipe(
        "plan.updated",
        product(),
        price(),
        step("plan_update", update("plan", "plan.updated"), params={"nickname": "Monthly"}),
    ),
    recipe("plan.deleted", product(), price(), step("plan_delete", delete("plan", "plan.deleted"))),
    recipe("tax_rate.created", _tax_rate),
    recipe(
        "tax_rate.updated",
        _tax_rate,
        step("tax_rate_update", update("tax_rate", "tax_rate.updated"), params={"active": False}),
    ),
    recipe("invoiceitem.created", _customer, _invoiceitem),
    recipe(
        "invoiceitem.deleted",
        _customer,
        _invoiceitem,
        step("invoiceitem_delete", delete("invoiceitem", "invoiceitem.deleted")),
    ),
    _invoice_recipe("invoice.created"),
    _invoice_recipe(
        "invoice.deleted", step("invoice_delete", delete("invoice", "invoice.deleted"))
    ),
    _invoice_recipe(
        "invoice.updated",
        step(
            "invoice_update",
            update("invoice", "invoice.updated"),
            params={"description": "(updated by appevents trigger)"},
        ),
    ),
    _invoice_recipe("invoice.finalized", _finalize),
    _invoice_recipe("invoice.paid", _finalize, _invoice_payment("succeeded")),
    _invoice_recipe("invoice.payment_failed", _finalize, _invoice_payment("failed")),
    _invoice_recipe(
        "invoice.payment_action_required", _finalize, _invoice_payment("requires_action")
    ),
    _invoice_recipe(
        "invoice.marked_uncollectible",
        _finalize,
        step(
            "invoice_mark_uncollectible",
            update(
                "invoice",
                "invoice.updated",
                "invoice.marked_uncollectible",
                values={
                    "status": "uncollectible",
                    "status_transitions.marked_uncollectible_at": "${context:now}",
                },
            ),
        ),
    ),
    _invoice_recipe(
        "invoice.voided",
        _finalize,
        step(
            "invoice_void",
            update(
                "invoice",
                "invoice.updated",
                "invoice.voided",
                values={"status": "void", "status_transitions.voided_at": "${context:now}"},
            ),
        ),
    ),
    recipe(
        "invoice.sent",
        _customer,
        _invoiceitem,
        step(
            "invoice",
            *_invoice.changes,
            params={
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "description": CLI_DESCRIPTION,
            },
        ),
        _finalize,
        step(
            "invoice_send",
            update("invoice", "invoice.sent", values={"webhooks_delivered_at": "${context:now}"}),
        ),
    ),
    *(
        _invoice_recipe(
            name,
            _finalize,
            _invoice_payment("succeeded"),
            step(
                "credit_note",
                create(
                    "credit_note",
                    "credit_note",
                    "credit_note.created",
                    values={
                        "invoice": "${invoice:id}",
                        "customer": "${customer:id}",
                        "status": "issued",
                        "amount": 500,
                        "currency": "usd",
                        "voided_at": None,
                        "refunds": [],
                    },
                ),
                params={"reason": "duplicate", "memo": CLI_DESCRIPTION},
            ),
            *more,
        )
        for name, more in (
            ("credit_note.created", ()),
            (
                "credit_note.updated",
                (
                    step(
                        "credit_note_update",
                        update("credit_note", "credit_note.updated"),
                        params={"memo": "(updated by appevents trigger)"},
                    ),
                ),
            ),
            (
                "credit_note.voided",
                (
                    step(
                        "credit_note_void",
                        update(
                            "credit_note",
                            "credit_note.voided",
                            values={"status": "void", "voided_at": "${context:now}"},
                        ),
                    ),
                ),
            ),
        )
    ),
    _quote(name="quote.created"),
    _quote(_quote_finalize, name="quote.finalized"),
    _quote(_quote_finalize, _quote_accept, name="quote.accepted"),
    _quote(
        step(
            "quote_cancel",
            update(
                "quote",
                "quote.canceled",
                values={"status": "canceled", "status_transitions.canceled_at": "${context:now}"},
            ),
        ),
        name="quote.canceled",
    ),
)
