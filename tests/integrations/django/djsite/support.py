"""What this folder's tests share (one import per process, so one schema name)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

SECRET = "whsec_django_test"
PG_SCHEMA = f"test_django_{uuid.uuid4().hex[:10]}"


def sqlite_rows(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return list(db.execute("SELECT id, status FROM events ORDER BY id"))
    finally:
        db.close()


def fresh_database(alias: str) -> None:
    """No appevents tables, and an empty Payment table, in ``alias``."""
    from django.db import connections

    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE')
            cursor.execute(f'CREATE SCHEMA "{PG_SCHEMA}"')
        else:
            cursor.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            for kind, name in cursor.fetchall():
                if kind in ("table", "view"):
                    cursor.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
            cursor.execute("PRAGMA user_version = 0")
    connection.close()  # a new session resolves the recreated schema of its search_path
    with connection.schema_editor() as editor:
        from .models import Payment

        editor.create_model(Payment)
    connection.close()
