"""/v2/core/event_destinations through stripe-python: the object as Stripe shapes it, the
signing secret only when included, update, enable/disable, delete, list pages, refusals."""

from __future__ import annotations

import pytest
import stripe

from sandbox_fixtures import wait_for
from v2_world import bodies, thin_destination, v2_client


def test_a_thin_webhook_destination_is_made_whole_and_its_secret_shown_when_included(
    sandbox, receiver
) -> None:
    _, url = receiver
    client = v2_client(sandbox)
    made = thin_destination(client, url, ["v1.billing.meter.no_meter_found"],
                            description="meters", metadata={"team": "billing"})  # fmt: skip
    assert made.id.startswith("ed_test_") and made.object == "v2.core.event_destination"
    assert (made.type, made.event_payload, made.status) == ("webhook_endpoint", "thin", "enabled")
    assert made.events_from == ["@self"] and made.snapshot_api_version is None
    assert made.webhook_endpoint.url == url
    assert made.webhook_endpoint.signing_secret.startswith("whsec_")
    assert made.metadata.to_dict() == {"team": "billing"} and made.description == "meters"
    assert made.created.endswith("Z") and made.created == made.updated
    shown = client.v2.core.event_destinations.retrieve(made.id)
    assert shown.webhook_endpoint.signing_secret is None  # never again after create
    assert shown.webhook_endpoint.url is None  # redacted unless included
    included = client.v2.core.event_destinations.retrieve(
        made.id, {"include": ["webhook_endpoint.url"]}
    )
    assert included.webhook_endpoint.url == url
    # A v2 destination is not one of the v1 webhook endpoints.
    assert [e.id for e in sandbox.client().v1.webhook_endpoints.list().data] == []


def test_update_disable_enable_and_delete(sandbox, receiver) -> None:
    _, url = receiver
    client = v2_client(sandbox)
    made = thin_destination(client, url, ["v1.billing.meter.no_meter_found"], metadata={"a": "1"})
    updated = client.v2.core.event_destinations.update(made.id, {
        "name": "renamed", "enabled_events": ["v2.core.event_destination.ping"],
        "metadata": {"a": None, "b": "2"}, "webhook_endpoint": {"url": url + "/v2"},
        "include": ["webhook_endpoint.url"],
    })  # fmt: skip
    assert updated.name == "renamed" and updated.enabled_events == [
        "v2.core.event_destination.ping"
    ]
    assert updated.metadata.to_dict() == {"b": "2"} and updated.webhook_endpoint.url == url + "/v2"
    disabled = client.v2.core.event_destinations.disable(made.id)
    assert disabled.status == "disabled" and disabled.status_details.disabled.reason == "user"
    enabled = client.v2.core.event_destinations.enable(made.id)
    assert enabled.status == "enabled" and enabled.status_details is None
    deleted = client.v2.core.event_destinations.delete(made.id)
    assert deleted.id == made.id and deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.event_destinations.retrieve(made.id)
    assert info.value.http_status == 404 and info.value.code == "resource_missing"


def test_the_list_pages_newest_first(sandbox, receiver) -> None:
    _, url = receiver
    client = v2_client(sandbox)
    made = [thin_destination(client, url, ["v2.core.event_destination.ping"]).id for _ in range(3)]
    first = client.v2.core.event_destinations.list({"limit": 2})
    assert [d.id for d in first.data] == made[::-1][:2] and first.next_page_url is not None
    assert [d.id for d in first.auto_paging_iter()] == made[::-1]


def test_eventbridge_is_accepted_as_stripe_validates_it_and_stays_disabled(sandbox) -> None:
    client = v2_client(sandbox)
    made = client.v2.core.event_destinations.create({
        "name": "aws", "type": "amazon_eventbridge", "event_payload": "snapshot",
        "enabled_events": ["customer.created"], "snapshot_api_version": "2024-06-20",
        "amazon_eventbridge": {"aws_account_id": "123456789012", "aws_region": "us-east-1"},
    })  # fmt: skip
    assert made.status == "disabled"
    assert made.status_details.disabled.reason == "no_aws_event_source_exists"
    assert made.amazon_eventbridge.aws_event_source_status == "pending"
    assert made.webhook_endpoint is None and made.snapshot_api_version == "2024-06-20"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.event_destinations.enable(made.id)
    assert "partner source does not exist" in str(info.value)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.core.event_destinations.create({
            "name": "aws", "type": "amazon_eventbridge", "event_payload": "thin",
            "enabled_events": ["v2.core.event_destination.ping"],
            "amazon_eventbridge": {"aws_account_id": "123456789012"},
        })  # fmt: skip
    assert info.value.code == "parameter_missing" and "aws_region" in str(info.value)


@pytest.mark.parametrize(
    ("params", "param", "words"),
    [
        ({"event_payload": "thin", "enabled_events": ["charge.succeeded"]},
         "enabled_events[0]", "a snapshot type"),
        ({"event_payload": "snapshot", "enabled_events": ["v1.charge.succeeded"]},
         "enabled_events[0]", "is not an event type"),
        ({"event_payload": "thin", "enabled_events": ["v1.billing.meter.no_meter_fund"]},
         "enabled_events[0]", "v1.billing.meter.no_meter_found"),
        ({"event_payload": "thick", "enabled_events": ["charge.succeeded"]},
         "event_payload", "snapshot, thin"),
        ({"event_payload": "thin", "enabled_events": ["v2.core.event_destination.ping"],
          "events_from": ["self"]}, "events_from[0]", "@self"),
        ({"event_payload": "thin", "enabled_events": ["v2.core.event_destination.ping"],
          "snapshot_api_version": "2024-06-20"}, "snapshot_api_version", "thin events"),
        ({"event_payload": "thin", "enabled_events": ["v2.core.event_destination.ping"],
          "colour": "blue"}, "colour", "unknown parameter"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_v2_error_naming_the_parameter(sandbox, receiver, params, param,
                                                            words) -> None:  # fmt: skip
    _, url = receiver
    body = {"name": "x", "type": "webhook_endpoint", "webhook_endpoint": {"url": url}, **params}
    with pytest.raises(stripe.InvalidRequestError) as info:
        v2_client(sandbox).v2.core.event_destinations.create(body)
    error = info.value.json_body["error"]
    assert info.value.http_status == 400 and error["param"] == param
    assert error["type"] == "invalid_request_error" and error["code"]
    assert words in error["message"]


def test_ping_delivers_a_signed_thin_event_to_that_destination_only(sandbox, receiver) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    made = thin_destination(client, url, ["v1.billing.meter.no_meter_found"])
    other = thin_destination(client, url + "/other", ["v2.core.event_destination.ping"])
    event = client.v2.core.event_destinations.ping(made.id)
    assert event.type == "v2.core.event_destination.ping" and event.id.startswith("evt_test_")
    (sent,) = bodies(handler, 1)
    assert sent["id"] == event.id and handler.received[0][0].get("stripe-signature")
    assert sent["related_object"] == {
        "id": made.id, "type": "v2.core.event_destination",
        "url": f"/v2/core/event_destinations/{made.id}",
    }  # fmt: skip
    notification = client.parse_event_notification(
        handler.received[0][1], handler.received[0][0]["stripe-signature"],
        made.webhook_endpoint.signing_secret,
    )  # fmt: skip
    assert notification.fetch_related_object().id == made.id
    # Owed to the pinged destination only: the other one selects pings, and got none.
    wait_for(
        lambda: (
            sandbox.get(f"/_sandbox/events/{event.id}/deliveries")["deliveries"][0]["status"]
            == "succeeded"
        )
    )
    log = sandbox.get(f"/_sandbox/events/{event.id}/deliveries")
    assert [(d["endpoint"], d["attempts"]) for d in log["deliveries"]] == [(made.id, 1)]
    assert log["deliveries"][0]["attempts_log"][0]["status_code"] == 200
    assert other.id not in [w["endpoint"] for w in log["withheld"]]
    assert len(handler.received) == 1
