"""The `store` fixture: every store kind runs the same contract suite.

PostgreSQL tests get a fresh schema each (``PostgresStore(schema=…)`` sets the
``search_path``), dropped afterwards: creating one costs a few milliseconds, where a
fresh database would cost a second. Without a server they are skipped, loudly, naming
APPEVENTS_TEST_POSTGRES_URL; in CI they fail instead.
"""

from __future__ import annotations

import uuid
from functools import cache

import pytest

from appevents.receiver import MemoryStore, SQLiteStore
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


@pytest.fixture
def postgres_schema():
    """A unique schema name on the test server, dropped after the test."""
    require_postgres()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield schema
    drop_schema(schema)


@pytest.fixture
def postgres_store_factory(postgres_schema):
    """Build PostgresStores on the test's schema (several = several workers)."""
    from appevents.receiver.stores.postgres import PostgresStore

    def build(**options):
        return PostgresStore(postgres_url(), schema=postgres_schema, **options)

    return build


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request, tmp_path):
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path / "inbox.db")
    else:
        store = request.getfixturevalue("postgres_store_factory")(max_size=2)
    async with store:
        yield store
