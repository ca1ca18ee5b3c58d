"""`appevents trigger` against a running sandbox, including on an installing account."""

from __future__ import annotations

import json

from click.testing import CliRunner

from appevents.cli.main import cli
from cli_results import run
from sandbox_fixtures import wait_for

MANIFEST = {
    "id": "com.example.trigger",
    "version": "1",
    "name": "Trigger",
    "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "e"},
        {"permission": "payment_intent_read", "purpose": "p"},
        {"permission": "charge_read", "purpose": "c"},
    ],
}


def test_trigger_runs_recipes_on_installing_accounts(sandbox, receiver, tmp_path, monkeypatch):
    handler, url = receiver
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stripe-app.json").write_text(json.dumps(MANIFEST))

    run("login", "--api-base", sandbox.base, "--api-key", sandbox.key)
    run("apps", "register")
    run("webhook-endpoints", "create", "--url", url, "--connect")
    # A merchant this CLI did not make: only its own key installs the app on it, and
    # the developer's (Stripe-Account) cannot.
    created = sandbox.post("/_sandbox/accounts", {})
    merchant, merchant_key = created["id"], created["keys"]["test"]
    forced = CliRunner().invoke(
        cli, ["trigger", "account.application.authorized", "--stripe-account", merchant]
    )
    assert forced.exit_code == 1 and merchant in forced.output
    run("apps", "install", "--account", merchant, "--api-key", merchant_key)
    # The app reads payments only, so the merchant's own activity makes them.
    denied = CliRunner().invoke(
        cli, ["trigger", "payment_intent.succeeded", "--stripe-account", merchant]
    )
    assert denied.exit_code == 1 and "payment_intent_write" in denied.output
    paid = run("trigger", "payment_intent.succeeded", "--api-key", merchant_key)
    assert "Running fixture for: payment_intent" in paid and "Trigger succeeded!" in paid
    caused = [line.split()[1] for line in paid.splitlines() if line.startswith("  evt_")]
    assert caused == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    wait_for(lambda: len(handler.received) == 4)
    bodies = [json.loads(body) for _, body in handler.received]
    assert [b["type"] for b in bodies] == ["account.application.authorized", *caused]
    assert {b["account"] for b in bodies} == {merchant}
    charge = bodies[2]["data"]["object"]
    assert charge["payment_intent"] == bodies[1]["data"]["object"]["id"]
    # A merchant `accounts create` made: the CLI kept its key and acts as it.
    own = run("accounts", "create").split()[2]
    installed = run("trigger", "account.application.authorized", "--stripe-account", own)
    assert "account.application.authorized" in installed
    paid_by_own = run("trigger", "payment_intent.succeeded", "--stripe-account", own)
    assert "Trigger succeeded!" in paid_by_own
    wait_for(lambda: len(handler.received) == 8)
    assert {json.loads(body)["account"] for _, body in handler.received[4:]} == {own}
    bogus = CliRunner().invoke(cli, ["trigger", "payment_intent.succeded"])
    assert bogus.exit_code == 1 and "payment_intent.succeeded" in bogus.output
    stranger = CliRunner().invoke(
        cli, ["trigger", "customer.created", "--stripe-account", "acct_nope"]
    )
    assert stranger.exit_code == 1 and "acct_nope" in stranger.output
