"""The v2 Accounts API's rows: accounts (their v2 body beside the v1 row of ``accounts``),
their persons and account links. Each read is scoped to the account that created them
(``platform``) and the mode, so another account's ids answer as ids that do not exist."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from ..stripe_errors import ResourceMissing
from .db import dumps, loads

__all__ = [
    "LinkRow",
    "Row",
    "get_account",
    "get_link",
    "get_person",
    "insert_account",
    "insert_link",
    "insert_person",
    "list_accounts",
    "list_persons",
    "save_account",
    "save_person",
    "use_link",
]


@dataclass(frozen=True, slots=True)
class Row:
    seq: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkRow:
    token: str
    account: str
    platform: str
    livemode: bool
    expires_at: int
    used: bool
    body: dict[str, Any]


def insert_account(db: sqlite3.Connection, body: dict[str, Any], platform: str) -> None:
    db.execute(
        "INSERT INTO v2_accounts (id, platform, livemode, body) VALUES (?, ?, ?, ?)",
        (body["id"], platform, body["livemode"], dumps(body)),
    )


def save_account(db: sqlite3.Connection, body: dict[str, Any]) -> None:
    db.execute(
        "UPDATE v2_accounts SET body = ?, closed = ? WHERE id = ?",
        (dumps(body), bool(body.get("closed")), body["id"]),
    )


def get_account(
    db: sqlite3.Connection, account_id: str, *, platform: str, livemode: bool
) -> dict[str, Any]:
    """The account ``platform`` created (or ``platform`` itself, when it is a v2 account)."""
    row = db.execute(
        "SELECT body FROM v2_accounts WHERE id = ? AND livemode = ? AND (platform = ? OR id = ?)",
        (account_id, livemode, platform, platform),
    ).fetchone()
    if row is None:
        raise ResourceMissing("v2.core.account", account_id, param="id")
    body: dict[str, Any] = loads(row["body"])
    return body


def list_accounts(
    db: sqlite3.Connection,
    *,
    platform: str,
    livemode: bool,
    closed: bool | None,
    applied: list[str],
    limit: int,
    before: int | None,
    after: int | None,
) -> tuple[list[Row], bool]:
    """Newest first: up to ``limit`` rows older than ``before`` (or newer than ``after``,
    the previous page), and whether there are more beyond them."""
    where, args = ["platform = ?", "livemode = ?"], [platform, livemode]
    if closed is not None:
        where.append("closed = ?")
        args.append(closed)
    for configuration in applied:  # accounts that have every one of them
        where.append(
            "EXISTS (SELECT 1 FROM json_each(body, '$.applied_configurations') WHERE value = ?)"
        )
        args.append(configuration)
    return _page(db, "v2_accounts", where, args, limit, before, after)


def insert_person(db: sqlite3.Connection, body: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO v2_persons (id, account, body) VALUES (?, ?, ?)",
        (body["id"], body["account"], dumps(body)),
    )


def save_person(db: sqlite3.Connection, body: dict[str, Any], *, deleted: bool = False) -> None:
    db.execute(
        "UPDATE v2_persons SET body = ?, deleted = ? WHERE id = ?",
        (dumps(body), deleted, body["id"]),
    )


def get_person(
    db: sqlite3.Connection, account_id: str, person_id: str
) -> tuple[dict[str, Any], bool]:
    """A person of ``account_id`` and whether it was deleted."""
    row = db.execute(
        "SELECT body, deleted FROM v2_persons WHERE id = ? AND account = ?",
        (person_id, account_id),
    ).fetchone()
    if row is None:
        raise ResourceMissing("v2.core.account_person", person_id, param="id")
    return loads(row["body"]), bool(row["deleted"])


def list_persons(
    db: sqlite3.Connection, account_id: str, *, limit: int, before: int | None, after: int | None
) -> tuple[list[Row], bool]:
    return _page(db, "v2_persons", ["account = ?", "deleted = 0"], [account_id], limit, before,
                 after)  # fmt: skip


def insert_link(db: sqlite3.Connection, link: LinkRow) -> None:
    db.execute(
        "INSERT INTO v2_account_links (token, account, platform, livemode, expires_at, body)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (link.token, link.account, link.platform, link.livemode, link.expires_at,
         dumps(link.body)),
    )  # fmt: skip


def get_link(db: sqlite3.Connection, token: str) -> LinkRow | None:
    row = db.execute("SELECT * FROM v2_account_links WHERE token = ?", (token,)).fetchone()
    if row is None:
        return None
    return LinkRow(
        row["token"], row["account"], row["platform"], bool(row["livemode"]), row["expires_at"],
        bool(row["used"]), loads(row["body"]),
    )  # fmt: skip


def use_link(db: sqlite3.Connection, token: str) -> bool:
    """Mark the link used; False if it already was (links are single use)."""
    changed = db.execute(
        "UPDATE v2_account_links SET used = 1 WHERE token = ? AND used = 0", (token,)
    ).rowcount
    return bool(changed)


def _page(
    db: sqlite3.Connection,
    table: str,
    where: list[str],
    args: list[Any],
    limit: int,
    before: int | None,
    after: int | None,
) -> tuple[list[Row], bool]:
    order = "DESC"
    if before is not None:
        where, args = [*where, "seq < ?"], [*args, before]
    elif after is not None:
        where, args, order = [*where, "seq > ?"], [*args, after], "ASC"
    rows = db.execute(
        f"SELECT seq, body FROM {table} WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?",
        (*args, limit + 1),
    ).fetchall()
    found = [Row(r["seq"], loads(r["body"])) for r in rows[:limit]]
    if order == "ASC":
        found.reverse()
    return found, len(rows) > limit
