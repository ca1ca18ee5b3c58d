"""The account's balance follows its charges and refunds: each has a balance transaction,
a card charge's funds are pending (less Stripe's fee) unless its card bypasses that."""

from __future__ import annotations

import pytest

from payments_world import events, intent

FEE = 2000 * 29 // 1000 + 30  # Stripe's 2.9% + 30 cents on 2000


def funds(balance: dict, part: str) -> int:
    return sum(each["amount"] for each in balance[part] if each["currency"] == "usd")


@pytest.mark.parametrize(("method", "pending", "available"), [
    ("pm_card_visa", 2000 - FEE, 0),
    ("pm_card_bypassPending", 0, 2000 - FEE),
])  # fmt: skip
def test_a_charge_adds_its_net_to_the_pending_or_available_balance(
    sandbox, method, pending, available
):
    client = sandbox.client()
    paid = intent(client, method)
    charge = client.v1.charges.retrieve(paid.latest_charge)
    transaction = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (transaction.source, transaction.amount, transaction.fee, transaction.net) == (
        charge.id, 2000, FEE, 2000 - FEE,
    )  # fmt: skip
    assert transaction.status == ("available" if available else "pending")
    assert transaction.available_on >= transaction.created
    balance = sandbox.get("/v1/balance")
    assert (funds(balance, "pending"), funds(balance, "available")) == (pending, available)
    announced = [e for e in events(client) if e.type == "balance.available"]
    assert len(announced) == (1 if available else 0)
    if announced:
        assert funds(announced[0].data.object.to_dict(), "available") == available


def test_a_refund_takes_from_the_balance(sandbox):
    client = sandbox.client()
    paid = intent(client, "pm_card_bypassPending")
    client.v1.refunds.create({"payment_intent": paid.id, "amount": 500})
    assert funds(sandbox.get("/v1/balance"), "available") == 2000 - FEE - 500


def test_each_mode_has_its_own_balance(sandbox):
    intent(sandbox.client(), "pm_card_bypassPending")
    assert funds(sandbox.get("/v1/balance", key=sandbox.live_key), "available") == 0
