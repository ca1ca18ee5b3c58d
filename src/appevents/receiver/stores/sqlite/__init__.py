"""The embedded SQLite store: ``store`` (the Store), ``connection`` (schema, migrations,
lanes), ``ingest`` and ``ingest_process``/``ingest_child`` (the receivers' commits),
``lock`` (turns between processes sharing the file), ``payloads`` (their encoding)."""

from .store import SQLiteStore

__all__ = ["SQLiteStore"]
