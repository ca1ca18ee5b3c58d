"""A delayed method's mandate: made with the intent's mandate_data, active, served."""

from __future__ import annotations

from payments_world import events


def test_a_sepa_debit_intent_makes_an_active_mandate(sandbox):
    client = sandbox.client()
    method = client.v1.payment_methods.create(
        {"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"},
         "billing_details": {"name": "A. Payer", "email": "payer@sandbox.invalid"}}
    )  # fmt: skip
    client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": method.id, "confirm": True,
         "payment_method_types": ["sepa_debit"],
         "mandate_data": {"customer_acceptance": {"type": "online",
                          "online": {"ip_address": "192.0.2.1", "user_agent": "tests"}}}}
    )  # fmt: skip
    updated = next(event for event in events(client) if event.type == "mandate.updated")
    assert updated.data.previous_attributes.to_dict() == {"status": "pending"}
    mandate = client.v1.mandates.retrieve(updated.data.object.id)
    assert (mandate.status, mandate.payment_method, mandate.customer_acceptance.type) == (
        "active", method.id, "online",
    )  # fmt: skip
    assert mandate.payment_method_details.type == "sepa_debit"
