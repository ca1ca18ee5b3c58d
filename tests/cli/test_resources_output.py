"""What `events resend`, `webhook-endpoints list` and `accounts list` tell the user: the
attempt's outcome, why a resend is refused and what to do, and "none" rather than nothing."""

from __future__ import annotations

import json

from cli_results import run
from sandbox_fixtures import wait_for
from servers import free_port


def event_of(triggered: str) -> str:
    (event_id,) = [line.split()[0] for line in triggered.splitlines() if line.startswith("  evt_")]
    return event_id


def test_empty_listings_say_none_and_why(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    run("login", "--api-base", sandbox.base, "--api-key", sandbox.key)
    assert run("webhook-endpoints", "list") == (
        "Webhook endpoints (test mode):\n"
        "  none (add one: appevents webhook-endpoints create --url URL [--connect])\n"
    )
    created = run("accounts", "create", "--email", "shop@example.com")
    merchant = created.split()[2]
    assert "an account of its own, not a connected account of yours" in created
    listed = run("accounts", "list")
    assert listed.startswith("Connected accounts:\n  none (a merchant made by `accounts create`")
    assert merchant not in listed and "it installs it" in listed
    connected = run("accounts", "create", "--connected", "--email", "c@example.com").split()[-1]
    assert run("accounts", "list") == f"Connected accounts:\n  {connected}  c@example.com\n"
    assert run("events", "list", "--type", "charge.*") == (
        "Events of your account of type charge.*:\n"
        "  none (events of accounts that installed your app: pass --stripe-account acct_…)\n"
    )


def test_resend_shows_the_outcome_and_a_refusal_says_what_to_do(
    sandbox, receiver, tmp_path, monkeypatch
):
    handler, url = receiver
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    run("login", "--api-base", sandbox.base, "--api-key", sandbox.key)
    early = event_of(run("trigger", "customer.created"))
    endpoint = run("webhook-endpoints", "create", "--url", url, "--events", "customer.*").split()[1]
    refused = run("events", "resend", early, "--webhook-endpoint", endpoint, code=1)
    assert "the endpoint was created after the event" in refused
    assert "it was sent to none of your endpoints" in refused
    assert "appevents webhook-endpoints create --url URL --events customer.created" in refused

    routed = event_of(run("trigger", "customer.created"))
    wait_for(lambda: len(handler.received) == 1)  # its own delivery
    resent = run("events", "resend", routed, "--webhook-endpoint", endpoint)
    first, outcome = resent.splitlines()
    assert first == f"Resending {routed} to {endpoint}"
    assert outcome.startswith("Delivered: [200] in ") and outcome.endswith(" ms")
    assert len(handler.received) == 2 and json.loads(handler.received[1][1])["id"] == routed

    handler.default = 500
    failed = run("events", "resend", routed, "--webhook-endpoint", endpoint, code=1)
    assert failed.splitlines()[-1].startswith("Failed: [500] in ")

    charges = run("webhook-endpoints", "create", "--url", url, "--events", "charge.*").split()[1]
    elsewhere = run("events", "resend", routed, "--webhook-endpoint", charges, code=1)
    assert "it listens to charge.*, not customer.created" in elsewhere
    assert f"it was sent to {endpoint}: resend it to one of those" in elsewhere


def test_resend_to_an_endpoint_that_does_not_answer(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    run("login", "--api-base", sandbox.base, "--api-key", sandbox.key)
    dead = f"http://127.0.0.1:{free_port()}/hook"
    endpoint = run("webhook-endpoints", "create", "--url", dead).split()[1]
    event_id = event_of(run("trigger", "customer.created"))
    failed = run("events", "resend", event_id, "--webhook-endpoint", endpoint, code=1)
    assert failed.splitlines()[-1].startswith("Failed after ")
    assert run("events", "resend", event_id, "--webhook-endpoint", endpoint, "--wait", "0")


MANIFEST = {
    "id": "com.example.resend",
    "version": "1.0.0",
    "name": "Resend",
    "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "e"},
        {"permission": "payment_intent_read", "purpose": "p"},
        {"permission": "charge_read", "purpose": "c"},
    ],
}


def test_the_readme_steps_resend_an_installing_accounts_event(
    sandbox, receiver, tmp_path, monkeypatch
):
    """README "Testing locally like with the Stripe CLI": create the Connect endpoint, then
    the merchant's event reaches it and `events resend` can send it again."""
    handler, url = receiver
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stripe-app.json").write_text(json.dumps(MANIFEST))
    run("login", "--api-base", sandbox.base, "--api-key", sandbox.key)
    run("apps", "register")
    merchant = run("accounts", "create", "--email", "shop@example.com").split()[2]
    # As the README: the merchant's key, kept by `accounts create`, is used for it.
    installed = run("trigger", "account.application.authorized", "--stripe-account", merchant)
    assert "account.application.authorized" in installed
    endpoint = run("webhook-endpoints", "create", "--url", url, "--connect").split()[1]
    paid = run("trigger", "payment_intent.succeeded", "--stripe-account", merchant)
    (event_id,) = [line.split()[0] for line in paid.splitlines() if "payment_intent.succ" in line]
    wait_for(lambda: len(handler.received) == 3)
    resent = run("events", "resend", event_id, "--webhook-endpoint", endpoint)
    assert resent.splitlines()[-1].startswith("Delivered: [200] in ")
    assert json.loads(handler.received[-1][1])["id"] == event_id
    assert json.loads(handler.received[-1][1])["account"] == merchant
