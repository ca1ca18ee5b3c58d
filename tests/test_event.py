import json

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from appevents import ConfigurationError, Event, InvalidEvent, RelatedObject
from appevents.testing import make_event, make_thin_event, signed_headers


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


# -- v2 thin event notifications -------------------------------------------------------

METER = {"id": "mtr_1", "type": "billing.meter", "url": "/v1/billing/meters/mtr_1"}


def thin(**changes):
    base = {
        "id": "evt_test_65R9Ijk8",
        "object": "v2.core.event",
        "type": "v1.billing.meter.error_report_triggered",
        "livemode": False,
        "created": "2026-12-07T20:00:00.123Z",
        "context": "acct_1",
        "related_object": dict(METER),
        "reason": {"type": "request", "request": {"id": "req_1", "idempotency_key": "k-1"}},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def test_a_thin_notification_parses_with_its_context_as_the_account():
    raw = json.dumps(thin()).encode()
    event = Event.parse(raw)
    assert event.thin is True
    assert (event.id, event.type) == (
        "evt_test_65R9Ijk8",
        "v1.billing.meter.error_report_triggered",
    )
    assert (event.account, event.context) == ("acct_1", "acct_1")
    assert event.created == 1_796_673_600  # whole seconds, rounded down
    assert event.created_at == "2026-12-07T20:00:00.123Z"
    assert event.livemode is False
    assert event.api_version is None
    assert event.object == {}
    assert event.previous_attributes is None
    assert event.related_object == RelatedObject(
        "mtr_1", "billing.meter", "/v1/billing/meters/mtr_1"
    )
    assert (event.object_type, event.object_id) == ("billing.meter", "mtr_1")
    assert event.request is not None
    assert (event.request.id, event.request.idempotency_key) == ("req_1", "k-1")
    assert event.data is None
    assert event.raw is raw
    assert event.to_dict() == thin()


def test_a_snapshot_event_is_not_thin():
    event = Event.parse(json.dumps(document()).encode())
    assert (event.thin, event.context, event.related_object, event.created_at) == (
        False, None, None, None
    )  # fmt: skip


def test_a_thin_notification_without_context_related_object_or_reason_is_the_platforms():
    raw = json.dumps(thin(context=..., related_object=..., reason=...)).encode()
    event = Event.parse(raw)
    assert (event.account, event.context, event.related_object, event.request) == (
        None, None, None, None
    )  # fmt: skip
    assert (event.object_type, event.object_id) == (None, None)


def test_a_context_path_puts_the_event_on_its_last_account():
    event = Event.parse(json.dumps(thin(context="acct_platform/acct_connected")).encode())
    assert (event.account, event.context) == ("acct_connected", "acct_platform/acct_connected")


@pytest.mark.parametrize(
    ("created", "seconds"),
    [
        ("2026-12-07T20:00:00Z", 1_796_673_600),
        ("2026-12-07T20:00:00.999Z", 1_796_673_600),
        ("2026-12-07T20:00:00.123456789Z", 1_796_673_600),
        ("2026-12-07T22:00:01.5+02:00", 1_796_673_601),
    ],
)
def test_thin_created_is_read_as_rfc_3339(created, seconds):
    assert Event.parse(json.dumps(thin(created=created)).encode()).created == seconds


def test_a_thin_notifications_reason_of_another_type_has_no_request():
    event = Event.parse(json.dumps(thin(reason={"type": "scheduled"})).encode())
    assert event.request is None


def test_the_bytes_stripe_python_parses_are_the_bytes_we_parse():
    secret = "whsec_thin_parse"
    body = make_thin_event(
        "v1.billing.meter.error_report_triggered",
        context="acct_7",
        related_object=METER,
        request_id="req_7",
    )
    header = signed_headers(body, secret)["Stripe-Signature"]
    client = stripe.StripeClient("sk_test_x")
    theirs = client.parse_event_notification(body, header, secret)
    ours = Event.parse(body)
    assert type(theirs).__name__ == "V1BillingMeterErrorReportTriggeredEventNotification"
    assert (theirs.id, theirs.type, str(theirs.context)) == (ours.id, ours.type, ours.context)
    assert theirs.related_object.url == ours.related_object.url == METER["url"]
    assert theirs.reason.request.id == ours.request.id == "req_7"
    assert theirs.created == ours.created_at


def test_to_stripe_gives_the_notification_bound_to_the_client_passed():
    event = Event.parse(json.dumps(thin(type="v1.billing.meter.no_meter_found")).encode())
    client = stripe.StripeClient("sk_test_x")
    notification = event.to_stripe(client)
    assert type(notification).__name__ == "V1BillingMeterNoMeterFoundEventNotification"
    assert notification.id == event.id
    assert str(notification.context) == "acct_1"
    assert notification.created == "2026-12-07T20:00:00.123Z"
    with pytest.raises(ConfigurationError, match=r"event.to_stripe\(stripe.StripeClient"):
        event.to_stripe()


THIN_BAD = [
    thin(id=...),
    thin(id="mtr_1"),
    thin(type=...),
    thin(type=""),
    thin(created=...),
    thin(created=1_796_673_600),
    thin(created="2026-12-07"),
    thin(created="2026-12-07 20:00:00Z"),
    thin(created="2026-12-07T20:00:00"),  # no offset: not RFC 3339
    thin(created="2026-13-07T20:00:00Z"),
    thin(livemode=...),
    thin(context=5),
    thin(context=""),
    thin(context="acct_1//acct_2"),
    thin(context="acct_\x00"),
    thin(related_object="mtr_1"),
    thin(related_object={"id": "mtr_1", "type": "billing.meter"}),
    thin(related_object={**METER, "id": 1}),
    thin(related_object={**METER, "url": "https://evil.example/v1/x"}),
    thin(reason="request"),
    thin(reason={"request": {"id": "req_1", "idempotency_key": "k"}}),
    thin(reason={"type": "request"}),
    thin(reason={"type": "request", "request": {"id": "req_1"}}),
    thin(data=[1]),
]


@pytest.mark.parametrize("doc", THIN_BAD)
def test_malformed_thin_notifications_raise_invalid_event_naming_the_field(doc):
    with pytest.raises(InvalidEvent) as info:
        Event.parse(json.dumps(doc).encode())
    assert info.value.reason == "body_not_an_event"
    wrong = next(k for k in ("id", "type", "created", "livemode", "context", "related_object",
                             "reason", "data") if thin().get(k) != doc.get(k))  # fmt: skip
    assert f'"{wrong}' in info.value.message


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=15), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["id", "object", "type", "livemode", "created", "context", "related_object", "reason",
          "data"]  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(
    replaced=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3),
    dropped=st.sets(st.sampled_from(FIELDS), max_size=2),
)
def test_any_damage_to_a_thin_notification_parses_or_is_invalid_event_never_a_crash(
    replaced, dropped
):
    doc = {k: v for k, v in {**thin(), **replaced}.items() if k not in dropped}
    try:
        event = Event.parse(json.dumps(doc).encode())
    except InvalidEvent as error:
        assert error.reason == "body_not_an_event" and error.message
        return
    assert event.id == doc["id"] and event.type == doc["type"]
    assert event.thin is (doc.get("object") == "v2.core.event")
