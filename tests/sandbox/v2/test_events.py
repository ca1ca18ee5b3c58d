"""/v2/core/events through stripe-python: filters (types, object_id, created), pages, and
a delivered thin notification parsed, its event and related object fetched."""

from __future__ import annotations

import datetime

import pytest
import stripe

from v2_world import bodies, thin_destination, v2_client


def no_meter(client: stripe.StripeClient, name: str) -> None:
    client.v2.billing.meter_events.create({"event_name": name, "payload": {"value": "1"}})


def meter(client: stripe.StripeClient, name: str) -> str:
    return client.v1.billing.meters.create({
        "display_name": name, "event_name": name, "default_aggregation": {"formula": "sum"},
    }).id  # fmt: skip


def test_list_is_newest_first_filtered_and_paged(sandbox) -> None:
    client = v2_client(sandbox)
    for name in ("a", "b", "c"):
        no_meter(client, name)
    meter_id = meter(client, "metered")
    client.v2.billing.meter_events.create({"event_name": "metered", "payload": {"value": "1"}})
    listed = client.v2.core.events.list()
    types = [e.type for e in listed.data]
    assert types == [
        "v1.billing.meter.error_report_triggered",
        *["v1.billing.meter.no_meter_found"] * 3,
    ]
    summaries = [e.data["developer_message_summary"] for e in listed.data[1:]]
    assert summaries == [f"No active meter was found for event_name {n}" for n in "cba"]
    assert listed.next_page_url is None and listed.previous_page_url is None
    on_meter = client.v2.core.events.list({"object_id": meter_id})
    assert [e.related_object.id for e in on_meter.data] == [meter_id]
    only = client.v2.core.events.list({"types": ["v1.billing.meter.no_meter_found"], "limit": 2})
    assert len(only.data) == 2 and only.next_page_url is not None
    paged = list(only.auto_paging_iter())
    assert [e.id for e in paged] == [e.id for e in listed.data[1:]]
    second = client.raw_request("get", only.next_page_url)
    back = client.deserialize(second, api_mode="V2")
    assert [e.id for e in back.data] == [listed.data[3].id] and back.previous_page_url is not None
    newest = listed.data[0].created
    assert [e.id for e in client.v2.core.events.list({"created": {"gte": newest}}).data] == [
        listed.data[0].id
    ]
    future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
    assert client.v2.core.events.list({"created": {"gt": future}}).data == []


def test_retrieve_gives_data_and_another_account_cannot_see_it(sandbox) -> None:
    client = v2_client(sandbox)
    no_meter(client, "lost")
    (event,) = client.v2.core.events.list().data
    fetched = client.v2.core.events.retrieve(event.id)
    assert fetched.id == event.id and fetched.context is None
    assert fetched.created.endswith("Z") and len(fetched.created) == len("2024-09-30T12:00:00.000Z")
    reason = fetched.data["reason"]["error_types"][0]
    assert reason["code"] == "no_meter" and reason["error_count"] == 1
    assert fetched.reason.type == "request" and fetched.reason.request.id.startswith("req_")
    other = sandbox.post("/_sandbox/accounts", {})
    with pytest.raises(stripe.InvalidRequestError) as info:
        v2_client(sandbox, other["keys"]["test"]).v2.core.events.retrieve(event.id)
    assert info.value.http_status == 404 and info.value.code == "resource_missing"


@pytest.mark.parametrize(
    ("params", "param"),
    [({"limit": 0}, "limit"), ({"created": {"gt": "yesterday"}}, "created[gt]"),
     ({"page": "not-a-token"}, "page"), ({"types": [f"t{i}" for i in range(21)]}, "types"),
     ({"colour": "blue"}, "colour")],
)  # fmt: skip
def test_bad_filters_are_v2_errors(sandbox, params, param) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v2_client(sandbox).v2.core.events.list(params)
    assert info.value.json_body["error"]["param"] == param and info.value.code


def test_a_delivered_notification_is_parsed_and_fetches_event_and_meter(sandbox, receiver) -> None:
    handler, url = receiver
    client = v2_client(sandbox)
    destination = thin_destination(client, url, ["v1.billing.meter.error_report_triggered"])
    meter_id = meter(client, "api_calls")
    client.v2.billing.meter_events.create({"event_name": "api_calls", "payload": {"value": "2"}})
    (sent,) = bodies(handler, 1)
    assert "data" not in sent and sent["object"] == "v2.core.event"
    headers, raw = handler.received[0]
    assert headers["content-type"] == "application/json; charset=utf-8"
    notification = client.parse_event_notification(
        raw, headers["stripe-signature"], destination.webhook_endpoint.signing_secret
    )
    assert type(notification).__name__ == "V1BillingMeterErrorReportTriggeredEventNotification"
    assert notification.related_object.id == meter_id
    event = notification.fetch_event()
    assert type(event).__name__ == "V1BillingMeterErrorReportTriggeredEvent"
    assert event.data.reason.error_types[0].code == "meter_event_no_customer_defined"
    assert event.data.reason.error_types[0].sample_errors[0].request.identifier
    fetched = notification.fetch_related_object()
    assert (type(fetched).__name__, fetched.id) == ("Meter", meter_id)
    with pytest.raises(stripe.SignatureVerificationError):
        client.parse_event_notification(raw, headers["stripe-signature"], "whsec_wrong")
