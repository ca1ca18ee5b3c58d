"""The sandbox's dashboard in Chromium: events appear live, an event shows its attempts,
links and withholdings, its buttons do what the API would, and nothing from a payload
runs as code."""

from __future__ import annotations

import re

import httpx
import stripe
from playwright.sync_api import expect
from websockets.sync.client import connect

from appevents.web import CSRF_FIELD

SCRIPT = '<script>window.__injected = 1; alert("owned")</script><img src=x onerror="window.__injected = 2">'


def test_an_event_appears_on_the_events_page_live_without_a_reload(page, world, screenshot):
    page.goto("/events")
    expect(page.locator("#live-status")).to_have_text("Live view: on")
    page.evaluate("window.__same_page = true")
    client = stripe.StripeClient(world.key, base_addresses={"api": world.url})
    customer = client.v1.customers.create({"email": "ada@example.org"})
    created = next(e for e in world.events() if e["data"]["object"]["id"] == customer.id)
    row = page.locator(f'tr[data-event="{created["id"]}"]')
    expect(row).to_contain_text("customer.created")
    expect(row).to_contain_text(world.platform)
    assert page.evaluate("window.__same_page") is True  # no reload: the row came live
    screenshot(page, "events")


def test_an_event_page_shows_its_attempts_with_headers_and_links_to_its_objects(
    page, world, receiver, screenshot
):
    world.endpoint(receiver.url)
    customer = world.customer("Lovelace Ltd")
    source = world.call("POST", f"/v1/customers/{customer['id']}/sources",
                        data={"source": "tok_visa"})  # fmt: skip
    [delivered] = [e for e in receiver.wait_for(3) if e["type"] == "customer.source.created"]
    headers = next(h for h, body in receiver.received if delivered["id"].encode() in body)
    page.goto(f"/events/{delivered['id']}")
    attempt = page.locator("article.delivery tr.attempt")
    expect(attempt).to_have_count(1)
    expect(attempt).to_contain_text("200")
    attempt.locator("summary", has_text="Request headers").click()
    shown = attempt.locator("pre").first.inner_text()
    assert f"Stripe-Signature: {headers['stripe-signature']}" in shown
    assert "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)" in shown
    attempt.locator("summary", has_text="Response body").click()
    expect(attempt).to_contain_text('{"received": true}')
    screenshot(page, "event")
    page.get_by_role("link", name=re.compile(f"customer {customer['id']}")).click()
    expect(page.locator("h1")).to_contain_text(customer["id"])
    expect(page.locator("pre.json")).to_contain_text('"description": "Lovelace Ltd"')
    page.get_by_role("link", name=re.compile(f"card {source['id']}")).click()
    expect(page.locator("pre.json")).to_contain_text(f'"id": "{source["id"]}"')


def test_a_withheld_event_shows_its_reason_and_the_grant_command_that_fixes_it(
    page, world, receiver, screenshot
):
    app = world.register_app(["event_read", "payment_intent_read"])
    world.endpoint(receiver.url, connect=True)
    merchant = world.merchant("Bakery")
    world.install(app["id"], merchant)
    receiver.wait_for(1)  # account.application.authorized
    world.customer("a customer of the bakery", key=merchant["keys"]["test"])
    [event] = [e for e in world.events(merchant["keys"]["test"]) if e["type"] == "customer.created"]
    page.goto(f"/events/{event['id']}")
    withheld = page.locator("article.withheld")
    expect(withheld).to_contain_text("missing_permission")
    expect(withheld.locator(".reason")).to_contain_text(f"app {app['id']} lacks permission")
    fix = withheld.locator("pre.fix")
    expect(fix).to_contain_text('appevents apps grant permission customer_read "Read Customer data')
    expect(fix).to_contain_text(f"appevents apps upgrade --account {merchant['id']}")
    screenshot(page, "withheld")
    page.goto(f"/apps/{app['id']}")
    expect(page.locator("main")).to_contain_text("customer.created")
    expect(page.locator("main")).to_contain_text("payment_intent.succeeded")


def test_resending_from_the_page_shows_the_new_attempt_live(page, world, receiver):
    endpoint = world.endpoint(receiver.url)
    world.customer("resend me")
    [event] = receiver.wait_for(1)
    page.goto(f"/events/{event['id']}")
    expect(page.locator("tr.attempt")).to_have_count(1)
    expect(page.locator("#live-status")).to_have_text("Live view: on")
    page.get_by_label("Endpoint").select_option(endpoint["id"])
    page.get_by_role("button", name="Resend event").click()
    expect(page.locator(".notice")).to_contain_text(f"Resending {event['id']} to {endpoint['id']}")
    expect(page.locator("tr.attempt")).to_have_count(2)
    again = receiver.wait_for(2)
    assert [e["id"] for e in again] == [event["id"], event["id"]]


def test_an_endpoint_registered_on_the_page_for_connected_accounts_receives_their_events(
    page, world, receiver, screenshot
):
    page.goto("/webhooks")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.locator("#new-account").select_option(world.platform)
    page.get_by_label("Listen to events on Connected accounts").check()
    page.get_by_label("Events to send").fill("customer.*")
    screenshot(page, "webhooks")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".notice")).to_contain_text("Created endpoint we_")
    endpoint_id = page.locator("h1 code").inner_text()
    connected = world.call("POST", "/v1/accounts", data={"type": "custom"})
    world.call("POST", "/v1/customers", data={"description": "connected shopper"},
               headers={"Stripe-Account": connected["id"]})  # fmt: skip
    [event] = receiver.wait_for(1)
    assert (event["type"], event["account"]) == ("customer.created", connected["id"])
    page.reload()
    expect(page.locator(".rate")).to_contain_text("100%")
    expect(page.locator("#endpoint-deliveries")).to_contain_text(event["id"])
    assert endpoint_id.startswith("we_")


def test_installing_and_uninstalling_from_the_page_sends_the_application_events(
    page, world, receiver, screenshot
):
    app = world.register_app(["event_read", "customer_read"])
    world.endpoint(receiver.url, connect=True)
    merchant = world.merchant("Florist")
    page.goto("/accounts")
    section = page.locator(f"#account-{merchant['id']}")
    section.locator("select[name=app]").select_option(app["id"])
    section.get_by_role("button", name="Install").click()
    expect(page.locator(".notice")).to_contain_text(f"Installed {app['id']} on {merchant['id']}")
    screenshot(page, "accounts")
    page.locator(f"#account-{merchant['id']}").get_by_role("button", name="Uninstall").click()
    expect(page.locator(".notice")).to_contain_text(
        f"Uninstalled {app['id']} from {merchant['id']}"
    )
    types = [e["type"] for e in receiver.wait_for(2)]
    assert types == ["account.application.authorized", "account.application.deauthorized"]
    page.goto(f"/events?account={merchant['id']}&type=account.application.*")
    rows = page.locator("#events-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("account.application.deauthorized")
    expect(rows.nth(1)).to_contain_text("account.application.authorized")


def test_a_post_without_the_csrf_token_is_refused(page, world):
    form = {"url": "http://127.0.0.1:9/hook", "account": world.platform, "events": "*"}
    page.goto("/webhooks")
    refused = page.request.post("/actions/webhooks", form=form)
    assert refused.status == 403
    assert CSRF_FIELD in refused.text()
    token = page.locator(f'input[name="{CSRF_FIELD}"]').first.get_attribute("value")
    wrong = httpx.post(f"{world.url}/actions/webhooks", data={**form, CSRF_FIELD: "forged"})
    assert wrong.status_code == 403
    elsewhere = httpx.post(f"{world.url}/actions/webhooks", data={**form, CSRF_FIELD: token},
                           headers={"Origin": "http://evil.example"})  # fmt: skip
    assert elsewhere.status_code == 403 and "evil.example" in elsewhere.text
    assert world.call("GET", "/v1/webhook_endpoints")["data"] == []
    accepted = httpx.post(f"{world.url}/actions/webhooks", data={**form, CSRF_FIELD: token})
    assert accepted.status_code == 303
    assert len(world.call("GET", "/v1/webhook_endpoints")["data"]) == 1


def test_a_payload_holding_a_script_is_shown_as_text_and_never_runs(page, world, screenshot):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    world.customer(SCRIPT)
    [event] = world.events()
    page.goto(f"/events/{event['id']}")
    expect(page.locator("pre.json")).to_contain_text(
        '<script>window.__injected = 1; alert(\\"owned\\")</script>'
    )
    page.goto(f"/objects/{world.platform}/{event['data']['object']['id']}")
    expect(page.locator("pre.json")).to_contain_text("<img src=x onerror=")
    page.goto("/events")
    assert page.evaluate("window.__injected") is None
    assert dialogs == []
    assert page.locator("main script, main img").count() == 0
    screenshot(page, "escaped")


def test_the_pages_fit_a_phone_and_every_control_has_a_label(page, world, screenshot):
    world.customer("on a phone")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/events", "/accounts", "/apps", "/webhooks", "/listen"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select, button')]
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                              && !el.textContent.trim())
                .map(el => el.outerHTML)"""
        )
        assert unlabelled == [], f"{path}: controls without a label: {unlabelled}"
        assert page.locator("main").count() == 1 and page.locator("nav").count() == 1
    page.goto("/events")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    screenshot(page, "phone")


def test_a_listen_session_that_connects_appears_live_and_goes_when_it_closes(page, world):
    page.goto("/listen")
    rows = page.locator("#listen-region tbody tr")
    expect(rows).to_contain_text("None connected")
    expect(page.locator("#live-status")).to_have_text("Live view: on")
    opened = world.call("POST", "/v1/stripecli/sessions", data={"device_name": "workbench"})
    with connect(opened["websocket_url"], open_timeout=5, close_timeout=2):
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text(world.platform)
        expect(rows).to_contain_text("workbench")
        expect(rows).to_contain_text("snapshot events")
    expect(rows).to_contain_text("None connected")


def test_upgrading_from_the_page_moves_the_install_to_the_new_version(page, world, receiver):
    app = world.register_app(["event_read"])
    world.endpoint(receiver.url, connect=True)
    merchant = world.merchant("Grocer")
    world.install(app["id"], merchant)
    manifest = {"id": "com.example.dashboard-test", "version": "2.0.0", "name": "Dashboard Test",
                "icon": "", "permissions": [{"permission": "event_read", "purpose": "e"},
                                            {"permission": "customer_read", "purpose": "c"}]}  # fmt: skip
    world.call("POST", "/_sandbox/apps", json={"manifest": manifest})
    page.goto("/accounts")
    row = page.locator(f"#account-{merchant['id']} tr[data-app='{app['id']}']")
    expect(row).to_contain_text("1.0.0")
    row.get_by_role("button", name="Upgrade to 2.0.0").click()
    expect(page.locator(".notice")).to_contain_text(f"Upgraded {app['id']} on {merchant['id']}")
    expect(row).to_contain_text("2.0.0")
    expect(row.get_by_role("button", name="Upgrade to 2.0.0")).to_have_count(0)
    events = receiver.wait_for(2)
    assert [e["type"] for e in events] == ["account.application.authorized"] * 2
    page.goto(f"/apps/{app['id']}")
    expect(page.locator("main")).to_contain_text("customer.created")
