"""Subscriptions' life as Stripe's, by table: each transition, the subscription events it
emits in order, its status after, and each refusal with Stripe's error."""

from __future__ import annotations

from typing import Any

import pytest

from subscription_world import Billing

INVOICE_PAID = ["invoice.created", "invoice.finalized", "invoice.paid",
                "invoice.payment_succeeded"]  # fmt: skip


@pytest.fixture
def billing(sandbox: Any) -> Billing:
    return Billing(sandbox)


CREATES = [
    # (customer pays, extra parameters, status, subscription events, invoice paid)
    (True, {}, "active", ["customer.subscription.created"], True),
    (False, {}, "incomplete", ["customer.subscription.created"], False),
    (False, {"trial_period_days": 7}, "trialing", ["customer.subscription.created"], True),
    (False, {"trial_period_days": 1}, "trialing",
     ["customer.subscription.created", "customer.subscription.trial_will_end"], True),
]  # fmt: skip


@pytest.mark.parametrize(("paying", "params", "status", "events", "paid"), CREATES)
def test_a_new_subscription_invoices_its_first_period(
    billing: Billing, paying: bool, params: dict[str, Any], status: str, events: list[str],
    paid: bool,
) -> None:  # fmt: skip
    customer = billing.customer(paying=paying)
    billing.events()
    subscription = billing.subscribe(customer, **params)
    emitted = billing.types("customer.subscription", "invoice.")
    assert [t for t in emitted if t.startswith("customer.")] == events
    assert emitted[0] == "customer.subscription.created"
    assert emitted[1:3] == ["invoice.created", "invoice.finalized"]
    assert all(t in emitted for t in INVOICE_PAID) is paid
    assert subscription.status == status
    invoice = billing.client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.subscription, invoice.customer) == (subscription.id, customer.id)
    assert invoice.status == ("paid" if paid else "open")
    assert invoice.amount_due == (0 if "trial_period_days" in params else 1500)
    item = subscription["items"].data[0]
    assert (item.price.id, item.quantity, item.subscription) == (
        billing.price.id,
        1,
        subscription.id,
    )
    assert billing.client.v1.subscription_items.retrieve(item.id).subscription == subscription.id
    again = billing.client.v1.subscriptions.retrieve(subscription.id)
    assert again.status == status and again.current_period_end > again.current_period_start


def test_a_trial_lasts_its_days_and_bills_nothing(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer(paying=False), trial_period_days=7)
    assert subscription.trial_end - subscription.trial_start == 7 * 86400
    assert subscription.current_period_end == subscription.trial_end
    invoice = billing.client.v1.invoices.retrieve(subscription.latest_invoice)
    assert [line.amount for line in invoice.lines.data] == [0]
    assert invoice.lines.data[0].description == "Trial period for Appevents test plan"


TRIAL_ENDS = [
    # (customer pays, trial_settings, status after trial_end=now, subscription events)
    (False, {"end_behavior": {"missing_payment_method": "pause"}}, "paused",
     ["customer.subscription.updated", "customer.subscription.paused"]),
    (False, {"end_behavior": {"missing_payment_method": "cancel"}}, "canceled",
     ["customer.subscription.deleted"]),
    (False, None, "past_due", ["customer.subscription.updated"]),
    (True, {"end_behavior": {"missing_payment_method": "pause"}}, "active",
     ["customer.subscription.updated"]),
]  # fmt: skip


@pytest.mark.parametrize(("paying", "settings", "status", "events"), TRIAL_ENDS)
def test_ending_a_trial(
    billing: Billing, paying: bool, settings: dict[str, Any] | None, status: str,
    events: list[str],
) -> None:  # fmt: skip
    params: dict[str, Any] = {"trial_period_days": 7}
    if settings is not None:
        params["trial_settings"] = settings
    subscription = billing.subscribe(billing.customer(paying=paying), **params)
    billing.events()
    ended = billing.client.v1.subscriptions.update(subscription.id, {"trial_end": "now"})
    assert billing.types("customer.subscription") == events
    assert ended.status == status
    assert billing.client.v1.subscriptions.retrieve(subscription.id).status == status


def test_a_paused_subscription_resumes_into_a_paid_period(billing: Billing) -> None:
    customer = billing.customer(paying=False)
    subscription = billing.subscribe(
        customer, trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )  # fmt: skip
    billing.client.v1.subscriptions.update(subscription.id, {"trial_end": "now"})
    updated = next(e for e in billing.events() if e.type == "customer.subscription.updated")
    assert updated.data.to_dict()["previous_attributes"]["status"] == "trialing"
    billing.client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )
    billing.events()
    resumed = billing.client.v1.subscriptions.resume(subscription.id)
    emitted = billing.types("customer.subscription", "invoice.")
    assert [t for t in emitted if t.startswith("customer.")] == [
        "customer.subscription.updated", "customer.subscription.resumed"
    ]  # fmt: skip
    assert all(t in emitted for t in INVOICE_PAID)
    assert resumed.status == "active" and resumed.latest_invoice != subscription.latest_invoice


def test_an_update_says_what_changed(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer())
    billing.events()
    billing.client.v1.subscriptions.update(subscription.id, {"metadata": {"plan": "gold"}})
    (event,) = billing.events()
    assert event.type == "customer.subscription.updated"
    data = event.data.to_dict()
    assert data["object"]["metadata"] == {"plan": "gold"}
    assert data["previous_attributes"] == {"metadata": {}}


def test_a_canceled_subscription_ends(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer())
    billing.events()
    canceled = billing.client.v1.subscriptions.cancel(subscription.id)
    assert billing.types() == ["customer.subscription.deleted"]
    assert canceled.status == "canceled" and canceled.ended_at == canceled.canceled_at
    assert billing.client.v1.subscriptions.retrieve(subscription.id).status == "canceled"


def _one_time_price(billing: Billing) -> str:
    return billing.client.v1.prices.create(
        {"product": billing.price.product, "unit_amount": 500, "currency": "usd"}
    ).id


REFUSALS = [
    # (what, status, param, message start)
    ("no customer", 400, "customer", "Missing required param: customer."),
    ("no items", 400, "items", "Missing required param: items."),
    ("unknown customer", 400, "customer", "No such customer: 'cus_missing'"),
    ("unknown price", 400, "items[0][price]", "No such price: 'price_missing'"),
    ("one-time price", 400, "items[0][price]", "The price specified ("),
    ("trial in the past", 400, "trial_end", "Invalid timestamp: trial_end (1000000000)"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "status", "param", "message"), REFUSALS)
def test_a_subscription_stripe_would_refuse(
    billing: Billing, what: str, status: int, param: str, message: str
) -> None:
    customer = billing.customer()
    data: dict[str, Any] = {"customer": customer.id, "items[0][price]": billing.price.id}
    if what == "no customer":
        del data["customer"]
    elif what == "no items":
        del data["items[0][price]"]
    elif what == "unknown customer":
        data["customer"] = "cus_missing"
    elif what == "unknown price":
        data["items[0][price]"] = "price_missing"
    elif what == "one-time price":
        data["items[0][price]"] = _one_time_price(billing)
    else:
        data["trial_end"] = "1000000000"
    code, error = billing.refusal("POST", "/v1/subscriptions", data)
    assert (code, error.get("param")) == (status, param)
    assert error["message"].startswith(message)
    assert billing.client.v1.subscriptions.list().data == []


def test_what_cannot_happen_to_an_ended_or_running_subscription(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer())
    path = f"/v1/subscriptions/{subscription.id}"
    code, error = billing.refusal("POST", path + "/resume")
    assert (
        code == 400
        and "only a subscription with status `paused` can be resumed" in (error["message"])
    )
    billing.client.v1.subscriptions.cancel(subscription.id)
    code, error = billing.refusal("DELETE", path)
    assert code == 400 and error["message"].startswith(
        f"The subscription {subscription.id} is already canceled"
    )
    code, error = billing.refusal("POST", path, {"items[0][price]": billing.price.id})
    assert (code, error["param"]) == (400, "items")
    assert error["message"].startswith("A canceled subscription can only update its")
