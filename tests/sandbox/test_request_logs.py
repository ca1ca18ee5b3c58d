"""`logs tail` on the sandbox's side: the filters (parsed and applied, table-tested), and a
request_logs session over a real WebSocket getting the requests answered meanwhile."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from appevents.sandbox.request_logs import LoggedRequest, Tail, parse_filters
from appevents.sandbox.stripe_errors import InvalidRequest
from sandbox_fixtures import RunningSandbox

ME, OTHER = "acct_me", "acct_other"
REQUEST = LoggedRequest(
    "req_1", "POST", "/v1/customers", 200, 1_700_000_000, False, ME, ME, "127.0.0.1"
)


def tail(**filters: list[str]) -> Tail:
    return Tail(ME, False, parse_filters(json.dumps(filters)))


@pytest.mark.parametrize(
    ("filters", "changes", "wanted"),
    [
        ({}, {}, True),
        ({}, {"key_account": OTHER, "account": OTHER}, False),  # another account's
        ({}, {"livemode": True}, False),
        ({"filter_http_method": ["post"]}, {}, True),
        ({"filter_http_method": ["GET", "DELETE"]}, {}, False),
        ({"filter_request_path": ["/v1/customers"]}, {}, True),
        ({"filter_request_path": ["/v1/customers/*"]}, {"path": "/v1/customers/cus_1"}, True),
        ({"filter_request_path": ["/v1/charges"]}, {}, False),
        ({"filter_status_code": ["200"]}, {}, True),
        ({"filter_status_code": ["404"]}, {}, False),
        ({"filter_status_code_type": ["400"]}, {"status": 402}, True),  # the CLI sends 4XX so
        ({"filter_status_code_type": ["2XX"]}, {"status": 500}, False),
        ({"filter_request_status": ["SUCCEEDED"]}, {"status": 201}, True),
        ({"filter_request_status": ["SUCCEEDED"]}, {"status": 204}, False),
        ({"filter_request_status": ["FAILED"]}, {"status": 404}, True),
        ({"filter_source": ["API"]}, {}, True),
        ({"filter_source": ["DASHBOARD"]}, {"path": "/_sandbox/events"}, True),
        ({"filter_source": ["DASHBOARD"]}, {}, False),
        ({"filter_ip_address": ["127.0.0.1"]}, {}, True),
        ({"filter_ip_address": ["10.0.0.1"]}, {}, False),
        ({"filter_account": ["self"]}, {}, True),
        ({"filter_account": ["connect_out"]}, {"account": OTHER}, True),
        ({"filter_account": ["self"]}, {"account": OTHER}, False),
        ({"filter_account": ["connect_in"]}, {"key_account": OTHER}, True),
        ({"filter_account": ["self", "connect_out"]}, {"key_account": OTHER}, False),
        ({"filter_http_method": ["POST"], "filter_status_code": ["404"]}, {}, False),  # all
    ],
)
def test_a_request_passes_every_filter_or_is_not_sent(
    filters: dict[str, list[str]], changes: dict[str, Any], wanted: bool
):
    assert tail(**filters).wants(dataclasses.replace(REQUEST, **changes)) is wanted


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not json", "is not JSON"),
        ('["filter_http_method"]', "expected a JSON object"),
        ('{"filter_colour": ["red"]}', "unknown filter 'filter_colour'"),
        ('{"filter_http_method": "POST"}', "must be a list of strings"),
        ('{"filter_http_method": ["PATCH"]}', "'PATCH' is not one of GET, POST, DELETE"),
        ('{"filter_status_code": ["2000"]}', "an HTTP status code"),
        ('{"filter_account": ["everyone"]}', "connect_in, connect_out, self"),
    ],
)
def test_filters_that_mean_nothing_are_refused_saying_why(raw: str, says: str):
    with pytest.raises(InvalidRequest) as refused:
        parse_filters(raw)
    assert says in str(refused.value) and refused.value.param == "filters"


def open_tail(sandbox: RunningSandbox, filters: dict[str, list[str]]) -> dict[str, Any]:
    opened = httpx.post(
        sandbox.base + "/v1/stripecli/sessions",
        data={"device_name": "vm", "websocket_features[]": "request_logs",
              "filters": json.dumps(filters)},
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )  # fmt: skip
    assert opened.status_code == 200, opened.text
    session: dict[str, Any] = opened.json()
    return session


def entries(socket: ClientConnection, count: int) -> list[dict[str, Any]]:
    found = []
    for _ in range(count):
        message = json.loads(socket.recv(timeout=5))
        assert message["type"] == "request_log_event"
        payload = json.loads(message["event_payload"])
        assert message["request_log_id"] == "resp_" + payload["request_id"].removeprefix("req_")
        found.append(payload)
    return found


def test_a_tailing_session_gets_the_requests_it_filters_for(sandbox: RunningSandbox):
    session = open_tail(sandbox, {"filter_http_method": ["POST", "GET"]})
    assert session["websocket_authorized_feature"] == "request_logs"
    other = sandbox.post("/_sandbox/accounts", {})
    url = session["websocket_url"] + "?websocket_feature=request_logs"
    with connect(url, open_timeout=5, close_timeout=2) as socket:
        stripe = sandbox.client()
        customer = stripe.v1.customers.create(params={"email": "a@example.com"})
        httpx.delete(sandbox.base + f"/v1/customers/{customer.id}",
                     headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
        httpx.get(sandbox.base + "/v1/customers/cus_missing",
                  headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
        httpx.get(sandbox.base + "/v1/customers", headers={"Authorization": "Bearer sk_test_no"})
        httpx.get(sandbox.base + "/v1/customers",
                  headers={"Authorization": f"Bearer {other['keys']['test']}"})  # fmt: skip
        marker = stripe.v1.customers.create(params={"email": "last@example.com"})
        created, missing, last = entries(socket, 3)
    assert (created["method"], created["url"], created["status"]) == ("POST", "/v1/customers", 200)
    assert created["livemode"] is False and created["request_id"].startswith("req_")
    assert created["error"]["type"] == ""
    assert (missing["method"], missing["url"], missing["status"]) == (
        "GET", "/v1/customers/cus_missing", 404,
    )  # fmt: skip
    assert missing["error"]["type"] == "invalid_request_error"
    assert missing["error"]["code"] == "resource_missing"
    assert "cus_missing" in missing["error"]["message"]
    # In order, nothing between: the DELETE was filtered out, a request with a bad key is
    # nobody's, the other account's request is its own.
    assert last["url"] == "/v1/customers" and marker.id != customer.id


def test_the_account_filter_warns_an_account_that_is_no_connect_user(sandbox: RunningSandbox):
    assert open_tail(sandbox, {"filter_account": ["self"]})["display_connect_filter_warning"]
    sandbox.post("/v1/accounts", {"type": "custom"})  # now a platform with an account
    assert not open_tail(sandbox, {"filter_account": ["self"]})["display_connect_filter_warning"]
    assert not open_tail(sandbox, {})["display_connect_filter_warning"]
