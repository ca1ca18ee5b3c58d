"""The `store` fixture: every store kind runs the same contract suite.

PostgreSQL tests get a fresh schema each (``PostgresStore(schema=…)`` sets the
``search_path``), dropped afterwards: creating one costs a few milliseconds, where a
fresh database would cost a second. Without a server they are skipped, loudly, naming
APPEVENTS_TEST_POSTGRES_URL; in CI they fail instead.
"""

from __future__ import annotations

import uuid

import pytest

from appevents.receiver import MemoryStore, SQLiteStore
from environment import postgres_url
from postgres_support import drop_schema, require_postgres


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


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        "sqlite-ingest-process",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def store(request, tmp_path):
    if request.param == "memory":
        store = MemoryStore()
    elif request.param.startswith("sqlite"):
        ingest_process = request.param == "sqlite-ingest-process"
        store = SQLiteStore(tmp_path / "inbox.db", ingest_process=ingest_process)
    else:
        store = request.getfixturevalue("postgres_store_factory")(max_size=2)
    async with store:
        yield store
