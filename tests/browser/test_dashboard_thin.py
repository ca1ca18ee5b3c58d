"""v2 thin events and event destinations in the sandbox's dashboard, in Chromium: a thin
destination made on the webhooks page, a meter event with no meter whose
``v1.billing.meter.no_meter_found`` appears live in the events list, its page with the
delivery to that destination, a related object followed to its page, and a v2 account's
name holding ``<script>`` shown as text."""

from __future__ import annotations

import json
import re

import stripe
from playwright.sync_api import expect

NO_METER = "v1.billing.meter.no_meter_found"
ERROR_REPORT = "v1.billing.meter.error_report_triggered"
SCRIPT = '<script>window.__injected = 1; alert("owned")</script><img src=x onerror="window.__injected = 2">'


def client_of(world) -> stripe.StripeClient:
    return stripe.StripeClient(
        world.key, base_addresses={"api": world.url, "meter_events": world.url},
        max_network_retries=0,
    )  # fmt: skip


def test_a_meter_event_with_no_meter_shows_live_with_its_delivery_to_a_destination_made_on_the_page(
    page, world, receiver, screenshot
):
    page.goto("/webhooks")
    page.get_by_label("Destination name").fill("meter problems")
    page.get_by_label("Destination URL").fill(receiver.url)
    page.locator("#dest-account").select_option(world.platform)
    page.get_by_label("Event payload").select_option("thin")
    page.get_by_label("Event types it gets").fill(f"{NO_METER}, {ERROR_REPORT}")
    screenshot(page, "new-destination")
    page.get_by_role("button", name="Add destination").click()
    expect(page.locator(".notice")).to_contain_text("Created event destination ed_test_")
    destination = page.locator("h1 code").inner_text()

    page.goto("/events")
    expect(page.locator("#live-status")).to_have_text("Live view: on")
    page.evaluate("window.__same_page = true")
    client = client_of(world)
    client.v2.billing.meter_events.create({"event_name": "api_calls", "payload": {"value": "3"}})
    [sent] = receiver.wait_for(1)
    assert sent["type"] == NO_METER and "data" not in sent  # a notification, thin
    row = page.locator(f'tr[data-event="{sent["id"]}"]')
    expect(row).to_contain_text(NO_METER)
    expect(row.locator(".badge.thin")).to_have_text("thin")
    expect(row).to_contain_text(world.platform)
    assert page.evaluate("window.__same_page") is True  # no reload: the row came live
    screenshot(page, "events")

    row.get_by_role("link", name=NO_METER).click()
    expect(page.locator("h1")).to_contain_text(NO_METER)
    delivery = page.locator(f'article.delivery[data-endpoint="{destination}"]')
    attempt = delivery.locator("tr.attempt")
    expect(attempt).to_have_count(1)
    expect(attempt).to_contain_text("200")
    attempt.locator("summary", has_text="Request headers").click()
    headers, body = receiver.received[0]
    expect(attempt.locator("pre").first).to_contain_text(
        f"Stripe-Signature: {headers['stripe-signature']}"
    )
    expect(page.locator("main")).to_contain_text("names no object")
    expect(page.locator("main")).to_contain_text(
        "No active meter was found for event_name api_calls"
    )
    assert json.loads(body)["id"] == sent["id"]
    screenshot(page, "thin-event")

    # A meter that exists but a payload without its customer: the event names the meter.
    meter = client.v1.billing.meters.create({
        "display_name": "API calls", "event_name": "api_calls",
        "default_aggregation": {"formula": "sum"},
    })  # fmt: skip
    client.v2.billing.meter_events.create({"event_name": "api_calls", "payload": {"value": "3"}})
    reported = next(e for e in receiver.wait_for(2) if e["type"] == ERROR_REPORT)
    page.goto(f"/events/{reported['id']}")
    page.get_by_role("link", name=re.compile(f"billing.meter {meter.id}")).click()
    expect(page.locator("h1")).to_contain_text(meter.id)
    expect(page.locator("pre.json")).to_contain_text('"display_name": "API calls"')
    page.get_by_role("link", name=ERROR_REPORT).click()  # the events about it, thin ones too
    expect(page.locator("h1")).to_contain_text(ERROR_REPORT)


def test_a_script_in_a_v2_accounts_display_name_is_shown_as_text_and_never_runs(
    page, world, screenshot
):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    client = client_of(world)
    account = client.v2.core.accounts.create({
        "display_name": SCRIPT, "configuration": {"merchant": {}},
        "identity": {"country": "de", "entity_type": "company"},
    })  # fmt: skip
    created = next(e for e in client.v2.core.events.list().data
                   if e.type == "v2.core.account.created")  # fmt: skip
    page.goto(f"/events/{created.id}")
    page.get_by_role("link", name=re.compile(f"v2.core.account {account.id}")).click()
    expect(page.locator("h1")).to_contain_text(account.id)
    expect(page.locator("pre.json")).to_contain_text(
        '"display_name": "<script>window.__injected = 1; alert(\\"owned\\")</script>'
    )
    assert page.evaluate("window.__injected") is None
    assert dialogs == []
    assert page.locator("main script, main img").count() == 0
    screenshot(page, "v2-account-escaped")
