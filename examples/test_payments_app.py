"""The example app's own tests, with appevents' pytest fixtures and the sandbox.

Run them:  pytest examples/test_payments_app.py   (appevents installed: the fixtures load)
"""

from __future__ import annotations

from pathlib import Path

from payments_app import app

MANIFEST = Path(__file__).with_name("stripe-app.json")


def test_an_install_payments_refunds_and_the_uninstall(appevents_sandbox, appevents_receiver):
    receiver = appevents_receiver(app)
    merchant = appevents_sandbox.install(MANIFEST)  # a new merchant account installs the app
    receiver.wait_for(lambda: receiver.query("SELECT * FROM app_users"))
    assert receiver.query("SELECT account, status, installs FROM app_users") == [
        (merchant.id, "active", 1)
    ]

    paid = appevents_sandbox.trigger("payment_intent.succeeded", account=merchant)
    receiver.wait_for(paid)
    ((currency, amount, payments),) = receiver.query(
        "SELECT currency, amount, payments FROM app_payment_totals WHERE account = ?",
        [merchant.id],
    )
    assert payments == 1 and amount > 0

    refunded = appevents_sandbox.trigger("charge.refunded", account=merchant)
    receiver.wait_for(refunded)
    ((refunded_amount,),) = receiver.query(
        "SELECT refunded FROM app_payment_totals WHERE account = ? AND currency = ?",
        [merchant.id, currency],
    )
    assert refunded_amount > 0

    appevents_sandbox.uninstall(MANIFEST, merchant)
    receiver.wait_for(lambda: not receiver.query("SELECT * FROM app_users"))
    assert receiver.query("SELECT * FROM app_payment_totals") == []


def test_another_accounts_events_stay_apart(appevents_sandbox, appevents_receiver):
    receiver = appevents_receiver(app)
    first = appevents_sandbox.install(MANIFEST)
    second = appevents_sandbox.install(MANIFEST)
    receiver.wait_for(appevents_sandbox.trigger("payment_intent.succeeded", account=first))
    receiver.wait_for(appevents_sandbox.trigger("payment_intent.succeeded", account=second))
    receiver.wait_for(appevents_sandbox.trigger("payment_intent.succeeded", account=second))
    totals = dict(receiver.query("SELECT account, payments FROM app_payment_totals"))
    assert totals == {first.id: 1, second.id: 2}
