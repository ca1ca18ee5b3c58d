"""Issuing authorizations ask first, then are created approved (or declined on a card that
is not active); captures make transactions; each step's events in Stripe's order."""

from __future__ import annotations

import httpx
import pytest
import stripe

CARDHOLDER = {
    "name": "Ada Byron", "type": "individual", "email": "ada.byron@appevents.test",
    "billing": {"address": {"line1": "1 Test Street", "city": "Leeds", "postal_code": "LS1 1AA",
                            "country": "GB"}},
}  # fmt: skip

AUTHORIZE = [
    # (card status, approved, authorization status, events after the card's)
    ("active", True, "pending", ["issuing_authorization.request", "issuing_authorization.created"]),
    ("inactive", False, "closed", ["issuing_authorization.created"]),
]


def _types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in reversed(client.v1.events.list({"limit": 100}).data)]


def _card(client: stripe.StripeClient, status: str = "active") -> stripe.issuing.Card:
    holder = client.v1.issuing.cardholders.create(CARDHOLDER)  # type: ignore[arg-type]
    return client.v1.issuing.cards.create(
        {"cardholder": holder.id, "currency": "usd", "type": "virtual", "status": status}  # type: ignore[typeddict-item]
    )


@pytest.mark.parametrize(("status", "approved", "after", "emitted"), AUTHORIZE)
def test_an_authorization_by_card_status(sandbox, status, approved, after, emitted):
    client = sandbox.client()
    card = _card(client, status)
    authorization = client.v1.test_helpers.issuing.authorizations.create(
        {"card": card.id, "amount": 500}
    )
    assert (authorization.approved, authorization.status) == (approved, after)
    assert authorization.card.id == card.id and authorization.cardholder == card.cardholder.id
    assert authorization.pending_request is None
    assert authorization.request_history[0].reason == (
        "webhook_approved" if approved else "card_inactive"
    )
    assert client.v1.issuing.authorizations.retrieve(authorization.id).status == after
    assert _types(client)[2:] == emitted
    if approved:
        request = client.v1.events.list({"type": "issuing_authorization.request"}).data[0]
        assert request.data.object["pending_request"]["amount"] == 500


def test_the_cli_authorizes_through_the_cards_test_path(sandbox):
    client = sandbox.client()
    card = _card(client)
    answer = httpx.post(
        f"{sandbox.base}/v1/issuing/cards/{card.id}/test/authorizations",
        data={"held_amount": "100", "held_currency": "eur", "authorization_method": "online"},
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["amount"], body["currency"], body["authorization_method"]) == (
        100,
        "eur",
        "online",
    )
    missing = httpx.post(
        f"{sandbox.base}/v1/issuing/cards/ic_missing/test/authorizations",
        data={"held_amount": "100"}, headers={"Authorization": f"Bearer {sandbox.key}"},
    )  # fmt: skip
    assert missing.status_code == 404 and "ic_missing" in missing.json()["error"]["message"]


def test_a_capture_makes_a_transaction_and_closes_the_authorization(sandbox):
    client = sandbox.client()
    card = _card(client)
    authorization = client.v1.test_helpers.issuing.authorizations.create(
        {"card": card.id, "amount": 700}
    )
    captured = client.v1.test_helpers.issuing.authorizations.capture(authorization.id)
    assert (captured.status, captured.amount) == ("closed", 0)
    transaction = captured.transactions[0]
    assert (transaction.amount, transaction.type, transaction.authorization) == (
        -700, "capture", authorization.id,
    )  # fmt: skip
    assert client.v1.issuing.transactions.retrieve(transaction.id).card == card.id
    assert _types(client)[-2:] == ["issuing_transaction.created", "issuing_authorization.updated"]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.test_helpers.issuing.authorizations.capture(authorization.id)
    assert "has a status of closed and cannot be captured" in str(refused.value)


def test_a_forced_capture_with_a_receipt_emits_its_receipt_update(sandbox):
    client = sandbox.client()
    card = _card(client)
    transaction = client.v1.test_helpers.issuing.transactions.create_force_capture(
        {"card": card.id, "amount": 100, "currency": "usd",
         "purchase_details": {"receipt": [{"description": "A ride", "quantity": "1", "total": 100,
                                           "unit_cost": 100}]}}
    )  # fmt: skip
    assert transaction.authorization is None and transaction.amount == -100
    assert transaction.purchase_details.receipt[0].description == "A ride"
    assert _types(client)[2:] == [
        "issuing_transaction.created", "issuing_transaction.purchase_details_receipt_updated",
    ]  # fmt: skip
