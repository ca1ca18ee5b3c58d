"""Quotes: a draft adds its line items up, is finalized (open), then accepted into a
subscription (recurring prices) or an invoice (one-time ones), or canceled; each with
Stripe's events, and what a state does not allow is refused."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def emitted_since(client: stripe.StripeClient, before: set[str]) -> list[str]:
    listed = client.v1.events.list({"limit": 100}).data
    return [event.type for event in reversed(listed) if event.id not in before]


def seen(client: stripe.StripeClient) -> set[str]:
    return {event.id for event in client.v1.events.list({"limit": 100}).data}


def quote(client: stripe.StripeClient, recurring: bool) -> stripe.Quote:
    customer = client.v1.customers.create({"source": "tok_visa"})
    product = client.v1.products.create({"name": "Seats"})
    price: dict[str, Any] = {"product": product.id, "unit_amount": 1500, "currency": "usd"}
    if recurring:
        price["recurring"] = {"interval": "month"}
    made = client.v1.prices.create(price)
    return client.v1.quotes.create(
        {"customer": customer.id, "line_items": [{"price": made.id, "quantity": 10}]}
    )


def test_a_quote_adds_up_its_line_items(sandbox):
    client = sandbox.client()
    draft = quote(client, recurring=True)
    assert (draft.status, draft.amount_total, draft.currency) == ("draft", 15000, "usd")
    items = client.v1.quotes.line_items.list(draft.id).data
    assert [(item.quantity, item.amount_total) for item in items] == [(10, 15000)]


def test_accepting_a_recurring_quote_makes_a_paid_subscription(sandbox):
    client = sandbox.client()
    draft = quote(client, recurring=True)
    before = seen(client)
    open_quote = client.v1.quotes.finalize_quote(draft.id)
    assert (open_quote.status, open_quote.number is not None) == ("open", True)
    accepted = client.v1.quotes.accept(draft.id)
    events = emitted_since(client, before)
    assert (events[0], events[-1]) == ("quote.finalized", "quote.accepted")
    assert "customer.subscription.created" in events and "invoice.paid" in events
    subscription = client.v1.subscriptions.retrieve(accepted.subscription)
    assert subscription.customer == draft.customer
    assert client.v1.invoices.retrieve(accepted.invoice).status == "paid"


def test_accepting_a_one_time_quote_makes_a_draft_invoice(sandbox):
    client = sandbox.client()
    draft = quote(client, recurring=False)
    client.v1.quotes.finalize_quote(draft.id)
    accepted = client.v1.quotes.accept(draft.id)
    invoice = client.v1.invoices.retrieve(accepted.invoice)
    assert (accepted.subscription, invoice.status, invoice.amount_due) == (None, "draft", 15000)


REFUSALS = [
    # (operations before, the refused one)
    ([], "accept"),
    (["cancel"], "finalize_quote"),
    (["finalize_quote", "accept"], "cancel"),
]


@pytest.mark.parametrize(("before", "refused"), REFUSALS)
def test_what_a_state_does_not_allow_is_refused(sandbox, before, refused):
    client = sandbox.client()
    draft = quote(client, recurring=True)
    for operation in before:
        getattr(client.v1.quotes, operation)(draft.id)
    status = client.v1.quotes.retrieve(draft.id).status
    with pytest.raises(stripe.InvalidRequestError) as error:
        getattr(client.v1.quotes, refused)(draft.id)
    assert f"is {status}" in str(error.value.user_message)


def test_canceling_an_open_quote(sandbox):
    client = sandbox.client()
    draft = quote(client, recurring=True)
    client.v1.quotes.finalize_quote(draft.id)
    before = seen(client)
    assert client.v1.quotes.cancel(draft.id).status == "canceled"
    assert emitted_since(client, before) == ["quote.canceled"]
