"""README "Mounting in another app", Django: its three files, as written (with this run's
secrets), made into a site with the settings every Django project has, served by a real
process on 127.0.0.1; the management commands run as processes against it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from appevents import sign_ui_request
from appevents.testing import make_event, signed_headers
from servers import free_port, poll_until, wait_http

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
SECRET = "whsec_readme_django"
APP_SECRET = "absec_readme_django"

# What README leaves to the project: the settings `django-admin startproject` writes.
PROJECT_SETTINGS = """
SECRET_KEY = "readme-test-only"
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "urls"
MIDDLEWARE = ["django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
USE_TZ = True
"""

SERVE = """
import django
from django.core.wsgi import get_wsgi_application
from wsgiref.simple_server import make_server
import sys
django.setup()
make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application()).serve_forever()
"""


def block(first_line: str) -> str:
    match = re.search(r"```python\n(" + re.escape(first_line) + r".*?)```", README, re.DOTALL)
    assert match, f"no python block in README.md starts with {first_line!r}"
    return (
        match.group(1).replace('"whsec_..."', repr(SECRET)).replace('"absec_..."', repr(APP_SECRET))
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "events.py").write_text(block("# events.py: the handlers (Django)"))
    settings = block("# settings.py (Django)") + PROJECT_SETTINGS
    (tmp_path / "settings.py").write_text(settings)
    (tmp_path / "urls.py").write_text(block("# urls.py (Django)"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings",
        "PYTHONPATH": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }  # the handler's print reaches the pipe before the end
    env.pop("APPEVENTS_STORE", None)
    return tmp_path, env


def manage(project, *args: str) -> str:
    folder, env = project
    done = subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


def test_the_readme_django_site_receives_processes_and_verifies_ui_calls(project):
    folder, env = project
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/stripe/webhook", server)
        body = make_event("payment_intent.succeeded", account="acct_1ReadmeDjango")
        event_id = json.loads(body)["id"]
        answer = httpx.post(
            base + "/stripe/webhook", content=body, headers=signed_headers(body, SECRET)
        )
        assert (answer.status_code, answer.json()) == (200, {"received": True, "duplicate": False})
        get = httpx.get(base + "/stripe/webhook")
        assert (get.status_code, get.headers["allow"]) == (405, "POST")

        def statuses() -> dict[str, str]:
            rows = json.loads(manage(project, "appevents_inbox", "list", "--format", "json"))
            return {row["id"]: row["status"] for row in rows}

        poll_until(
            lambda: statuses() == {event_id: "done"}, what="the web process's worker processed it"
        )
        caller = {"user_id": "usr_1ReadmeDjango", "account_id": "acct_1ReadmeDjango"}
        signature = sign_ui_request(caller["user_id"], caller["account_id"], APP_SECRET)
        ui = httpx.post(
            base + "/api/settings", json=caller, headers={"Stripe-Signature": signature}
        )
        assert (ui.status_code, ui.json()) == (
            200, {"user": "usr_1ReadmeDjango", "account": "acct_1ReadmeDjango"},
        )  # fmt: skip
        assert httpx.post(base + "/api/settings", json=caller).status_code == 401
    finally:
        server.terminate()
        printed, errors = server.communicate(timeout=10)
    assert "on acct_1ReadmeDjango" in printed.decode()  # the handler's print
    # "STORE": "django": the inbox is in the site's own database file.
    assert (folder / "db.sqlite3").exists() and not (folder / "inbox.db").exists()
    assert "Traceback" not in errors.decode()


def test_with_run_worker_false_manage_py_appevents_worker_processes_until_sigterm(project):
    folder, env = project
    with (folder / "settings.py").open("a") as settings:
        settings.write('\nAPPEVENTS["RUN_WORKER"] = False\n')
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], cwd=folder, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "appevents_worker"], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/stripe/webhook", server)
        body = make_event("payment_intent.succeeded", account="acct_1ReadmeWorker")
        event_id = json.loads(body)["id"]
        answer = httpx.post(
            base + "/stripe/webhook", content=body, headers=signed_headers(body, SECRET)
        )
        assert answer.status_code == 200

        def statuses() -> dict[str, str]:
            rows = json.loads(manage(project, "appevents_inbox", "list", "--format", "json"))
            return {row["id"]: row["status"] for row in rows}

        # The web process only receives; the worker (polling the store) processes.
        poll_until(lambda: statuses() == {event_id: "done"}, what="the worker processed it")
        worker.send_signal(signal.SIGTERM)
        printed, errors = worker.communicate(timeout=20)
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert worker.returncode == 0
    assert "on acct_1ReadmeWorker" in printed.decode()  # the handler ran in the worker
    assert "appevents: worker on django:default" in errors.decode()
    assert "appevents: worker stopped after 1 attempts" in errors.decode()
