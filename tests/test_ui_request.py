"""UI-extension request verification: the table of good and bad calls, and interop."""

import hashlib
import hmac
import json
import sys

import pytest
import stripe

import stripe_node
from appevents import (
    ConfigurationError,
    SignatureError,
    UIRequest,
    sign_ui_request,
    verify_ui_request,
)
from appevents.ui_request import signed_bytes

SECRET = "absec_uisecret4tests"
USER = "usr_Rk3ndL0dWm2bXq"
ACCOUNT = "acct_1Pq8ZxLmN4aBcDeF"
NOW = 1_765_000_000
BODY = {"user_id": USER, "account_id": ACCOUNT}


def clock() -> float:
    return NOW


def by_hand(payload: str, secret: str, t: int) -> str:
    """The header as Stripe makes it, written independently of appevents."""
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


HAND = by_hand(f'{{"user_id":"{USER}","account_id":"{ACCOUNT}"}}', SECRET, NOW)


def verify(body, header, secret=SECRET, **kw):
    return verify_ui_request(body, header, secret, clock=kw.pop("clock", clock), **kw)


def test_a_hand_built_signature_verifies_and_names_the_caller():
    got = verify(json.dumps(BODY), HAND)
    assert got == UIRequest(USER, ACCOUNT, {"user_id": USER, "account_id": ACCOUNT}, NOW)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(BODY).encode(),
        json.dumps(BODY),
        BODY,
        # key order and whitespace of the body do not matter: the signed bytes are rebuilt
        json.dumps({"account_id": ACCOUNT, "user_id": USER}, indent=2),
    ],
    ids=["bytes", "str", "dict", "reordered"],
)
def test_body_as_bytes_str_or_dict(body):
    assert verify(body, HAND).account_id == ACCOUNT


def test_headers_mapping_is_searched_case_insensitively():
    assert (
        verify(BODY, {"Content-Type": "application/json", "stripe-signature": HAND}).user_id == USER
    )


def test_sign_ui_request_makes_stripes_header():
    assert sign_ui_request(USER, ACCOUNT, SECRET, timestamp=NOW) == HAND


def test_extra_payload_is_signed_after_the_ids_in_its_own_order():
    extra = {"invoice": "in_1Qx", "amount": 1250, "note": "café ✓", "flags": [True, None]}
    header = sign_ui_request(USER, ACCOUNT, SECRET, timestamp=NOW, extra=extra)
    expected = (
        f'{{"user_id":"{USER}","account_id":"{ACCOUNT}","invoice":"in_1Qx","amount":1250,'
        '"note":"café ✓","flags":[true,null]}'
    )
    assert header == by_hand(expected, SECRET, NOW)
    got = verify({**BODY, **extra}, header)
    assert got.payload == {"user_id": USER, "account_id": ACCOUNT, **extra}


def test_unsigned_body_fields_are_not_in_the_payload():
    got = verify({**BODY, "search": "unsigned"}, HAND)
    assert got.payload == {"user_id": USER, "account_id": ACCOUNT}


def test_a_tampered_extra_field_fails():
    header = sign_ui_request(USER, ACCOUNT, SECRET, timestamp=NOW, extra={"amount": 100})
    with pytest.raises(SignatureError) as info:
        verify({**BODY, "amount": 100000}, header)
    assert info.value.reason == "no_matching_signature"
    assert "amount" in info.value.message


def test_javascript_key_order_and_number_format():
    # JSON.stringify({user_id, account_id, ...{b: 1.0, 10: x, 2: y, e: 1e-7, f: 1e21}})
    extra = {"b": 1.0, "10": "x", "2": "y", "e": 1e-7, "f": 1e21, "g": 0.5, "h": 123456789.25}
    assert signed_bytes(USER, ACCOUNT, extra).decode() == (
        f'{{"2":"y","10":"x","user_id":"{USER}","account_id":"{ACCOUNT}",'
        '"b":1,"e":1e-7,"f":1e+21,"g":0.5,"h":123456789.25}'
    )


@pytest.mark.parametrize(
    ("header", "now", "reason"),
    [
        (by_hand(f'{{"user_id":"usr_other","account_id":"{ACCOUNT}"}}', SECRET, NOW), NOW, "no_matching_signature"),
        (by_hand(f'{{"account_id":"{ACCOUNT}","user_id":"{USER}"}}', SECRET, NOW), NOW, "no_matching_signature"),
        (by_hand(f'{{"user_id": "{USER}", "account_id": "{ACCOUNT}"}}', SECRET, NOW), NOW, "no_matching_signature"),
        (HAND, NOW + 301, "timestamp_too_old"),
        (HAND, NOW - 301, "timestamp_in_future"),
        (None, NOW, "missing_signature_header"),
        ("", NOW, "missing_signature_header"),
        ("t=abc,v1=00", NOW, "malformed_signature_header"),
        (HAND.split(",")[1], NOW, "no_timestamp"),
        (f"t={NOW}", NOW, "no_v1_signature"),
    ],
    ids=["other-user", "ids-swapped", "spaces", "stale", "future", "none", "empty",
         "malformed", "no-t", "no-v1"],
)  # fmt: skip
def test_rejections(header, now, reason):
    with pytest.raises(SignatureError) as info:
        verify(BODY, header, clock=lambda: now)
    assert info.value.reason == reason


def test_headers_without_a_stripe_signature():
    with pytest.raises(SignatureError) as info:
        verify(BODY, {"Content-Type": "application/json"})
    assert info.value.reason == "missing_signature_header"


def test_wrong_secret():
    with pytest.raises(SignatureError) as info:
        verify(BODY, HAND, secret="absec_another")
    assert info.value.reason == "no_matching_signature"
    assert USER in info.value.message and "absec_" in info.value.message


def test_rotated_secrets_either_verifies():
    old = sign_ui_request(USER, ACCOUNT, "absec_old", timestamp=NOW)
    assert verify(BODY, old, secret=["absec_new", "absec_old"]).user_id == USER
    both = sign_ui_request(USER, ACCOUNT, ["absec_old", "absec_new"], timestamp=NOW)
    assert both.count("v1=") == 2
    assert verify(BODY, both, secret="absec_new").user_id == USER


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe", "invalid_ui_request_body"),
        ("not json", "invalid_ui_request_body"),
        ("[1, 2]", "invalid_ui_request_body"),
        ({"account_id": ACCOUNT}, "missing_user_id"),
        ({"user_id": USER}, "missing_account_id"),
        ({"user_id": 42, "account_id": ACCOUNT}, "missing_user_id"),
        ({"user_id": USER, "account_id": ""}, "missing_account_id"),
    ],
)
def test_malformed_bodies(body, reason):
    with pytest.raises(SignatureError) as info:
        verify(body, HAND)
    assert info.value.reason == reason


def test_configuration_errors():
    with pytest.raises(ConfigurationError, match="absec_"):
        verify(BODY, HAND, secret=[])
    with pytest.raises(ConfigurationError, match="webhook endpoint secret"):
        verify(BODY, HAND, secret="whsec_endpoint")
    for bad in ("", " absec_padded", None):
        with pytest.raises(ConfigurationError, match="absec_"):
            verify(BODY, HAND, secret=[bad])
    with pytest.raises(ConfigurationError, match="tolerance"):
        verify(BODY, HAND, tolerance=0)


def test_stripe_python_accepts_our_signature():
    header = sign_ui_request(USER, ACCOUNT, SECRET, extra={"amount": 5})
    payload = json.dumps(
        {"user_id": USER, "account_id": ACCOUNT, "amount": 5}, separators=(",", ":")
    )
    assert stripe.WebhookSignature.verify_header(payload, header, SECRET) is True
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload, header, "absec_another")


def test_we_accept_stripe_pythons_signature():
    payload = f'{{"user_id":"{USER}","account_id":"{ACCOUNT}"}}'
    mac = stripe.WebhookSignature._compute_signature(f"{NOW}.{payload}", SECRET)
    assert verify(BODY, f"t={NOW},v1={mac}").timestamp == NOW


NODE_VERIFY = """
const Stripe = require('stripe');
const stripe = new Stripe('sk_test_unused');
const [header, secret, userId, accountId, extra] = process.argv.slice(1);
// As Stripe's guide verifies a UI-extension call (with the additional payload spread in).
const payload = JSON.stringify({user_id: userId, account_id: accountId, ...JSON.parse(extra)});
try {
  stripe.webhooks.signature.verifyHeader(payload, header, secret);
  console.log('ok');
} catch (e) {
  console.log('rejected: ' + e.message);
}
"""

NODE_SIGN = """
const Stripe = require('stripe');
const stripe = new Stripe('sk_test_unused');
const [secret, userId, accountId, extra] = process.argv.slice(1);
const payload = JSON.stringify({user_id: userId, account_id: accountId, ...JSON.parse(extra)});
console.log(stripe.webhooks.generateTestHeaderString({payload, secret}));
"""


def test_stripe_node_accepts_our_signature():
    extra = {"2": "x", "amount": 1.0, "note": "naïve"}
    header = sign_ui_request(USER, ACCOUNT, SECRET, extra=extra)
    for secret, expected in ((SECRET, "ok"), ("absec_another", "rejected")):
        done = stripe_node.run(NODE_VERIFY, header, secret, USER, ACCOUNT, json.dumps(extra))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(expected), done.stdout


def test_we_accept_stripe_nodes_signature():
    extra = {"10": "y", "ratio": 0.1, "big": 1e21, "when": 1.5e-7}
    done = stripe_node.run(NODE_SIGN, SECRET, USER, ACCOUNT, json.dumps(extra))
    assert done.returncode == 0, done.stderr
    header = done.stdout.strip()
    got = verify_ui_request(json.dumps({**BODY, **extra}), header, SECRET)
    assert got.payload == {**BODY, **extra}


def test_a_wsgi_environ_is_searched_too():
    environ = {"REQUEST_METHOD": "POST", "HTTP_STRIPE_SIGNATURE": HAND}
    assert verify(BODY, environ).account_id == ACCOUNT


def nested(depth: int) -> list:
    deep: list = []
    for _ in range(depth):
        deep = [deep]
    return deep


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, {**BODY, "deep": nested(sys.getrecursionlimit() + 10)}],
    ids=["text", "dict"],
)
def test_deeply_nested_bodies_are_refused_not_crashed_on(body):
    with pytest.raises(SignatureError) as info:
        verify(body, HAND)
    assert info.value.reason == "invalid_ui_request_body"
