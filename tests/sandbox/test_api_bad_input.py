"""Malformed requests get Stripe's 400 (``invalid_request_error``, the parameter named, what
was expected), never a bare 500; nothing is stored for them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

JSON = {"content-type": "application/json"}
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = "9" * 5000
MANIFEST = {"id": "com.example.bad", "version": "1", "name": "Bad"}
CUSTOMER = {"id": "cus_1", "object": "customer"}

CASES: list[tuple[str, str, dict[str, Any], str | None, str]] = [
    # (method, path, httpx arguments, the param named, a word of the message)
    ("GET", "/v1/events", {"params": {"limit": "--5"}}, "limit", "integer"),
    ("GET", "/v1/events", {"params": {"limit": "²"}}, "limit", "integer"),
    ("GET", "/v1/events", {"params": {"limit": "٣"}}, "limit", "integer"),
    ("GET", "/v1/events", {"params": {"limit": HUGE}}, "limit", "integer"),
    ("GET", "/v1/events", {"params": {"created[gt]": "--1"}}, "created[gt]", "integer"),
    ("GET", "/v1/events", {"params": {"created[gt]": HUGE}}, "created[gt]", "integer"),
    ("GET", "/v1/events", {"params": {"created[between]": "1"}}, "created[between]", "unknown"),
    ("GET", "/v1/events", {"params": {"created[gt][x]": "1"}}, "created[gt]", "integer"),
    ("GET", "/v1/events", {"params": {"type[a]": "b"}}, "type", "string"),
    ("GET", "/v1/events", {"params": {"types[0][a]": "b"}}, "types[0]", "string"),
    ("GET", "/v1/events", {"params": {"starting_after[]": "x"}}, "starting_after", "string"),
    ("GET", "/v1/events", {"params": {"ending_before[a]": "x"}}, "ending_before", "string"),
    (
        "GET",
        "/v1/events",
        {"params": {"delivery_success[]": "true"}},
        "delivery_success",
        "boolean",
    ),
    (
        "GET",
        "/v1/webhook_endpoints",
        {"params": {"starting_after[]": "x"}},
        "starting_after",
        "string",
    ),
    ("GET", "/v1/customers", {"params": {"limit": HUGE}}, "limit", "integer"),
    ("POST", "/v1/customers", {"data": {"metadata": "x"}}, "metadata", "object"),
    ("POST", "/v1/customers", {"data": {"metadata[a][b]": "x"}}, "metadata[a]", "string"),
    ("POST", "/v1/customers", {"data": {"balance": HUGE}}, "balance", "integer"),
    (
        "POST",
        "/v1/customers",
        {"content": b'{"balance":' + HUGE.encode() + b"}", "headers": JSON},
        None,
        "JSON",
    ),
    ("POST", "/v1/customers", {"content": DEEP, "headers": JSON}, None, "deep"),
    (
        "POST",
        "/v1/customers",
        {"content": b'{"a":' * 50 + b"1" + b"}" * 50, "headers": JSON},
        None,
        "deep",
    ),
    (
        "POST",
        "/v1/payment_intents",
        {"data": {"amount": "1e3", "currency": "usd"}},
        "amount",
        "integer",
    ),
    ("POST", "/v1/accounts", {"data": {"business_profile": "x"}}, "business_profile", "object"),
    ("POST", "/v1/accounts", {"data": {"metadata": "x"}}, "metadata", "object"),
    ("POST", "/v1/accounts", {"data": {"email[a]": "x"}}, "email", "string"),
    (
        "POST",
        "/_sandbox/accounts",
        {"json": {"business_profile": [1]}},
        "business_profile",
        "object",
    ),
    ("POST", "/_sandbox/apps", {"json": {"manifest": [1]}}, "manifest", "object"),
    ("POST", "/_sandbox/apps", {"json": {"manifest": "[1]"}}, "manifest", "object"),
    (
        "POST",
        "/_sandbox/apps",
        {"json": {"manifest": {**MANIFEST, "permissions": 5}}},
        "manifest[permissions]",
        "list",
    ),
    (
        "POST",
        "/_sandbox/apps",
        {"json": {"manifest": {**MANIFEST, "permissions": {"a": 1}}}},
        "manifest[permissions]",
        "list",
    ),
    (
        "POST",
        "/_sandbox/apps",
        {"json": {"manifest": {**MANIFEST, "name": {"a": 1}}}},
        "manifest[name]",
        "string",
    ),
    (
        "POST",
        "/_sandbox/events",
        {"json": {"type": "customer.created", "object": {**CUSTOMER, "object": {"a": 1}}}},
        "object[object]",
        "string",
    ),
    (
        "POST",
        "/_sandbox/events",
        {"json": {"type": "customer.created", "object": CUSTOMER, "previous_attributes": "x"}},
        "previous_attributes",
        "object",
    ),
    (
        "POST",
        "/_sandbox/events",
        {"json": {"type": "customer.created", "object": CUSTOMER, "livemode": "maybe"}},
        "livemode",
        "boolean",
    ),
    (
        "POST",
        "/_sandbox/trigger",
        {
            "json": {
                "event": "payment_intent.succeeded",
                "override": ["payment_intent:payment_method_types.99=card"],
            }
        },
        "override",
        "payment_method_types",
    ),
    (
        "POST",
        "/_sandbox/trigger",
        {"json": {"event": "customer.created", "app": ["x"]}},
        "app",
        "string",
    ),
    ("POST", "/v1/stripecli/sessions", {"data": {"device_name[a]": "x"}}, "device_name", "string"),
    (
        "POST",
        "/v1/events/evt_1/retry",
        {"data": {"webhook_endpoint[a]": "x"}},
        "webhook_endpoint",
        "string",
    ),
    (
        "POST",
        "/v1/webhook_endpoints",
        {"data": {"url": "https://x.example/h", "enabled_events[]": "*", "description[a]": "x"}},
        "description",
        "string",
    ),
    (
        "POST",
        "/v1/webhook_endpoints",
        {"data": {"url": "https://x.example/h", "enabled_events[]": "*", "api_version[]": "x"}},
        "api_version",
        "string",
    ),
    ("POST", "/_sandbox/trigger", {"json": {"event": "a" * 100_000}}, "event", "trigger name"),
    (
        "POST",
        "/_sandbox/trigger",
        {"json": {"event": "customer.created", "override": ["customer:" + "a." * 5000 + "=1"]}},
        "override",
        "characters",
    ),
    (
        "POST",
        "/_sandbox/trigger",
        {"data": {"event": "customer.created", "override": "customer:" + "a." * 5000 + "=1"}},
        "override",
        "characters",
    ),
    # Webhook URLs that can never be delivered to.
    *[
        (
            "POST",
            "/v1/webhook_endpoints",
            {"data": {"url": url, "enabled_events[]": "*"}},
            "url",
            "Invalid URL",
        )
        for url in [
            "http://[::1",
            "http://",
            "https://",
            "http://a\x00b.example/h",
            "https://x.example/a\r\nb",
            "https://x.example/a b",
            "http://x.example:99999/h",
            "http://x.example:0/h",
            "http://x.example:port/h",
            "ftp://x.example/h",
            "https://x.example/" + "a" * 5000,
        ]
    ],
    (
        "POST",
        "/v1/webhook_endpoints",
        {"json": {"url": ["https://x.example"], "enabled_events": ["*"]}},
        "url",
        "Invalid string",
    ),
    # Event types that are no event type.
    *[
        (
            "POST",
            "/_sandbox/events",
            {"json": {"type": event_type, "object": CUSTOMER}},
            "type",
            "payment_intent.succeeded",
        )
        for event_type in [
            "",
            "\x00",
            "customer.created\x00",
            "a" * 100_000,
            "nodots",
            "Customer.Created",
            "customer..created",
            ".customer",
            ["a.b"],
        ]
    ],
]


def test_an_endpoint_url_cannot_be_changed_to_one_that_cannot_be_delivered(sandbox):
    client = sandbox.client()
    endpoint = client.v1.webhook_endpoints.create(
        {"url": "https://x.example/hook", "enabled_events": ["*"]}
    )
    answer = httpx.post(sandbox.base + f"/v1/webhook_endpoints/{endpoint.id}",
                        data={"url": "http://[::1"}, headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
    assert (answer.status_code, answer.json()["error"]["param"]) == (400, "url")
    assert client.v1.webhook_endpoints.retrieve(endpoint.id).url == "https://x.example/hook"
    for fine in ["http://[::1]:8080/hook", "http://localhost:4242/webhook", "https://x.example"]:
        assert client.v1.webhook_endpoints.update(endpoint.id, {"url": fine}).url == fine


@pytest.mark.parametrize(
    ("method", "path", "arguments", "param", "word"),
    CASES,
    ids=[f"{c[0]} {c[1]} {str(c[2])[:60]}" for c in CASES],
)
def test_a_malformed_request_is_a_400_naming_the_parameter(
    sandbox, method, path, arguments, param, word
):
    headers = {"Authorization": f"Bearer {sandbox.key}", **arguments.pop("headers", {})}
    before = sandbox.get("/v1/events", key=sandbox.key)["data"]
    answer = httpx.request(method, sandbox.base + path, headers=headers, timeout=30, **arguments)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error.get("param") == param, error
    assert word.lower() in error["message"].lower(), error
    assert len(error["message"]) < 400  # says what was expected, without echoing a megabyte
    assert sandbox.get("/v1/events", key=sandbox.key)["data"] == before


def test_digits_that_are_not_ascii_are_plain_metadata_keys_not_list_indices(sandbox):
    customer = sandbox.client().v1.customers.create({"metadata": {"²": "x", "٣": "y"}})
    assert customer.metadata.to_dict() == {"²": "x", "٣": "y"}


def test_errors_quote_a_huge_value_shortened(sandbox):
    auth = {"Authorization": f"Bearer {sandbox.key}"}
    name = httpx.post(sandbox.base + "/v1/customers", content="a" * 50_000 + "[=1",
                      headers={**auth, "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert name.status_code == 400 and len(name.json()["error"]["message"]) < 400
    missing = httpx.get(sandbox.base + "/v1/customers/" + "c" * 50_000, headers=auth)
    assert missing.status_code == 404 and len(missing.json()["error"]["message"]) < 400
