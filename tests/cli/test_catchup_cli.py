"""``appevents catchup``: against the sandbox, what it prints and stores; its refusals."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import pytest
from click.testing import CliRunner

from appevents.cli.main import cli
from servers import free_port, poll_until, serve_process

MANIFEST = {
    "id": "com.example.catchupcli",
    "version": "1.0.0",
    "name": "Catch-up CLI",
    "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "events"},
        {"permission": "payment_intent_read", "purpose": "payments"},
    ],
}


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env or {}, catch_exceptions=False)


@pytest.mark.parametrize(
    ("since", "says"),
    [
        ("yesterday", "is not a date (2026-11-01), an RFC 3339 time"),
        ("2026-13-01", "is not a date (2026-11-01), an RFC 3339 time"),
        (
            "3x",
            "is not a date (2026-11-01), an RFC 3339 time (2026-11-01T12:00:00Z) or a duration ago (3d, 12h, 90m, 45s, 2w)",
        ),
        ("2026-11-01T10:00:00", "has no time zone: add one (2026-11-01T12:00:00Z"),
        ("2999-01-01", "is in the future (2999-01-01T00:00:00Z, now is"),
    ],
)
def test_a_bad_since_is_refused_with_what_would_do(tmp_path, since, says):
    result = invoke("catchup", "--since", since, "--store", f"sqlite:///{tmp_path}/i.db",
                    "--api-key", "sk_test_x")  # fmt: skip
    assert result.exit_code == 2
    assert f"\nError: --since {since!r} {says}" in result.output
    assert not (tmp_path / "i.db").exists()


def test_where_to_start_and_the_key_are_required(tmp_path):
    store = f"sqlite:///{tmp_path}/i.db"
    nowhere = invoke("catchup", "--store", store, "--api-key", "sk_test_x")
    assert nowhere.exit_code == 2
    assert "say where to start: --since WHEN (such as 3d) or --since-last" in nowhere.output
    keyless = invoke("catchup", "--since", "3d", "--store", store)
    assert keyless.exit_code == 2
    assert "pass --api-key sk_… or set APPEVENTS_API_KEY" in keyless.output


def test_catchup_inserts_what_stripe_kept_then_since_last_finds_nothing_new(sandbox, tmp_path):
    app_id = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})["id"]
    merchant = sandbox.post("/_sandbox/accounts", {})
    key = merchant["keys"]["test"]
    sandbox.post(f"/_sandbox/apps/{app_id}/installs", {"account": merchant["id"],
                 "mode": "test"}, key=key)  # fmt: skip
    paid = sandbox.post("/_sandbox/events", {"type": "payment_intent.succeeded",
                        "object": {"id": "pi_cli", "object": "payment_intent"}}, key=key)  # fmt: skip
    own = sandbox.post("/_sandbox/events", {"type": "customer.created",
                       "object": {"id": "cus_cli", "object": "customer"}})  # fmt: skip
    store = f"sqlite:///{tmp_path}/inbox.db"
    env = {"APPEVENTS_API_KEY": sandbox.key, "APPEVENTS_API_BASE": sandbox.base}

    first = invoke("catchup", "--since", "40d", "--store", store, "--account", "platform",
                   "--account", merchant["id"], env=env)  # fmt: skip
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0].startswith("note: --since 40d is ")
    assert "Stripe keeps events 30 days: listing from" in lines[0]
    assert lines[1].startswith("catchup: platform: from ")  # plain lines: not a terminal
    assert any(
        line.startswith("platform: 1 listed, 1 new, 0 already in the inbox (") for line in lines
    )
    assert any(line.startswith(f"{merchant['id']}: 2 listed, 2 new, 0 already") for line in lines)
    assert lines[-1] == (
        "3 event(s) inserted from 2 account(s) in 2 request(s); the worker processes them in "
        "each account's order"
    )

    listed = json.loads(invoke("inbox", "list", "--store", store, "--format", "json").output)
    assert {(e["id"], e["account"], e["source"]) for e in listed} >= {
        (paid["id"], merchant["id"], "catchup"),
        (own["id"], None, "catchup"),
    }
    shown = invoke("inbox", "show", paid["id"], "--store", store).output.splitlines()
    assert "source: catchup" in shown and f"account: {merchant['id']}" in shown
    table = invoke("inbox", "list", "--store", store).output
    assert "source" in table and "catchup" in table

    again = invoke("catchup", "--since-last", "--store", store, "--account", "platform",
                   "--account", merchant["id"], env=env)  # fmt: skip
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "0 event(s) inserted from 2 account(s) in 2 request(s)"
    assert "platform: 1 listed, 0 new, 1 already in the inbox" in again.output


def test_a_refused_account_fails_the_run_and_says_why(sandbox, tmp_path):
    stranger = sandbox.post("/_sandbox/accounts", {})
    result = invoke("catchup", "--since", "1d", "--store", f"sqlite:///{tmp_path}/i.db",
                    "--account", stranger["id"], "--api-key", sandbox.key,
                    "--api-base", sandbox.base)  # fmt: skip
    assert result.exit_code == 1
    assert f"{stranger['id']}: failed: GET {sandbox.base}/v1/events for account " in result.output
    assert "answered 403" in result.output and "is the app still installed there" in result.output


APP_MODULE = """
from appevents import App

app = App(store="sqlite:///inbox.db")


@app.on_setup
def tables(db):
    db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY)")


@app.on("customer.created")
def seen(event, ctx):
    ctx.transaction.execute("INSERT INTO seen VALUES (?)", (event.id,))
"""


def test_serve_catchup_on_start_inserts_and_processes_what_came_after_the_newest_stored(
    sandbox, tmp_path
):
    def customer(n):
        return sandbox.post("/_sandbox/events", {"type": "customer.created",
                            "object": {"id": f"cus_s{n}", "object": "customer"}})["id"]  # fmt: skip

    stored = customer(1)
    (tmp_path / "catchup_app.py").write_text(APP_MODULE)
    # The receiver had stored the first event; the next two never reached it.
    body = sandbox.get(f"/v1/events/{stored}")
    raw = json.dumps(body).encode()

    async def store_first():
        from appevents import Event
        from appevents.receiver import SQLiteStore

        async with SQLiteStore(tmp_path / "inbox.db") as store:
            await store.insert_events([Event.parse(raw)], time.time())

    asyncio.run(store_first())
    missed = [customer(2), customer(3)]
    port = free_port()
    args = ["catchup_app:app", "--secret", "whsec_test", "--catchup-on-start",
            "--api-key", sandbox.key, "--api-base", sandbox.base]  # fmt: skip
    with serve_process(args, cwd=tmp_path, port=port):

        def processed():
            with sqlite3.connect(tmp_path / "inbox.db") as db:
                return sorted(i for (i,) in db.execute("SELECT id FROM seen"))

        poll_until(lambda: len(processed()) == 3, what="the caught-up events processed")
    with sqlite3.connect(tmp_path / "inbox.db") as db:
        sources = dict(db.execute("SELECT id, source FROM inbox"))
    assert sources == {stored: "delivered", **dict.fromkeys(missed, "catchup")}
    assert processed() == sorted([stored, *missed])


def test_serve_catchup_on_start_needs_a_key(tmp_path):
    (tmp_path / "catchup_app.py").write_text(APP_MODULE)
    result = CliRunner().invoke(
        cli,
        ["serve", "catchup_app:app", "--app-dir", str(tmp_path), "--secret", "whsec_test",
         "--catchup-on-start", "--store", f"sqlite:///{tmp_path}/i.db", "--port", "0"],
        env={"APPEVENTS_API_KEY": ""},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--catchup-on-start lists events with the platform's secret key" in result.output
