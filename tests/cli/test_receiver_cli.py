"""`appevents serve | worker | inbox | installations` as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from appevents import Event
from appevents.cli.main import cli
from appevents.receiver import App, RetryPolicy, SQLiteStore
from appevents.receiver.stores.sqlite.connection import SCHEMA_VERSION
from appevents.testing import make_event
from receiver.stores.sqlite.test_migrations import VERSION_1

NOW = time.time()


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def store_url(tmp_path):
    """A store with done, dead and uninstalled-account events, made by the real worker."""
    path = tmp_path / "inbox.db"
    app = App("whsec_x", store=SQLiteStore(path), retry=RetryPolicy(max_attempts=1))

    @app.on("invoice.*")
    def broken(event):
        raise RuntimeError("invoice handler is broken")

    async def fill():
        store = app.open_store()
        async with store:
            events = [
                make_event("account.application.authorized", account="acct_A", created=100,
                           event_id="evt_auth", object={"id": "ca_1", "name": "Demo"}),
                make_event("payment_intent.succeeded", account="acct_A", created=101,
                           event_id="evt_paid"),
                make_event("invoice.paid", account="acct_B", created=102, event_id="evt_inv"),
                make_event("customer.created", account="acct_C", created=103, event_id="evt_c1"),
                make_event("account.application.deauthorized", account="acct_C", created=104,
                           event_id="evt_bye"),
            ]  # fmt: skip
            await store.insert_events([Event.parse(b) for b in events], NOW)
            await app.worker(store).drain()

    asyncio.run(fill())
    return f"sqlite:///{path}"


def test_inbox_list_as_table_and_json_with_filters(store_url):
    table = run("inbox", "list", "--store", store_url)
    assert table.exit_code == 0
    for text in ("evt_paid", "acct_A", "dead", "invoice handler is broken", "(erased)"):
        assert text in table.output
    rows = json.loads(run("inbox", "list", "--store", store_url, "--format", "json").output)
    assert {r["id"]: r["status"] for r in rows} == {
        "evt_auth": "done", "evt_paid": "done", "evt_inv": "dead", "evt_c1": "done",
        "evt_bye": "done",
    }  # fmt: skip
    dead = json.loads(run("inbox", "list", "--store", store_url, "--status", "dead",
                          "--format", "json").output)  # fmt: skip
    assert [r["id"] for r in dead] == ["evt_inv"]
    only_a = run("inbox", "list", "--account", "acct_A", "--format", "json",
                 env={"APPEVENTS_STORE": store_url})  # fmt: skip
    assert sorted(r["id"] for r in json.loads(only_a.output)) == ["evt_auth", "evt_paid"]


def test_inbox_show_has_attempts_and_payload(store_url):
    shown = json.loads(
        run("inbox", "show", "evt_inv", "--store", store_url, "--format", "json").output
    )
    assert shown["status"] == "dead"
    assert [a["status"] for a in shown["attempts_log"]] == ["dead"]
    assert "invoice handler is broken" in shown["attempts_log"][0]["error"]
    assert shown["payload"]["id"] == "evt_inv"
    erased = run("inbox", "show", "evt_c1", "--store", store_url)
    assert "(payload erased)" in erased.output


def test_inbox_replay(store_url):
    assert run("inbox", "replay", "--store", store_url).exit_code == 2
    replayed = run("inbox", "replay", "--dead", "--store", store_url)
    assert replayed.output.strip() == "1 event(s) queued for replay: evt_inv"
    missing = CliRunner().invoke(cli, ["inbox", "replay", "evt_nope", "--store", store_url])
    assert missing.exit_code == 1 and "no event 'evt_nope'" in missing.output
    erased = CliRunner().invoke(cli, ["inbox", "replay", "evt_c1", "--store", store_url])
    assert erased.exit_code == 1 and "erased" in erased.output


def test_installations_list(store_url):
    rows = json.loads(run("installations", "list", "--store", store_url, "--format", "json").output)
    # acct_B's only event failed: its implied installation rolled back with the attempt.
    assert [(r["account"], r["status"], r["source"]) for r in rows] == [
        ("acct_A", "active", "authorized"), ("acct_C", "uninstalled", "implied"),
    ]  # fmt: skip
    assert "ca_1" in run("installations", "list", "--store", store_url).output


def test_serve_explains_a_missing_secret_and_a_bad_target(tmp_path):
    (tmp_path / "myapp.py").write_text(
        "from appevents.receiver import App\napp = App()\nnot_app = 1\n"
    )
    no_secret = CliRunner().invoke(
        cli,
        ["serve", "myapp:app", "--app-dir", str(tmp_path)],
        env={"APPEVENTS_WEBHOOK_SECRET": ""},
    )
    assert no_secret.exit_code == 2 and "APPEVENTS_WEBHOOK_SECRET" in no_secret.output
    for target, message in [
        ("myapp", "is not MODULE:APP"),
        ("nomodule:app", "cannot import module 'nomodule'"),
        ("myapp:missing", "has no attribute 'missing'"),
        ("myapp:not_app", "not an appevents.App"),
    ]:
        result = CliRunner().invoke(cli, ["serve", target, "--app-dir", str(tmp_path),
                                          "--secret", "whsec_x"])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert message in result.output


def test_help_lists_the_environment_variables():
    assert "APPEVENTS_WEBHOOK_SECRET" in run("serve", "--help").output
    assert "APPEVENTS_STORE" in run("worker", "--help").output
    assert "APPEVENTS_STORE" in run("inbox", "list", "--help").output


def test_worker_process_drains_and_stops_on_sigterm(tmp_path):
    path = tmp_path / "inbox.db"
    (tmp_path / "workapp.py").write_text(
        "from appevents.receiver import App\napp = App()\n"
        "@app.on_setup\ndef s(db):\n    db.execute('CREATE TABLE IF NOT EXISTS seen (id TEXT)')\n"
        "@app.on('*')\ndef h(event, ctx):\n"
        "    ctx.transaction.execute('INSERT INTO seen VALUES (?)', (event.id,))\n"
    )

    async def fill():
        async with SQLiteStore(path) as store:
            await store.insert_events(
                [
                    Event.parse(make_event("charge.succeeded", account=f"acct_{i}"))
                    for i in range(5)
                ],
                NOW,
            )

    asyncio.run(fill())
    process = subprocess.Popen(
        [sys.executable, "-m", "appevents.cli.main", "worker", "workapp:app", "--app-dir",
         str(tmp_path), "--store", f"sqlite:///{path}"],
        stderr=subprocess.PIPE, env={**os.environ, "APPEVENTS_STORE": ""},
    )  # fmt: skip
    try:
        import sqlite3

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with sqlite3.connect(path) as db:
                    if db.execute("SELECT COUNT(*) FROM seen").fetchone() == (5,):
                        break
            except sqlite3.OperationalError:
                pass  # the worker has not created the table yet
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert b"worker stopped after 5 attempts" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()


def test_inbox_commands_read_the_store_of_the_app_given_with_app(store_url, tmp_path):
    (tmp_path / "readapp.py").write_text(
        f"from appevents import App\napp = App(store={store_url!r})\n"
    )
    by_option = run("inbox", "list", "--app", "readapp:app", "--app-dir", str(tmp_path),
                    "--format", "json")  # fmt: skip
    assert by_option.exit_code == 0, by_option.output
    assert len(json.loads(by_option.output)) == 5
    env = {"APPEVENTS_APP": "readapp:app", "APPEVENTS_STORE": ""}
    shown = run("inbox", "show", "evt_inv", "--app-dir", str(tmp_path), "--format", "json",
                env=env)  # fmt: skip
    assert json.loads(shown.output)["status"] == "dead"
    installs = run("installations", "list", "--app-dir", str(tmp_path), "--format", "json",
                   env=env)  # fmt: skip
    assert [r["account"] for r in json.loads(installs.output)] == ["acct_A", "acct_C"]
    replayed = run("inbox", "replay", "--dead", "--app-dir", str(tmp_path), env=env)
    assert replayed.output.strip() == "1 event(s) queued for replay: evt_inv"
    assert "APPEVENTS_APP" in run("inbox", "show", "--help").output


@pytest.mark.parametrize(
    "command",
    [
        ["inbox", "list"],
        ["inbox", "show", "evt_1"],
        ["inbox", "replay", "--dead"],
        ["installations", "list"],
    ],
)
def test_reading_commands_never_create_a_store(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, command, env={"APPEVENTS_STORE": "", "APPEVENTS_APP": ""})
    assert result.exit_code == 1
    assert result.output.startswith("Error: no inbox at appevents.db: pass --app MODULE:APP")
    assert len(result.output.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_reading_commands_ask_for_an_older_schema_to_be_migrated(tmp_path):
    path = tmp_path / "inbox.db"
    store_url = f"sqlite:///{path}"
    db = sqlite3.connect(path)
    db.executescript(VERSION_1)  # a file as appevents' first schema left it
    db.close()
    before = path.read_bytes()
    files = sorted(tmp_path.iterdir())
    result = CliRunner().invoke(cli, ["inbox", "list", "--store", store_url])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: inbox {path} has schema version 1 and needs migrating to {SCHEMA_VERSION} "
        "first: run "
        f"appevents db migrate --store sqlite:///{path} (appevents serve and appevents worker "
        "also migrate it when they start)\n"
    )
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == files
    assert run("db", "migrate", "--store", store_url).exit_code == 0
    assert "evt_1" in run("inbox", "list", "--store", store_url).output


def test_inbox_show_prints_stored_text_verbatim(tmp_path):
    path = tmp_path / "inbox.db"
    app = App("whsec_x", store=SQLiteStore(path), retry=RetryPolicy(max_attempts=2))
    long_name = "x" * 300

    @app.on("customer.created")
    def broken(event):
        raise RuntimeError("[red]markup[/red] stays as written")

    body = make_event("customer.created", account="acct_M", event_id="evt_markup",
                      object={"name": "[red]x[/red]", "description": long_name})  # fmt: skip

    async def fill():
        async with app.open_store() as store:
            await store.insert_events([Event.parse(body)], NOW)
            await app.worker(store).drain()

    asyncio.run(fill())
    url = f"sqlite:///{path}"
    text = run("inbox", "show", "evt_markup", "--store", url).output
    assert text.endswith(body.decode() + "\n")  # byte for byte, one line per stored line
    assert "[red]x[/red]" in text and long_name in text
    assert "    RuntimeError: [red]markup[/red] stays as written" in text.splitlines()
    assert "attempt 1: failed" in text
    shown = json.loads(run("inbox", "show", "evt_markup", "--store", url, "--format",
                           "json").output)  # fmt: skip
    assert shown["payload"] == json.loads(body)
    listed = run("inbox", "list", "--store", url).output
    assert "[red]markup[/red]" in listed


MANIFEST = {"id": "com.example.totals", "version": "1.0.0", "name": "Totals", "icon": "",
            "permissions": [{"permission": "event_read", "purpose": "Receive events"}]}  # fmt: skip


def serve_until_ready(args: list[str], cwd, env: dict[str, str]) -> str:
    """Start `appevents serve`, return what it wrote to stderr up to its ready line, stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "appevents.cli.main", "serve", *args], cwd=cwd,
        env={**os.environ, "APPEVENTS_STORE": "", **env}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for _ in range(200):  # bounded: warnings, then the ready line
            line = process.stderr.readline()
            if not line or "receiving at" in line:
                break
            lines.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    return "".join(lines)


def test_serve_checks_the_manifest_given_with_manifest(tmp_path):
    (tmp_path / "manifestapp.py").write_text(
        "from appevents import App\napp = App(manifest='stripe-app.json')\n"
        "@app.on('payment_intent.succeeded')\ndef paid(event):\n    pass\n"
    )
    (tmp_path / "other-app.json").write_text(json.dumps(MANIFEST))
    base = ["manifestapp:app", "--app-dir", str(tmp_path), "--secret", "whsec_x",
            "--port", "0", "--worker", "off", "--store", f"sqlite:///{tmp_path}/inbox.db"]  # fmt: skip
    # Without the file the app names, the warning's advice is an option serve has.
    missing = serve_until_ready(base, tmp_path, {})
    assert "stripe-app.json: no such file" in missing and "--manifest PATH" in missing
    for extra, env in (
        (["--manifest", str(tmp_path / "other-app.json")], {}),
        ([], {"APPEVENTS_MANIFEST": str(tmp_path / "other-app.json")}),
    ):
        warned = serve_until_ready(base + extra, tmp_path, env)
        assert "warning: other-app.json does not grant payment_intent_read" in warned
        assert f"--manifest {tmp_path / 'other-app.json'}" in warned
    assert "APPEVENTS_MANIFEST" in run("serve", "--help").output


@pytest.mark.parametrize(
    ("host", "port_in_use", "expected"),
    [
        ("no-such-host.invalid", False, "the host 'no-such-host.invalid' cannot be resolved"),
        ("192.0.2.1", False, "192.0.2.1 is not an address of this machine"),
        ("127.0.0.1", True, "is in use: choose another --port or stop the program using it"),
    ],
)
def test_serve_says_why_it_cannot_listen(tmp_path, host, port_in_use, expected):
    (tmp_path / "okapp.py").write_text("from appevents import App\napp = App()\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1] if port_in_use else 0
        result = CliRunner().invoke(cli, [
            "serve", "okapp:app", "--app-dir", str(tmp_path), "--secret", "whsec_x", "--host",
            host, "--port", str(port), "--store", f"sqlite:///{tmp_path}/inbox.db",
        ])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and len(result.output.splitlines()) == 1
    assert expected in result.output
    if not port_in_use:
        assert "--port" not in result.output
    assert not (tmp_path / "inbox.db").exists()  # refused before the store was opened
