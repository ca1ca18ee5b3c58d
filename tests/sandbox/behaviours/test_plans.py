"""A recurring price is a plan with the same id: each of them emits both events, and
either path reads the one object."""

from __future__ import annotations

import pytest
import stripe


def emitted_since(client: stripe.StripeClient, before: set[str]) -> list[str]:
    listed = client.v1.events.list({"limit": 100}).data
    return [event.type for event in reversed(listed) if event.id not in before]


def seen(client: stripe.StripeClient) -> set[str]:
    return {event.id for event in client.v1.events.list({"limit": 100}).data}


def test_a_plan_is_made_as_a_price_with_its_product(sandbox):
    client = sandbox.client()
    plan = client.v1.plans.create(
        {"amount": 2000, "currency": "usd", "interval": "month", "product": {"name": "Gold"}}
    )
    assert emitted_since(client, set()) == ["product.created", "plan.created", "price.created"]
    price = client.v1.prices.retrieve(plan.id)
    assert (price.unit_amount, price.recurring.interval, price.type) == (2000, "month", "recurring")
    assert (plan.amount, plan.interval, plan.interval_count, plan.product) == (
        2000, "month", 1, price.product,
    )  # fmt: skip
    assert client.v1.products.retrieve(plan.product).name == "Gold"
    assert [p.id for p in client.v1.plans.list().data] == [plan.id]


def test_a_recurring_price_is_a_plan_and_a_one_time_one_is_not(sandbox):
    client = sandbox.client()
    product = client.v1.products.create({"name": "Silver"})
    before = seen(client)
    recurring = client.v1.prices.create(
        {"product": product.id, "unit_amount": 1500, "currency": "usd",
         "recurring": {"interval": "year"}}
    )  # fmt: skip
    once = client.v1.prices.create({"product": product.id, "unit_amount": 900, "currency": "usd"})
    assert emitted_since(client, before) == ["price.created", "plan.created", "price.created"]
    assert client.v1.plans.retrieve(recurring.id).interval == "year"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.plans.retrieve(once.id)
    assert missing.value.code == "resource_missing"


UPDATES = [
    # (path, events in order)
    ("plans", ["plan.updated", "price.updated"]),
    ("prices", ["price.updated", "plan.updated"]),
]


@pytest.mark.parametrize(("path", "events"), UPDATES)
def test_updating_either_updates_both(sandbox, path, events):
    client = sandbox.client()
    plan = client.v1.plans.create(
        {"amount": 2000, "currency": "usd", "interval": "month", "product": {"name": "Gold"}}
    )
    before = seen(client)
    getattr(client.v1, path).update(plan.id, {"metadata": {"tier": "gold"}})
    assert emitted_since(client, before) == events
    assert client.v1.plans.retrieve(plan.id).metadata.to_dict() == {"tier": "gold"}
    assert client.v1.prices.retrieve(plan.id).metadata.to_dict() == {"tier": "gold"}


def test_deleting_a_plan_deletes_its_price(sandbox):
    client = sandbox.client()
    plan = client.v1.plans.create(
        {"amount": 2000, "currency": "usd", "interval": "month", "product": {"name": "Gold"}}
    )
    before = seen(client)
    assert client.v1.plans.delete(plan.id).deleted is True
    assert emitted_since(client, before) == ["plan.deleted", "price.deleted"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.plans.retrieve(plan.id)
    assert client.v1.plans.list().data == []
