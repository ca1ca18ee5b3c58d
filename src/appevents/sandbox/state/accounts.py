"""Accounts (platforms and the connected accounts they create) and their API keys."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..stripe_errors import AuthenticationFailed, ResourceMissing
from .db import cache_of, dumps, loads
from .records import Key

__all__ = [
    "Key",
    "create_account",
    "delete_account",
    "get_account",
    "key_owner",
    "keys_of",
    "list_accounts",
    "save_account",
]


def create_account(
    db: sqlite3.Connection,
    body: dict[str, Any],
    *,
    platform: str | None,
    test_key: str,
    live_key: str,
) -> dict[str, Any]:
    db.execute(
        "INSERT INTO accounts (id, platform, created, body) VALUES (?, ?, ?, ?)",
        (body["id"], platform, body["created"], dumps(body)),
    )
    db.executemany(
        "INSERT INTO api_keys (key, account, livemode) VALUES (?, ?, ?)",
        [(test_key, body["id"], 0), (live_key, body["id"], 1)],
    )
    return body


def save_account(db: sqlite3.Connection, body: dict[str, Any]) -> None:
    """Replace an account's object (an update)."""
    db.execute("UPDATE accounts SET body = ? WHERE id = ?", (dumps(body), body["id"]))


def delete_account(db: sqlite3.Connection, account_id: str) -> dict[str, Any]:
    """Keep only Stripe's deleted stub of the account (its events and installs still name
    it) and drop its API keys, which stop working at once."""
    stub = {"id": account_id, "object": "account", "deleted": True}
    db.execute("UPDATE accounts SET body = ? WHERE id = ?", (dumps(stub), account_id))
    gone = [
        r["key"] for r in db.execute("SELECT key FROM api_keys WHERE account = ?", (account_id,))
    ]
    db.execute("DELETE FROM api_keys WHERE account = ?", (account_id,))
    if (cache := cache_of(db)) is not None:
        for key in gone:
            cache.keys.pop(key, None)
    return stub


def get_account(db: sqlite3.Connection, account_id: str) -> dict[str, Any]:
    """A live account (a deleted one is no longer found, as Stripe answers)."""
    row = db.execute("SELECT body FROM accounts WHERE id = ?", (account_id,)).fetchone()
    if row is None or loads(row["body"]).get("deleted"):
        raise ResourceMissing("account", account_id, param="account")
    body: dict[str, Any] = loads(row["body"])
    return body


def platform_of(db: sqlite3.Connection, account_id: str) -> str | None:
    """The platform that created the account (Connect); None for a standalone one."""
    cache = cache_of(db)
    if cache is not None and account_id in cache.platforms:
        return cache.platforms[account_id]
    row = db.execute("SELECT platform FROM accounts WHERE id = ?", (account_id,)).fetchone()
    if row is None:
        return None  # not cached: the account may be created later
    platform: str | None = row["platform"]
    if cache is not None:
        cache.platforms[account_id] = platform  # never changes once the account exists
    return platform


def list_accounts(db: sqlite3.Connection, *, platform: str | None) -> list[dict[str, Any]]:
    """Connected accounts of ``platform``, newest first; every platform if None."""
    if platform is None:
        rows = db.execute(  # rowid: accounts made within one second keep their order
            "SELECT body FROM accounts WHERE platform IS NULL ORDER BY created DESC, rowid DESC"
        )
    else:
        rows = db.execute(
            "SELECT body FROM accounts WHERE platform = ? ORDER BY created DESC, rowid DESC",
            (platform,),
        )
    bodies = (loads(r["body"]) for r in rows)
    return [body for body in bodies if not body.get("deleted")]


def connections(db: sqlite3.Connection) -> dict[str, str]:
    """Connected account -> the platform that created it."""
    rows = db.execute("SELECT id, platform FROM accounts WHERE platform IS NOT NULL")
    return {r["id"]: r["platform"] for r in rows}


def key_owner(db: sqlite3.Connection, key: str) -> Key:
    cache = cache_of(db)
    if cache is not None and (known := cache.keys.get(key)) is not None:
        return known
    row = db.execute("SELECT account, livemode FROM api_keys WHERE key = ?", (key,)).fetchone()
    if row is None:
        shown = f"{key[:8]}{'*' * 4}{key[-4:]}" if len(key) > 12 else "****"
        raise AuthenticationFailed(
            f"Invalid API Key provided: {shown}. Use a key `appevents sandbox` printed, "
            "or `appevents accounts list` to see the sandbox's keys."
        )
    owner = Key(row["account"], bool(row["livemode"]))
    if cache is not None:
        cache.keys[key] = owner  # never reassigned; a deleted account's are dropped here
    return owner


def keys_of(db: sqlite3.Connection, account_id: str) -> dict[str, str]:
    rows = db.execute("SELECT key, livemode FROM api_keys WHERE account = ?", (account_id,))
    return {("live" if r["livemode"] else "test"): r["key"] for r in rows}
