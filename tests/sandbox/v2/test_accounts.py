"""The v2 Accounts API through stripe-python: create, retrieve (``include``), update, list,
close; each call's thin events exactly, listed and delivered to a thin ``@self``
destination, parsed by stripe-python and fetching the account back; a v2 account is a v1
connected account of its platform too."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from v2_world import bodies, thin_destination, v2_client

ACCOUNT_FIELDS = {
    "id", "object", "applied_configurations", "closed", "configuration", "contact_email",
    "contact_phone", "created", "dashboard", "defaults", "display_name", "future_requirements",
    "identity", "livemode", "metadata", "requirements",
}  # fmt: skip
TERMS = {"terms_of_service": {"account": {"date": "2026-01-05T10:00:00Z", "ip": "127.0.0.1"}}}
COMPLETE_IDENTITY = {
    "country": "us", "entity_type": "company",
    "business_details": {"registered_name": "Larkspur Goods LLC"}, "attestations": TERMS,
}  # fmt: skip


def types_since(client: stripe.StripeClient, seen: set[str]) -> list[str]:
    """The thin event types emitted since ``seen`` (ids), oldest first; adds them to it."""
    listed = [e for e in client.v2.core.events.list({"limit": 100}).data if e.id not in seen]
    seen.update(e.id for e in listed)
    return [e.type for e in reversed(listed)]


def merchant(client: stripe.StripeClient, **extra: Any) -> Any:
    return client.v2.core.accounts.create({
        "contact_email": "owner@larkspur.test", "display_name": "Larkspur",
        "dashboard": "none", "identity": COMPLETE_IDENTITY,
        "configuration": {"merchant": {"capabilities": {"card_payments": {"requested": True}}}},
        "include": ["configuration.merchant", "requirements", "identity"], **extra,
    })  # fmt: skip


def test_create_answers_pending_then_the_capability_is_decided(sandbox) -> None:
    client = v2_client(sandbox)
    seen: set[str] = set()
    account = merchant(client)
    assert set(account.to_dict()) == ACCOUNT_FIELDS
    assert account.id.startswith("acct_") and account.object == "v2.core.account"
    assert account.created.endswith("Z") and account.applied_configurations == ["merchant"]
    card = account.configuration.merchant.capabilities.card_payments
    assert card.status == "pending" and card.status_details[0].code == "determining_status"
    assert account.identity.business_details.registered_name == "Larkspur Goods LLC"
    assert types_since(client, seen) == [
        "v2.core.account.created",
        "v2.core.account[configuration.merchant].capability_status_updated",
    ]
    fetched = client.v2.core.accounts.retrieve(
        account.id, {"include": ["configuration.merchant", "requirements"]}
    )
    assert fetched.configuration.merchant.capabilities.card_payments.status == "active"
    assert fetched.requirements.entries == [] and fetched.identity is None
    bare = client.v2.core.accounts.retrieve(account.id)
    assert bare.configuration is None and bare.requirements is None and bare.defaults is None
    (status_event,) = client.v2.core.events.list({
        "types": ["v2.core.account[configuration.merchant].capability_status_updated"]
    }).data  # fmt: skip
    full = client.v2.core.events.retrieve(status_event.id)
    assert full.data.updated_capability == "card_payments"
    assert full.context is None and full.related_object.url == f"/v2/core/accounts/{account.id}"


def test_missing_requirements_restrict_until_an_update_supplies_them(sandbox) -> None:
    client = v2_client(sandbox)
    seen: set[str] = set()
    account = client.v2.core.accounts.create({
        "contact_email": "payee@larkspur.test", "identity": {"country": "gb"},
        "configuration": {"recipient": {"capabilities": {
            "stripe_balance": {"stripe_transfers": {"requested": True}}}}},
    })  # fmt: skip
    assert types_since(client, seen) == [
        "v2.core.account.created",
        "v2.core.account[configuration.recipient].capability_status_updated",
        "v2.core.account[requirements].updated",
    ]
    restricted = client.v2.core.accounts.retrieve(
        account.id, {"include": ["configuration.recipient", "requirements"]}
    )
    transfers = restricted.configuration.recipient.capabilities.stripe_balance.stripe_transfers
    assert transfers.status == "restricted"
    assert [e.description for e in restricted.requirements.entries] == [
        "identity.attestations.terms_of_service.account",
        "identity.business_details.registered_name",
        "identity.entity_type",
    ]
    impact = restricted.requirements.entries[0].impact.restricts_capabilities[0]
    assert (impact.configuration, impact.capability) == (
        "recipient",
        "stripe_balance.stripe_transfers",
    )
    updated = client.v2.core.accounts.update(account.id, {
        "display_name": "Larkspur payouts", "identity": {
            "entity_type": "individual", "attestations": TERMS,
            "individual": {"given_name": "Robin", "surname": "Okafor"}},
        "include": ["identity", "configuration.recipient"],
    })  # fmt: skip
    assert updated.display_name == "Larkspur payouts"
    assert updated.identity.individual.given_name == "Robin"
    assert updated.identity.individual.object == "v2.core.account_person"
    assert types_since(client, seen) == [
        "v2.core.account.updated",
        "v2.core.account[identity].updated",
        "v2.core.account[configuration.recipient].capability_status_updated",
        "v2.core.account[requirements].updated",
    ]
    after = updated.configuration.recipient.capabilities.stripe_balance.stripe_transfers
    assert after.status == "active" and after.status_details == []
    newest_last = reversed(client.v2.core.events.list().data)
    by_type = {e.type: client.v2.core.events.retrieve(e.id) for e in newest_last}
    assert by_type["v2.core.account.updated"].changes.to_dict() == {
        "before": {"display_name": None}, "after": {"display_name": "Larkspur payouts"},
    }  # fmt: skip
    status = by_type["v2.core.account[configuration.recipient].capability_status_updated"]
    assert status.changes.to_dict() == {
        "before": {"configuration": {"recipient": {"capabilities": {"stripe_balance": {
            "stripe_transfers": {"status": "restricted"}}}}}},
        "after": {"configuration": {"recipient": {"capabilities": {"stripe_balance": {
            "stripe_transfers": {"status": "active"}}}}}},
    }  # fmt: skip
    identity = by_type["v2.core.account[identity].updated"].changes.to_dict()
    assert identity["before"]["identity"]["entity_type"] is None
    assert identity["after"]["identity"]["entity_type"] == "individual"
    assert identity["after"]["identity"]["individual"]["surname"] == "Okafor"
    assert "country" not in identity["after"]["identity"]  # unchanged
    assert by_type["v2.core.account[requirements].updated"].changes.after.requirements.entries == []
    client.v2.core.accounts.update(account.id, {"display_name": "Larkspur payouts"})
    assert types_since(client, seen) == []  # nothing changed: no event


def test_defaults_and_configuration_updates_have_their_own_events(sandbox) -> None:
    client = v2_client(sandbox)
    account = merchant(client)
    seen = {e.id for e in client.v2.core.events.list().data}
    client.v2.core.accounts.update(account.id, {
        "defaults": {"currency": "eur", "locales": ["fr-FR"]},
        "configuration": {"merchant": {"mcc": "5734"}, "customer": {}},
        "metadata": {"tier": "gold"},
    })  # fmt: skip
    assert types_since(client, seen) == [
        "v2.core.account.updated",
        "v2.core.account[defaults].updated",
        "v2.core.account[configuration.customer].updated",
        "v2.core.account[configuration.merchant].updated",
    ]
    fetched = client.v2.core.accounts.retrieve(
        account.id, {"include": ["defaults", "configuration.customer"]}
    )
    assert fetched.defaults.currency == "eur" and fetched.defaults.locales == ["fr-FR"]
    assert fetched.defaults.responsibilities.requirements_collector == "application"
    assert fetched.applied_configurations == ["customer", "merchant"]
    assert fetched.configuration.customer.applied is True
    assert fetched.configuration.merchant is None  # not included
    assert fetched.metadata.to_dict() == {"tier": "gold"}


def test_list_filters_and_pages_and_close(sandbox) -> None:
    client = v2_client(sandbox)
    ids = [merchant(client).id for _ in range(3)]
    customer = client.v2.core.accounts.create({"configuration": {"customer": {}}})
    listed = client.v2.core.accounts.list()
    assert [a.id for a in listed.data] == [customer.id, *reversed(ids)]
    merchants = client.v2.core.accounts.list({"applied_configurations": ["merchant"], "limit": 2})
    assert [a.id for a in merchants.data] == [ids[2], ids[1]]
    assert [a.id for a in merchants.auto_paging_iter()] == list(reversed(ids))
    seen = {e.id for e in client.v2.core.events.list().data}
    closed = client.v2.core.accounts.close(ids[0], {"applied_configurations": ["merchant"]})
    assert closed.closed is True and closed.applied_configurations == []
    assert types_since(client, seen) == ["v2.core.account.closed"]
    assert [a.id for a in client.v2.core.accounts.list({"closed": True}).data] == [ids[0]]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.accounts.update(ids[0], {"display_name": "again"})
    assert info.value.code == "account_closed"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.accounts.close(ids[1], {"applied_configurations": ["customer"]})
    assert info.value.json_body["error"]["param"] == "applied_configurations"


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"colour": "blue"}, "colour", "parameter_unknown"),
        ({"identity": {"country": "us", "entity": "company"}}, "identity.entity",
         "parameter_unknown"),
        ({"dashboard": "partial"}, "dashboard", "invalid_value"),
        ({"contact_email": 7}, "contact_email", "invalid_value"),
        ({"configuration": {"merchant": {"capabilities": {"card_payments": {}}}}},
         "configuration.merchant.capabilities.card_payments.requested", "parameter_missing"),
        ({"identity": {"attestations": {"terms_of_service": {"account": {"ip": "127.0.0.1"}}}}},
         "identity.attestations.terms_of_service.account.date", "parameter_missing"),
        ({"include": ["everything"]}, "include[0]", "invalid_value"),
        ({"account_token": "ct_x"}, "account_token", "invalid_value"),
        ({"identity": "us"}, "identity", "invalid_value"),
        ({"metadata": {"tier": 5}}, "metadata.tier", "invalid_value"),
        ({"configuration": {"merchant": []}}, "configuration.merchant", "invalid_value"),
        ({"defaults": {"locales": "fr-FR"}}, "defaults.locales", "invalid_value"),
        ({"display_name": "x" * 5001}, "display_name", "invalid_value"),
    ],
)  # fmt: skip
def test_bad_params_name_the_param_in_v2_shape(sandbox, params, param, code) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v2_client(sandbox).v2.core.accounts.create(params)
    error = info.value.json_body["error"]
    assert (error["param"], error["code"], info.value.http_status) == (param, code, 400)
    assert error["type"] == "invalid_request_error" and param.split(".")[-1] in error["message"]


def test_another_platform_cannot_see_the_account(sandbox) -> None:
    account = merchant(v2_client(sandbox))
    other = sandbox.post("/_sandbox/accounts", {})
    with pytest.raises(stripe.InvalidRequestError) as info:
        v2_client(sandbox, other["keys"]["test"]).v2.core.accounts.retrieve(account.id)
    assert info.value.http_status == 404 and info.value.code == "resource_missing"
    assert v2_client(sandbox, other["keys"]["test"]).v2.core.accounts.list().data == []


def test_a_v2_account_is_a_v1_connected_account(sandbox) -> None:
    client = v2_client(sandbox)
    account = merchant(client, defaults={"currency": "eur"})
    v1 = client.v1.accounts.retrieve(account.id)
    assert (v1.email, v1.business_profile.name, v1.country) == (
        "owner@larkspur.test",
        "Larkspur",
        "US",
    )
    assert (v1.default_currency, v1.type, v1.charges_enabled) == ("eur", "custom", True)
    assert v1.details_submitted is True and v1.payouts_enabled is False
    created = client.v1.customers.create(
        {"email": "buyer@larkspur.test"}, {"stripe_account": account.id}
    )
    assert (
        client.v1.customers.retrieve(created.id, options={"stripe_account": account.id}).id
        == created.id
    )
    updates = [e for e in client.v1.events.list({"type": "account.updated"}).data
               if e.account == account.id]  # fmt: skip
    assert updates == []  # the platform's own listing has none: they are the account's
    account_events = client.v1.events.list(
        {"type": "account.updated"}, {"stripe_account": account.id}
    ).data
    assert [e.data.previous_attributes.to_dict() for e in account_events] == [
        {"charges_enabled": False}
    ]
    client.v1.accounts.delete(account.id)  # its platform deletes it through v1
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.accounts.retrieve(account.id)
    assert info.value.http_status == 404 and account.id in info.value.user_message


def test_delivered_to_a_thin_destination_and_fetched_back(sandbox, receiver) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    destination = thin_destination(
        client, url, ["v2.core.account.created", "v2.core.account.updated"]
    )
    account = merchant(client)
    client.v2.core.accounts.update(account.id, {"contact_phone": "+15555550142"})
    first, second = bodies(handler, 2)
    assert [first["type"], second["type"]] == ["v2.core.account.created", "v2.core.account.updated"]
    assert first["context"] is None and "data" not in first
    headers, raw = handler.received[1]
    notification = client.parse_event_notification(
        raw, headers["stripe-signature"], destination.webhook_endpoint.signing_secret
    )
    assert type(notification).__name__ == "V2CoreAccountUpdatedEventNotification"
    fetched = notification.fetch_related_object()
    assert (type(fetched).__name__, fetched.id, fetched.contact_phone) == (
        "Account", account.id, "+15555550142",
    )  # fmt: skip
    assert notification.fetch_event().type == "v2.core.account.updated"
