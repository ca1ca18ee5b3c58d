"""PostgreSQL for the tests: is there a server, a fresh schema, a URL that uses it."""

from __future__ import annotations

import uuid
from functools import cache
from urllib.parse import quote

import pytest

from environment import POSTGRES_ENV, in_ci, postgres_url


@cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None if they can (asked once)."""
    import psycopg

    try:
        with psycopg.connect(postgres_url(), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {postgres_url()} does not answer ({exc})"
    return None


def require_postgres() -> str:
    """The test server's URL; skips (or, in CI, fails) the test when there is none."""
    problem = _postgres_problem()
    if problem is not None:
        message = f"{problem}: set {POSTGRES_ENV}=postgresql://user@host:port/db"
        if in_ci():
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    return postgres_url()


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url(), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


def create_schema() -> str:
    """A new, empty schema on the test server; pass it to ``url_with_schema``."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(require_postgres(), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"'.encode())
    return schema


def url_with_schema(schema: str) -> str:
    """The test server's URL with ``search_path`` set: every process using it sees only
    that schema's tables."""
    separator = "&" if "?" in postgres_url() else "?"
    return f"{postgres_url()}{separator}options={quote('-c search_path=' + schema)}"
