"""Every trigger name runs and emits the event it stands for, with linked ids."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from appevents import catalog
from appevents.catalog.fresh import SAMPLE_TIME
from appevents.sandbox import recipes
from appevents.sandbox.recipes.registry import ALIASES
from appevents.sandbox.state import events as stored

# The Stripe CLI's fixture names (pkg/fixtures/triggers), as listed in its trigger docs.
_STRIPE_CLI_NAMES_TEXT = """
account.application.deauthorized account.updated balance.available
billing_portal.configuration.created billing_portal.configuration.updated
billing_portal.session.created cash_balance.funds_available charge.captured
charge.dispute.closed charge.dispute.created charge.dispute.updated charge.failed
charge.refund.updated charge.refunded charge.succeeded checkout.session.async_payment_failed
checkout.session.async_payment_succeeded checkout.session.completed checkout.session.expired
coupon.created coupon.deleted coupon.updated credit_note.created credit_note.updated
credit_note.voided customer.created customer.deleted customer.discount.created
customer.discount.deleted customer.discount.updated customer.source.created
customer.source.updated customer.subscription.created customer.subscription.deleted
customer.subscription.paused customer.subscription.trial_will_end
customer.subscription.updated customer.updated identity.verification_session.canceled
identity.verification_session.created identity.verification_session.redacted invoice.created
invoice.deleted invoice.finalized invoice.marked_uncollectible invoice.paid
invoice.payment_action_required invoice.payment_failed invoice.sent invoice.updated
invoice.voided invoiceitem.created invoiceitem.deleted issuing_authorization.request.eu
issuing_authorization.request.gb issuing_authorization.request issuing_card.created.eu
issuing_card.created.gb issuing_card.created issuing_cardholder.created.eu
issuing_cardholder.created.gb issuing_cardholder.created issuing_transaction.created
issuing_transaction.purchase_details_receipt_updated issuing_transaction.updated
payment_intent.amount_capturable_updated payment_intent.canceled payment_intent.created
payment_intent.partially_funded payment_intent.payment_failed payment_intent.processing
payment_intent.requires_action payment_intent.succeeded payment_link.created
payment_link.updated payment_method.attached payment_method.detached payment_method.updated
payout.created payout.updated plan.created plan.deleted plan.updated price.created
price.updated product.created product.deleted product.updated promotion_code.created
promotion_code.updated quote.accepted quote.canceled quote.created quote.finalized
reporting.report_run.succeeded setup_intent.canceled setup_intent.created
setup_intent.requires_action setup_intent.setup_failed setup_intent.succeeded
subscription.payment_failed subscription.payment_succeeded subscription_schedule.aborted
subscription_schedule.canceled subscription_schedule.completed subscription_schedule.created
subscription_schedule.expiring subscription_schedule.released subscription_schedule.updated
tax_rate.created tax_rate.updated test_helpers.test_clock.advancing
test_helpers.test_clock.created test_helpers.test_clock.deleted test_helpers.test_clock.ready
topup.created transfer.created transfer.reversed transfer.updated
v1.billing.meter.error_report_triggered v1.billing.meter.no_meter_found
"""
STRIPE_CLI_NAMES = _STRIPE_CLI_NAMES_TEXT.split()
APP_EVENTS = ["account.application.authorized", "account.application.deauthorized"]
STANDS_FOR = {
    "subscription.payment_succeeded": "invoice.payment_succeeded",
    "subscription.payment_failed": "invoice.payment_failed",
}
STEP_RECIPES = sorted(set(STRIPE_CLI_NAMES) - set(APP_EVENTS)) + sorted(ALIASES)


def expected_type(name: str) -> str:
    return STANDS_FOR.get(name, name.removesuffix(".eu").removesuffix(".gb"))


def test_names_are_every_stripe_cli_name_its_aliases_and_both_app_events():
    assert len(STRIPE_CLI_NAMES) == 121
    assert set(recipes.names()) == {*STRIPE_CLI_NAMES, *ALIASES, *APP_EVENTS}
    assert set(ALIASES) == {
        "invoice.payment_succeeded",
        "customer_cash_balance_transaction.created",
    }


@pytest.mark.parametrize("name", STEP_RECIPES)
def test_every_trigger_emits_the_event_it_stands_for(world, name):
    result = recipes.run(world.sandbox, world.caller, name)
    types = [e["type"] for e in result.events]
    assert result.event_type == expected_type(name)
    assert expected_type(name) in types, types
    for event in result.events:
        assert event["livemode"] is False and event["data"]["object"], event["type"]
        # No sample placeholder reaches an event: its ids, its 2009 timestamp.
        text = json.dumps(event["data"])
        assert "obj_123" not in text and f": {SAMPLE_TIME}" not in text, event["type"]
        assert "account" not in event  # the platform's own account: not a Connect event
        if catalog.is_known_event_type(event["type"]):
            assert event["data"]["object"]["object"] == catalog.object_type_for(event["type"])
        if event["type"].endswith(".updated"):
            assert event["data"]["previous_attributes"], event["type"]
        if event["type"] == "customer.subscription.deleted":  # canceled, as Stripe sends it
            assert event["data"]["object"]["status"] == "canceled"
        elif event["type"].endswith(".deleted"):
            assert event["data"]["object"]["deleted"] is True
    assert result.lines[-1] == "Trigger succeeded! Check dashboard for event details."
    assert result.steps_run == [s.name for s in recipes.recipe_for(name).steps]


def test_every_object_with_an_id_is_stored_and_ids_are_fresh_per_run(world):
    first = recipes.run(world.sandbox, world.caller, "customer.subscription.created")
    second = recipes.run(world.sandbox, world.caller, "customer.subscription.created")
    for event in first.events:
        obj = event["data"]["object"]
        if obj["object"] == "plan":  # shares its price's id; the price is what is stored
            continue
        stored_obj = stored.get_object(
            world.sandbox.db, world.caller.account, obj["object"], obj["id"]
        )
        assert stored_obj["id"] == obj["id"]
    ids = lambda result: {e["data"]["object"]["id"] for e in result.events}  # noqa: E731
    assert not ids(first) & ids(second)


def test_the_whole_recipe_set_runs_in_a_few_seconds(world):
    started = time.perf_counter()
    for name in STEP_RECIPES:
        recipes.run(world.sandbox, world.caller, name)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "event_type",
    ["radar.early_fraud_warning.created", "treasury.received_credit.created",
     "review.opened", "customer.tax_id.updated", "customer.tax_id.deleted"],
)  # fmt: skip
def test_generic_recipe_for_a_type_without_a_stripe_cli_fixture(world, event_type):
    if not catalog.is_known_event_type(event_type):
        pytest.skip(f"{event_type} is not in this catalog")
    result = recipes.run(world.sandbox, world.caller, event_type)
    (event,) = result.events
    obj = event["data"]["object"]
    assert event["type"] == event_type
    assert obj["object"] == catalog.object_type_for(event_type)
    assert obj["id"] != catalog.sample_object(obj["object"]).get("id")
    assert "generic" in result.note
    if event_type.endswith(".updated"):
        assert "metadata" in event["data"]["previous_attributes"]
    if event_type.endswith(".deleted"):
        assert obj["deleted"] is True


def test_the_recipes_do_not_read_the_shared_reference_material():
    source = Path(recipes.__file__).parent
    for module in source.glob("*.py"):
        assert "/work" not in module.read_text(), module
