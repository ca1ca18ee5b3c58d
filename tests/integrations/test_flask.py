"""The Flask extension over werkzeug's threaded server on 127.0.0.1, and under gunicorn,
``flask run --reload`` and ``flask appevents worker`` as real processes: the blueprint's
endpoint under a prefix, the receiver started by a site's first request and stopped at
close or exit, the commands, the UI decorator."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest
from flask import Flask, g, request
from werkzeug.serving import make_server

from appevents import App, ConfigurationError, sign_ui_request
from appevents.integrations.flask import AppEvents, ui_request_required
from appevents.testing import make_event, signed_headers
from servers import free_port, poll_until, server_process, serving, wait_http

SECRET = "whsec_flask_test"
APP_SECRET = "absec_flask_ui_test"
NOW = 1_800_000_000


def receiver_app(tmp_path, handled: list[str], **options) -> App:
    app = App(SECRET, store=f"sqlite:///{tmp_path / 'inbox.db'}", **options)
    app.on("*")(lambda event: handled.append(event.id))
    return app


def rows(tmp_path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(tmp_path / "inbox.db")) as db:
        return list(db.execute("SELECT id, status FROM events ORDER BY id"))


def deliver(url: str, body: bytes, secret: str = SECRET) -> httpx.Response:
    return httpx.post(url, content=body, headers=signed_headers(body, secret))


@contextlib.contextmanager
def wsgi_server(flask_app: Flask):
    """Werkzeug's threaded server (what ``flask run`` serves with) on a free port."""
    with serving(make_server("127.0.0.1", 0, flask_app, threaded=True)) as base:
        yield base


def loop_threads() -> int:
    return sum(t.name == "appevents-wsgi-loop" for t in threading.enumerate())


@pytest.fixture
def site(tmp_path):
    """A Flask site with a page of its own and the receiver under /stripe."""
    handled: list[str] = []
    flask_app = Flask("flask_site")

    @flask_app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "site"}

    events = AppEvents(flask_app, app=receiver_app(tmp_path, handled), url_prefix="/stripe")
    with wsgi_server(flask_app) as base:
        yield base, events, handled, flask_app
    events.close()


def test_a_delivery_under_the_prefix_is_stored_before_200_and_processed(site, tmp_path):
    base, _, handled, _ = site
    body = make_event("payment_intent.succeeded", account="acct_1FlaskPrefix")
    event_id = json.loads(body)["id"]
    first = deliver(base + "/stripe/webhook", body)
    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert [row[0] for row in rows(tmp_path)] == [event_id]
    again = deliver(base + "/stripe/webhook", body)
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    poll_until(lambda: handled, what="the worker ran the handler")
    assert handled == [event_id]
    poll_until(lambda: rows(tmp_path) == [(event_id, "done")], what="the event marked done")


def test_refusals_are_the_receivers_and_other_paths_the_sites(site, tmp_path):
    base, _, _, _ = site
    body = make_event("invoice.paid", account="acct_1FlaskRefusals")
    get = httpx.get(base + "/stripe/webhook")
    assert (get.status_code, get.headers["allow"]) == (405, "POST")
    assert get.json()["error"] == {
        "code": "method_not_allowed",
        "message": "GET is not allowed: Stripe delivers events with POST",
    }
    assert httpx.request("OPTIONS", base + "/stripe/webhook").status_code == 405
    forged = deliver(base + "/stripe/webhook", body, secret="whsec_someone_else")
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "no_matching_signature")
    big = httpx.post(base + "/stripe/webhook", content=b"x" * (2 * 1024 * 1024 + 1))
    assert (big.status_code, big.json()["error"]["code"]) == (413, "body_too_large")
    assert deliver(base + "/webhook", body).status_code == 404  # only under the prefix
    assert httpx.get(base + "/hello").json() == {"hello": "site"}
    assert rows(tmp_path) == []


def test_the_sites_first_request_starts_the_receiver_and_close_stops_it(tmp_path):
    handled: list[str] = []
    flask_app = Flask("flask_start")
    flask_app.get("/hello")(lambda: {"hello": "site"})
    before = loop_threads()
    events = AppEvents(app=receiver_app(tmp_path, handled))
    events.init_app(flask_app)  # no prefix: the endpoint is at App.path
    assert loop_threads() == before  # nothing runs until a request
    with wsgi_server(flask_app) as base:
        assert httpx.get(base + "/hello").status_code == 200
        assert loop_threads() == before + 1
        body = make_event("invoice.paid", account="acct_1FlaskStart")
        assert deliver(base + "/webhook", body).status_code == 200
        poll_until(lambda: handled, what="the worker ran the handler")
        runtime = events.endpoint.runtime
        events.close()
        assert loop_threads() == before
        assert not runtime.started
        # A request after close starts a new instance, whose worker runs again.
        second = make_event("invoice.paid", account="acct_1FlaskStart")
        assert deliver(base + "/webhook", second).status_code == 200
        poll_until(lambda: len(handled) == 2, what="the new worker ran the handler")
    events.close()
    assert loop_threads() == before


def test_a_store_that_cannot_open_leaves_the_sites_pages_working(tmp_path, caplog):
    flask_app = Flask("flask_broken_store")
    flask_app.get("/hello")(lambda: {"hello": "site"})
    app = App(SECRET, store=f"sqlite:///{tmp_path / 'no-such-folder' / 'inbox.db'}")
    events = AppEvents(flask_app, app=app)
    before = loop_threads()
    with wsgi_server(flask_app) as base:
        assert httpx.get(base + "/hello").json() == {"hello": "site"}
        body = make_event("invoice.paid", account="acct_1FlaskBroken")
        assert deliver(base + "/webhook", body).status_code == 500  # Stripe retries
    assert "the receiver did not start" in caplog.text
    assert "no-such-folder" in caplog.text
    assert loop_threads() == before  # no loop thread left behind by the failed starts
    events.close()


def test_init_app_refuses_a_prefix_without_a_slash(tmp_path):
    with pytest.raises(ConfigurationError, match="'stripe' must start with '/'"):
        AppEvents(Flask("flask_bad_prefix"), app=receiver_app(tmp_path, []), url_prefix="stripe")


def test_flask_appevents_inbox_lists_the_sites_store(site, tmp_path):
    base, _, _, flask_app = site
    body = make_event("customer.created", account="acct_1FlaskInbox")
    event_id = json.loads(body)["id"]
    assert deliver(base + "/stripe/webhook", body).status_code == 200
    poll_until(lambda: rows(tmp_path) == [(event_id, "done")], what="the event processed")
    runner = flask_app.test_cli_runner()
    listed = runner.invoke(args=["appevents", "inbox", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [(e["id"], e["type"], e["account"], e["status"]) for e in json.loads(listed.output)] == [
        (event_id, "customer.created", "acct_1FlaskInbox", "done")
    ]
    shown = runner.invoke(args=["appevents", "show", event_id, "--format", "json"])
    assert json.loads(shown.output)["payload"]["id"] == event_id
    replayed = runner.invoke(args=["appevents", "replay", "--dead"])
    assert replayed.output.strip() == "0 event(s) queued for replay"
    installs = runner.invoke(args=["appevents", "installations", "--format", "json"])
    assert [(i["account"], i["source"]) for i in json.loads(installs.output)] == [
        ("acct_1FlaskInbox", "implied")
    ]
    figures = json.loads(runner.invoke(args=["appevents", "stats", "--json"]).output)
    assert (figures["events"], figures["by_status"]["done"]) == (1, 1), figures
    help_text = runner.invoke(args=["appevents", "--help"]).output
    for command in ("worker", "inbox", "show", "replay", "stats", "installations"):
        assert f"  {command} " in help_text


SITE_MODULE = """
from flask import Flask

from appevents import App
from appevents.integrations.flask import AppEvents

receiver = App("{secret}", store="sqlite:///{db}")


@receiver.on("invoice.paid")
def record(event, ctx):
    ctx.transaction.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT)")
    ctx.transaction.execute("INSERT INTO seen VALUES (?)", (event.id,))


site = Flask(__name__)
events = AppEvents(site, app=receiver, url_prefix="/stripe", run_worker=False)
"""


def test_flask_appevents_worker_processes_what_the_site_received(tmp_path):
    db = tmp_path / "inbox.db"
    (tmp_path / "worker_site.py").write_text(
        textwrap.dedent(SITE_MODULE.format(secret=SECRET, db=db))
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import worker_site  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    body = make_event("invoice.paid", account="acct_1FlaskWorker")
    event_id = json.loads(body)["id"]
    with wsgi_server(worker_site.site) as base:
        assert deliver(base + "/stripe/webhook", body).status_code == 200
    worker_site.events.close()
    assert rows(tmp_path) == [(event_id, "pending")]  # run_worker=False: only received
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "worker_site:site", "appevents", "worker"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        poll_until(lambda: rows(tmp_path) == [(event_id, "done")], what="the worker's outcome")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    assert process.returncode == 0, err.decode()
    assert "worker stopped after 1 attempts" in err.decode()
    with contextlib.closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT id FROM seen").fetchall() == [(event_id,)]


SERVED_MODULE = """
from flask import Flask

from appevents import App
from appevents.integrations.flask import AppEvents

receiver = App("{secret}", store="sqlite:///{db}")
receiver.on("*")(lambda event: None)
site = Flask(__name__)
AppEvents(site, app=receiver, url_prefix="/stripe")
"""


def workers(tmp_path) -> list[str]:
    with contextlib.closing(sqlite3.connect(tmp_path / "inbox.db")) as db:
        return [row[0] for row in db.execute("SELECT name FROM workers")]


@contextlib.contextmanager
def served(tmp_path, command: list[str], port: int):
    (tmp_path / "served_site.py").write_text(
        SERVED_MODULE.format(secret=SECRET, db=tmp_path / "inbox.db")
    )
    url = f"http://127.0.0.1:{port}/stripe/webhook"
    with server_process(command, url, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}) as process:
        yield process


def deliver_some(base: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        body = make_event("invoice.paid", account="acct_1FlaskServed")
        assert deliver(base + "/stripe/webhook", body).status_code == 200
        ids.append(json.loads(body)["id"])
    return ids


def test_under_gunicorn_preload_each_sync_worker_runs_its_own_and_stops_at_exit(tmp_path):
    pytest.importorskip("gunicorn")
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--preload",
               "--bind", f"127.0.0.1:{port}", "served_site:site"]  # fmt: skip
    with served(tmp_path, command, port) as process:
        ids = deliver_some(f"http://127.0.0.1:{port}", 6)
        poll_until(
            lambda: sorted(rows(tmp_path)) == sorted((i, "done") for i in ids),
            what="every event processed",
        )
        assert workers(tmp_path)  # the serving processes' workers, not the master's
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        assert process.wait(20) == 0
    assert workers(tmp_path) == []  # each stopped its worker at exit


def test_under_flask_run_reload_the_reloaded_child_runs_it_and_the_watcher_never(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "flask", "--app", "served_site:site", "run",
               "--reload", "--port", str(port)]  # fmt: skip
    with served(tmp_path, command, port) as process:
        base = f"http://127.0.0.1:{port}"
        first = deliver_some(base, 1)
        poll_until(lambda: len(workers(tmp_path)) == 1, what="the child's worker")
        before = workers(tmp_path)
        module = tmp_path / "served_site.py"
        module.write_text(module.read_text() + "# changed\n")
        # The old child stops its worker as it exits for the reload.
        poll_until(lambda: workers(tmp_path) == [], what="the old child's worker stopped")
        wait_http(base + "/stripe/webhook", process)  # the new child serves
        second = deliver_some(base, 1)
        poll_until(
            lambda: sorted(rows(tmp_path)) == sorted((i, "done") for i in first + second),
            what="both events processed",
        )
        after = workers(tmp_path)
        assert len(after) == 1 and after != before  # the new child's own worker
        status = Path(f"/proc/{process.pid}/status").read_text()
        assert "Threads:\t1\n" in status  # the watcher runs no receiver of its own


CALLER = {"user_id": "usr_1FlaskUser", "account_id": "acct_1FlaskAccount"}


@pytest.fixture
def ui_site():
    flask_app = Flask("flask_ui")

    @flask_app.post("/api/settings")
    @ui_request_required(APP_SECRET, clock=lambda: NOW)
    def settings() -> dict[str, object]:
        return {"user": g.ui_request.user_id, "account": g.ui_request.account_id,
                "body": request.get_json()}  # fmt: skip

    @flask_app.post("/api/async")
    @ui_request_required(APP_SECRET, clock=lambda: NOW)
    async def async_settings() -> dict[str, object]:
        return {"user": g.ui_request.user_id}

    with wsgi_server(flask_app) as base:
        yield base


def signed(timestamp: int = NOW, secret: str = APP_SECRET) -> str:
    return sign_ui_request(CALLER["user_id"], CALLER["account_id"], secret, timestamp=timestamp)


def test_ui_request_required_puts_the_verified_caller_on_g(ui_site):
    answer = httpx.post(
        ui_site + "/api/settings", json=CALLER, headers={"Stripe-Signature": signed()}
    )
    assert (answer.status_code, answer.json()) == (
        200,
        {"user": "usr_1FlaskUser", "account": "acct_1FlaskAccount", "body": CALLER},
    )
    async_answer = httpx.post(
        ui_site + "/api/async", json=CALLER, headers={"Stripe-Signature": signed()}
    )
    assert async_answer.json() == {"user": "usr_1FlaskUser"}


@pytest.mark.parametrize(
    ("signature", "body", "code"),
    [
        (signed(NOW - 301), CALLER, "timestamp_too_old"),
        (signed(NOW + 301), CALLER, "timestamp_in_future"),
        (signed(secret="absec_forger"), CALLER, "no_matching_signature"),
        (signed(), {**CALLER, "user_id": "usr_1SomeoneElse"}, "no_matching_signature"),
        (None, CALLER, "missing_signature_header"),
        ("v1=" + "0" * 64, CALLER, "no_timestamp"),
        (signed(), {"user_id": CALLER["user_id"]}, "missing_account_id"),
    ],
    ids=["stale", "future", "forged", "other-user", "missing", "no-timestamp", "no-account"],
)
def test_ui_request_required_refuses_with_401_and_the_reason(ui_site, signature, body, code):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    answer = httpx.post(ui_site + "/api/settings", json=body, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]


def test_ui_request_required_refuses_a_webhook_secret_when_the_view_is_defined():
    with pytest.raises(ConfigurationError, match="webhook endpoint secret"):
        ui_request_required("whsec_not_for_ui_calls")
