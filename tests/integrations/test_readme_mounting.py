"""README "Mounting in another app": each framework's snippet, run as written (with this
run's secrets and store), served on 127.0.0.1 and sent a signed delivery."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from appevents import sign_ui_request
from appevents.testing import make_event, signed_headers
from servers import asgi_server, poll_until, wsgi_server

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECRET = "whsec_readme_mounting"
APP_SECRET = "absec_readme_mounting"


def snippet(first_line: str, tmp_path: Path) -> dict[str, Any]:
    """Run the README's python block that starts with ``first_line``; its names."""
    match = re.search(r"```python\n(" + re.escape(first_line) + r".*?)```", README, re.DOTALL)
    assert match, f"no python block in README.md starts with {first_line!r}"
    code = match.group(1)
    for placeholder, value in (
        ('"whsec_..."', repr(SECRET)),
        ('"absec_..."', repr(APP_SECRET)),
        ('"sqlite:///inbox.db"', repr(f"sqlite:///{tmp_path / 'inbox.db'}")),
    ):
        code = code.replace(placeholder, value)
    names: dict[str, Any] = {"__name__": "web"}
    exec(compile(code, "README.md", "exec"), names)
    return names


def statuses(tmp_path: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(tmp_path / "inbox.db")) as db:
        return list(db.execute("SELECT id, status FROM events"))


def check_webhook(base: str, tmp_path: Path) -> None:
    body = make_event("payment_intent.succeeded", account="acct_1ReadmeMounting")
    event_id = json.loads(body)["id"]
    answer = httpx.post(
        base + "/stripe/webhook", content=body, headers=signed_headers(body, SECRET)
    )
    assert (answer.status_code, answer.json()) == (200, {"received": True, "duplicate": False})
    poll_until(lambda: statuses(tmp_path) == [(event_id, "done")], what="the worker's outcome")
    assert httpx.get(base + "/stripe/webhook").status_code == 405


def check_ui_route(base: str) -> None:
    caller = {"user_id": "usr_1ReadmeUser", "account_id": "acct_1ReadmeAccount"}
    signature = sign_ui_request(caller["user_id"], caller["account_id"], APP_SECRET)
    answer = httpx.post(
        base + "/api/settings", json=caller, headers={"Stripe-Signature": signature}
    )
    assert (answer.status_code, answer.json()) == (
        200,
        {"user": "usr_1ReadmeUser", "account": "acct_1ReadmeAccount"},
    )
    assert httpx.post(base + "/api/settings", json=caller).status_code == 401


def test_the_starlette_snippet(tmp_path, capsys):
    names = snippet("# web.py: Starlette, webhooks at POST /stripe/webhook", tmp_path)
    with asgi_server(names["site"]) as base:
        check_webhook(base, tmp_path)
        wrong = httpx.post(base + "/stripe/hook", content=b"{}")
        assert wrong.json()["error"]["message"].endswith("webhooks go to '/stripe/webhook'")
    assert "paid: pi_" in capsys.readouterr().out


def test_the_fastapi_snippet(tmp_path):
    names = snippet("# web.py: FastAPI, webhooks at POST /stripe/webhook", tmp_path)
    with asgi_server(names["site"]) as base:
        check_webhook(base, tmp_path)
        check_ui_route(base)


def test_the_flask_snippet(tmp_path):
    names = snippet("# web.py: Flask, webhooks at POST /stripe/webhook", tmp_path)
    events = names["site"].extensions["appevents"]
    try:
        with wsgi_server(names["site"]) as base:
            check_webhook(base, tmp_path)
            check_ui_route(base)
    finally:
        events.close()
