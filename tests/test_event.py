import json

import pytest
import stripe

from appevents import Event, InvalidEvent
from appevents.testing import make_event


def document(**changes):
    base = {
        "id": "evt_1",
        "object": "event",
        "account": "acct_1",
        "api_version": "2024-06-20",
        "created": 1_700_000_000,
        "data": {
            "object": {"id": "pi_1", "object": "payment_intent", "amount": 100},
            "previous_attributes": {"amount": 50},
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_1", "idempotency_key": "key-1"},
        "type": "payment_intent.amount_capturable_updated",
    }
    base.update(changes)
    return base


def test_parse_keeps_every_field_and_the_raw_bytes():
    raw = json.dumps(document()).encode()
    event = Event.parse(raw)
    assert event.id == "evt_1"
    assert event.type == "payment_intent.amount_capturable_updated"
    assert event.account == "acct_1"
    assert event.livemode is False
    assert event.created == 1_700_000_000
    assert event.api_version == "2024-06-20"
    assert event.object == {"id": "pi_1", "object": "payment_intent", "amount": 100}
    assert event.object_type == "payment_intent"
    assert event.object_id == "pi_1"
    assert event.previous_attributes == {"amount": 50}
    assert event.request is not None
    assert (event.request.id, event.request.idempotency_key) == ("req_1", "key-1")
    assert event.raw is raw
    assert event.to_dict() == document()


def test_platform_events_have_no_account_and_unknown_types_are_kept():
    doc = document(type="brand_new.event_type", request=None)
    del doc["account"]
    event = Event.parse(json.dumps(doc).encode())
    assert event.account is None
    assert event.type == "brand_new.event_type"
    assert event.request is None


def test_old_api_versions_request_as_a_string():
    event = Event.parse(json.dumps(document(request="req_old")).encode())
    assert event.request is not None and event.request.id == "req_old"


def test_event_is_immutable():
    event = Event.parse(json.dumps(document()).encode())
    with pytest.raises(AttributeError):
        event.type = "other"  # type: ignore[misc]


def test_to_stripe_gives_a_stripe_event():
    event = Event.parse(make_event("customer.created", account="acct_9"))
    converted = event.to_stripe()
    assert isinstance(converted, stripe.Event)
    assert converted.id == event.id
    assert converted.account == "acct_9"
    assert converted.data.object.object == "customer"


BAD = [
    (b"not json", "body_not_json"),
    (b"\xff\xfe", "body_not_json"),
    (b"[" * 100_000 + b"]" * 100_000, "body_not_json"),
    (json.dumps(document()).encode().replace(b"1700000000", b"NaN", 1), "body_not_json"),
    (json.dumps(document(id="evt_\ud800")).encode(), "body_not_json"),  # a lone surrogate
    (b"[]", "body_not_an_event"),
    (b'"event"', "body_not_an_event"),
    (json.dumps(document(object="customer")).encode(), "body_not_an_event"),
    (json.dumps({"object": "v2.core.event", "id": "evt_1"}).encode(), "thin_event_not_supported"),
    (json.dumps(document(id=None)).encode(), "body_not_an_event"),
    (json.dumps(document(id="ch_1")).encode(), "body_not_an_event"),
    (json.dumps(document(type=5)).encode(), "body_not_an_event"),
    (json.dumps(document(type="")).encode(), "body_not_an_event"),
    (json.dumps(document(created="1700000000")).encode(), "body_not_an_event"),
    (json.dumps(document(created=True)).encode(), "body_not_an_event"),
    (json.dumps(document(created=-1)).encode(), "body_not_an_event"),
    (json.dumps(document(livemode="false")).encode(), "body_not_an_event"),
    (json.dumps(document(account="someone")).encode(), "body_not_an_event"),
    (json.dumps(document(api_version=2024)).encode(), "body_not_an_event"),
    (json.dumps(document(data=[])).encode(), "body_not_an_event"),
    (json.dumps(document(data={})).encode(), "body_not_an_event"),
    (
        json.dumps(document(data={"object": {}, "previous_attributes": 1})).encode(),
        "body_not_an_event",
    ),
    (json.dumps(document(request=[1])).encode(), "body_not_an_event"),
    (json.dumps(document(request={"id": 1})).encode(), "body_not_an_event"),
    (json.dumps(document(id="evt_\x00")).encode(), "body_not_an_event"),
    (json.dumps(document(type="charge.\x00")).encode(), "body_not_an_event"),
    (json.dumps(document(account="acct_\x00")).encode(), "body_not_an_event"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_bodies_that_are_not_events_raise_invalid_event_with_the_reason(raw, reason):
    with pytest.raises(InvalidEvent) as info:
        Event.parse(raw)
    assert info.value.reason == reason
    assert info.value.message
