"""A coupon on a customer is its discount: created with it, replaced by another coupon,
removed by an empty one or DELETE, each with Stripe's events in order; a customer created
with a source has it as its default."""

from __future__ import annotations

import pytest
import stripe


def emitted_since(client: stripe.StripeClient, before: set[str]) -> list[str]:
    listed = client.v1.events.list({"limit": 100}).data
    return [event.type for event in reversed(listed) if event.id not in before]


def seen(client: stripe.StripeClient) -> set[str]:
    return {event.id for event in client.v1.events.list({"limit": 100}).data}


def test_a_customer_created_with_a_coupon_has_its_discount(sandbox):
    client = sandbox.client()
    coupon = client.v1.coupons.create(
        {"percent_off": 20, "duration": "repeating", "duration_in_months": 3}
    )
    before = seen(client)
    customer = client.v1.customers.create({"coupon": coupon.id})
    assert emitted_since(client, before) == ["customer.created", "customer.discount.created"]
    discount = customer.discount
    assert (discount.coupon.id, discount.customer) == (coupon.id, customer.id)
    assert discount.end is not None and discount.end - discount.start > 88 * 86400
    served = (
        client.v1.customers.retrieve_discount(customer.id)
        if hasattr(client.v1.customers, "retrieve_discount")
        else sandbox.get(f"/v1/customers/{customer.id}/discount")
    )
    assert served["id"] == discount.id


CHANGES = [
    # (the update's coupon: "new" another coupon, "" none; events in order; discount left)
    ("new", ["customer.discount.updated", "customer.updated"], True),
    ("", ["customer.discount.deleted", "customer.updated"], False),
]


@pytest.mark.parametrize(("given", "events", "kept"), CHANGES)
def test_updating_the_coupon_replaces_or_removes_the_discount(sandbox, given, events, kept):
    client = sandbox.client()
    first = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    customer = client.v1.customers.create({"coupon": first.id})
    coupon = client.v1.coupons.create({"percent_off": 30, "duration": "once"}).id if given else ""
    before = seen(client)
    updated = client.v1.customers.update(customer.id, {"coupon": coupon})
    assert emitted_since(client, before) == events
    if kept:
        assert (updated.discount.id, updated.discount.coupon.id) == (customer.discount.id, coupon)
    else:
        assert updated.discount is None


def test_deleting_the_discount_and_an_unknown_coupon(sandbox):
    client = sandbox.client()
    coupon = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    customer = client.v1.customers.create({"coupon": coupon.id})
    before = seen(client)
    assert sandbox.delete(f"/v1/customers/{customer.id}/discount")["deleted"] is True
    assert emitted_since(client, before) == ["customer.discount.deleted", "customer.updated"]
    assert client.v1.customers.retrieve(customer.id).discount is None
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.customers.create({"coupon": "NOPE"})
    assert (refused.value.param, refused.value.code) == ("coupon", "resource_missing")


def test_a_customer_created_with_a_source_has_it_as_default(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create({"source": "tok_visa"})
    assert emitted_since(client, set()) == [
        "customer.created", "customer.source.created", "customer.updated",
    ]  # fmt: skip
    card = customer.default_source
    assert card and client.v1.customers.payment_sources.retrieve(customer.id, card).id == card
