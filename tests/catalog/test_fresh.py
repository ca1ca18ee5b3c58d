"""Fresh objects: the samples' shape, fresh values, the state the event's name says."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from appevents.catalog import sample_object, sample_resources
from appevents.catalog.fresh import event_object, facts, fresh_object
from appevents.testing import make_event

NOW = 1_796_000_000
# The samples' placeholder ids (obj_123, cus_123) and timestamp (2009-02-13).
PLACEHOLDER = re.compile(r"\bobj_123\b|^[a-z_]+_123$")
SAMPLE_TIME = 1234567890


def counter_ids():
    numbers = itertools.count(1)
    return lambda prefix: f"{prefix}_T{next(numbers):04d}"


def walk(value, path=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from walk(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from walk(inner, f"{path}[{index}]")
    else:
        yield path, value


def test_a_fresh_payment_intent_has_every_sample_field_and_no_placeholder_state():
    intent = fresh_object("payment_intent", now=NOW, new_id=counter_ids())
    assert intent.keys() == sample_object("payment_intent").keys()
    assert intent["id"] == "pi_T0001"
    assert intent["created"] == NOW
    # The sample says canceled in 2009, failed and waiting for an action, all at once.
    assert intent["canceled_at"] is None
    assert intent["last_payment_error"] is None
    assert intent["next_action"] is None
    assert intent["transfer_data"] is None
    assert intent["client_secret"] is None
    assert intent["livemode"] is False and intent["metadata"] == {}


@pytest.mark.parametrize("resource", sample_resources())
def test_no_fresh_object_keeps_a_sample_placeholder_or_an_old_timestamp(resource):
    fresh = fresh_object(resource, now=NOW, new_id=counter_ids())
    for path, value in walk(fresh):
        if isinstance(value, str):
            assert not PLACEHOLDER.search(value), (resource, path, value)
        assert value != SAMPLE_TIME, (resource, path)
        if path in facts(resource).get("timestamps", ()) and value is not None:
            assert value == NOW, (resource, path, value)
    assert fresh.get("created", NOW) == NOW


def test_one_old_id_becomes_one_new_id_wherever_it_appears():
    customer = fresh_object("customer", now=NOW, new_id=counter_ids())
    text = json.dumps(customer)
    sample_id = sample_object("customer")["id"]
    assert sample_id not in text
    assert customer["id"].startswith("cus_T")


def test_nested_nullable_fields_are_null_and_structs_keep_their_shape():
    charge = fresh_object("charge", now=NOW, new_id=counter_ids())
    assert charge["billing_details"] == {
        "address": None,
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }


def test_a_succeeded_intent_received_its_whole_amount_through_a_charge():
    intent = event_object(
        "payment_intent.succeeded",
        "payment_intent",
        given={"amount_received": 1200, "currency": "eur"},
        now=NOW,
        new_id=counter_ids(),
    )
    assert intent["status"] == "succeeded"
    assert intent["amount"] == intent["amount_received"] == 1200
    assert intent["amount_capturable"] == 0
    assert intent["currency"] == "eur"
    assert intent["latest_charge"].startswith("ch_")
    assert intent["payment_method"].startswith("pm_")
    assert intent["canceled_at"] is None and intent["last_payment_error"] is None


def test_both_amounts_given_are_kept_as_given():
    intent = event_object(
        "payment_intent.succeeded",
        "payment_intent",
        given={"amount": 1500, "amount_received": 1000},
        now=NOW,
        new_id=counter_ids(),
    )
    assert (intent["amount"], intent["amount_received"]) == (1500, 1000)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("payment_intent.created", "requires_payment_method"),
        ("payment_intent.canceled", "canceled"),
        ("payment_intent.processing", "processing"),
        ("payment_intent.requires_action", "requires_action"),
        ("payment_intent.payment_failed", "requires_payment_method"),
        ("payment_intent.amount_capturable_updated", "requires_capture"),
    ],
)
def test_the_event_name_sets_the_intent_status(event_type, status):
    intent = event_object(event_type, "payment_intent", given={}, now=NOW, new_id=counter_ids())
    assert intent["status"] == status
    assert intent["amount_received"] == 0
    assert (intent["canceled_at"] == NOW) == (status == "canceled")
    failed = event_type.endswith("payment_failed")
    assert (intent["last_payment_error"] is not None) == failed
    if failed:
        assert intent["last_payment_error"]["code"] == "card_declined"
    assert (intent["next_action"] is not None) == (status == "requires_action")


def test_a_failed_charge_was_declined_and_moved_no_money():
    charge = event_object("charge.failed", "charge", given={}, now=NOW, new_id=counter_ids())
    assert charge["status"] == "failed"
    assert charge["paid"] is False and charge["captured"] is False
    assert charge["balance_transaction"] is None
    assert charge["failure_code"] == "card_declined"
    assert charge["outcome"]["type"] == "issuer_declined"


def test_a_refunded_charge_was_captured_and_refunded_in_full():
    charge = event_object(
        "charge.refunded", "charge", given={"amount": 700}, now=NOW, new_id=counter_ids()
    )
    assert charge["status"] == "succeeded" and charge["paid"] is True
    assert charge["amount_captured"] == charge["amount_refunded"] == 700
    assert charge["outcome"]["type"] == "authorized"
    assert charge["balance_transaction"].startswith("txn_")


def test_a_paid_invoice_has_nothing_left_to_pay():
    invoice = event_object("invoice.paid", "invoice", given={}, now=NOW, new_id=counter_ids())
    assert invoice["status"] == "paid"
    assert invoice["amount_paid"] == invoice["amount_due"]
    assert invoice["amount_remaining"] == 0


def test_make_event_builds_a_consistent_succeeded_payment():
    event = json.loads(
        make_event("payment_intent.succeeded", account="acct_1", object={"amount_received": 1200})
    )
    intent = event["data"]["object"]
    assert intent["status"] == "succeeded"
    assert intent["amount"] == intent["amount_received"] == 1200
    assert intent["canceled_at"] is None
    assert intent["created"] == event["created"]
    assert not PLACEHOLDER.search(json.dumps(event))


def test_make_event_objects_share_the_events_mode():
    for livemode in (False, True):
        event = json.loads(make_event("charge.succeeded", livemode=livemode))
        assert event["livemode"] is event["data"]["object"]["livemode"] is livemode


def test_make_event_gives_an_application_a_stripe_application_id():
    event = json.loads(make_event("account.application.authorized", account="acct_1"))
    assert event["data"]["object"]["id"].startswith("ca_")
