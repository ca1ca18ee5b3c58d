"""Billing meters and meter events: the v2 session and stream (its token as the key, on
the sandbox's own host), v2 and v1 meter events, adjustments; what Stripe reports as
thin events, and the two meter triggers."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from v2_world import v2_client


def thin_types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v2.core.events.list().data]


def make_meter(client: stripe.StripeClient, name: str = "calls", **extra: Any) -> Any:
    return client.v1.billing.meters.create({
        "display_name": name, "event_name": name, "default_aggregation": {"formula": "sum"},
        **extra,
    })  # fmt: skip


def test_meters_have_stripes_defaults_one_active_per_name_and_a_lifecycle(sandbox) -> None:
    client = v2_client(sandbox)
    made = make_meter(client)
    assert made.customer_mapping.to_dict() == {"event_payload_key": "stripe_customer_id",
                                               "type": "by_id"}  # fmt: skip
    assert made.value_settings.event_payload_key == "value" and made.status == "active"
    with pytest.raises(stripe.InvalidRequestError) as info:
        make_meter(client)
    assert "already exists" in str(info.value) and info.value.param == "event_name"
    off = client.v1.billing.meters.deactivate(made.id)
    assert off.status == "inactive" and off.status_transitions.deactivated_at is not None
    assert [m.id for m in client.v1.billing.meters.list({"status": "inactive"}).data] == [made.id]
    assert client.v1.billing.meters.list({"status": "active"}).data == []
    assert client.v1.billing.meters.reactivate(made.id).status == "active"
    events = [e.type for e in client.v1.events.list().data]
    assert events == ["billing.meter.reactivated", "billing.meter.deactivated",
                      "billing.meter.created"]  # fmt: skip


def test_the_stream_takes_the_session_token_as_its_key_on_the_sandbox_host(sandbox) -> None:
    client = v2_client(sandbox)
    customer = client.v1.customers.create().id
    make_meter(client)
    session = client.v2.billing.meter_event_session.create()
    assert session.object == "v2.billing.meter_event_session"
    assert session.expires_at > session.created and session.authentication_token
    stream = v2_client(sandbox, session.authentication_token)
    events = [
        {"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "3"}},
        {"event_name": "calls", "payload": {"stripe_customer_id": "cus_missing", "value": "1"}},
        {"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "lots"}},
        {"event_name": "nothing", "payload": {"value": "1"}, "identifier": "n-1"},
        {"event_name": "nothing", "payload": {"value": "1"}, "identifier": "n-1"},  # dropped
    ]
    stream.v2.billing.meter_event_stream.create({"events": events})
    listed = client.v2.core.events.list().data
    codes = [e.data["reason"]["error_types"][0]["code"] for e in listed]
    assert codes == ["no_meter", "meter_event_invalid_value", "meter_event_customer_not_found"]
    with pytest.raises(stripe.AuthenticationError):
        v2_client(sandbox, "mes_token_test_unknown").v2.billing.meter_event_stream.create(
            {"events": events[:1]}
        )
    with pytest.raises(stripe.InvalidRequestError) as info:
        stream.v2.billing.meter_event_stream.create({"events": [{"event_name": "calls"}]})
    assert info.value.json_body["error"]["param"] == "events[0].payload"


def test_meter_events_an_adjustment_cancels_and_identifiers_are_unique(sandbox) -> None:
    client = v2_client(sandbox)
    customer = client.v1.customers.create().id
    make_meter(client)
    payload = {"stripe_customer_id": customer, "value": "5"}
    made = client.v2.billing.meter_events.create(
        {"event_name": "calls", "payload": payload, "identifier": "call-1"}
    )
    assert (made.identifier, made.payload.to_dict()) == ("call-1", payload)
    assert made.timestamp.endswith("Z") and thin_types(client) == []  # nothing wrong
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.billing.meter_events.create(
            {"event_name": "calls", "payload": payload, "identifier": "call-1"}
        )
    assert info.value.code == "duplicate_meter_event"
    adjusted = client.v2.billing.meter_event_adjustments.create(
        {"event_name": "calls", "type": "cancel", "cancel": {"identifier": "call-1"}}
    )
    assert (adjusted.status, adjusted.cancel.identifier) == ("complete", "call-1")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v2.billing.meter_event_adjustments.create(
            {"event_name": "calls", "type": "cancel", "cancel": {"identifier": "call-2"}}
        )
    assert info.value.http_status == 400 and "call-2" in str(info.value)


def test_v1_meter_events_report_alike_and_a_deactivated_meter_finds_none(sandbox) -> None:
    client = v2_client(sandbox)
    made = make_meter(client, "v1calls", customer_mapping={"event_payload_key": "who",
                                                           "type": "by_id"})  # fmt: skip
    answer = client.v1.billing.meter_events.create(
        {"event_name": "v1calls", "payload": {"stripe_customer_id": "cus_x", "value": "1"}}
    )
    assert answer.object == "billing.meter_event" and isinstance(answer.timestamp, int)
    (event,) = client.v2.core.events.list().data
    assert event.related_object.id == made.id
    assert event.data["reason"]["error_types"][0]["code"] == "meter_event_no_customer_defined"
    assert "payload[who]" in event.data["developer_message_summary"]
    client.v1.billing.meters.deactivate(made.id)
    client.v1.billing.meter_events.create({"event_name": "v1calls", "payload": {"value": "1"}})
    assert thin_types(client)[0] == "v1.billing.meter.no_meter_found"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing.meter_events.create({"event_name": "v1calls"})  # type: ignore[typeddict-item]
    assert info.value.param == "payload"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("v1.billing.meter.no_meter_found", ["v1.billing.meter.no_meter_found"]),
     ("v1.billing.meter.error_report_triggered",
      ["billing.meter.created", "v1.billing.meter.error_report_triggered"])],
)  # fmt: skip
def test_the_meter_triggers_emit_their_thin_events(sandbox, name, expected) -> None:
    ran = sandbox.post("/_sandbox/trigger", {"event": name})
    assert [e["type"] for e in ran["events"]] == expected
    thin = ran["events"][-1]["id"]
    assert v2_client(sandbox).v2.core.events.retrieve(thin).type == expected[-1]
