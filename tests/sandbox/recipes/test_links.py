"""The ids in a recipe's events link as Stripe's do."""

from __future__ import annotations

from appevents.sandbox import recipes


def run(world, name):
    result = recipes.run(world.sandbox, world.caller, name)
    return result, {e["type"]: e["data"]["object"] for e in result.events}


def test_payment_intent_succeeded(world):
    result, by_type = run(world, "payment_intent.succeeded")
    assert [e["type"] for e in result.events] == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]  # fmt: skip
    intent, charge = by_type["payment_intent.succeeded"], by_type["charge.succeeded"]
    assert by_type["payment_intent.created"]["id"] == intent["id"]
    assert charge["payment_intent"] == intent["id"] and intent["latest_charge"] == charge["id"]
    assert intent["status"] == "succeeded" and intent["amount_received"] == charge["amount"] == 2000
    assert charge["payment_method"] == intent["payment_method"]
    assert by_type["payment_intent.created"]["status"] == "requires_confirmation"
    assert result.lines == [
        "Setting up fixture for: payment_intent",
        "Running fixture for: payment_intent",
        "Trigger succeeded! Check dashboard for event details.",
    ]
    request_ids = {e["request"]["id"] for e in result.events}
    assert len(request_ids) == 1 and request_ids.pop().startswith("req_")


def test_charge_refunded(world):
    _, by_type = run(world, "charge.refunded")
    charge, refund = by_type["charge.refunded"], by_type["refund.created"]
    assert charge["id"] == by_type["charge.succeeded"]["id"]
    assert refund["charge"] == charge["id"] and refund["payment_intent"] == charge["payment_intent"]
    assert charge["refunded"] is True and charge["amount_refunded"] == refund["amount"]


def test_charge_dispute_created(world):
    _, by_type = run(world, "charge.dispute.created")
    dispute, charge = by_type["charge.dispute.created"], by_type["charge.succeeded"]
    assert (
        dispute["charge"] == charge["id"] and dispute["payment_intent"] == charge["payment_intent"]
    )
    assert dispute["amount"] == charge["amount"] and dispute["reason"] == "fraudulent"


def test_customer_subscription_created(world):
    result, by_type = run(world, "customer.subscription.created")
    assert [e["type"] for e in result.events] == [
        "customer.created", "payment_method.attached", "product.created", "price.created",
        "plan.created", "customer.subscription.created", "invoice.created", "invoice.finalized",
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "invoice.updated", "invoice.paid", "invoice.payment_succeeded",
    ]  # fmt: skip
    customer, method = by_type["customer.created"], by_type["payment_method.attached"]
    product, price, plan = (
        by_type["product.created"],
        by_type["price.created"],
        by_type["plan.created"],
    )
    subscription, invoice = by_type["customer.subscription.created"], by_type["invoice.paid"]
    intent, charge = by_type["payment_intent.succeeded"], by_type["charge.succeeded"]
    assert method["customer"] == customer["id"]
    assert customer["invoice_settings"]["default_payment_method"] == method["id"]
    assert price["product"] == product["id"] and plan["id"] == price["id"]
    assert subscription["customer"] == customer["id"]
    assert subscription["items"]["data"][0]["price"]["id"] == price["id"]
    assert subscription["latest_invoice"] == invoice["id"]
    assert invoice["subscription"] == subscription["id"] and invoice["customer"] == customer["id"]
    assert invoice["payment_intent"] == intent["id"] and invoice["charge"] == charge["id"]
    assert charge["invoice"] == invoice["id"] and charge["payment_intent"] == intent["id"]
    assert invoice["status"] == "paid" and by_type["invoice.created"]["status"] == "draft"
    assert by_type["invoice.finalized"]["status"] == "open"
    updated = next(e for e in result.events if e["type"] == "invoice.updated")
    assert updated["data"]["previous_attributes"]["status"] == "open"


def test_invoice_paid(world):
    _, by_type = run(world, "invoice.paid")
    invoice, item = by_type["invoice.paid"], by_type["invoiceitem.created"]
    assert invoice["customer"] == by_type["customer.created"]["id"] == item["customer"]
    assert invoice["payment_intent"] == by_type["payment_intent.succeeded"]["id"]
    assert by_type["charge.succeeded"]["invoice"] == invoice["id"]
    assert invoice["amount_paid"] == item["amount"] and invoice["status"] == "paid"


def test_checkout_session_completed(world):
    _, by_type = run(world, "checkout.session.completed")
    session, intent = by_type["checkout.session.completed"], by_type["payment_intent.succeeded"]
    assert session["payment_intent"] == intent["id"] and session["payment_status"] == "paid"
    assert intent["amount"] == session["amount_total"]
    assert by_type["price.created"]["product"] == by_type["product.created"]["id"]
    assert session["line_items"][0]["price"] == by_type["price.created"]["id"]


def test_setup_intent_succeeded(world):
    _, by_type = run(world, "setup_intent.succeeded")
    created, done = by_type["setup_intent.created"], by_type["setup_intent.succeeded"]
    assert created["id"] == done["id"] and done["status"] == "succeeded"
    assert done["payment_method"].startswith("pm_")


def test_payment_method_attached(world):
    _, by_type = run(world, "payment_method.attached")
    assert by_type["payment_method.attached"]["customer"] == by_type["customer.created"]["id"]


def test_customer_discount_created(world):
    _, by_type = run(world, "customer.discount.created")
    discount, coupon = by_type["customer.discount.created"], by_type["coupon.created"]
    assert discount["customer"] == by_type["customer.created"]["id"]
    assert discount["coupon"]["id"] == coupon["id"] and coupon["percent_off"] == 20


def test_quote_accepted(world):
    _, by_type = run(world, "quote.accepted")
    quote, subscription = by_type["quote.accepted"], by_type["customer.subscription.created"]
    assert quote["customer"] == by_type["customer.created"]["id"] == subscription["customer"]
    assert quote["subscription"] == subscription["id"] and quote["status"] == "accepted"
    assert quote["line_items"]["data"][0]["price"]["id"] == by_type["price.created"]["id"]
    assert by_type["quote.finalized"]["id"] == quote["id"]


def test_subscription_schedule_created(world):
    _, by_type = run(world, "subscription_schedule.created")
    schedule, subscription = (
        by_type["subscription_schedule.created"], by_type["customer.subscription.created"])  # fmt: skip
    assert schedule["customer"] == by_type["customer.created"]["id"] == subscription["customer"]
    assert schedule["subscription"] == subscription["id"]
    assert subscription["schedule"] == schedule["id"]
    assert schedule["phases"][0]["items"][0]["price"] == by_type["price.created"]["id"]


def test_transfer_created(world):
    _, by_type = run(world, "transfer.created")
    transfer = by_type["transfer.created"]
    assert transfer["destination"].startswith("acct_") and transfer["amount"] == 1000
    assert by_type["charge.succeeded"]["amount"] == 1000


def test_issuing_eu_variant_uses_european_params(world):
    result, by_type = run(world, "issuing_card.created.eu")
    card, holder = by_type["issuing_card.created"], by_type["issuing_cardholder.created"]
    assert result.event_type == "issuing_card.created"
    assert card["currency"] == "eur" and card["cardholder"]["id"] == holder["id"]
    assert holder["billing"]["address"]["country"] == "DE"


def test_issuing_authorization_request(world):
    _, by_type = run(world, "issuing_authorization.request")
    request = by_type["issuing_authorization.request"]
    assert request["card"]["id"] == by_type["issuing_card.created"]["id"]
    assert by_type["issuing_authorization.created"]["approved"] is True


def test_subscription_payment_failed_stands_for_the_invoice_failure(world):
    result, by_type = run(world, "subscription.payment_failed")
    assert result.event_type == "invoice.payment_failed" and "not an event type" in result.note
    invoice = by_type["invoice.payment_failed"]
    assert invoice["subscription"] == by_type["customer.subscription.created"]["id"]
    assert by_type["customer.subscription.created"]["status"] == "incomplete"
    assert by_type["charge.failed"]["failure_code"] == "card_declined"


def test_meter_error_report_is_a_snapshot_stand_in_for_the_thin_event(world):
    result, by_type = run(world, "v1.billing.meter.error_report_triggered")
    report = by_type["v1.billing.meter.error_report_triggered"]
    assert report["meter"] == by_type["billing.meter.created"]["id"]
    assert report["reason"]["error_types"][0]["code"] == "meter_event_no_customer_defined"
    assert "thin" in result.note


def test_deleted_objects_are_gone_and_updates_carry_previous_attributes(world):
    result, by_type = run(world, "customer.deleted")
    assert by_type["customer.deleted"]["deleted"] is True
    row = world.sandbox.db.execute(
        "SELECT 1 FROM objects WHERE id = ?", (by_type["customer.deleted"]["id"],)
    ).fetchone()
    assert row is None
    result = recipes.run(world.sandbox, world.caller, "customer.updated")
    updated = result.events[-1]
    assert updated["data"]["previous_attributes"] == {
        "description": "(created by appevents trigger)"
    }
