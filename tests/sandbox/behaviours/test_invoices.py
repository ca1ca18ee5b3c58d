"""Invoices' life as Stripe runs it: a draft adds its pending items up, is finalized with its
number and payment intent, then paid, voided, marked uncollectible or sent, each emitting
Stripe's events in Stripe's order; what a state does not allow is refused."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def events_after(client: stripe.StripeClient, before: set[str]) -> list[str]:
    """The event types emitted since ``before`` (ids), oldest first."""
    listed = client.v1.events.list({"limit": 100}).data
    return [event.type for event in reversed(listed) if event.id not in before]


def seen(client: stripe.StripeClient) -> set[str]:
    return {event.id for event in client.v1.events.list({"limit": 100}).data}


def draft(client: stripe.StripeClient, **extra: Any) -> stripe.Invoice:
    customer = client.v1.customers.create({})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 1200, "currency": "usd"})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 800, "currency": "usd"})
    return client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include", **extra}
    )


def test_a_draft_adds_up_its_customers_pending_items(sandbox):
    client = sandbox.client()
    invoice = draft(client)
    assert (invoice.status, invoice.subtotal, invoice.total, invoice.amount_due) == (
        "draft",
        2000,
        2000,
        2000,
    )
    lines = client.v1.invoices.line_items.list(invoice.id).data
    assert sorted(line.amount for line in lines) == [800, 1200]
    for line in lines:
        assert client.v1.invoice_items.retrieve(line.invoice_item).invoice == invoice.id


def test_finalizing_numbers_the_invoice_and_gives_it_a_payment_intent(sandbox):
    client = sandbox.client()
    invoice = draft(client)
    before = seen(client)
    final = client.v1.invoices.finalize_invoice(invoice.id)
    assert events_after(client, before) == ["payment_intent.created", "invoice.finalized"]
    customer = client.v1.customers.retrieve(final.customer)
    assert final.status == "open"
    assert final.number == f"{customer.invoice_prefix}-0001"
    assert final.hosted_invoice_url and final.invoice_pdf
    intent = client.v1.payment_intents.retrieve(final.to_dict()["payment_intent"])
    assert (intent.amount, intent.invoice, intent.customer) == (2000, invoice.id, customer.id)
    second = draft(client)
    assert client.v1.invoices.finalize_invoice(second.id).number.endswith("-0001")


TRANSITIONS = [
    # (operation, events after finalizing, status after)
    (
        "pay",
        [
            "payment_method.created",
            "charge.succeeded",
            "payment_intent.succeeded",
            "invoice.updated",
            "invoice.paid",
            "invoice.payment_succeeded",
        ],
        "paid",
    ),
    ("void_invoice", ["payment_intent.canceled", "invoice.updated", "invoice.voided"], "void"),
    ("mark_uncollectible", ["invoice.updated", "invoice.marked_uncollectible"], "uncollectible"),
]


@pytest.mark.parametrize(("operation", "events", "status"), TRANSITIONS)
def test_an_open_invoice_moves_on_with_stripes_events(sandbox, operation, events, status):
    client = sandbox.client()
    invoice = client.v1.invoices.finalize_invoice(draft(client).id)
    before = seen(client)
    params = {"payment_method": "pm_card_visa"} if operation == "pay" else {}
    after = getattr(client.v1.invoices, operation)(invoice.id, params)
    emitted = events_after(client, before)
    if operation == "pay":
        emitted = [
            e for e in emitted if e not in ("payment_method.created", "payment_method.attached")
        ]
        events = [e for e in events if e != "payment_method.created"]
    assert (emitted, after.status) == (events, status)
    assert client.v1.invoices.retrieve(invoice.id).status == status


def test_a_paid_invoice_names_its_charge_and_its_amount_paid(sandbox):
    client = sandbox.client()
    paid = client.v1.invoices.pay(draft(client).id, {"payment_method": "pm_card_visa"})
    assert (paid.status, paid.paid, paid.amount_paid, paid.amount_remaining) == (
        "paid",
        True,
        2000,
        0,
    )
    charge = client.v1.charges.retrieve(paid.to_dict()["charge"])
    assert (charge.amount, charge.payment_intent) == (2000, paid.to_dict()["payment_intent"])


def test_sending_a_draft_finalizes_it_first(sandbox):
    client = sandbox.client()
    invoice = draft(client, collection_method="send_invoice", days_until_due=7)
    assert invoice.due_date == invoice.created + 7 * 86400
    before = seen(client)
    sent = client.v1.invoices.send_invoice(invoice.id)
    assert events_after(client, before) == ["invoice.finalized", "invoice.updated", "invoice.sent"]
    assert (sent.status, sent.to_dict().get("payment_intent")) == ("open", None)


REFUSALS = [
    # (operation, on a draft, message start)
    ("void_invoice", "is draft: only an open invoice can be voided"),
    ("mark_uncollectible", "is draft: only an open invoice can be marked uncollectible"),
    ("send_invoice", "You can only manually send an invoice if its collection method"),
]


@pytest.mark.parametrize(("operation", "message"), REFUSALS)
def test_what_a_draft_cannot_do_is_refused(sandbox, operation, message):
    client = sandbox.client()
    invoice = draft(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        getattr(client.v1.invoices, operation)(invoice.id)
    assert message in str(refused.value.user_message)
    assert client.v1.invoices.retrieve(invoice.id).status == "draft"


def test_a_finalized_invoice_is_not_finalized_again(sandbox):
    client = sandbox.client()
    invoice = client.v1.invoices.finalize_invoice(draft(client).id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.invoices.finalize_invoice(invoice.id)
    assert refused.value.code == "invoice_not_editable"
