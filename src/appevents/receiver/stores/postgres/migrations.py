"""Versioned migrations of the PostgreSQL store: ``sql/migrations/NNNN_name.sql``.

:func:`migrate` applies the missing ones in order, in one transaction, under an
advisory lock, recording each in ``appevents_schema_version``. PostgreSQL's DDL is
transactional, so a failed migration leaves the schema as it was, and processes that
open a fresh database at the same moment take turns instead of racing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import psycopg

from ....errors import StoreError
from ..queries import load_queries

__all__ = ["LOCK_CLASS", "Migration", "migrate", "migrations"]

Q = load_queries(__package__, "queries.sql")
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")

LOCK_CLASS = 0x61657674
"""First key of every advisory lock the store takes ("aevt"), so that the second key
(a hash) cannot collide with the single-key advisory locks an app may use."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    """The file name without ``.sql``, e.g. ``0001_initial``."""
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration shipped, in version order; their versions are 1, 2, 3… without gaps."""
    folder = files(__package__) / "sql" / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is not None:
            sql = entry.read_text(encoding="utf-8")
            found.append(Migration(int(match[1]), entry.name.removesuffix(".sql"), sql))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"PostgreSQL migrations must be numbered 1, 2, 3…; found {versions}")
    return tuple(found)


async def migrate(
    connection: psycopg.AsyncConnection[Any], *, schema: str | None, server: str
) -> tuple[int, list[str]]:
    """Bring the schema up to date; returns its version and the migrations just applied.

    ``schema`` (a checked plain identifier) is created if missing; None means the first
    existing schema of the connection's ``search_path``.
    """
    known = migrations()
    async with connection.transaction():
        create_schema = schema is not None
        if schema is None:
            schema = await _current_schema(connection, server)
        await connection.execute(Q["lock_migrations"], {"lock_class": LOCK_CLASS, "schema": schema})
        if create_schema:  # only when asked: it needs the CREATE privilege on the database
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'.encode())
        await connection.execute(Q["create_version_table"])
        cursor = await connection.execute(Q["schema_version"])
        row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > len(known):
            raise StoreError(
                f"PostgreSQL store {server} schema {schema!r} is at version {version}, newer "
                f"than this appevents understands ({len(known)}): upgrade appevents"
            )
        applied = []
        for migration in known[version:]:
            await connection.execute(migration.sql)
            await connection.execute(
                Q["record_migration"], {"version": migration.version, "name": migration.name}
            )
            applied.append(migration.name)
    return len(known), applied


async def _current_schema(connection: psycopg.AsyncConnection[Any], server: str) -> str:
    cursor = await connection.execute("SELECT current_schema()")
    row = await cursor.fetchone()
    if row is None or row[0] is None:
        raise StoreError(
            f"PostgreSQL store {server}: no schema of the search_path exists, so there is "
            "nowhere to create appevents' tables: create one (CREATE SCHEMA appevents), "
            "then choose it with ?options=-c%20search_path%3Dappevents in the URL or "
            "PostgresStore(url, schema='appevents')"
        )
    return str(row[0])
