"""`appevents db migrate` on SQLite and PostgreSQL, as a user runs it."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import psycopg
import pytest
from click.testing import CliRunner

from appevents.cli.main import cli
from appevents.receiver.stores.postgres.migrations import migrations
from environment import POSTGRES_ENV, in_ci, postgres_url


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_migrate_creates_a_sqlite_store(tmp_path):
    path = tmp_path / "inbox.db"
    result = run("db", "migrate", "--store", f"sqlite:///{path}")
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"sqlite:///{path}: schema ready (this store creates or upgrades it on open)\n"
    )
    assert path.exists()


def test_migrate_names_an_unusable_store_url():
    result = run("db", "migrate", "--store", "mysql://db/inbox")
    assert result.exit_code == 1
    assert "'mysql' in 'mysql://db/inbox' is not supported" in result.output


def test_migrate_reports_an_unreachable_postgres_server_without_its_password():
    result = run(
        "db", "migrate", env={"APPEVENTS_STORE": "postgresql://app:hunter22@127.0.0.1:1/inbox"}
    )
    assert result.exit_code == 1
    assert "postgresql://app@127.0.0.1:1/inbox cannot be opened" in result.output
    assert "hunter22" not in result.output


@pytest.fixture
def fresh_schema():
    """An empty schema on the test server, dropped afterwards; skips loudly without one."""
    try:
        with psycopg.connect(postgres_url(), connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL at {postgres_url()} does not answer ({exc}): set {POSTGRES_ENV}"
        if in_ci():
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(postgres_url(), autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@pytest.mark.postgres
def test_migrate_applies_postgres_migrations_once_and_lists_them(fresh_schema):
    separator = "&" if "?" in postgres_url() else "?"
    url = f"{postgres_url()}{separator}options={quote(f'-c search_path={fresh_schema}')}"
    env = {"APPEVENTS_STORE": url}

    missing = run("db", "migrate", env=env)
    assert missing.exit_code == 1
    assert "no schema of the search_path exists" in missing.output

    with psycopg.connect(postgres_url(), autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{fresh_schema}"'.encode())
    first = run("db", "migrate", env=env)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    shipped = [m.name for m in migrations()]
    assert lines[: len(shipped)] == [f"applied {name}" for name in shipped]
    assert shipped[0] == "0001_initial"
    last = len(shipped)
    assert lines[-1].endswith(f": {last} migration(s) applied, at schema version {last}")
    second = run("db", "migrate", "--store", url)
    assert second.exit_code == 0, second.output
    assert second.output.endswith(f": up to date, at schema version {last}\n")
