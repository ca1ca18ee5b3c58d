"""`login`, `listen --forward-to / --forward-connect-to` with real processes: a sandbox, a
receiver built with appevents, and the listener between them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sandbox_fixtures import Receiver, kill, start_sandbox, wait_for
from servers import asgi_server, free_port, serve_process

pytestmark = pytest.mark.slow
MANIFEST = {
    "id": "com.example.listen", "version": "1", "name": "Listen", "icon": "",
    "permissions": [{"permission": "event_read", "purpose": "e"},
                    {"permission": "payment_intent_read", "purpose": "p"}],
}  # fmt: skip
RECEIVER_APP = """
from appevents.receiver import App
app = App()
@app.on_setup
def schema(db):
    db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT, type TEXT, account TEXT)")
@app.on("*")
def seen(event, ctx):
    ctx.transaction.execute("INSERT INTO seen VALUES (?, ?, ?)", (event.id, event.type, event.account))
"""


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appevents.cli.main", *args],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=30)  # fmt: skip


def start_listen(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "appevents.cli.main", "listen", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env},
        start_new_session=True,
    )  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith("Ready! You are using Stripe API Version ["), line
    return process


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=15)
    return out, err


def test_listen_forwards_connect_events_to_an_appevents_receiver(tmp_path: Path):
    port = free_port()
    sandbox, keys = start_sandbox(tmp_path / "state.db", port)
    base = f"http://127.0.0.1:{port}"
    env = {"APPEVENTS_CONFIG_DIR": str(tmp_path / "config")}
    try:
        logged = cli("login", "--api-base", base, "--device-name", "laptop", env=env)
        assert logged.returncode == 0 and keys["platform"] in logged.stdout, logged.stderr
        config = tmp_path / "config" / "config.json"
        assert config.stat().st_mode & 0o777 == 0o600
        secret = cli("listen", "--print-secret", env=env).stdout.strip()
        assert secret.startswith("whsec_")
        assert cli("listen", "--print-secret", env=env).stdout.strip() == secret  # stable

        platform_auth = {"Authorization": f"Bearer {keys['test']}"}
        app = httpx.post(
            base + "/_sandbox/apps", json={"manifest": MANIFEST}, headers=platform_auth
        ).json()
        merchant = httpx.post(base + "/_sandbox/accounts", json={}, headers=platform_auth).json()
        merchant_auth = {"Authorization": f"Bearer {merchant['keys']['test']}"}

        (tmp_path / "listen_app.py").write_text(RECEIVER_APP)
        receiver_port = free_port()
        db_path = tmp_path / "inbox.db"
        args = ["listen_app:app", "--app-dir", str(tmp_path), "--store", f"sqlite:///{db_path}",
                "--secret", secret]  # fmt: skip
        with serve_process(args, cwd=tmp_path, port=receiver_port):
            own = Receiver()
            with asgi_server(own) as own_base:
                listener = start_listen(env, "--forward-to", own_base + "/own",
                                        "--forward-connect-to", f"localhost:{receiver_port}/webhook")  # fmt: skip
                httpx.post(f"{base}/_sandbox/apps/{app['id']}/installs",
                           json={"account": merchant["id"], "mode": "test"}, headers=merchant_auth)  # fmt: skip
                for n in range(3):
                    httpx.post(base + "/_sandbox/events", headers=merchant_auth, json={
                        "type": "payment_intent.succeeded",
                        "object": {"id": f"pi_{n}", "object": "payment_intent"}})  # fmt: skip
                withheld = httpx.post(base + "/_sandbox/events", headers=merchant_auth, json={
                    "type": "customer.created", "object": {"id": "cus_1", "object": "customer"}}).json()  # fmt: skip
                mine = httpx.post(
                    base + "/v1/customers", headers=platform_auth, data={"email": "me@x.io"}
                ).json()

                def seen() -> list[tuple[str, str, str]]:
                    with sqlite3.connect(db_path) as db:
                        return db.execute("SELECT id, type, account FROM seen").fetchall()

                wait_for(lambda: len(seen()) == 4 and len(own.received) == 1, timeout=20)
                out, _ = stop(listener)
        types = sorted(t for _, t, _ in seen())
        assert types == ["account.application.authorized"] + ["payment_intent.succeeded"] * 3
        assert {a for _, _, a in seen()} == {merchant["id"]}
        assert json.loads(own.received[0][1])["data"]["object"]["id"] == mine["id"]
        lines = out.splitlines()
        authorized = next(i for i, kind, _ in seen() if kind == "account.application.authorized")
        assert any(
            f"--> connect account.application.authorized [{authorized}]" in line for line in lines
        )
        assert sum("<--  [200] POST http://localhost:" in line for line in lines) == 4
        assert sum(f"<--  [200] POST {own_base}/own [evt_" in line for line in lines) == 1
        assert sum("   --> customer.created [evt_" in line for line in lines) == 1  # our own
        gated = [line for line in lines if withheld["id"] in line]
        assert gated and "--x connect customer.created" in gated[0]
        assert "appevents apps grant permission customer_read" in gated[0]
    finally:
        kill(sandbox)


def forwarded(receiver: Receiver) -> list[str]:
    """The ids of the objects the receiver got events of, in arrival order."""
    return [json.loads(body)["data"]["object"]["id"] for _, body in receiver.received]


def test_a_listener_whose_sandbox_restarts_reconnects_and_loses_nothing(tmp_path: Path):
    port = free_port()
    data = tmp_path / "state.db"
    sandbox, keys = start_sandbox(data, port)
    env = {"APPEVENTS_CONFIG_DIR": str(tmp_path / "config"), "APPEVENTS_API_BASE": f"http://127.0.0.1:{port}",
           "APPEVENTS_API_KEY": keys["test"]}  # fmt: skip
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {keys['test']}"}
    receiver = Receiver()
    with asgi_server(receiver) as receiver_base:
        listener = start_listen(env, "--forward-to", receiver_base + "/hook")
        try:
            first = httpx.post(
                base + "/v1/customers", headers=auth, data={"email": "1@x.io"}
            ).json()
            wait_for(lambda: len(receiver.received) == 1)
            kill(sandbox)
            sandbox, _ = start_sandbox(data, port)
            later = [httpx.post(base + "/v1/customers", headers=auth, data={"email": f"{n}@x.io"}).json()
                     for n in range(2, 5)]  # fmt: skip
            expected = [first["id"], *(c["id"] for c in later)]
            wait_for(lambda: set(forwarded(receiver)) == set(expected), timeout=30)
            time.sleep(0.5)
        finally:
            _, err = stop(listener)
            kill(sandbox)
    got = forwarded(receiver)
    # At least once, as Stripe: the kill may land after the first event was forwarded but
    # before its acknowledgement was committed, and then the sandbox sends it again.
    assert list(dict.fromkeys(got)) == expected
    assert got in (expected, [first["id"], *expected])
    assert "Connection to the sandbox lost" in err and "Reconnected" in err


REPRESENTATIVE = [
    "payment_intent.succeeded", "charge.refunded", "customer.created",
    "customer.subscription.created", "checkout.session.completed", "setup_intent.succeeded",
    "invoice.paid", "charge.dispute.created", "payout.created",
]  # fmt: skip


def test_triggers_on_an_installing_account_reach_the_receiver_verified_and_exact(tmp_path: Path):
    from appevents import catalog

    port = free_port()
    sandbox, _ = start_sandbox(tmp_path / "state.db", port)
    base = f"http://127.0.0.1:{port}"
    env = {"APPEVENTS_CONFIG_DIR": str(tmp_path / "config")}
    everything = {**MANIFEST, "id": "com.example.everything", "permissions": [
        {"permission": p, "purpose": "test"} for p in catalog.permission_names()
        if catalog.canonical_permission(p) == p
    ]}  # fmt: skip
    (tmp_path / "stripe-app.json").write_text(json.dumps(everything))
    try:
        cli("login", "--api-base", base, env=env)
        subprocess.run([sys.executable, "-m", "appevents.cli.main", "apps", "register"], cwd=tmp_path,
                       env={**os.environ, **env}, check=True, capture_output=True)  # fmt: skip
        merchant = cli("accounts", "create", env=env).stdout.split()[2]
        secret = cli("listen", "--print-secret", env=env).stdout.strip()
        (tmp_path / "listen_app.py").write_text(RECEIVER_APP)
        receiver_port, db_path = free_port(), tmp_path / "inbox.db"
        args = ["listen_app:app", "--app-dir", str(tmp_path), "--store", f"sqlite:///{db_path}",
                "--secret", secret]  # fmt: skip
        with serve_process(args, cwd=tmp_path, port=receiver_port):
            listener = start_listen(
                env, "--forward-connect-to", f"localhost:{receiver_port}/webhook"
            )
            expected: list[str] = []
            printed: list[str] = []
            for name in ["account.application.authorized", *REPRESENTATIVE]:
                # A merchant this CLI made runs the trigger as itself: it installs the app.
                done = cli("trigger", name, "--stripe-account", merchant,
                           "--app", "com.example.everything", env=env)  # fmt: skip
                assert done.returncode == 0, done.stderr
                printed.append(done.stdout)
                types = [
                    line.split()[1]
                    for line in done.stdout.splitlines()
                    if line.startswith("  evt_")
                ]
                assert name in types
                expected += [
                    t
                    for t in types
                    if catalog.permissions_for(t) or t.startswith("account.application.")
                ]

            def seen() -> list[str]:
                with sqlite3.connect(db_path) as db:
                    return [t for (t,) in db.execute("SELECT type FROM seen")]

            wait_for(lambda: len(seen()) >= len(expected), timeout=30)
            time.sleep(0.5)
            out, _ = stop(listener)
        assert sorted(seen()) == sorted(expected)  # verified by the receiver, exactly these
        assert all("Trigger succeeded! Check dashboard for event details." in p for p in printed)
        assert all("Running fixture for:" in p for p in printed)
        assert out.count("<--  [200] POST http://localhost:") == len(expected)
        assert out.count("--> connect ") == len(expected)
    finally:
        kill(sandbox)


def test_listen_with_no_sandbox_running_fails_in_one_line_naming_the_url(tmp_path: Path):
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {"APPEVENTS_CONFIG_DIR": str(tmp_path / "config"), "APPEVENTS_API_BASE": base,
           "APPEVENTS_API_KEY": "sk_test_x"}  # fmt: skip
    for args in (["--print-secret"], ["--forward-to", "localhost:4242/webhook"]):
        done = cli("listen", *args, env=env)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.startswith(f"Error: cannot reach the sandbox at {base} ("), done.stderr
        assert "start it with `appevents sandbox`" in done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert "reconnecting" not in done.stderr + done.stdout


@pytest.mark.parametrize("value", ["not a url", "ftp://localhost/hook"])
def test_listen_refuses_a_forward_url_that_is_not_http(tmp_path: Path, value: str):
    env = {"APPEVENTS_CONFIG_DIR": str(tmp_path / "config"),
           "APPEVENTS_API_BASE": f"http://127.0.0.1:{free_port()}", "APPEVENTS_API_KEY": "sk_x"}  # fmt: skip
    for option in ("--forward-to", "--forward-connect-to"):
        done = cli("listen", option, value, env=env)
        assert done.returncode == 2, done.stderr
        assert f"{option} {value!r} is not a URL to forward to" in done.stderr
        assert "localhost:4242/webhook" in done.stderr and "Traceback" not in done.stderr
