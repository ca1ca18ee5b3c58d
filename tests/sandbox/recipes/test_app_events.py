"""account.application.authorized / deauthorized: the caller's app installed on, or removed
from, the target account."""

from __future__ import annotations

import pytest

from appevents.sandbox import recipes
from appevents.sandbox.callers import Caller
from appevents.sandbox.state import apps
from appevents.sandbox.stripe_errors import InvalidRequest

MANIFEST = {
    "id": "com.example.listener",
    "version": "1.0.0",
    "name": "Listener",
    "permissions": [{"permission": "event_read", "purpose": "events"}],
}


def register(world, manifest_id="com.example.listener"):
    return world.sandbox.register_app(world.platform["id"], {**MANIFEST, "id": manifest_id})


def target_caller(world, merchant):
    """The developer's app on the target account: the recipe's choice of app and its events
    (who may run it is the API's rule, tested in tests/sandbox/test_api_isolation.py)."""
    return Caller(world.platform["id"], merchant["id"], False)


def test_an_account_acting_as_itself_installs_the_app_it_names(world):
    app = register(world)
    merchant = world.sandbox.create_standalone_account({})
    itself = Caller(merchant["id"], merchant["id"], False)
    with pytest.raises(InvalidRequest, match="owns no app"):
        recipes.run(world.sandbox, itself, "account.application.authorized")
    for name in (app["id"], "com.example.listener"):
        (event,) = recipes.run(
            world.sandbox, itself, "account.application.authorized", app=name
        ).events
        assert event["data"]["object"]["id"] == app["id"]
        assert event["account"] == merchant["id"]


def test_authorized_installs_the_only_app_the_caller_owns(world):
    app = register(world)
    merchant = world.sandbox.create_standalone_account({})
    result = recipes.run(
        world.sandbox, target_caller(world, merchant), "account.application.authorized"
    )
    (event,) = result.events
    assert event["type"] == "account.application.authorized"
    assert event["data"]["object"] == {"id": app["id"], "object": "application", "name": "Listener"}
    assert event["account"] == merchant["id"] and event["livemode"] is False
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and install.active and install.mode == "test"
    assert result.steps_run == ["authorize"] and result.note == ""


def test_authorized_again_reauthorizes_keeping_the_mode(world):
    app = register(world)
    merchant = world.sandbox.create_standalone_account({})
    world.sandbox.install(app["id"], merchant["id"], mode="sandbox")
    world.sandbox.register_app(world.platform["id"], {**MANIFEST, "version": "2.0.0"})
    result = recipes.run(
        world.sandbox, target_caller(world, merchant), "account.application.authorized"
    )
    assert [e["type"] for e in result.events] == ["account.application.authorized"]
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and install.version == "2.0.0" and install.mode == "sandbox"
    assert "re-authorized" in result.note


def test_override_chooses_the_install_mode(world):
    app = register(world)
    merchant = world.sandbox.create_standalone_account({})
    recipes.run(world.sandbox, target_caller(world, merchant), "account.application.authorized",
                override=["authorize:mode=live+test"])  # fmt: skip
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and install.mode == "live+test"


def test_deauthorized_uninstalls(world):
    app = register(world)
    merchant = world.sandbox.create_standalone_account({})
    world.sandbox.install(app["id"], merchant["id"], mode="test")
    result = recipes.run(
        world.sandbox, target_caller(world, merchant), "account.application.deauthorized"
    )
    assert [e["type"] for e in result.events] == ["account.application.deauthorized"]
    install = apps.get_install(world.sandbox.db, merchant["id"], app["id"])
    assert install is not None and not install.active


def test_deauthorized_where_not_installed_is_a_clear_error(world):
    register(world)
    merchant = world.sandbox.create_standalone_account({})
    with pytest.raises(InvalidRequest) as raised:
        recipes.run(
            world.sandbox, target_caller(world, merchant), "account.application.deauthorized"
        )
    assert "is not installed on" in raised.value.message
    assert f"appevents apps install --account {merchant['id']}" in raised.value.message


def test_deauthorized_on_its_own_sets_up_an_install_on_a_new_account(world):
    """As the Stripe CLI's fixture does (it creates the account it removes)."""
    app = register(world)
    result = recipes.run(world.sandbox, world.caller, "account.application.deauthorized")
    authorized, deauthorized = result.events
    assert [authorized["type"], deauthorized["type"]] == [
        "account.application.authorized",
        "account.application.deauthorized",
    ]
    account = authorized["account"]
    assert deauthorized["account"] == account and account != world.platform["id"]
    install = apps.get_install(world.sandbox.db, account, app["id"])
    assert install is not None and not install.active
    assert result.steps_run == ["account", "deauthorize"]
    assert result.lines[0] == f"Setting up fixture for: account ({account}, installing {app['id']})"
    assert f"made account {account} and installed it there" in result.note
    assert apps.get_install(world.sandbox.db, world.platform["id"], app["id"]) is None


def test_several_apps_need_app_and_app_picks_one(world):
    register(world)
    second = register(world, "com.example.other")
    merchant = world.sandbox.create_standalone_account({})
    caller = target_caller(world, merchant)
    with pytest.raises(InvalidRequest) as raised:
        recipes.run(world.sandbox, caller, "account.application.authorized")
    assert "pass --app with one of" in raised.value.message and raised.value.param == "app"
    recipes.run(world.sandbox, caller, "account.application.authorized", app="com.example.other")
    assert apps.get_install(world.sandbox.db, merchant["id"], second["id"]) is not None
    with pytest.raises(InvalidRequest) as raised:
        recipes.run(world.sandbox, caller, "account.application.authorized", app="ca_nope")
    assert "owns no such app" in raised.value.message


def test_no_app_at_all_says_to_register_one(world):
    merchant = world.sandbox.create_standalone_account({})
    with pytest.raises(InvalidRequest) as raised:
        recipes.run(world.sandbox, target_caller(world, merchant), "account.application.authorized")
    assert "owns no app" in raised.value.message


def test_skipping_the_step_emits_nothing_and_bad_steps_are_named(world):
    register(world)
    merchant = world.sandbox.create_standalone_account({})
    caller = target_caller(world, merchant)
    result = recipes.run(
        world.sandbox, caller, "account.application.authorized", skip=["authorize"]
    )
    assert result.events == [] and result.steps_run == []
    with pytest.raises(InvalidRequest) as raised:
        recipes.run(world.sandbox, caller, "account.application.authorized", skip=["install"])
    assert "its steps: authorize" in raised.value.message
