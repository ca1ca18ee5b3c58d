"""`appevents serve --dashboard` and `appevents dashboard --store` as real processes: the
dashboard answers on its own port behind its token, its replay wakes serve's child worker,
and a store alone is served with a random token printed in its login URL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import httpx

from appevents.testing import make_event, signed_headers
from servers import free_port, poll_until, serve_process, wait_http

SECRET = "whsec_dashboard_cli_tests"
TOKEN = "operators-token-for-this-test-77"
SERVED_APP = """
from pathlib import Path
from appevents.receiver import App
from appevents.receiver.retry import RetryPolicy

app = App(retry=RetryPolicy(max_attempts=1))
BROKEN = Path(__file__).with_name("broken")

@app.on("invoice.paid")
def book(event, ctx):
    if BROKEN.exists():
        raise RuntimeError("the ledger is offline")
"""


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_serve_dashboard_replays_through_its_child_worker_behind_the_token(tmp_path):
    (tmp_path / "servedapp.py").write_text(SERVED_APP)
    (tmp_path / "broken").write_text("")
    port, dashboard_port, metrics_port = free_port(), free_port(), free_port()
    store = f"sqlite:///{tmp_path / 'inbox.db'}"
    args = ["servedapp:app", "--app-dir", str(tmp_path), "--secret", SECRET, "--store", store,
            "--dashboard-port", str(dashboard_port), "--metrics-port", str(metrics_port)]  # fmt: skip
    env = {"APPEVENTS_DASHBOARD_TOKEN": TOKEN}
    with serve_process(args, cwd=tmp_path, port=port, env=env) as process:
        body = make_event("invoice.paid", account="acct_1Cli")
        event_id = json.loads(body)["id"]
        answer = httpx.post(f"http://127.0.0.1:{port}/webhook", content=body,
                            headers=signed_headers(body, SECRET))  # fmt: skip
        assert answer.status_code == 200
        base = f"http://127.0.0.1:{dashboard_port}"
        assert httpx.get(base + "/").status_code == 303  # no token: to the login form
        client = httpx.Client(base_url=base, timeout=10)
        assert client.get("/login", params={"token": TOKEN}).status_code == 303
        poll_until(lambda: "badge bad\">dead" in client.get(f"/events/{event_id}").text,
                   what="the event dead in the dashboard")  # fmt: skip
        page = client.get(f"/events/{event_id}").text
        assert "RuntimeError: the ledger is offline" in page
        (tmp_path / "broken").unlink()
        replayed = client.post(f"/actions/events/{event_id}/replay",
                               data={"csrf_token": csrf_of(page)})  # fmt: skip
        assert replayed.status_code == 303
        # The child worker is woken at once: well before its one-second poll would matter.
        poll_until(lambda: "badge ok\">done" in client.get(f"/events/{event_id}").text,
                   timeout=10, what="the replayed event done")  # fmt: skip
        metrics = client.get("/activity").text
        assert "appevents_received_total" in metrics  # serve's metrics shown where present
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
        printed = process.stderr.read().decode() if process.stderr else ""
    assert (
        f"appevents: dashboard at http://127.0.0.1:{dashboard_port}/login?token={TOKEN}" in printed
    )


def test_dashboard_store_serves_a_store_alone_with_a_printed_random_token(tmp_path):
    (tmp_path / "servedapp.py").write_text(SERVED_APP)
    port = free_port()
    store = f"sqlite:///{tmp_path / 'inbox.db'}"
    args = ["servedapp:app", "--app-dir", str(tmp_path), "--secret", SECRET, "--store", store]
    with serve_process(args, cwd=tmp_path, port=port):
        body = make_event("invoice.paid", account="acct_1Alone")
        event_id = json.loads(body)["id"]
        answer = httpx.post(f"http://127.0.0.1:{port}/webhook", content=body,
                            headers=signed_headers(body, SECRET))  # fmt: skip
        assert answer.status_code == 200
    dashboard_port = free_port()
    command = [sys.executable, "-m", "appevents.cli.main", "dashboard", "--store", store,
               "--port", str(dashboard_port), "--no-open"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "APPEVENTS_DASHBOARD_TOKEN"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        found = re.search(r"at (http://127\.0\.0\.1:(\d+)/login\?token=(\S+))", line)
        assert found is not None, line
        assert int(found.group(2)) == dashboard_port and len(found.group(3)) >= 16
        wait_http(f"http://127.0.0.1:{dashboard_port}/login", process)
        assert httpx.get(f"http://127.0.0.1:{dashboard_port}/").status_code == 303
        client = httpx.Client(timeout=10)
        assert client.get(found.group(1)).status_code == 303
        page = client.get(f"http://127.0.0.1:{dashboard_port}/events/{event_id}")
        assert page.status_code == 200 and "acct_1Alone" in page.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
        if process.stderr:
            process.stderr.close()


def test_dashboard_store_refuses_a_store_that_is_not_there(tmp_path):
    missing = tmp_path / "nothing.db"
    done = subprocess.run(
        [sys.executable, "-m", "appevents.cli.main", "dashboard", "--store",
         f"sqlite:///{missing}", "--no-open"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode != 0
    assert str(missing) in done.stderr
    assert not missing.exists()  # never created


def test_serve_warns_when_the_dashboard_leaves_loopback_and_prints_a_random_token(tmp_path):
    (tmp_path / "servedapp.py").write_text(SERVED_APP)
    port, dashboard_port = free_port(), free_port()
    store = f"sqlite:///{tmp_path / 'inbox.db'}"
    args = ["servedapp:app", "--app-dir", str(tmp_path), "--secret", SECRET, "--store", store,
            "--dashboard", "--dashboard-host", "0.0.0.0", "--dashboard-port", str(dashboard_port)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "APPEVENTS_DASHBOARD_TOKEN"}
    with serve_process(args, cwd=tmp_path, port=port, env=env) as process:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
        printed = process.stderr.read().decode() if process.stderr else ""
    found = re.search(
        rf"dashboard at http://0\.0\.0\.0:{dashboard_port}/login\?token=(\S+)", printed
    )
    assert found is not None, printed
    assert len(found.group(1)) >= 16
    assert "warning: the dashboard answers on 0.0.0.0 over plain HTTP" in printed
