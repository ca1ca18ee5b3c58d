"""What the ASGI integrations' tests (Starlette, FastAPI) share: a receiver App on SQLite
in the test's folder, the ids its inbox stored, and a signed delivery."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import httpx

from appevents import App
from appevents.testing import signed_headers

SECRET = "whsec_asgi_sites_test"


def receiver_app(tmp_path: Path, handled: list[str]) -> App:
    """An App whose every handler appends the event's id to ``handled``."""
    app = App(SECRET, store=f"sqlite:///{tmp_path / 'inbox.db'}")
    app.on("*")(lambda event: handled.append(event.id))
    return app


def stored_ids(tmp_path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(tmp_path / "inbox.db")) as db:
        return [row[0] for row in db.execute("SELECT id FROM events ORDER BY id")]


def deliver(url: str, body: bytes, secret: str = SECRET) -> httpx.Response:
    return httpx.post(url, content=body, headers=signed_headers(body, secret))
