"""Who may do what: one account's key never installs, triggers, reads or learns anything on
another account, except as Stripe allows (the account itself, its platform, an app it
installed, within the app's permissions)."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox_fixtures import wait_for

APP = {
    "id": "com.example.platform-app",
    "version": "1.0.0",
    "name": "Platform app",
    "permissions": [
        {"permission": "event_read", "purpose": "events"},
        {"permission": "customer_read", "purpose": "customers"},
    ],
}


def call(sandbox, method: str, path: str, key: str, *, account: str | None = None,
         **kwargs: Any) -> httpx.Response:  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}
    if account is not None:
        headers["Stripe-Account"] = account
    return httpx.request(method, sandbox.base + path, headers=headers, **kwargs)


def merchant(sandbox) -> tuple[str, str]:
    created = sandbox.post("/_sandbox/accounts", {})
    return created["id"], created["keys"]["test"]


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_only_the_account_itself_installs_or_uninstalls_apps_on_it(sandbox):
    platform_app = sandbox.post("/_sandbox/apps", {"manifest": APP})
    a, a_key = merchant(sandbox)
    _, b_key = merchant(sandbox)
    b_app = sandbox.post(
        "/_sandbox/apps", {"manifest": {**APP, "id": "com.example.b-app"}}, key=b_key
    )
    for app, key in [(b_app, b_key), (platform_app, b_key), (platform_app, sandbox.key)]:
        refused = call(sandbox, "POST", f"/_sandbox/apps/{app['id']}/installs", key,
                       json={"account": a})  # fmt: skip
        assert refused.status_code == 403, refused.text
        assert (
            a in error_of(refused)["message"] and "own secret key" in error_of(refused)["message"]
        )
    # Nothing was installed: B's key still cannot act on A.
    assert call(sandbox, "GET", "/v1/customers", b_key, account=a).status_code == 403
    assert call(sandbox, "GET", "/v1/events", b_key, account=a).status_code == 403
    assert sandbox.get(f"/_sandbox/apps/{b_app['id']}", key=b_key)["installs"] == []

    installed = call(sandbox, "POST", f"/_sandbox/apps/{platform_app['id']}/installs", a_key,
                     json={"account": a})  # fmt: skip
    assert installed.status_code == 200 and installed.json()["account"] == a
    for key in (b_key, sandbox.key):
        refused = call(sandbox, "DELETE", f"/_sandbox/apps/{platform_app['id']}/installs/{a}", key)
        assert refused.status_code == 403, refused.text
    assert sandbox.get(f"/_sandbox/apps/{platform_app['id']}")["installs"][0]["active"] is True
    gone = call(sandbox, "DELETE", f"/_sandbox/apps/{platform_app['id']}/installs/{a}", a_key)
    assert gone.status_code == 200 and gone.json()["active"] is False


def test_a_trigger_acts_only_where_its_caller_may(sandbox, receiver):
    handler, url = receiver
    a, a_key = merchant(sandbox)
    _, b_key = merchant(sandbox)
    a_endpoint = sandbox.client(a_key).v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"]}
    )
    forged = call(sandbox, "POST", "/_sandbox/trigger", b_key, account=a,
                  json={"event": "customer.created"})  # fmt: skip
    assert forged.status_code == 403, forged.text
    assert sandbox.get("/v1/events", key=a_key)["data"] == []
    unknown = call(sandbox, "POST", "/_sandbox/trigger", b_key, account="acct_nope",
                   json={"event": "customer.created"})  # fmt: skip
    assert unknown.status_code == 403  # as Stripe: no telling a stranger from a missing one
    assert unknown.json()["error"] == {
        **error_of(forged),
        "message": error_of(forged)["message"].replace(a, "acct_nope"),
    }

    # The account itself may.
    own = call(sandbox, "POST", "/_sandbox/trigger", a_key, json={"event": "customer.created"})
    assert own.status_code == 200, own.text
    wait_for(lambda: len(handler.received) == 1)
    assert sandbox.get(f"/_sandbox/events/{own.json()['events'][0]['id']}/deliveries",
                       key=a_key)["deliveries"][0]["endpoint"] == a_endpoint.id  # fmt: skip

    # Its platform may (a connected account the platform created).
    connected = sandbox.client().v1.accounts.create({"type": "custom"})
    by_platform = call(sandbox, "POST", "/_sandbox/trigger", sandbox.key, account=connected.id,
                       json={"event": "customer.created"})  # fmt: skip
    assert by_platform.status_code == 200, by_platform.text

    # An app installed on A may, within its permissions: read-only customers is not enough.
    app = sandbox.post("/_sandbox/apps", {"manifest": APP})
    sandbox.post(f"/_sandbox/apps/{app['id']}/installs", {"account": a}, key=a_key)
    read_only = call(sandbox, "POST", "/_sandbox/trigger", sandbox.key, account=a,
                     json={"event": "customer.created"})  # fmt: skip
    assert read_only.status_code == 403 and "customer_write" in error_of(read_only)["message"]
    writer = {**APP, "version": "2.0.0",
              "permissions": [*APP["permissions"], {"permission": "customer_write", "purpose": "w"}]}  # fmt: skip
    sandbox.post("/_sandbox/apps", {"manifest": writer})
    sandbox.post(f"/_sandbox/apps/{app['id']}/installs", {"account": a, "version": "2.0.0"},
                 key=a_key)  # fmt: skip
    as_app = call(sandbox, "POST", "/_sandbox/trigger", sandbox.key, account=a,
                  json={"event": "customer.created"})  # fmt: skip
    assert as_app.status_code == 200, as_app.text
    still_forged = call(sandbox, "POST", "/_sandbox/trigger", b_key, account=a,
                        json={"event": "customer.created"})  # fmt: skip
    assert still_forged.status_code == 403


def missing_alike(found: httpx.Response, missing: httpx.Response, real: str, fake: str) -> None:
    """The answer for an object the caller may not see is the one for an id that does not
    exist, but for the id itself."""
    assert found.status_code == missing.status_code == 404, (found.text, missing.text)
    assert found.json() == {
        "error": {**error_of(missing), "message": error_of(missing)["message"].replace(fake, real)}
    }
    assert error_of(found)["code"] == "resource_missing"


def test_reads_are_scoped_to_the_caller(sandbox, receiver):
    handler, url = receiver
    app = sandbox.post("/_sandbox/apps", {"manifest": APP})
    developer_endpoint = sandbox.client().v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"], "connect": True}
    )
    a, a_key = merchant(sandbox)
    _, b_key = merchant(sandbox)
    a_endpoint = sandbox.client(a_key).v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"]}
    )
    sandbox.post(f"/_sandbox/apps/{app['id']}/installs", {"account": a}, key=a_key)
    event = sandbox.post("/_sandbox/events", {"type": "customer.created",
                                              "object": {"id": "cus_a", "object": "customer"}},
                         key=a_key)  # fmt: skip
    wait_for(lambda: len(handler.received) == 3)  # authorized, then the event twice

    # Another platform's app, its permissions and installs.
    missing_alike(call(sandbox, "GET", f"/_sandbox/apps/{app['id']}", b_key),
                  call(sandbox, "GET", "/_sandbox/apps/ca_nope", b_key), app["id"], "ca_nope")  # fmt: skip
    assert sandbox.get(f"/_sandbox/apps/{app['id']}")["installs"][0]["account"] == a

    # Another account's deliveries and their answers.
    path = "/_sandbox/events/{}/deliveries"
    missing_alike(call(sandbox, "GET", path.format(event["id"]), b_key),
                  call(sandbox, "GET", path.format("evt_nope"), b_key), event["id"], "evt_nope")  # fmt: skip
    own = sandbox.get(path.format(event["id"]), key=a_key)
    assert [d["endpoint"] for d in own["deliveries"]] == [a_endpoint.id]  # not the app's
    as_app = call(sandbox, "GET", path.format(event["id"]), sandbox.key, account=a).json()
    assert [d["endpoint"] for d in as_app["deliveries"]] == [developer_endpoint.id]
    assert as_app["deliveries"][0]["attempts_log"][0]["status_code"] == 200

    # Whether another account's event id exists.
    for cursor in ("starting_after", "ending_before"):
        missing_alike(
            call(sandbox, "GET", "/v1/events", b_key, params={cursor: event["id"]}),
            call(sandbox, "GET", "/v1/events", b_key, params={cursor: "evt_nope"}),
            event["id"], "evt_nope",
        )  # fmt: skip
        assert (
            call(sandbox, "GET", "/v1/events", a_key, params={cursor: event["id"]}).status_code
            == 200
        )

    # Nor by resending it to an endpoint of one's own.
    b_endpoint = sandbox.client(b_key).v1.webhook_endpoints.create(
        {"url": url, "enabled_events": ["*"]}
    )
    resend = "/v1/events/{}/retry"
    missing_alike(
        call(sandbox, "POST", resend.format(event["id"]), b_key, data={"webhook_endpoint": b_endpoint.id}),
        call(sandbox, "POST", resend.format("evt_nope"), b_key, data={"webhook_endpoint": b_endpoint.id}),
        event["id"], "evt_nope",
    )  # fmt: skip


def test_whether_an_account_exists_is_not_told_to_strangers(sandbox):
    a, _ = merchant(sandbox)
    _, b_key = merchant(sandbox)
    for path in ("/v1/accounts/{}",):
        missing_alike(call(sandbox, "GET", path.format(a), b_key),
                      call(sandbox, "GET", path.format("acct_nope"), b_key), a, "acct_nope")  # fmt: skip
    as_stranger = call(sandbox, "GET", "/v1/customers", b_key, account=a)
    as_missing = call(sandbox, "GET", "/v1/customers", b_key, account="acct_nope")
    assert as_stranger.status_code == as_missing.status_code == 403
    assert error_of(as_stranger) == {
        **error_of(as_missing),
        "message": error_of(as_missing)["message"].replace("acct_nope", a),
    }
    assert "does not have access to account" in error_of(as_missing)["message"]
