"""The app under test: every ``payment_intent.succeeded`` leaves one row in ``effects``,
written through the worker's transaction (``ctx.transaction``), so it commits with the
event's ``done`` exactly once. No unique constraint: an effect written twice would be
counted twice, which run.py checks after every run.

A sync handler, as most apps write them: on SQLite ``ctx.transaction`` is the
``sqlite3.Connection`` (``?`` placeholders), on PostgreSQL the batch's
``psycopg.Connection`` (``%s`` placeholders; the app is all-sync, so its batches run on a
sync connection).

Secret and store come from the ``appevents serve`` / ``appevents worker`` command line.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from appevents import Event
from appevents.receiver import App, Context

app = App()

_INSERT = "INSERT INTO effects (event_id, account, amount) VALUES (?, ?, ?)"
_INSERT_PG = _INSERT.replace("?", "%s")


@app.on_setup
def schema(db: Any) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS effects "
        "(event_id TEXT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL)"
    )


@app.on("payment_intent.succeeded")
def record_payment(event: Event, ctx: Context) -> None:
    connection = ctx.transaction
    sql = _INSERT if isinstance(connection, sqlite3.Connection) else _INSERT_PG
    connection.execute(sql, (event.id, ctx.account or "", event.object["amount_received"]))
