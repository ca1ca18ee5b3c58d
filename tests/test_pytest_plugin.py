"""The pytest plugin, as an app's own test suite uses it: run by pytest's ``pytester``."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from cli_results import run

pytest_plugins = ["pytester"]

MANIFEST = {
    "id": "com.example.pluginshop",
    "version": "1.0.0",
    "name": "Plugin shop",
    "icon": "",
    "permissions": [
        {"permission": p, "purpose": "tests"}
        for p in ("event_read", "customer_read", "payment_intent_read", "charge_read")
    ],
}

APP = """
import sqlite3
from appevents import App

app = App()

@app.on_setup
def tables(db):
    db.execute("CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, account TEXT,"
               " amount INTEGER, customer_email TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS installs (account TEXT PRIMARY KEY)")

@app.on_install
def installed(event, ctx):
    ctx.transaction.execute("INSERT OR IGNORE INTO installs VALUES (?)", (ctx.account,))

@app.on("payment_intent.succeeded")
def paid(event, ctx):
    pi = event.object
    email = None
    if pi.get("customer"):
        email = ctx.stripe.v1.customers.retrieve(pi["customer"]).email
    ctx.transaction.execute("INSERT INTO payments VALUES (?, ?, ?, ?)",
                            (pi["id"], ctx.account, pi["amount"], email))

@app.on("customer.deleted")
def broken(event, ctx):
    raise RuntimeError("this handler always fails")
"""

TESTS = """
import sqlite3
import httpx
import pytest

from cli_results import run
from shop import app
from appevents import verify_ui_request

def rows(receiver, sql):
    with sqlite3.connect(receiver.app.store.path) as db:
        return db.execute(sql).fetchall()

def test_install_and_a_payment(appevents_sandbox, appevents_receiver):
    receiver = appevents_receiver(app)
    merchant = appevents_sandbox.install("stripe-app.json")
    events = appevents_sandbox.trigger("payment_intent.succeeded", account=merchant)
    assert "payment_intent.succeeded" in [e.type for e in events]
    receiver.wait_for(events)
    assert rows(receiver, "SELECT account FROM installs") == [(merchant.id,)]
    ((pi_id, account, amount, email),) = rows(receiver, "SELECT * FROM payments")
    assert account == merchant.id and amount > 0 and pi_id.startswith("pi_")

def test_the_platforms_own_events(appevents_sandbox, appevents_receiver):
    receiver = appevents_receiver(app)
    events = appevents_sandbox.trigger("payment_intent.succeeded")
    receiver.wait_processed(events)
    assert rows(receiver, "SELECT account FROM payments") == [(None,)]

def test_a_failing_handler_is_reported(appevents_sandbox, appevents_receiver):
    receiver = appevents_receiver(app)
    merchant = appevents_sandbox.install("stripe-app.json")
    events = appevents_sandbox.trigger("customer.deleted", account=merchant)
    with pytest.raises(AssertionError, match="this handler always fails"):
        receiver.wait_for(events)

def test_a_ui_extension_call(appevents_sandbox):
    merchant = appevents_sandbox.install("stripe-app.json")
    call = appevents_sandbox.ui_request("stripe-app.json", merchant, payload={"page": 2})
    secret = appevents_sandbox.register("stripe-app.json")["signing_secret"]
    caller = verify_ui_request(call["body"], call["headers"], secret)
    assert caller.account_id == merchant.id and caller.payload["page"] == 2
"""


@pytest.fixture
def shop(pytester):
    pytester.makepyfile(shop=APP, test_shop=TESTS)
    (pytester.path / "stripe-app.json").write_text(json.dumps(MANIFEST))
    pytester.syspathinsert()
    return pytester


def test_an_apps_suite_runs_against_the_sandbox_with_the_plugins_fixtures(shop):
    result = shop.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)


def test_a_fresh_pytest_loads_the_plugin_from_its_entry_point(shop):
    # A new interpreter, as a user's: only the installed entry point can bring the fixtures.
    result = shop.runpytest_subprocess("--fixtures", "-q")
    result.stdout.fnmatch_lines(["*appevents_sandbox*", "*appevents_receiver*"])


def test_a_withheld_event_says_why_it_never_comes(pytester):
    narrow = {**MANIFEST, "permissions": [{"permission": "event_read", "purpose": "tests"}]}
    (pytester.path / "stripe-app.json").write_text(json.dumps(narrow))
    pytester.makepyfile(
        test_narrow=textwrap.dedent(
            """
            import pytest
            from appevents import App

            def test_withheld(appevents_sandbox, appevents_receiver):
                receiver = appevents_receiver(App())
                merchant = appevents_sandbox.install("stripe-app.json")
                (created,) = [e for e in appevents_sandbox.trigger(
                    "customer.created", account=merchant) if e.type == "customer.created"]
                with pytest.raises(AssertionError, match="customer_read"):
                    receiver.wait_for(created.id)
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_the_example_apps_own_tests_pass(pytester):
    examples = Path(__file__).resolve().parents[1] / "examples"
    for name in ("payments_app.py", "stripe-app.json", "test_payments_app.py"):
        (pytester.path / name).write_text((examples / name).read_text())
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "test_payments_app.py")
    result.assert_outcomes(passed=2)


def test_the_readmes_pytest_example_passes(pytester):
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```python\n(from payments_app import app\n.*?)```", readme, re.DOTALL)
    assert found, "README.md has no pytest example starting with 'from payments_app import app'"
    for name in ("payments_app.py", "stripe-app.json"):
        (pytester.path / name).write_text((root / "examples" / name).read_text())
    pytester.makepyfile(test_readme_example=found.group(1))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_an_install_and_an_uninstall_are_seconds_apart(appevents_sandbox):
    # Events carry whole seconds: a receiver could take a same-second uninstall as older.
    merchant = appevents_sandbox.install(MANIFEST)
    appevents_sandbox.uninstall(MANIFEST, merchant)
    client = appevents_sandbox.client(merchant.test_key)
    authorized, deauthorized = sorted(
        client.v1.events.list({"type": "account.application.*"}).data, key=lambda e: e.type
    )
    assert deauthorized.created >= authorized.created + 1


def test_the_cli_logged_in_to_the_sandbox_acts_as_its_accounts(
    appevents_sandbox, tmp_path, monkeypatch
):
    merchant = appevents_sandbox.create_account()
    for name, value in appevents_sandbox.cli_login(tmp_path / "cli").items():
        monkeypatch.setenv(name, value)
    (tmp_path / "stripe-app.json").write_text(json.dumps(MANIFEST))
    monkeypatch.chdir(tmp_path)
    assert run("accounts", "list").startswith("Connected accounts:\n  none")  # logged in
    assert run("apps", "install", "--account", merchant.id).startswith(
        "Installed com.example.pluginshop 1.0.0"
    )
    issued = json.loads(run("apps", "sign-ui-request", "--account", merchant.id, "--json"))
    assert issued["account_id"] == merchant.id
