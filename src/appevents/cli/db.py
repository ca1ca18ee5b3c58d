"""``appevents db …``: create or upgrade the store's schema ahead of a deploy.

Every store migrates itself when it opens, so this is optional; it lets a deploy apply
migrations once, from one place, before new receivers and workers start. PostgreSQL
migrations run under an advisory lock, so running it while old processes still work is
safe: they simply wait for the lock when they next open the store.
"""

from __future__ import annotations

import click

from ..receiver.inbox import Store
from .common import open_store, run, store_for_writing, store_option

__all__ = ["db"]


@click.group()
def db() -> None:
    """Create or upgrade the store's schema."""


@db.command()
@store_option
def migrate(store_url: str | None) -> None:
    """Apply the store's missing migrations and list them. Environment: APPEVENTS_STORE.

    PostgreSQL: the versioned migrations missing from the database, in one transaction.
    SQLite: creates or upgrades the file (as opening it would).
    """
    store = store_for_writing(open_store(store_url))
    applied = run(_migrate(store))
    version = getattr(store, "schema_version", None)
    if applied is None or version is None:
        click.echo(f"{store.url}: schema ready (this store creates or upgrades it on open)")
        return
    for name in applied:
        click.echo(f"applied {name}")
    done = f"{len(applied)} migration(s) applied" if applied else "up to date"
    click.echo(f"{store.url}: {done}, at schema version {version}")


async def _migrate(store: Store) -> list[str] | None:
    """Open (and so migrate) the store; the migrations applied, None if it has no list."""
    async with store:
        # Only the PostgreSQL store keeps versioned migrations; the others create or
        # upgrade their schema in place when they open.
        applied: list[str] | None = getattr(store, "applied_migrations", None)
    return applied
