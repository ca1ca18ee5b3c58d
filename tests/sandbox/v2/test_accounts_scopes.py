"""Who sees a v2 account's events: an app's ``@accounts`` destination gets those of an
installed merchant's own connected accounts when the install grants
``connected_account_read`` (withheld otherwise, saying so), and fetches the account in that
merchant's context; an app lacking the permission may not read the accounts. And a sandbox
database of the previous schema version is upgraded to hold v2 accounts."""

from __future__ import annotations

import sqlite3

import pytest
import stripe

from appevents.sandbox.state.db import SCHEMA_VERSION, connect
from v2_world import bodies, manifest, thin_destination, v2_client

ACCOUNTS = "com.example.accounts"


def test_an_apps_accounts_destination_gets_an_installed_merchants_account_events(
    sandbox, receiver
) -> None:
    handler, url = receiver
    platform = v2_client(sandbox)
    app = sandbox.post("/_sandbox/apps", {"manifest": manifest(
        ACCOUNTS, "1.0.0", ["event_read", "connected_account_read"])})  # fmt: skip
    sandbox.post("/_sandbox/apps", {"manifest": manifest(ACCOUNTS, "2.0.0", ["event_read"])})
    destination = thin_destination(platform, url, ["v2.core.account.created"],
                                   events_from=["@accounts"])  # fmt: skip
    granted, lacking = (sandbox.post("/_sandbox/accounts", {}) for _ in range(2))
    for merchant, version in ((granted, "1.0.0"), (lacking, "2.0.0")):
        sandbox.post(f"/_sandbox/apps/{app['id']}/installs",
                     {"account": merchant["id"], "mode": "test", "version": version},
                     key=merchant["keys"]["test"])  # fmt: skip
    made = {}
    for merchant in (granted, lacking):  # each merchant onboards an account of its own
        own = v2_client(sandbox, merchant["keys"]["test"])
        made[merchant["id"]] = own.v2.core.accounts.create({"display_name": "Sub-shop"}).id
    (sent,) = bodies(handler, 1)
    assert (sent["context"], sent["related_object"]["id"]) == (granted["id"], made[granted["id"]])
    headers, raw = handler.received[0]
    notification = platform.parse_event_notification(
        raw, headers["stripe-signature"], destination.webhook_endpoint.signing_secret
    )
    fetched = notification.fetch_related_object()  # as the app, in the merchant's context
    assert (fetched.id, fetched.display_name) == (made[granted["id"]], "Sub-shop")
    own_events = v2_client(sandbox, lacking["keys"]["test"]).v2.core.events.list().data
    deliveries = sandbox.get(f"/_sandbox/events/{own_events[0].id}/deliveries")
    assert deliveries["deliveries"] == []
    assert [(w["endpoint"], w["reason"]) for w in deliveries["withheld"]] == [
        (destination.id, "missing_permission")
    ]
    with pytest.raises(stripe.PermissionError) as info:
        platform.with_stripe_context(lacking["id"]).v2.core.accounts.retrieve(made[lacking["id"]])
    assert "connected_account_read" in info.value.user_message


def test_a_previous_schema_version_is_upgraded(tmp_path) -> None:
    path = tmp_path / "sandbox.db"
    connect(path).close()
    older = sqlite3.connect(path)
    for table in ("v2_account_links", "v2_persons", "v2_accounts"):
        older.execute(f"DROP TABLE {table}")
    older.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    older.commit()
    older.close()
    upgraded = connect(path)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    tables = {r[0] for r in upgraded.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"v2_accounts", "v2_persons", "v2_account_links"} <= tables
    upgraded.close()
