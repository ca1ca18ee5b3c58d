"""A customer's sources: a card from a test token, its default source, its updates."""

from __future__ import annotations

from payments_world import event_types


def test_a_first_source_becomes_the_default_and_a_second_does_not(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    card = client.v1.customers.payment_sources.create(customer.id, {"source": "tok_visa"})
    assert (card.object, card.customer, card.last4, card.brand) == (
        "card", customer.id, "4242", "Visa",
    )  # fmt: skip
    assert event_types(client) == [
        "customer.created", "customer.source.created", "customer.updated",
    ]  # fmt: skip
    updated = next(e for e in client.v1.events.list().data if e.type == "customer.updated")
    assert updated.data.previous_attributes.to_dict() == {"default_source": None}
    assert client.v1.customers.retrieve(customer.id).default_source == card.id
    second = client.v1.customers.payment_sources.create(customer.id, {"source": "tok_mastercard"})
    assert event_types(client, 3) == ["customer.source.created"]
    assert client.v1.customers.retrieve(customer.id).default_source == card.id
    listed = client.v1.customers.payment_sources.list(customer.id).data
    assert {each.id for each in listed} == {card.id, second.id}


def test_an_updated_source_emits_customer_source_updated(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create()
    card = client.v1.customers.payment_sources.create(customer.id, {"source": "tok_visa"})
    before = len(event_types(client))
    updated = client.v1.customers.payment_sources.update(
        customer.id, card.id, {"metadata": {"kind": "spare"}}
    )
    assert updated.metadata.to_dict() == {"kind": "spare"}
    assert event_types(client, before) == ["customer.source.updated"]
