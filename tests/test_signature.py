import hashlib
import hmac
import json

import pytest
import stripe

from appevents import ConfigurationError, SignatureError, Verifier, sign, verify
from appevents.signature import compute_signature

SECRET = "whsec_test_secret"
NOW = 1_700_000_000
BODY = b'{"id":"evt_1","object":"event"}'


def by_hand(body: bytes, secret: str, t: int) -> str:
    """Stripe's documented scheme, written out independently of appevents."""
    signed_payload = f"{t}.".encode() + body
    return hmac.new(secret.encode("utf-8"), signed_payload, hashlib.sha256).hexdigest()


def test_sign_produces_the_documented_header():
    assert sign(BODY, SECRET, NOW) == f"t={NOW},v1={by_hand(BODY, SECRET, NOW)}"


def test_a_hand_built_header_is_accepted():
    header = f"t={NOW},v1={by_hand(BODY, SECRET, NOW)}"
    assert verify(BODY, header, [SECRET], now=NOW) == NOW


def test_verify_accepts_bytes_headers_and_a_single_secret_string():
    header = sign(BODY, SECRET, NOW).encode()
    assert verify(BODY, header, SECRET, now=NOW) == NOW


def test_stripe_library_accepts_our_signature():
    body = json.dumps(
        {"id": "evt_1", "object": "event", "type": "customer.created", "data": {"object": {}}}
    ).encode()
    event = stripe.Webhook.construct_event(body, sign(body, SECRET), SECRET)
    assert event.id == "evt_1"
    assert event.type == "customer.created"


def test_stripe_library_rejects_our_signature_with_another_secret():
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(BODY, sign(BODY, "whsec_other"), SECRET)


def test_rotation_several_v1_values_any_one_matches():
    header = f"t={NOW},v1={by_hand(BODY, 'whsec_old', NOW)},v1={by_hand(BODY, SECRET, NOW)}"
    assert verify(BODY, header, [SECRET], now=NOW) == NOW
    assert sign(BODY, ["whsec_old", SECRET], NOW) == header


def test_rotation_several_configured_secrets_any_one_matches():
    header = sign(BODY, "whsec_new", NOW)
    assert verify(BODY, header, [SECRET, "whsec_new"], now=NOW) == NOW


def test_v0_and_unknown_schemes_are_ignored():
    good = by_hand(BODY, SECRET, NOW)
    header = f"t={NOW},v0={'0' * 64},v1={good},v9=whatever"
    assert verify(BODY, header, [SECRET], now=NOW) == NOW


def test_only_v0_is_not_enough():
    header = f"t={NOW},v0={by_hand(BODY, SECRET, NOW)}"
    with pytest.raises(SignatureError) as info:
        verify(BODY, header, [SECRET], now=NOW)
    assert info.value.reason == "no_v1_signature"


def test_the_body_is_signed_byte_for_byte():
    header = sign(BODY, SECRET, NOW)
    reencoded = json.dumps(json.loads(BODY)).encode()  # same JSON, other bytes
    with pytest.raises(SignatureError) as info:
        verify(reencoded, header, [SECRET], now=NOW)
    assert info.value.reason == "no_matching_signature"
    assert "raw body" in str(info.value)


@pytest.mark.parametrize(
    ("age", "reason"),
    [
        (301, "timestamp_too_old"),
        (-301, "timestamp_in_future"),
    ],
)
def test_tolerance_is_checked_in_both_directions(age, reason):
    header = sign(BODY, SECRET, NOW - age)
    with pytest.raises(SignatureError) as info:
        verify(BODY, header, [SECRET], now=NOW)
    assert info.value.reason == reason
    assert str(abs(age)) in str(info.value)


@pytest.mark.parametrize("age", [300, -300, 0])
def test_tolerance_edges_are_accepted(age):
    assert verify(BODY, sign(BODY, SECRET, NOW - age), [SECRET], now=NOW) == NOW - age


def test_custom_tolerance_and_injected_clock():
    verifier = Verifier([SECRET], tolerance=10, clock=lambda: NOW + 11)
    with pytest.raises(SignatureError, match="tolerance of 10 s"):
        verifier.verify(BODY, sign(BODY, SECRET, NOW))
    assert (
        Verifier([SECRET], tolerance=10, clock=lambda: NOW + 10).verify(
            BODY, sign(BODY, SECRET, NOW)
        )
        == NOW
    )


@pytest.mark.parametrize("tolerance", [0, None, -1, float("nan"), float("inf"), False, "300"])
def test_tolerance_cannot_be_disabled(tolerance):
    with pytest.raises(ConfigurationError, match="positive number of seconds"):
        Verifier([SECRET], tolerance=tolerance)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ([], "no webhook signing secret"),
        ([""], "empty or not a string"),
        ([None], "empty or not a string"),
        ([" whsec_x"], "surrounding whitespace"),
    ],
)
def test_bad_secrets_are_refused_with_the_fix(secrets, message):
    with pytest.raises(ConfigurationError, match=message):
        Verifier(secrets)


GOOD_V1 = "a" * 64

MALFORMED = [
    (None, "missing_signature_header"),
    ("", "missing_signature_header"),
    (b"", "missing_signature_header"),
    ("garbage", "malformed_signature_header"),
    ("t=,v1=" + GOOD_V1, "malformed_signature_header"),
    ("t=abc,v1=" + GOOD_V1, "malformed_signature_header"),
    ("t=-5,v1=" + GOOD_V1, "malformed_signature_header"),
    ("t=1.5,v1=" + GOOD_V1, "malformed_signature_header"),
    ("t=²³,v1=" + GOOD_V1, "malformed_signature_header"),
    ("t=99999999999999999999,v1=" + GOOD_V1, "malformed_signature_header"),
    (f"t={NOW},t={NOW},v1=" + GOOD_V1, "malformed_signature_header"),
    (f"t={NOW},v1=short", "malformed_signature_header"),
    (f"t={NOW},v1=" + "z" * 64, "malformed_signature_header"),
    (f"t={NOW},v1=" + GOOD_V1 + "00", "malformed_signature_header"),
    (f"t={NOW},,v1=" + GOOD_V1, "malformed_signature_header"),
    (b"t=\xff\xfe,v1=" + GOOD_V1.encode(), "malformed_signature_header"),
    ("t=1," + "v1=" + GOOD_V1 + "," + "x" * 9000, "malformed_signature_header"),
    ("v1=" + GOOD_V1, "no_timestamp"),
    (f"t={NOW}", "no_v1_signature"),
    (f"t={NOW},v0={GOOD_V1}", "no_v1_signature"),
    (f"t={NOW},v1={GOOD_V1}", "no_matching_signature"),
]


@pytest.mark.parametrize(("header", "reason"), MALFORMED)
def test_every_malformed_header_raises_signature_error_with_its_reason(header, reason):
    with pytest.raises(SignatureError) as info:
        verify(BODY, header, [SECRET], now=NOW)
    assert info.value.reason == reason
    assert "expected" in info.value.message or reason in (
        "missing_signature_header",
        "no_matching_signature",
    )


@pytest.mark.parametrize(
    "body", [b"", b"\xff\xfe\x00binary", "é".encode("utf-16"), b"{" * 10_000, b"x" * 1_000_000]
)
def test_any_body_bytes_verify_or_raise_signature_error_only(body):
    header = sign(body, SECRET, NOW)
    assert verify(body, header, [SECRET], now=NOW) == NOW
    with pytest.raises(SignatureError):
        verify(body + b" ", header, [SECRET], now=NOW)


def test_sign_refuses_text_payloads_and_bad_timestamps():
    with pytest.raises(ConfigurationError, match="raw body as bytes"):
        sign("text", SECRET, NOW)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="Unix seconds"):
        sign(BODY, SECRET, -1)


def test_compute_signature_matches_by_hand():
    assert compute_signature(BODY, SECRET, NOW) == by_hand(BODY, SECRET, NOW)
