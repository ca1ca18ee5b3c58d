"""Event destinations from the webhooks page, over plain HTTP: created with either payload
and either scope through the API's own operation (its checks and errors), disabled,
enabled and deleted as ``/v2/core/event_destinations`` would, and their deliveries."""

from __future__ import annotations

import json
import re

import httpx

from appevents.web import CSRF_FIELD
from sandbox_fixtures import RunningSandbox
from v2_world import bodies, v2_client


def token_of(sandbox: RunningSandbox) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"',
                      httpx.get(f"{sandbox.base}/webhooks").text)  # fmt: skip
    assert found, "the webhooks page has no CSRF field"
    return found.group(1)


def create(sandbox: RunningSandbox, **form: str) -> httpx.Response:
    sent = {CSRF_FIELD: token_of(sandbox), "account": sandbox.platform, "mode": "test",
            "name": "from the page", **form}  # fmt: skip
    return httpx.post(f"{sandbox.base}/actions/destinations", data=sent)


def made_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    found = re.match(r"/webhooks/(ed_test_\w+)\?notice=Created", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def test_a_snapshot_destination_for_self_and_connected_accounts_gets_v1_events(
    sandbox, receiver
) -> None:
    handler, url = receiver
    made = made_id(create(sandbox, url=url, payload="snapshot", events="customer.created",
                          from_self="on", from_accounts="on", description="both"))  # fmt: skip
    client = v2_client(sandbox)
    shown = client.v2.core.event_destinations.retrieve(made)
    assert (shown.event_payload, shown.events_from, shown.description) == (
        "snapshot",
        ["@self", "@accounts"],
        "both",
    )
    customer = client.v1.customers.create({"description": "snapshot please"})
    [sent] = bodies(handler, 1)
    assert (sent["type"], sent["data"]["object"]["id"]) == ("customer.created", customer.id)
    page = httpx.get(f"{sandbox.base}/webhooks/{made}").text
    assert f'href="/events/{sent["id"]}">customer.created</a>' in page
    assert "Success rate: <strong>100%</strong>" in page
    assert "<dd>@self, @accounts</dd>" in page and "<dd>snapshot</dd>" in page
    listing = httpx.get(f"{sandbox.base}/webhooks").text
    destinations = listing[listing.index("Event destinations (v2)") :]
    assert f'href="/webhooks/{made}"' in destinations.split("</table>")[0]


def test_the_apis_checks_refuse_what_it_refuses_and_the_page_says_why(sandbox, receiver) -> None:
    _, url = receiver
    wrong = create(sandbox, url=url, payload="thin", events="customer.created", from_self="on")
    assert wrong.status_code == 400
    assert "&#39;customer.created&#39; is not a thin event type" in wrong.text
    nameless = create(sandbox, url=url, payload="thin", name="",
                      events="v1.billing.meter.no_meter_found")  # fmt: skip
    assert nameless.status_code == 400 and "name" in nameless.text
    assert v2_client(sandbox).v2.core.event_destinations.list().data == []


def test_disable_enable_and_delete_from_the_page_as_the_api_would(sandbox, receiver) -> None:
    handler, url = receiver
    made = made_id(create(sandbox, url=url, payload="thin",
                          events="v1.billing.meter.no_meter_found", from_self="on"))  # fmt: skip
    client = v2_client(sandbox)
    token = token_of(sandbox)

    def press(what: str) -> httpx.Response:
        return httpx.post(f"{sandbox.base}/actions/destinations/{made}/{what}",
                          data={CSRF_FIELD: token})  # fmt: skip

    page = httpx.get(f"{sandbox.base}/webhooks/{made}").text
    assert f'action="/actions/destinations/{made}/disable"' in page
    assert press("disable").headers["location"].startswith(f"/webhooks/{made}?notice=Disabled")
    off = client.v2.core.event_destinations.retrieve(made)
    assert off.status == "disabled" and off.status_details.disabled.reason == "user"
    client.v2.billing.meter_events.create({"event_name": "none", "payload": {"value": "1"}})
    page = httpx.get(f"{sandbox.base}/webhooks/{made}").text
    assert f'action="/actions/destinations/{made}/enable"' in page
    assert press("enable").status_code == 303
    on = client.v2.core.event_destinations.retrieve(made)
    assert on.status == "enabled" and on.status_details is None
    client.v2.billing.meter_events.create({"event_name": "again", "payload": {"value": "1"}})
    [sent] = bodies(handler, 1)  # only the one made while enabled
    assert sent["type"] == "v1.billing.meter.no_meter_found"
    assert press("explode").status_code == 404
    gone = press("delete")
    assert gone.headers["location"].startswith("/webhooks?notice=Deleted")
    assert client.v2.core.event_destinations.list().data == []
    assert httpx.get(f"{sandbox.base}/webhooks/{made}").status_code == 404
    assert json.loads(handler.received[0][1])["id"] == sent["id"]


def test_a_webhook_endpoint_is_not_changed_through_the_destination_buttons(
    sandbox, receiver
) -> None:
    _, url = receiver
    endpoint = sandbox.client().v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    answer = httpx.post(f"{sandbox.base}/actions/destinations/{endpoint.id}/disable",
                        data={CSRF_FIELD: token_of(sandbox)})  # fmt: skip
    assert answer.status_code == 400 and "is a webhook endpoint, not an event destination" in (
        answer.text
    )
    assert sandbox.client().v1.webhook_endpoints.retrieve(endpoint.id).status == "enabled"
