"""The state's in-memory caches stay what the database says: every write path that
changes a cached row updates or drops it, and a rollback drops everything. Each test
reads through the cache first (so it holds the old state), writes, and reads again."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from appevents.sandbox.callers import Caller
from appevents.sandbox.service import Sandbox
from appevents.sandbox.state import accounts, apps, endpoints
from appevents.sandbox.state.db import connect
from appevents.sandbox.stripe_errors import AuthenticationFailed, ResourceMissing

MANIFEST: dict[str, Any] = {
    "id": "com.example.cache",
    "version": "1.0.0",
    "name": "Cache",
    "permissions": [{"permission": "event_read", "purpose": "p"}],
}


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(connect(":memory:"))


def routed(sandbox: Sandbox, account: str, event_type: str = "customer.created") -> dict[str, str]:
    """Endpoint id -> "route" or the reason it is withheld, for a new event on ``account``."""
    event = sandbox.emit(account, False, event_type, {"id": "cus_1", "object": "customer"})
    rows = sandbox.db.execute(
        "SELECT endpoint, 'route' FROM deliveries WHERE event = ?"
        " UNION ALL SELECT endpoint, reason FROM withheld WHERE event = ?",
        (event["id"], event["id"]),
    )
    return dict(rows.fetchall())


@pytest.fixture
def connect_setup(sandbox: Sandbox) -> tuple[str, str, str]:
    """A platform with an app (event_read only) and a Connect endpoint; a merchant that
    installed the app. Returns (app id, endpoint id, merchant id)."""
    platform = sandbox.platform()
    sandbox.platform_id = platform["id"]  # type: ignore[attr-defined]
    app = sandbox.register_app(platform["id"], MANIFEST)
    caller = Caller(platform["id"], platform["id"], False)
    endpoint = sandbox.create_endpoint(
        caller, {"url": "http://127.0.0.1:9/w", "enabled_events": ["*"], "connect": "true"}
    )
    merchant = sandbox.create_standalone_account({})
    sandbox.install(app["id"], merchant["id"], mode="test")
    return app["id"], endpoint["id"], merchant["id"]


def test_permissions_of_a_new_version_and_the_install_upgrade_change_routing(
    sandbox, connect_setup
):
    app_id, endpoint_id, merchant = connect_setup
    assert routed(sandbox, merchant) == {endpoint_id: "missing_permission"}
    upgraded = {**MANIFEST, "version": "2.0.0",
                "permissions": [*MANIFEST["permissions"], {"permission": "customer_read", "purpose": "p"}]}  # fmt: skip
    sandbox.register_app(sandbox.platform_id, upgraded)
    assert routed(sandbox, merchant) == {endpoint_id: "missing_permission"}  # not upgraded yet
    sandbox.install(app_id, merchant, mode="test", version="2.0.0")
    assert routed(sandbox, merchant) == {endpoint_id: "route"}
    # A version registered again with other permissions replaces them.
    sandbox.register_app(sandbox.platform_id, {**upgraded, "permissions": MANIFEST["permissions"]})
    assert apps.permissions_of(sandbox.db, app_id, "2.0.0") == {"event_read"}
    assert routed(sandbox, merchant) == {endpoint_id: "missing_permission"}


def test_uninstall_and_install_change_routing_and_get_install(sandbox, connect_setup):
    app_id, endpoint_id, merchant = connect_setup
    sandbox.register_app(sandbox.platform_id, {**MANIFEST, "version": "2.0.0",
        "permissions": [*MANIFEST["permissions"], {"permission": "customer_read", "purpose": "p"}]})  # fmt: skip
    sandbox.install(app_id, merchant, mode="test", version="2.0.0")
    assert routed(sandbox, merchant) == {endpoint_id: "route"}
    sandbox.uninstall(app_id, merchant)
    assert apps.get_install(sandbox.db, merchant, app_id).active is False  # type: ignore[union-attr]
    assert routed(sandbox, merchant) == {endpoint_id: "not_installed"}
    sandbox.install(app_id, merchant, mode="live")
    assert routed(sandbox, merchant) == {endpoint_id: "install_mode"}


def test_endpoint_updates_disables_and_deletes_are_seen(sandbox, connect_setup):
    app_id, endpoint_id, merchant = connect_setup
    caller = Caller(sandbox.platform_id, sandbox.platform_id, False)
    customers = {"permission": "customer_read", "purpose": "p"}
    sandbox.register_app(sandbox.platform_id, {**MANIFEST, "version": "2.0.0",
                         "permissions": [*MANIFEST["permissions"], customers]})  # fmt: skip
    sandbox.install(app_id, merchant, mode="test", version="2.0.0")
    assert routed(sandbox, merchant) == {endpoint_id: "route"}
    assert endpoints.get_endpoint(sandbox.db, endpoint_id).url == "http://127.0.0.1:9/w"
    sandbox.update_endpoint(caller, endpoint_id, {"url": "http://127.0.0.1:10/new"})
    assert endpoints.get_endpoint(sandbox.db, endpoint_id).url == "http://127.0.0.1:10/new"
    assert endpoints.live_endpoints(sandbox.db)[endpoint_id].url == "http://127.0.0.1:10/new"
    sandbox.update_endpoint(caller, endpoint_id, {"enabled_events": ["charge.failed"]})
    assert routed(sandbox, merchant, "customer.created") == {endpoint_id: "event_not_selected"}
    sandbox.update_endpoint(caller, endpoint_id, {"disabled": "true"})
    assert routed(sandbox, merchant, "charge.failed") == {endpoint_id: "endpoint_disabled"}
    endpoints.set_failure_streak(sandbox.db, endpoint_id, 12.5, disable=False)
    assert endpoints.get_endpoint(sandbox.db, endpoint_id).failing_since == 12.5
    sandbox.delete_endpoint(caller, endpoint_id)
    with pytest.raises(ResourceMissing):
        endpoints.get_endpoint(sandbox.db, endpoint_id)
    assert routed(sandbox, merchant, "charge.failed") == {}
    assert endpoints.endpoints_for_event(sandbox.db, merchant) == []


def test_the_engine_disabling_an_endpoint_is_seen(sandbox, connect_setup):
    _, endpoint_id, merchant = connect_setup
    endpoints.endpoints_for_event(sandbox.db, merchant)
    with sandbox.transaction() as db:
        endpoints.set_failure_streak(db, endpoint_id, 1.0, disable=True)
    assert endpoints.get_endpoint(sandbox.db, endpoint_id).status == "disabled"
    assert [e.status for e in endpoints.endpoints_for_event(sandbox.db, merchant)] == ["disabled"]


def test_new_accounts_keys_and_apps_are_found(sandbox):
    with pytest.raises(AuthenticationFailed):
        accounts.key_owner(sandbox.db, "sk_test_later")
    created = sandbox.create_standalone_account({})
    key = created["keys"]["test"]
    assert accounts.key_owner(sandbox.db, key).account == created["id"]
    assert accounts.platform_of(sandbox.db, created["id"]) is None
    connected = sandbox.create_account(created["id"], {})
    assert accounts.platform_of(sandbox.db, connected["id"]) == created["id"]
    with pytest.raises(ResourceMissing):
        apps.get_app(sandbox.db, MANIFEST["id"])
    app = sandbox.register_app(created["id"], MANIFEST)
    assert apps.get_app(sandbox.db, MANIFEST["id"]).id == app["id"]


def test_a_rolled_back_transaction_leaves_no_trace_in_the_caches(sandbox, connect_setup):
    app_id, endpoint_id, merchant = connect_setup
    before = apps.list_installs(sandbox.db, account=merchant)
    with pytest.raises(RuntimeError), sandbox.transaction() as db:
        apps.save_install(db, before[0].__class__(merchant, app_id, "live", "1.0.0", False, 1, 2))
        assert apps.list_installs(db, account=merchant)[0].mode == "live"  # cached inside
        endpoints.delete_endpoint(db, endpoint_id)
        raise RuntimeError("undo")
    assert apps.list_installs(sandbox.db, account=merchant) == before
    assert endpoints.get_endpoint(sandbox.db, endpoint_id).id == endpoint_id


def test_failed_calls_of_a_group_leave_no_trace_in_the_caches(sandbox, connect_setup):
    app_id, _, merchant = connect_setup
    before = apps.list_installs(sandbox.db, account=merchant)

    def uninstall_then_fail() -> None:
        sandbox.uninstall(app_id, merchant)
        raise RuntimeError("undo")

    outcomes = sandbox.db.run_group(iter([uninstall_then_fail, lambda: "fine"]))
    assert [ok for ok, _ in outcomes] == [False, True]
    assert apps.list_installs(sandbox.db, account=merchant) == before


def test_state_functions_work_on_a_plain_connection(tmp_path, sandbox):
    path = tmp_path / "s.db"
    connect(path).close()  # creates the schema
    plain = sqlite3.connect(path)
    plain.row_factory = sqlite3.Row
    assert endpoints.endpoints_for_event(plain, "acct_x") == []
    assert apps.list_installs(plain, account="acct_x") == []
    assert accounts.platform_of(plain, "acct_x") is None


def test_the_platform_stays_the_first_account_when_others_are_made_in_the_same_second():
    sandbox = Sandbox(connect(":memory:"), clock=lambda: 1_700_000_000.0)
    platform = sandbox.platform()
    for _ in range(5):
        sandbox.create_standalone_account({})
    assert sandbox.platform()["id"] == platform["id"]
