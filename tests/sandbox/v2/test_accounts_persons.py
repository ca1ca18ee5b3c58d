"""A v2 account's persons and account links through stripe-python: each write's thin event
(``data.account_id``, the person as related object, fetched back by stripe-python), pages,
the deleted stub; a link's URL on the sandbox redirects to ``return_url`` once, emitting
``v2.core.account_link.returned``, and to ``refresh_url`` after."""

from __future__ import annotations

import httpx
import pytest
import stripe

from v2_world import bodies, thin_destination, v2_client

PERSON_FIELDS = {
    "id", "object", "account", "additional_addresses", "additional_names",
    "additional_terms_of_service", "address", "created", "date_of_birth", "documents", "email",
    "given_name", "id_numbers", "legal_gender", "livemode", "metadata", "nationalities", "phone",
    "political_exposure", "relationship", "script_addresses", "script_names", "surname",
    "updated",
}  # fmt: skip


def account(client: stripe.StripeClient) -> str:
    return client.v2.core.accounts.create({
        "contact_email": "team@heron.test", "display_name": "Heron Studio",
        "identity": {"country": "de", "entity_type": "company"},
        "configuration": {"merchant": {}},
    }).id  # fmt: skip


def test_persons_are_created_updated_listed_and_deleted_with_their_events(sandbox) -> None:
    client = v2_client(sandbox)
    account_id = account(client)
    persons = client.v2.core.accounts.persons
    ada = persons.create(account_id, {
        "given_name": "Ada", "surname": "Brandt", "email": "ada@heron.test",
        "relationship": {"representative": True, "percent_ownership": "40.5"},
        "date_of_birth": {"day": 9, "month": 3, "year": 1988},
    })  # fmt: skip
    assert set(ada.to_dict()) == PERSON_FIELDS
    assert ada.id.startswith("person_") and ada.account == account_id
    assert ada.relationship.representative is True and ada.date_of_birth.year == 1988
    assert ada.created.endswith("Z") and ada.address is None
    ben = persons.create(account_id, {"given_name": "Ben", "surname": "Kowalski"})
    listed = persons.list(account_id, {"limit": 1})
    assert [p.id for p in listed.data] == [ben.id] and listed.next_page_url is not None
    assert [p.id for p in listed.auto_paging_iter()] == [ben.id, ada.id]
    moved = persons.update(account_id, ada.id, {"surname": "Brandt-Lee", "metadata": {"k": "v"}})
    assert moved.surname == "Brandt-Lee" and moved.metadata.to_dict() == {"k": "v"}
    assert persons.retrieve(account_id, ada.id).surname == "Brandt-Lee"
    gone = persons.delete(account_id, ben.id)
    assert (gone.id, gone.deleted) == (ben.id, True)
    assert persons.retrieve(account_id, ben.id).deleted is True
    assert [p.id for p in persons.list(account_id).data] == [ada.id]
    events = list(reversed(client.v2.core.events.list({"limit": 10}).data))
    person_events = [(e.type, e.related_object.id) for e in events if "person" in e.type]
    assert person_events == [
        ("v2.core.account_person.created", ada.id),
        ("v2.core.account_person.created", ben.id),
        ("v2.core.account_person.updated", ada.id),
        ("v2.core.account_person.deleted", ben.id),
    ]
    full = client.v2.core.events.retrieve(events[-1].id)
    assert full.data.account_id == account_id
    assert full.related_object.url == f"/v2/core/accounts/{account_id}/persons/{ben.id}"
    with pytest.raises(stripe.InvalidRequestError) as info:
        persons.update(account_id, ben.id, {"given_name": "Benedikt"})
    assert info.value.http_status == 404


def test_bad_person_params_and_another_accounts_person(sandbox) -> None:
    client = v2_client(sandbox)
    first, second = account(client), account(client)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.accounts.persons.create(first, {"date_of_birth": {"day": 9, "month": 3}})
    assert info.value.json_body["error"]["param"] == "date_of_birth.year"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.accounts.persons.create(first, {"relationship": {"percent_ownership": "x"}})
    assert info.value.json_body["error"]["param"] == "relationship.percent_ownership"
    person = client.v2.core.accounts.persons.create(first, {"given_name": "Cleo"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.accounts.persons.retrieve(second, person.id)
    assert info.value.http_status == 404


def test_a_person_event_is_delivered_and_fetches_the_person(sandbox, receiver) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    destination = thin_destination(client, url, ["v2.core.account_person.created"])
    account_id = account(client)
    person = client.v2.core.accounts.persons.create(account_id, {"given_name": "Dara"})
    (sent,) = bodies(handler, 1)
    assert sent["related_object"]["id"] == person.id and "data" not in sent
    headers, raw = handler.received[0]
    notification = client.parse_event_notification(
        raw, headers["stripe-signature"], destination.webhook_endpoint.signing_secret
    )
    fetched = notification.fetch_related_object()
    assert (type(fetched).__name__, fetched.given_name) == ("AccountPerson", "Dara")
    assert notification.fetch_event().data.account_id == account_id


def test_an_account_link_returns_once_then_refreshes(sandbox, receiver) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    destination = thin_destination(client, url, ["v2.core.account_link.returned"])
    account_id = account(client)
    link = client.v2.core.account_links.create({
        "account": account_id,
        "use_case": {"type": "account_onboarding", "account_onboarding": {
            "refresh_url": "https://heron.test/refresh", "return_url": "https://heron.test/done"}},
    })  # fmt: skip
    assert link.object == "v2.core.account_link" and link.account == account_id
    assert link.url.startswith(sandbox.base + "/_sandbox/account_links/alu_test_")
    assert link.use_case.type == "account_onboarding" and link.use_case.account_update is None
    assert link.use_case.account_onboarding.return_url == "https://heron.test/done"
    assert link.expires_at > link.created
    returned = httpx.get(link.url)
    assert (returned.status_code, returned.headers["location"]) == (302, "https://heron.test/done")
    again = httpx.get(link.url)
    assert (again.status_code, again.headers["location"]) == (302, "https://heron.test/refresh")
    assert httpx.get(sandbox.base + "/_sandbox/account_links/alu_test_nothing").status_code == 404
    (sent,) = bodies(handler, 1)
    assert sent["type"] == "v2.core.account_link.returned" and "related_object" not in sent
    headers, raw = handler.received[0]
    notification = client.parse_event_notification(
        raw, headers["stripe-signature"], destination.webhook_endpoint.signing_secret
    )
    event = notification.fetch_event()
    assert event.data.account_id == account_id
    assert (event.data.use_case, event.data.configurations) == ("account_onboarding", ["merchant"])
    kinds = [
        e.type
        for e in client.v2.core.events.list({"types": ["v2.core.account_link.returned"]}).data
    ]
    assert kinds == ["v2.core.account_link.returned"]  # the second opening emitted nothing


@pytest.mark.parametrize(
    ("use_case", "param"),
    [({"type": "account_onboarding"}, "use_case.account_onboarding"),
     ({"type": "signup", "account_onboarding": {"refresh_url": "https://heron.test/r"}},
      "use_case.type"),
     ({"type": "account_update", "account_update": {}}, "use_case.account_update.refresh_url")],
)  # fmt: skip
def test_bad_account_links(sandbox, use_case, param) -> None:
    client = v2_client(sandbox)
    account_id = account(client)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.account_links.create({"account": account_id, "use_case": use_case})
    assert info.value.json_body["error"]["param"] == param
