"""v2 thin events in the sandbox dashboard, over plain HTTP: listed beside v1 events (marked
thin, filtered by type, account and mode), and each one's page: the notification, the
data the receiver fetches, the related object's link, the deliveries to thin destinations
with their request headers, where it was withheld and why, and no resend button."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import stripe

from appevents.signature import verify
from appevents.web import CSRF_FIELD
from sandbox_fixtures import RunningSandbox
from v2_world import bodies, thin_destination, v2_client

NO_METER = "v1.billing.meter.no_meter_found"


def listed(sandbox: RunningSandbox, **query: str) -> list[tuple[str, bool]]:
    """The events the list shows, newest first, each with whether it is marked thin."""
    page = httpx.get(f"{sandbox.base}/events", params=query).text
    rows = re.findall(r'<tr data-event="(evt_\w+)">\s*<td>(.*?)</td>', page, re.S)
    return [(event, 'class="badge thin"' in cell) for event, cell in rows]


def token_of(sandbox: RunningSandbox) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"',
                      httpx.get(f"{sandbox.base}/webhooks").text)  # fmt: skip
    assert found, "the webhooks page has no CSRF field"
    return found.group(1)


def no_meter_found(client: stripe.StripeClient, name: str = "nothing") -> None:
    client.v2.billing.meter_events.create({"event_name": name, "payload": {"value": "1"}})


def thin_events(client: stripe.StripeClient) -> list[Any]:
    return list(client.v2.core.events.list().data)


def json_blocks(page: str) -> list[Any]:
    return [
        json.loads(html.unescape(b))
        for b in re.findall(r"<pre class=\"json\"[^>]*><code>(.*?)</code></pre>", page, re.S)
    ]


def test_thin_events_are_listed_marked_thin_and_filtered_like_the_others(sandbox) -> None:
    client = v2_client(sandbox)
    customer = client.v1.customers.create({"description": "v1"})
    no_meter_found(client)
    [thin] = thin_events(client)
    [snapshot] = client.v1.events.list().data
    assert listed(sandbox) == [(thin.id, True), (snapshot.id, False)]
    assert listed(sandbox, type="v1.billing.*") == [(thin.id, True)]
    assert listed(sandbox, type="*.no_meter_found, customer.created") == listed(sandbox)
    assert listed(sandbox, type="billing.*") == []  # the thin type starts with v1.
    assert listed(sandbox, account=sandbox.platform) == listed(sandbox)
    assert listed(sandbox, account="acct_other") == []
    assert listed(sandbox, mode="test") == listed(sandbox)
    assert listed(sandbox, mode="live") == []
    page = httpx.get(f"{sandbox.base}/events").text
    row = page[page.index(f'<tr data-event="{thin.id}">') :].split("</tr>")[0]
    assert f"/events?account={sandbox.platform}" in row  # the account it happened on
    assert customer.id.startswith("cus_")


def test_a_thin_events_page_shows_its_notification_data_and_that_it_cannot_be_resent(
    sandbox,
) -> None:
    client = v2_client(sandbox)
    no_meter_found(client, "unmetered")
    [thin] = thin_events(client)
    answer = httpx.get(f"{sandbox.base}/events/{thin.id}")
    assert answer.status_code == 200
    page = answer.text
    assert f"<h1>{NO_METER} " in page and 'class="badge thin"' in page
    fetched = sandbox.get(f"/v2/core/events/{thin.id}")
    notification, data_and_changes, whole = json_blocks(page)
    assert whole == fetched
    assert data_and_changes == {"data": fetched["data"]}
    assert notification == {k: v for k, v in fetched.items() if k != "data"}
    assert "No active meter was found for event_name unmetered" in page
    assert "None: v1.billing.meter.no_meter_found names no object." in page
    assert "Resend event" not in page and "cannot be resent" in page
    assert "No event destination was sent this event." in page


def test_a_thin_destination_made_on_the_page_gets_the_event_and_the_page_shows_it(
    sandbox, receiver
) -> None:
    handler, url = receiver
    token = token_of(sandbox)
    made = httpx.post(f"{sandbox.base}/actions/destinations", data={
        CSRF_FIELD: token, "name": "meters", "url": url, "account": sandbox.platform,
        "payload": "thin", "events": NO_METER, "from_self": "on", "mode": "test",
    })  # fmt: skip
    assert made.status_code == 303, made.text
    destination = re.match(r"/webhooks/(ed_test_\w+)\?", made.headers["location"]).group(1)
    client = v2_client(sandbox)
    shown = client.v2.core.event_destinations.retrieve(
        destination, {"include": ["webhook_endpoint.url"]}
    )
    assert (shown.event_payload, shown.events_from, shown.enabled_events) == (
        "thin",
        ["@self"],
        [NO_METER],
    )
    assert (shown.name, shown.webhook_endpoint.url, shown.status) == ("meters", url, "enabled")
    no_meter_found(client)
    [sent] = bodies(handler, 1)
    [thin] = thin_events(client)
    assert sent["id"] == thin.id and "data" not in sent
    headers, body = handler.received[0]
    page = httpx.get(f"{sandbox.base}/events/{thin.id}").text
    delivery = page[page.index(f'data-endpoint="{destination}"') :]
    assert "badge succeeded" in delivery.split("</article>")[0]
    secret = re.search(r'<pre class="command secret">(whsec_\w+)</pre>',
                       httpx.get(f"{sandbox.base}/webhooks/{destination}").text).group(1)  # fmt: skip
    shown_signature = re.search(r"Stripe-Signature: (\S+)", delivery).group(1)
    assert shown_signature == headers["stripe-signature"]  # the same bytes, signed alike
    verify(body, shown_signature, [secret])
    endpoint_page = httpx.get(f"{sandbox.base}/webhooks/{destination}").text
    assert f'href="/events/{thin.id}">{NO_METER}</a>' in endpoint_page
    assert "Event payload" in endpoint_page and "@self" in endpoint_page


def test_a_thin_event_withheld_from_a_disabled_destination_says_so(sandbox, receiver) -> None:
    _, url = receiver
    client = v2_client(sandbox)
    made = thin_destination(client, url, [NO_METER])
    client.v2.core.event_destinations.disable(made.id)
    no_meter_found(client)
    [thin] = thin_events(client)
    assert listed(sandbox) == [(thin.id, True)]
    events = httpx.get(f"{sandbox.base}/events").text
    assert "1 withheld" in events
    page = httpx.get(f"{sandbox.base}/events/{thin.id}").text
    withheld = page[page.index('<article class="card withheld"') :]
    assert f'href="/webhooks/{made.id}"' in withheld and "endpoint_disabled" in withheld
    assert f"endpoint {made.id} is disabled" in withheld


def test_the_related_object_links_to_its_page_for_v1_objects_and_v2_accounts_and_persons(
    sandbox,
) -> None:
    client = v2_client(sandbox)
    meter = client.v1.billing.meters.create({
        "display_name": "calls", "event_name": "calls", "default_aggregation": {"formula": "sum"},
    })  # fmt: skip
    client.v2.billing.meter_events.create({"event_name": "calls", "payload": {"value": "1"}})
    account = client.v2.core.accounts.create({
        "display_name": "<script>alert('x')</script> Heron", "configuration": {"merchant": {}},
        "identity": {"country": "de", "entity_type": "company"},
    })  # fmt: skip
    person = client.v2.core.accounts.persons.create(account.id, {"given_name": "Ada"})
    by_type = {e.type: e for e in thin_events(client)}
    expected = {
        "v1.billing.meter.error_report_triggered": meter.id,
        "v2.core.account.created": account.id,
        "v2.core.account_person.created": person.id,
    }
    for event_type, object_id in expected.items():
        page = httpx.get(f"{sandbox.base}/events/{by_type[event_type].id}").text
        link = f'href="/objects/{sandbox.platform}/{object_id}"'
        assert link in page, event_type
        shown = httpx.get(f"{sandbox.base}/objects/{sandbox.platform}/{object_id}")
        assert shown.status_code == 200 and f"<code>{object_id}</code>" in shown.text
        assert f'href="/events/{by_type[event_type].id}"' in shown.text  # events about it
    account_page = httpx.get(f"{sandbox.base}/objects/{sandbox.platform}/{account.id}").text
    assert "<script>alert" not in account_page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Heron" in account_page
    assert "v2.core.account" in account_page
    other = httpx.get(f"{sandbox.base}/objects/acct_someoneelse/{account.id}")
    assert other.status_code == 404  # only under the account that made it


def test_a_thin_event_withheld_from_an_apps_destination_shows_the_grant_that_fixes_it(
    sandbox, receiver
) -> None:
    _, url = receiver
    manifest = {
        "id": "com.example.meters", "version": "1.0.0", "name": "Meters", "icon": "",
        "permissions": [{"permission": "event_read", "purpose": "events"}],
    }  # fmt: skip
    app = sandbox.post("/_sandbox/apps", {"manifest": manifest})["id"]
    thin_destination(v2_client(sandbox), url, [NO_METER], events_from=["@accounts"])
    merchant = sandbox.post("/_sandbox/accounts", {"business_profile": {"name": "Mill"}})
    merchant_key = merchant["keys"]["test"]
    sandbox.post(f"/_sandbox/apps/{app}/installs", {"account": merchant["id"], "mode": "test"},
                 key=merchant_key)  # fmt: skip
    no_meter_found(v2_client(sandbox, merchant_key))
    [thin] = thin_events(v2_client(sandbox, merchant_key))
    assert thin.context == merchant["id"]
    assert listed(sandbox, account=merchant["id"], type="v1.*") == [(thin.id, True)]
    page = httpx.get(f"{sandbox.base}/events/{thin.id}").text
    withheld = page[page.index('<article class="card withheld"') :].split("</article>")[0]
    assert "missing_permission" in withheld
    fix = html.unescape(re.search(r'<pre class="command fix">(.*?)</pre>', withheld, re.S).group(1))
    assert fix.splitlines() == [
        'appevents apps grant permission billing_meter_read "Read Billing Meter data in '
        'webhook events"',
        f"appevents apps upgrade --account {merchant['id']}",
    ]
