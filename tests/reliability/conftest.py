"""`store_url`: every reliability test runs on each store kind that serves many processes:
SQLite (one file) and PostgreSQL (a fresh schema per test, for real in CI)."""

from __future__ import annotations

import pytest

from postgres_support import create_schema, drop_schema, url_with_schema


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'inbox.db'}"
        return
    schema = create_schema()
    yield url_with_schema(schema)
    drop_schema(schema)
