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
