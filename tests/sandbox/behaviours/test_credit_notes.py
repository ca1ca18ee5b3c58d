"""Credit notes take an amount off a finalized invoice: created (the invoice's amount due
and its payment intent's amount shrink), updated, voided (given back), with Stripe's events
in order; what is more than the invoice has left, or on a draft, is refused."""

from __future__ import annotations

import pytest
import stripe


def emitted_since(client: stripe.StripeClient, before: set[str]) -> list[str]:
    listed = client.v1.events.list({"limit": 100}).data
    return [event.type for event in reversed(listed) if event.id not in before]


def seen(client: stripe.StripeClient) -> set[str]:
    return {event.id for event in client.v1.events.list({"limit": 100}).data}


def invoice(client: stripe.StripeClient, finalize: bool = True) -> stripe.Invoice:
    customer = client.v1.customers.create({})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 2000, "currency": "usd"})
    draft = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    return client.v1.invoices.finalize_invoice(draft.id) if finalize else draft


def credit(amount: int) -> list[dict[str, object]]:
    return [{"type": "custom_line_item", "unit_amount": amount, "quantity": 1,
             "description": "goodwill"}]  # fmt: skip


def test_a_credit_note_lowers_what_the_open_invoice_asks(sandbox):
    client = sandbox.client()
    final = invoice(client)
    before = seen(client)
    note = client.v1.credit_notes.create({"invoice": final.id, "lines": credit(500)})
    assert emitted_since(client, before) == ["credit_note.created", "invoice.updated"]
    assert (note.amount, note.type, note.status, note.number) == (
        500, "pre_payment", "issued", f"{final.number}-CN-01",
    )  # fmt: skip
    after = client.v1.invoices.retrieve(final.id)
    assert (after.amount_due, after.pre_payment_credit_notes_amount) == (1500, 500)
    intent = client.v1.payment_intents.retrieve(final.to_dict()["payment_intent"])
    assert intent.amount == 1500
    assert [line.amount for line in client.v1.credit_notes.line_items.list(note.id).data] == [500]


def test_updating_then_voiding_gives_the_amount_back(sandbox):
    client = sandbox.client()
    final = invoice(client)
    note = client.v1.credit_notes.create({"invoice": final.id, "lines": credit(500)})
    before = seen(client)
    client.v1.credit_notes.update(note.id, {"memo": "sorry"})
    voided = client.v1.credit_notes.void_credit_note(note.id)
    assert emitted_since(client, before) == [
        "credit_note.updated", "credit_note.voided", "invoice.updated",
    ]  # fmt: skip
    assert (voided.status, voided.voided_at is not None) == ("void", True)
    assert client.v1.invoices.retrieve(final.id).amount_due == 2000
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.void_credit_note(note.id)


REFUSALS = [
    # (finalized, credited amount, param)
    (True, 2500, "lines"),
    (False, 500, "invoice"),
]


@pytest.mark.parametrize(("finalized", "amount", "param"), REFUSALS)
def test_what_cannot_be_credited_is_refused(sandbox, finalized, amount, param):
    client = sandbox.client()
    target = invoice(client, finalize=finalized)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.credit_notes.create({"invoice": target.id, "lines": credit(amount)})
    assert refused.value.param == param
    assert client.v1.credit_notes.list().data == []
