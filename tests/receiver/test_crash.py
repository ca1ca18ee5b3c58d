"""SIGKILL the receiver under load: every acknowledged event survives and takes effect once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from appevents.testing import make_event, signed_headers
from servers import free_port, serve_process

SECRET = "whsec_crash_test"
APP_MODULE = """
from appevents.receiver import App

app = App()


@app.on_setup
def schema(db):
    db.execute("CREATE TABLE IF NOT EXISTS effects (event_id TEXT NOT NULL)")


@app.on("*")
def effect(event, ctx):
    # No unique constraint on purpose: a second run of an effect would be counted.
    ctx.transaction.execute("INSERT INTO effects VALUES (?)", (event.id,))
"""

pytestmark = pytest.mark.slow


async def load_until_killed(url: str, pid: int, *, acked: set[str], round_: int, kill_after: int):
    """Deliver unique events from 32 connections; SIGKILL the server mid-stream."""
    counter = 0
    killed = asyncio.Event()

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal counter
        while not killed.is_set():
            counter += 1
            account = f"acct_{counter % 7}"
            body = make_event("payment_intent.succeeded", account=account,
                              event_id=f"evt_r{round_}_{counter:06d}")  # fmt: skip
            try:
                response = await client.post(
                    url, content=body, headers=signed_headers(body, SECRET)
                )
            except httpx.HTTPError:
                return  # the server is gone: the outcome of this one is unknown
            if response.status_code == 200 and not response.json()["duplicate"]:
                acked.add(_event_id(body))
            if len(acked) >= kill_after and not killed.is_set():
                os.killpg(pid, signal.SIGKILL)
                killed.set()

    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=32)) as client:
        await asyncio.wait_for(asyncio.gather(*(sender(client) for _ in range(32))), 60)


def _event_id(body: bytes) -> str:
    return str(json.loads(body)["id"])


def test_sigkill_under_load_loses_nothing_and_effects_happen_once(tmp_path: Path):
    (tmp_path / "crash_app.py").write_text(APP_MODULE)
    db_path = tmp_path / "inbox.db"
    args = ["crash_app:app", "--app-dir", str(tmp_path), "--store", f"sqlite:///{db_path}",
            "--secret", SECRET, "--log-level", "warning"]  # fmt: skip
    acked: set[str] = set()
    for round_, kill_after in enumerate((400, 900)):
        port = free_port()
        with serve_process(args, cwd=tmp_path, port=port) as process:
            url = f"http://127.0.0.1:{port}/webhook"
            asyncio.run(load_until_killed(url, process.pid, acked=acked, round_=round_,
                                          kill_after=kill_after))  # fmt: skip
            process.wait(10)
            assert process.returncode == -signal.SIGKILL
    # Restart: the worker finishes what was stored before the kills.
    port = free_port()
    with serve_process(args, cwd=tmp_path, port=port):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sqlite3.connect(db_path) as db:
                (unfinished,) = db.execute(
                    "SELECT COUNT(*) FROM events WHERE status != 'done'"
                ).fetchone()
            if unfinished == 0:
                break
            time.sleep(0.1)
    with sqlite3.connect(db_path) as db:
        stored = {row[0] for row in db.execute("SELECT id FROM events WHERE status = 'done'")}
        (total,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
        effects = dict(db.execute("SELECT event_id, COUNT(*) FROM effects GROUP BY event_id"))
    print(f"acknowledged {len(acked)}, stored {total}, done {len(stored)}, effects {len(effects)}")
    assert len(acked) >= 900
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)[:5]}"
    assert total == len(stored)  # everything stored was processed
    assert set(effects) == stored
    assert set(effects.values()) == {1}, "an effect happened twice"
