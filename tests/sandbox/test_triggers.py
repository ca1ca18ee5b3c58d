"""``appevents trigger``: a fixture's API calls run in-process as the caller, emitting what
the same calls emit over HTTP; the app events install and uninstall the caller's app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from appevents.sandbox import triggers
from appevents.sandbox.api import operations
from appevents.sandbox.api_calls import ApiCalls
from appevents.sandbox.callers import Caller
from appevents.sandbox.fixtures.runner import StepFailed
from appevents.sandbox.listen import ListenHub
from appevents.sandbox.service import Sandbox
from appevents.sandbox.state import apps
from appevents.sandbox.state.db import connect
from appevents.sandbox.stripe_errors import InvalidRequest

MANIFEST = {
    "id": "com.example.listener",
    "version": "1.0.0",
    "name": "Listener",
    "permissions": [{"permission": "event_read", "purpose": "events"}],
}


@dataclass
class World:
    sandbox: Sandbox
    calls: ApiCalls
    platform: dict[str, Any]
    caller: Caller

    def run(self, name: str, caller: Caller | None = None, **options: Any):
        return triggers.run(self.sandbox, self.calls, caller or self.caller, name, **options)

    def merchant(self) -> tuple[dict[str, Any], Caller]:
        """A merchant account of its own, and it acting as itself."""
        merchant = self.sandbox.create_standalone_account({})
        return merchant, self.sandbox.caller(merchant["keys"]["test"], None)

    def register(self, manifest_id: str = "com.example.listener", **manifest: Any):
        return self.sandbox.register_app(
            self.platform["id"], {**MANIFEST, "id": manifest_id, **manifest}
        )


@pytest.fixture
def world() -> World:
    sandbox = Sandbox(connect(":memory:"))
    calls = ApiCalls(sandbox)
    calls.install(operations(sandbox, ListenHub(), calls))
    platform = sandbox.platform()
    return World(sandbox, calls, platform, sandbox.caller(platform["keys"]["test"], None))


def types(result) -> list[str]:
    return [event["type"] for event in result.events]


def test_a_trigger_is_its_fixtures_calls_with_the_stripe_cli_lines(world):
    result = world.run("payment_intent.succeeded", override=["payment_intent:amount=5000"])
    assert types(result) == ["payment_intent.created", "charge.succeeded",
                             "payment_intent.succeeded"]  # fmt: skip
    assert result.steps_run == ["payment_intent"]
    assert result.lines == [
        "Setting up fixture for: payment_intent",
        "Running fixture for: payment_intent",
        "Trigger succeeded! Check dashboard for event details.",
    ]
    intent = result.answers["payment_intent"]
    assert intent["amount"] == 5000 and intent["status"] == "succeeded"
    # The objects are the API's: a GET answers what the events carried.
    path = f"/v1/payment_intents/{intent['id']}"
    status, fetched = world.calls.call_as(world.caller, "GET", path, {})
    assert status == 200 and fetched["latest_charge"] == intent["latest_charge"]


def test_unknown_trigger_names_the_closest(world):
    with pytest.raises(InvalidRequest) as raised:
        world.run("payment_intent.succeded")
    assert "Unknown trigger 'payment_intent.succeded'" in raised.value.message
    assert "payment_intent.succeeded" in raised.value.message and raised.value.param == "event"


def test_a_connected_account_gets_the_events_and_live_mode_is_live(world):
    account = world.sandbox.create_account(world.platform["id"], {})
    connected = world.sandbox.caller(world.platform["keys"]["test"], account["id"])
    assert {e["account"] for e in world.run("customer.created", connected).events} == {
        account["id"]
    }
    live = world.sandbox.caller(world.platform["keys"]["live"], None)
    (event,) = world.run("customer.created", live).events
    assert event["livemode"] is True and event["data"]["object"]["livemode"] is True


def test_an_app_without_the_write_permission_is_refused_naming_the_fix(world):
    merchant, _ = world.merchant()
    app = world.register("com.example.reader", permissions=[
        {"permission": "event_read", "purpose": "x"},
        {"permission": "customer_read", "purpose": "x"}])  # fmt: skip
    world.sandbox.install(app["id"], merchant["id"], mode="test")
    as_app = world.sandbox.caller(world.platform["keys"]["test"], merchant["id"])
    with pytest.raises(StepFailed) as raised:
        world.run("customer.created", as_app)
    assert raised.value.status == 403 and raised.value.code == "permission_missing"
    assert (
        '`appevents apps grant permission customer_write "PURPOSE" && appevents apps upgrade '
        f"--account {merchant['id']}`" in raised.value.message
    )
    assert (
        world.sandbox.db.execute(
            "SELECT COUNT(*) FROM events WHERE type = 'customer.created'"
        ).fetchone()[0]
        == 0
    )


def test_authorized_installs_the_app_the_account_names_or_the_only_one(world):
    app = world.register()
    merchant, itself = world.merchant()
    result = world.run("account.application.authorized", itself, app="com.example.listener")
    (event,) = result.events
    assert event["type"] == "account.application.authorized"
    assert event["data"]["object"] == {"id": app["id"], "object": "application", "name": "Listener"}
    assert event["account"] == merchant["id"] and event["livemode"] is False
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and install.active and install.mode == "test"
    assert result.steps_run == ["account", "install"] and result.note == ""


def test_authorized_again_keeps_the_install_mode_and_says_so(world):
    app = world.register()
    merchant, itself = world.merchant()
    world.sandbox.install(app["id"], merchant["id"], mode="sandbox")
    world.register(version="2.0.0")
    result = world.run("account.application.authorized", itself, app=app["id"])
    assert types(result) == ["account.application.authorized"]
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and install.version == "2.0.0" and install.mode == "sandbox"
    assert "already installed" in result.note


def test_override_chooses_the_install_mode(world):
    app = world.register()
    merchant, itself = world.merchant()
    world.run("account.application.authorized", itself, app=app["id"],
              override=["install:mode=live+test"])  # fmt: skip
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and install.mode == "live+test"


def test_deauthorized_uninstalls_an_install_and_only_that(world):
    app = world.register()
    merchant, itself = world.merchant()
    world.sandbox.install(app["id"], merchant["id"], mode="test")
    result = world.run("account.application.deauthorized", itself, app=app["id"])
    assert types(result) == ["account.application.deauthorized"]
    assert result.steps_run == ["account", "uninstall"]
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and not install.active


def test_deauthorized_where_not_installed_installs_first_and_says_so(world):
    app = world.register()
    _, itself = world.merchant()
    result = world.run("account.application.deauthorized", itself, app=app["id"])
    assert types(result) == ["account.application.authorized", "account.application.deauthorized"]
    assert "was not installed" in result.note


def test_installing_is_the_accounts_own_doing(world):
    world.register()
    merchant, _ = world.merchant()
    as_developer = Caller(world.platform["id"], merchant["id"], False)
    with pytest.raises(StepFailed) as raised:
        world.run("account.application.authorized", as_developer)
    assert f"Only account {merchant['id']} itself may install apps on it" in raised.value.message


def test_several_apps_need_app_and_none_says_to_register_one(world):
    merchant, itself = world.merchant()
    with pytest.raises(InvalidRequest, match="owns no app"):
        world.run("account.application.authorized", world.caller)
    world.register()
    second = world.register("com.example.other")
    with pytest.raises(InvalidRequest) as raised:
        world.run("account.application.authorized", world.caller)
    assert "pass --app with one of" in raised.value.message and raised.value.param == "app"
    world.run("account.application.authorized", itself, app="com.example.other")
    assert apps.get_install(world.sandbox.db, merchant["id"], second["id"]) is not None
    with pytest.raises(InvalidRequest, match="owns no such app"):
        world.run("account.application.authorized", world.caller, app="ca_nope")


def test_skipping_a_step_is_checked_against_the_fixture(world):
    app = world.register()
    _, itself = world.merchant()
    result = world.run("account.application.authorized", itself, app=app["id"], skip=["install"])
    assert result.events == [] and result.steps_run == ["account"]
    with pytest.raises(InvalidRequest) as raised:
        world.run("account.application.authorized", itself, app=app["id"], skip=["authorize"])
    assert "authorize" in raised.value.message
