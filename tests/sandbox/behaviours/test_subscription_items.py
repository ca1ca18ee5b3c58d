"""Subscription items as Stripe's: added, changed and removed, each a change of their
subscription (customer.subscription.updated with the items it had); a subscription keeps
one item at least."""

from __future__ import annotations

from typing import Any

import pytest

from subscription_world import MONTHLY, Billing


@pytest.fixture
def billing(sandbox: Any) -> Billing:
    return Billing(sandbox)


def test_items_are_added_changed_and_removed(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer())
    (first,) = subscription["items"].data
    items = billing.client.v1.subscription_items
    other = billing.client.v1.prices.create({"product": billing.price.product, **MONTHLY})
    billing.events()
    added = items.create({"subscription": subscription.id, "price": other.id, "quantity": 3})
    changed = items.update(first.id, {"quantity": 2})
    removed = items.delete(added.id)
    events = billing.events()
    assert [e.type for e in events] == ["customer.subscription.updated"] * 3
    assert [len(e.data.object["items"].data) for e in events] == [2, 2, 1]
    assert [len(e.data.to_dict()["previous_attributes"]["items"]["data"]) for e in events] == [
        1, 2, 2
    ]  # fmt: skip
    assert (added.price.id, added.quantity, changed.quantity) == (other.id, 3, 2)
    assert removed.deleted is True
    now = billing.client.v1.subscriptions.retrieve(subscription.id)
    assert [(i.id, i.quantity) for i in now["items"].data] == [(first.id, 2)]
    listed = items.list({"subscription": subscription.id}).data
    assert [i.id for i in listed] == [first.id]


def test_the_last_item_stays(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer())
    (item,) = subscription["items"].data
    code, error = billing.refusal("DELETE", f"/v1/subscription_items/{item.id}")
    assert (code, error["param"]) == (400, "items")
    assert error["message"].startswith("A subscription must keep at least one item")


def test_an_item_needs_its_subscription(billing: Billing) -> None:
    code, error = billing.refusal("POST", "/v1/subscription_items",
                                  {"price": billing.price.id})  # fmt: skip
    assert (code, error["param"], error["code"]) == (400, "subscription", "parameter_missing")
