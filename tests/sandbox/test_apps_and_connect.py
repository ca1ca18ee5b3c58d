"""Apps installed on merchant accounts: lifecycle events, permission-aware routing,
and what the app may do with `Stripe-Account`."""

from __future__ import annotations

import pytest
import stripe

from sandbox_fixtures import wait_for

MANIFEST = {
    "id": "com.example.totals",
    "version": "1.0.0",
    "name": "Totals",
    "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "events"},
        {"permission": "payment_intent_read", "purpose": "payments"},
    ],
}


def event_types(handler):
    import json

    return [
        (json.loads(body)["type"], json.loads(body).get("account")) for _, body in handler.received
    ]


def test_install_routes_by_permission_and_uninstall_stops_it(sandbox, receiver):
    handler, url = receiver
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    assert app["id"].startswith("ca_") and app["versions"][0]["permissions"] == [
        "event_read",
        "payment_intent_read",
    ]
    developer = sandbox.client()
    connect_endpoint = developer.v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"], "connect": True}
    )
    merchant = sandbox.post("/_sandbox/accounts", {"email": "shop@example.com"})
    bystander = sandbox.post("/_sandbox/accounts", {})
    merchant_key = merchant["keys"]["test"]

    installed = sandbox.post(
        f"/_sandbox/apps/{app['id']}/installs",
        {"account": merchant["id"], "mode": "test"},
        key=merchant_key,
    )
    assert installed["active"] is True
    wait_for(lambda: len(handler.received) == 1)
    assert event_types(handler) == [("account.application.authorized", merchant["id"])]

    paid = sandbox.post("/_sandbox/events", {"type": "payment_intent.succeeded",
                                             "object": {"id": "pi_1", "object": "payment_intent", "amount": 500}},
                        key=merchant_key)  # fmt: skip
    customer = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                                 "object": {"id": "cus_1", "object": "customer"}},
                            key=merchant_key)  # fmt: skip
    other = sandbox.post("/_sandbox/events", {"type": "payment_intent.succeeded",
                                              "object": {"id": "pi_2", "object": "payment_intent"}},
                         key=bystander["keys"]["test"])  # fmt: skip
    wait_for(lambda: len(handler.received) == 2)
    assert event_types(handler)[1] == ("payment_intent.succeeded", merchant["id"])
    withheld = sandbox.get(f"/_sandbox/events/{customer['id']}/deliveries")["withheld"]
    assert [(w["endpoint"], w["reason"]) for w in withheld] == [
        (connect_endpoint.id, "missing_permission")
    ]
    assert "customer_read" in withheld[0]["message"]
    not_installed = sandbox.get(f"/_sandbox/events/{other['id']}/deliveries",
                                key=bystander["keys"]["test"])  # fmt: skip
    assert not_installed == {"event": other["id"], "deliveries": [], "withheld": [], "listen": []}
    assert (
        sandbox.get(f"/_sandbox/events/{paid['id']}/deliveries")["deliveries"][0]["endpoint"]
        == connect_endpoint.id
    )

    # The developer's key acts on the merchant's account within the app's permissions.
    as_app = {"stripe_account": merchant["id"]}
    assert developer.v1.payment_intents.retrieve("pi_1", options=as_app).amount == 500
    assert {e.type for e in developer.v1.events.list(options=as_app).data} >= {
        "payment_intent.succeeded"
    }
    with pytest.raises(stripe.PermissionError) as denied:
        developer.v1.customers.retrieve("cus_1", options=as_app)
    assert "customer_read" in str(denied.value)
    with pytest.raises(stripe.PermissionError) as stranger:
        developer.v1.events.list(options={"stripe_account": bystander["id"]})
    assert "has not installed" in str(stranger.value)

    sandbox.delete(f"/_sandbox/apps/{app['id']}/installs/{merchant['id']}", key=merchant_key)
    wait_for(lambda: len(handler.received) == 3)
    assert event_types(handler)[2] == ("account.application.deauthorized", merchant["id"])
    sandbox.post("/_sandbox/events", {"type": "payment_intent.succeeded",
                                      "object": {"id": "pi_3", "object": "payment_intent"}},
                 key=merchant_key)  # fmt: skip
    with pytest.raises(stripe.PermissionError):
        developer.v1.events.list(options=as_app)
    assert len(handler.received) == 3


def test_upgrading_to_a_version_with_more_permissions_authorizes_again(sandbox, receiver):
    handler, url = receiver
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    sandbox.client().v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"], "connect": True}
    )
    merchant = sandbox.post("/_sandbox/accounts", {})
    sandbox.post(
        f"/_sandbox/apps/{app['id']}/installs",
        {"account": merchant["id"], "mode": "test"},
        key=merchant["keys"]["test"],
    )
    upgraded = {**MANIFEST, "version": "1.1.0",
                "permissions": [*MANIFEST["permissions"], {"permission": "customer_read", "purpose": "c"}]}  # fmt: skip
    sandbox.post("/_sandbox/apps", {"manifest": upgraded})
    sandbox.post(f"/_sandbox/apps/{app['id']}/installs",
                 {"account": merchant["id"], "mode": "test", "version": "1.1.0"},
                 key=merchant["keys"]["test"])  # fmt: skip
    sandbox.post("/_sandbox/events", {"type": "customer.created",
                                      "object": {"id": "cus_9", "object": "customer"}},
                 key=merchant["keys"]["test"])  # fmt: skip
    wait_for(lambda: len(handler.received) == 3)
    assert [t for t, _ in event_types(handler)] == [
        "account.application.authorized", "account.application.authorized", "customer.created",
    ]  # fmt: skip


def test_bad_manifests_and_installs_are_refused_clearly(sandbox):
    import httpx

    def post(path, body):
        return httpx.post(
            sandbox.base + path, json=body, headers={"Authorization": f"Bearer {sandbox.key}"}
        )

    no_id = post("/_sandbox/apps", {"manifest": {"version": "1"}})
    assert (no_id.status_code, no_id.json()["error"]["param"]) == (400, "manifest")
    unknown = post(
        "/_sandbox/apps",
        {"manifest": {**MANIFEST, "permissions": [{"permission": "nope_read", "purpose": "x"}]}},
    )
    assert unknown.status_code == 400 and "nope_read" in unknown.json()["error"]["message"]
    app = post("/_sandbox/apps", {"manifest": MANIFEST}).json()
    merchant = post("/_sandbox/accounts", {}).json()
    bad_mode = httpx.post(
        sandbox.base + f"/_sandbox/apps/{app['id']}/installs",
        json={"account": merchant["id"], "mode": "prod"},
        headers={"Authorization": f"Bearer {merchant['keys']['test']}"},
    )
    assert bad_mode.status_code == 400 and "live+test" in bad_mode.json()["error"]["message"]
    missing = post(
        f"/_sandbox/apps/{app['id']}/installs", {"account": "acct_missing", "mode": "test"}
    )
    assert missing.status_code == 403  # only an account itself installs: no key is acct_missing's
    unknown_app = httpx.post(
        sandbox.base + "/_sandbox/apps/ca_missing/installs",
        json={"account": merchant["id"]},
        headers={"Authorization": f"Bearer {merchant['keys']['test']}"},
    )
    assert (unknown_app.status_code, unknown_app.json()["error"]["param"]) == (404, "app")


def test_events_of_an_account_without_the_app_are_withheld_as_not_installed(sandbox):
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    endpoint = sandbox.client().v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/none", "enabled_events": ["*"], "connect": True}
    )
    former = sandbox.post("/_sandbox/accounts", {})
    former_key = former["keys"]["test"]
    sandbox.post(f"/_sandbox/apps/{app['id']}/installs", {"account": former["id"]}, key=former_key)
    sandbox.delete(f"/_sandbox/apps/{app['id']}/installs/{former['id']}", key=former_key)
    stranger = sandbox.post("/_sandbox/accounts", {})

    def pay(account: dict) -> dict:
        return sandbox.post("/_sandbox/events", {"type": "payment_intent.succeeded",
                                                 "object": {"id": "pi_x", "object": "payment_intent"}},
                            key=account["keys"]["test"])  # fmt: skip

    after_uninstall, unrelated = pay(former), pay(stranger)
    withheld = sandbox.get(f"/_sandbox/events/{after_uninstall['id']}/deliveries")["withheld"]
    assert [(w["endpoint"], w["reason"]) for w in withheld] == [(endpoint.id, "not_installed")]
    assert f"{app['id']} was uninstalled from {former['id']}" in withheld[0]["message"]
    # An account the developer never had anything to do with stays out of its sight.
    import httpx

    hidden = httpx.get(sandbox.base + f"/_sandbox/events/{unrelated['id']}/deliveries",
                       headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
    assert hidden.status_code == 404


def _on_lane(sandbox, work):
    """Run ``work(service)`` where the sandbox's state lives (its lane)."""
    service = sandbox.server.sandbox
    return sandbox.server.lane.submit(lambda: work(service))


def test_its_platform_deletes_a_connected_account_deauthorizing_its_apps(sandbox, receiver):
    import httpx

    from appevents.sandbox.state import accounts, endpoints

    handler, url = receiver
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    platform = sandbox.client()
    platform.v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"], "connect": True})
    connected = platform.v1.accounts.create({"type": "standard"})
    key = _on_lane(sandbox, lambda s: accounts.keys_of(s.db, connected.id)["test"])
    own = sandbox.client(key).v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["charge.succeeded"]}
    )
    _on_lane(sandbox, lambda s: s.install(app["id"], connected.id, mode="test"))
    wait_for(lambda: len(handler.received) == 1)

    deleted = platform.v1.accounts.delete(connected.id)
    assert deleted.to_dict() == {"id": connected.id, "object": "account", "deleted": True}
    wait_for(lambda: len(handler.received) == 2)
    assert event_types(handler) == [
        ("account.application.authorized", connected.id),
        ("account.application.deauthorized", connected.id),
    ]
    with pytest.raises(stripe.InvalidRequestError) as gone:
        platform.v1.accounts.retrieve(connected.id)
    assert gone.value.http_status == 404
    assert connected.id not in {each.id for each in platform.v1.accounts.list().data}
    refused = httpx.get(sandbox.base + "/v1/balance", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401
    stopped = _on_lane(sandbox, lambda s: endpoints.list_endpoints(s.db, account=connected.id))
    assert [(e.id, e.status) for e in stopped] == [(own.id, "disabled")]
    with pytest.raises(stripe.InvalidRequestError) as again:
        platform.v1.accounts.delete(connected.id)
    assert again.value.http_status == 404


def test_only_its_platform_deletes_an_account(sandbox):
    merchant = sandbox.post("/_sandbox/accounts", {})
    own_key = sandbox.client(merchant["keys"]["test"])
    with pytest.raises(stripe.InvalidRequestError) as itself:
        own_key.v1.accounts.delete(merchant["id"])
    assert itself.value.code == "account_invalid" and "platform that created it" in str(
        itself.value
    )
    with pytest.raises(stripe.InvalidRequestError) as stranger:
        sandbox.client().v1.accounts.delete(merchant["id"])
    assert stranger.value.http_status == 404
    assert own_key.v1.accounts.retrieve(merchant["id"]).id == merchant["id"]
