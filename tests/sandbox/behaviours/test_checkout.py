"""Checkout sessions: created silently, confirmed through the Checkout page's operations in
each mode (their events in Stripe's order), expired; the refusals in Stripe's words."""

from __future__ import annotations

import httpx
import pytest
import stripe


def _types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in reversed(client.v1.events.list({"limit": 100}).data)]


def _in_order(types: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` happen in this order among ``types`` (others may come between)."""
    remaining = iter(types)
    return all(any(each == want for each in remaining) for want in wanted)


def _price(client: stripe.StripeClient, **extra) -> stripe.Price:
    product = client.v1.products.create({"name": "Lesson"})
    return client.v1.prices.create(
        {"product": product.id, "unit_amount": 1500, "currency": extra.pop("currency", "usd"),
         **extra}
    )  # fmt: skip


def _confirm(sandbox, session_id: str, method: str, amount: int | None) -> httpx.Response:
    data = {"payment_method": method}
    if amount is not None:
        data["expected_amount"] = str(amount)
    return httpx.post(
        f"{sandbox.base}/v1/payment_pages/{session_id}/confirm", data=data,
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )  # fmt: skip


def _session(client, price, **extra) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        {"mode": extra.pop("mode", "payment"), "success_url": "https://appevents.test/ok",
         "line_items": [{"price": price.id, "quantity": 2}], **extra}
    )  # fmt: skip


REFUSALS = [
    # (parameters given with a one-time price, with a recurring one, param, words)
    ({"mode": "payment"}, False, "line_items", "Missing required param: line_items"),
    ({}, False, "mode", "Missing required param: mode"),
    ({"mode": "subscription", "line_items": True}, False, "line_items",
     "at least one recurring price in `subscription` mode"),
    ({"mode": "payment", "line_items": True}, True, "line_items",
     "passed a recurring price"),
]  # fmt: skip


@pytest.mark.parametrize(("params", "recurring", "param", "words"), REFUSALS)
def test_a_session_missing_what_its_mode_needs_is_refused(sandbox, params, recurring, param, words):
    client = sandbox.client()
    price = _price(client, **({"recurring": {"interval": "month"}} if recurring else {}))
    given = {key: value for key, value in params.items() if key != "line_items"}
    if params.get("line_items"):
        given["line_items"] = [{"price": price.id, "quantity": 1}]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create({"success_url": "https://appevents.test/ok", **given})
    assert (refused.value.param, words in str(refused.value)) == (param, True)


def test_a_new_session_is_open_with_its_line_items_and_emits_nothing(sandbox):
    client = sandbox.client()
    price = _price(client)
    before = _types(client)
    session = _session(client, price)
    assert (session.status, session.payment_status, session.amount_total) == (
        "open",
        "unpaid",
        3000,
    )
    assert session.url.endswith(session.id) and session.expires_at > session.created
    lines = client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(line.price.id, line.quantity, line.amount_total) for line in lines] == [
        (price.id, 2, 3000)
    ]
    assert _types(client) == before


def test_a_card_pays_at_once_and_completes_the_session(sandbox):
    client = sandbox.client()
    session = _session(client, _price(client))
    answer = _confirm(sandbox, session.id, "pm_card_visa", 3000)
    assert answer.status_code == 200, answer.text
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    intent = client.v1.payment_intents.retrieve(str(done.payment_intent))
    assert (intent.status, intent.amount) == ("succeeded", 3000)
    types = _types(client)
    assert _in_order(types, ["payment_intent.created", "charge.succeeded",
                             "payment_intent.succeeded", "checkout.session.completed"])  # fmt: skip
    assert "customer.created" not in types  # a guest: nothing asked to keep the customer


def test_a_delayed_method_completes_unpaid_then_its_payment_succeeds(sandbox):
    client = sandbox.client()
    price = _price(client, currency="eur")
    session = _session(client, price, payment_method_types=["sepa_debit"],
                       payment_intent_data={"setup_future_usage": "off_session"})  # fmt: skip
    method = client.v1.payment_methods.create(
        {"type": "sepa_debit", "sepa_debit": {"iban": "AT611904300234573201"},
         "billing_details": {"name": "Ada Byron", "email": "ada.byron@appevents.test"}}
    )  # fmt: skip
    answer = _confirm(sandbox, session.id, method.id, 3000)
    assert answer.status_code == 200, answer.text
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    customer = client.v1.customers.retrieve(str(done.customer))
    assert customer.email == "ada.byron@appevents.test"
    assert _in_order(_types(client), [
        "customer.created", "payment_method.attached", "payment_intent.created",
        "payment_intent.processing", "checkout.session.completed", "charge.succeeded",
        "payment_intent.succeeded", "checkout.session.async_payment_succeeded",
    ])  # fmt: skip
    completed = client.v1.events.list({"type": "checkout.session.completed"}).data[0]
    assert completed.data.object["payment_status"] == "unpaid"


def test_setup_mode_confirms_a_setup_intent(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create({"email": "ada.byron@appevents.test"})
    session = client.v1.checkout.sessions.create(
        {"mode": "setup", "currency": "usd", "customer": customer.id,
         "success_url": "https://appevents.test/ok"}
    )  # fmt: skip
    assert session.payment_status == "no_payment_required"
    assert _confirm(sandbox, session.id, "pm_card_visa", None).status_code == 200
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert client.v1.setup_intents.retrieve(str(done.setup_intent)).status == "succeeded"
    assert _in_order(_types(client), ["setup_intent.succeeded", "checkout.session.completed"])


def test_subscription_mode_makes_the_subscription(sandbox):
    client = sandbox.client()
    price = _price(client, recurring={"interval": "month"})
    session = _session(
        client, price, mode="subscription", customer_email="ada.byron@appevents.test"
    )
    answer = _confirm(sandbox, session.id, "pm_card_visa", 3000)
    assert answer.status_code == 200, answer.text
    done = client.v1.checkout.sessions.retrieve(session.id)
    subscription = client.v1.subscriptions.retrieve(str(done.subscription))
    assert subscription.customer == done.customer
    assert subscription["items"].data[0].price.id == price.id
    assert _in_order(_types(client), [
        "customer.created", "customer.subscription.created", "checkout.session.completed",
    ])  # fmt: skip


def test_the_amount_the_page_showed_must_be_the_sessions(sandbox):
    client = sandbox.client()
    session = _session(client, _price(client))
    answer = _confirm(sandbox, session.id, "pm_card_visa", 100)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "expected_amount"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expire_ends_an_open_session_once(sandbox):
    client = sandbox.client()
    session = _session(client, _price(client))
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert _types(client)[-1] == "checkout.session.expired"
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.checkout.sessions.expire(session.id)
    assert "is expired and can no longer be expired" in str(again.value)
    answer = _confirm(sandbox, session.id, "pm_card_visa", 3000)
    assert answer.status_code == 400 and "can no longer be confirmed" in answer.text
