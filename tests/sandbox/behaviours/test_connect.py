"""Transfers, reversals, payouts and top-ups move the balance as Stripe's do, each with
its event; what the balance cannot cover is refused with ``balance_insufficient``."""

from __future__ import annotations

import pytest
import stripe


def _types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in reversed(client.v1.events.list({"limit": 100}).data)]


def _funded(client: stripe.StripeClient, amount: int = 2000) -> None:
    """Available funds, as the CLI's fixtures get them: a charge made available at once."""
    client.v1.payment_intents.create(
        {"amount": amount, "currency": "usd", "payment_method": "pm_card_bypassPending",
         "confirm": True}
    )  # fmt: skip


def _available(client: stripe.StripeClient) -> int:
    return sum(
        each.amount for each in client.v1.balance.retrieve().available if each.currency == "usd"
    )


def test_a_transfer_draws_on_the_balance_and_reverses_in_parts(sandbox):
    client = sandbox.client()
    _funded(client)
    before = _available(client)
    account = client.v1.accounts.create({"type": "custom", "country": "US"})
    transfer = client.v1.transfers.create(
        {"amount": 1000, "currency": "usd", "destination": account.id}
    )
    assert _available(client) == before - 1000
    moved = client.v1.balance_transactions.retrieve(str(transfer.balance_transaction))
    assert (moved.amount, moved.type, moved.source) == (-1000, "transfer", transfer.id)
    part = client.v1.transfers.reversals.create(transfer.id, {"amount": 100})
    assert part.transfer == transfer.id and part.amount == 100
    assert (client.v1.transfers.retrieve(transfer.id).amount_reversed, _available(client)) == (
        100, before - 900,
    )  # fmt: skip
    rest = client.v1.transfers.reversals.create(transfer.id)
    assert rest.amount == 900 and client.v1.transfers.retrieve(transfer.id).reversed is True
    types = _types(client)
    assert types[-3:] == ["transfer.created", "transfer.reversed", "transfer.reversed"]
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        client.v1.transfers.reversals.create(transfer.id, {"amount": 1})
    assert nothing_left.value.param == "amount"


REFUSED = [
    # (what, amount, code or status)
    ("more than the balance", 999_999, "balance_insufficient"),
    ("an account that is not connected", 100, 404),
]


@pytest.mark.parametrize(("what", "amount", "refusal"), REFUSED)
def test_a_transfer_is_refused(sandbox, what, amount, refusal):
    client = sandbox.client()
    _funded(client)
    destination = client.v1.accounts.create({"type": "custom"}).id
    if refusal == 404:
        destination = "acct_notconnected00"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            {"amount": amount, "currency": "usd", "destination": destination}
        )
    if refusal == 404:
        assert refused.value.http_status == 404 and destination in str(refused.value)
    else:
        assert refused.value.code == refusal
    assert "transfer.created" not in _types(client)


def test_a_payout_is_pending_and_cancelling_returns_its_funds(sandbox):
    client = sandbox.client()
    _funded(client)
    before = _available(client)
    payout = client.v1.payouts.create({"amount": 1100, "currency": "usd"})
    assert (payout.status, _available(client)) == ("pending", before - 1100)
    assert payout.arrival_date > payout.created
    canceled = client.v1.payouts.cancel(payout.id)
    assert (canceled.status, _available(client)) == ("canceled", before)
    assert _types(client)[-2:] == ["payout.created", "payout.canceled"]
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payouts.cancel(payout.id)
    assert "has a status of canceled" in str(again.value)
    with pytest.raises(stripe.InvalidRequestError) as short:
        client.v1.payouts.create({"amount": 999_999, "currency": "usd"})
    assert short.value.code == "balance_insufficient"


def test_a_top_up_adds_pending_funds(sandbox):
    client = sandbox.client()
    topup = client.v1.topups.create({"amount": 5000, "currency": "usd"})
    assert topup.status == "pending"
    pending = client.v1.balance.retrieve().pending
    assert sum(each.amount for each in pending if each.currency == "usd") == 5000
    assert _types(client) == ["topup.created"]
