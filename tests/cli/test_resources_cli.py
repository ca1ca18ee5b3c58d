"""`accounts`, `webhook-endpoints`, `events`, `apps register|install|upgrade|uninstall`
against a running sandbox, as a user types them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from appevents.cli.main import cli
from cli_results import run
from sandbox_fixtures import wait_for

MANIFEST = {
    "id": "com.example.cli",
    "version": "1.0.0",
    "name": "CLI",
    "icon": "",
    "permissions": [{"permission": "event_read", "purpose": "e"}],
}


def test_the_sandbox_from_the_shell(sandbox, receiver, tmp_path, monkeypatch):
    handler, url = receiver
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stripe-app.json").write_text(json.dumps(MANIFEST))

    assert "configured for account" in run(
        "login", "--api-base", sandbox.base, "--api-key", sandbox.key
    )
    created = run("webhook-endpoints", "create", "--url", url, "--events", "*", "--connect")
    endpoint_id = created.split()[1]
    assert "Signing secret (shown once): whsec_" in created
    assert endpoint_id in run("webhook-endpoints", "list")
    merchant = run("accounts", "create", "--email", "shop@example.com").split()[2]
    # The merchant installs the app itself, with the key `accounts create` kept.
    assert run("apps", "install", "--account", merchant).startswith(
        "Installed com.example.cli 1.0.0"
    )
    wait_for(lambda: len(handler.received) == 1)
    upgraded = json.dumps({**MANIFEST, "version": "1.1.0"})
    (tmp_path / "stripe-app.json").write_text(upgraded)
    assert "to 1.1.0" in run("apps", "upgrade", "--account", merchant)
    assert "Uninstalled com.example.cli" in run("apps", "uninstall", "--account", merchant)
    wait_for(lambda: len(handler.received) == 3)
    types = [json.loads(body)["type"] for _, body in handler.received]
    assert types == ["account.application.authorized"] * 2 + ["account.application.deauthorized"]
    listed = run("events", "list", "--type", "account.application.*")
    # The platform's own events: those were the merchant's.
    assert listed.splitlines()[1].startswith("  none (")
    connected = run("accounts", "create", "--connected").split()[-1]
    assert connected in run("accounts", "list")
    run("webhook-endpoints", "update", endpoint_id, "--disabled")
    assert "disabled" in run("webhook-endpoints", "list")
    event_id = json.loads(handler.received[0][1])["id"]
    failed = CliRunner().invoke(cli, ["events", "retrieve", event_id])
    assert failed.exit_code == 1 and "No such event" in failed.output  # it's the merchant's
    run("webhook-endpoints", "update", endpoint_id, "--enabled")
    run("events", "resend", event_id, "--webhook-endpoint", endpoint_id)
    wait_for(lambda: len(handler.received) == 4)
    assert "Deleted" in run("webhook-endpoints", "delete", endpoint_id)
    missing = CliRunner().invoke(cli, ["webhook-endpoints", "delete", endpoint_id])
    assert missing.exit_code == 1 and "No such webhook endpoint" in missing.output
    assert "Logged out." in run("logout")
    assert CliRunner().invoke(cli, ["events", "list"]).exit_code == 2
