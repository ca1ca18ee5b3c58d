"""The REST API's objects in the sandbox's state: by account and id, in creation order,
deleted ones as their stubs, and which are listed under which parent.

Objects live in the ``objects`` table (the same rows events save their ``data.object`` to,
so an object an event carried is the object the API answers); a list under another object
(``/v1/customers/cus_1/sources``) is the ``object_children`` table. Accounts are the
sandbox's own (the ``accounts`` table, made by ``POST /v1/accounts``): the caller's and
those connected to it are found too, so that what hangs under one (its persons, its
external accounts) has its parent; once the API changed one, the objects table has it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from ..state import accounts
from ..state.db import loads
from ..state.events import save_object

__all__ = [
    "add_child",
    "children",
    "find",
    "list_of",
    "remove_child",
    "save",
    "singleton_id",
]


def find(db: sqlite3.Connection, account: str, object_id: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT body FROM objects WHERE account = ? AND id = ?", (account, object_id)
    ).fetchone()
    if row is None:
        return _account(db, account, object_id)
    body: dict[str, Any] = loads(row["body"])
    return body


def _account(db: sqlite3.Connection, account: str, object_id: str) -> dict[str, Any] | None:
    """The caller's own account or one connected to it, as the sandbox keeps it."""
    if not object_id.startswith("acct_"):
        return None
    if object_id != account and accounts.platform_of(db, object_id) != account:
        return None
    row = db.execute("SELECT body FROM accounts WHERE id = ?", (object_id,)).fetchone()
    return None if row is None else dict(loads(row["body"]))


def save(
    db: sqlite3.Connection, account: str, livemode: bool, body: dict[str, Any], now: int
) -> None:
    save_object(db, account, livemode, body, now)


def list_of(
    db: sqlite3.Connection, account: str, livemode: bool, object_types: Iterable[str]
) -> list[dict[str, Any]]:
    """The account's objects of these types, newest first, deleted ones left out."""
    types = sorted(set(object_types))
    marks = ", ".join("?" for _ in types)
    rows = db.execute(
        f"SELECT body FROM objects WHERE account = ? AND livemode = ? AND object IN ({marks})"
        " ORDER BY rowid DESC",
        (account, livemode, *types),
    )
    bodies = (loads(row["body"]) for row in rows)
    return [body for body in bodies if not body.get("deleted")]


def add_child(db: sqlite3.Connection, account: str, collection: str, object_id: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO object_children (account, collection, id) VALUES (?, ?, ?)",
        (account, collection, object_id),
    )


def remove_child(db: sqlite3.Connection, account: str, collection: str, object_id: str) -> None:
    db.execute(
        "DELETE FROM object_children WHERE account = ? AND collection = ? AND id = ?",
        (account, collection, object_id),
    )


def children(db: sqlite3.Connection, account: str, collection: str) -> list[dict[str, Any]]:
    """The objects listed under ``collection``, newest first."""
    rows = db.execute(
        "SELECT o.body FROM object_children c JOIN objects o"
        " ON o.account = c.account AND o.id = c.id"
        " WHERE c.account = ? AND c.collection = ? ORDER BY c.seq DESC",
        (account, collection),
    )
    bodies = (loads(row["body"]) for row in rows)
    return [body for body in bodies if not body.get("deleted")]


def singleton_id(path: str) -> str:
    """The key of an object that has no id of its own (``/v1/balance``): its path."""
    return f"singleton:{path}"
