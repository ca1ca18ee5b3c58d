"""Read a store's tables from the test process, whatever the store (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlite3
from typing import Any


def query(store_url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if store_url.startswith("sqlite:///"):
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(store_url, autocommit=True) as db:
        return db.execute(sql.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]


def unfinished(store_url: str) -> int:
    return int(
        query(store_url, "SELECT COUNT(*) FROM events WHERE status IN ('pending', 'failed')")[0][0]
    )
