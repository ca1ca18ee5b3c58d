"""Whatever a client sends to any of the API's routes, the answer is Stripe's JSON, never a
server error. The routes come from the router itself, so a new route is fuzzed too."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appevents.sandbox.api import operations
from appevents.sandbox.formdata import encode_form
from appevents.sandbox.listen import ListenHub
from appevents.sandbox.service import Sandbox
from appevents.sandbox.state.db import connect

# The router's own list (operations are closures: building them reads no state).
ROUTES = sorted(
    {
        (op.method, op.path)
        for op in operations(Sandbox(connect(":memory:")), ListenHub(), calls=None)  # type: ignore[arg-type]
    }
)

# Every parameter name an operation reads, so that values reach the code behind them.
PARAM_NAMES = [
    "account", "add", "amount", "api_version", "app", "business_profile", "confirm", "connect",
    "country", "created", "currency", "customer", "default_currency", "delivery_success",
    "description", "device_name", "disabled", "email", "enabled_events", "ending_before",
    "event", "expand", "limit", "livemode", "manifest", "metadata", "mode", "name", "object",
    "override", "payment_method", "permissions", "previous_attributes", "remove", "skip",
    "starting_after", "type", "types", "unit_amount", "url", "version", "webhook_endpoint",
    "id", "gt", "lte", "customer.created", "payment_intent.succeeded", "²", "0", "",
]  # fmt: skip
TRICKY = [
    "", "--5", "-1", "0", "²", "٣", "9" * 5000, "true", "null", "[1]", "{}", "*", "\x00",
    "a\r\nb", "http://[::1", "http://", "https://example.com:99999/x", "customer.created",
    "payment_intent:amount=5", "payment_intent:payment_method_types.99=card",
    "customer:metadata[a]=1", "acct_nope", "evt_nope", "we_nope", "ca_nope",
]  # fmt: skip

keys = st.one_of(st.sampled_from(PARAM_NAMES), st.sampled_from(PARAM_NAMES), st.text(max_size=6))
scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.sampled_from(TRICKY),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=6,
)
bodies = st.dictionaries(keys, values, max_size=5)
_PLACEHOLDER = re.compile(r"{(\w+)(:path)?}")


def test_the_routes_fuzzed_are_the_routers():
    assert len(ROUTES) >= 20 and ("POST", "/_sandbox/trigger") in ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_route_answers_a_server_error_whatever_it_is_sent(sandbox, route):
    merchant = sandbox.post("/_sandbox/accounts", {})
    app = sandbox.post("/_sandbox/apps", {"manifest": {"id": "com.example.fuzz", "version": "1"}})
    endpoint = sandbox.client().v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    event = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                              "object": {"id": "cus_f", "object": "customer"}})  # fmt: skip
    known = [merchant["id"], app["id"], endpoint.id, event["id"], "cus_f", sandbox.platform,
             "customers", "payment_intents", "charges", "checkout/sessions", "prices"]  # fmt: skip
    segments = st.sampled_from(known) | st.text(min_size=1, max_size=10)
    callers = st.sampled_from([sandbox.key, merchant["keys"]["test"], sandbox.live_key])
    targets = st.none() | st.sampled_from([merchant["id"], sandbox.platform, "acct_nope"])
    client = httpx.Client(base_url=sandbox.base, timeout=30)

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(
        data=st.data(),
        params=bodies,
        as_json=st.booleans(),
        key=callers,
        target=targets,
    )
    def request(data, params, as_json, key, target) -> None:
        method, template = route

        def fill(match: re.Match[str]) -> str:
            value = data.draw(segments)
            return quote(value, safe="/" if match.group(2) else "")

        path = _PLACEHOLDER.sub(fill, template)
        headers = {"Authorization": f"Bearer {key}"}
        if target is not None:
            headers["Stripe-Account"] = target
        arguments: dict[str, Any] = {}
        if method in ("GET", "DELETE"):
            arguments["params"] = encode_form(params)
        elif as_json:
            arguments["content"] = json.dumps(params)
            headers["Content-Type"] = "application/json"
        else:
            arguments["data"] = dict(encode_form(params))
        answer = client.request(method, path, headers=headers, **arguments)
        assert answer.status_code < 500, (method, path, params, answer.text)
        error = answer.json().get("error") if answer.status_code >= 400 else None
        if error is not None:
            assert error["type"] and error["message"], answer.text

    try:
        request()
    finally:
        client.close()
