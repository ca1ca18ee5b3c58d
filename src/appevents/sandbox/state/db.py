"""The sandbox's SQLite database: open, migrate, JSON columns."""

from __future__ import annotations

import json
import sqlite3
from importlib.resources import files
from pathlib import Path
from typing import Any

from ...errors import ConfigurationError, StoreError

__all__ = ["connect", "dumps", "loads"]

SCHEMA_VERSION = 2  # every version's schema.sql is idempotent: it upgrades older files


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating and migrating) the state database at ``path`` (or ``:memory:``)."""
    if str(path) != ":memory:" and not Path(path).parent.exists():
        raise ConfigurationError(
            f"sandbox data file {str(path)!r}: folder {str(Path(path).parent)!r} does not exist"
        )
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # a dev tool: survive crashes, not power loss
    db.execute("PRAGMA foreign_keys = ON")
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"sandbox data {path} has schema version {version}, newer than this appevents "
            f"({SCHEMA_VERSION}): upgrade appevents or use `appevents sandbox --reset`"
        )
    if version < SCHEMA_VERSION:
        schema = (files("appevents.sandbox") / "sql" / "schema.sql").read_text()
        db.executescript(f"BEGIN IMMEDIATE;\n{schema}\nCOMMIT;")
    return db


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text)
