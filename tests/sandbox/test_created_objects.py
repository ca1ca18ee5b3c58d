"""What the sandbox creates, as the official library sees it: valid against Stripe's
OpenAPI schemas, and none of the samples' placeholder values."""

from __future__ import annotations

import json

from appevents.catalog import sample_object
from appevents.catalog.fresh import SAMPLE_TIME
from spec_schemas import schema_errors


def placeholders(obj, resource):
    """Values copied from the sample: its ids, its 2009 time, its state-only fields."""
    sample = sample_object(resource)
    found = []
    text = json.dumps(obj)
    for key in ("id", "client_secret"):
        if isinstance(sample.get(key), str) and sample[key] in text:
            found.append(sample[key])
    if str(SAMPLE_TIME) in text or "obj_123" in text:
        found.append("placeholder time or id")
    return found


def test_objects_made_through_the_api_and_their_events_match_stripes_schemas(sandbox):
    client = sandbox.client()
    customer = client.v1.customers.create({"email": "buyer@shop.test"})
    product = client.v1.products.create({"name": "Tea"})
    price = client.v1.prices.create({"product": product.id, "currency": "eur", "unit_amount": 450})
    intent = client.v1.payment_intents.create(
        {"amount": 450, "currency": "eur", "customer": customer.id,
         "payment_method": "pm_card_visa", "confirm": True}
    )  # fmt: skip
    setup = client.v1.setup_intents.create({"customer": customer.id})
    made = [customer, product, price, intent, setup]
    events = client.v1.events.list({"limit": 100}).data
    carried = [event.data.object for event in events]
    assert {o["object"] for o in carried} >= {"customer", "charge", "payment_intent"}
    # As sent: the stripe library turns decimal strings into Decimal.
    raw = [json.loads(json.dumps(o.to_dict(), default=str)) for o in [*made, *carried]]
    for obj in raw:
        assert schema_errors(obj) == [], obj["object"]
        assert placeholders(obj, obj["object"]) == [], obj["object"]
    assert customer.discount is None
    assert intent.status == "succeeded" and intent.canceled_at is None
    assert intent.last_payment_error is None and intent.next_action is None
    (charge,) = [o for o in carried if o["object"] == "charge"]
    assert charge["outcome"]["type"] == "authorized"
    assert charge["transfer_data"] is None


def test_a_test_payment_method_becomes_a_payment_method_the_intent_and_charge_name(sandbox):
    client = sandbox.client()
    intent = client.v1.payment_intents.create(
        {"amount": 700, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    method = client.v1.payment_methods.retrieve(intent.payment_method)
    assert (method.object, method.type) == ("payment_method", "card")
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.payment_method, charge.payment_intent) == (method.id, intent.id)
