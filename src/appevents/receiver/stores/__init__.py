"""Store backends, chosen by URL: ``memory://``, ``sqlite:///path``, ``postgresql://…``."""

from __future__ import annotations

import importlib

from ...errors import ConfigurationError
from ..inbox import Store

__all__ = ["open_store_url"]


def open_store_url(url: str, *, wait_timeout: float | None = None) -> Store:
    """Build (not yet open) the store a URL names.

    ``wait_timeout``: seconds a receiver's commit may wait for the store (the SQLite write
    lock, a PostgreSQL connection) before it fails; ``App`` passes its commit timeout, so
    that the store gives up when the delivery has had its 503. None: the store's default.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"store URL {url!r} is not a URL: use sqlite:///path/to/inbox.db, memory:// "
            "or postgresql://user@host/db"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore.from_url(url, ingest_busy_timeout=wait_timeout)
    if scheme in ("postgres", "postgresql"):
        try:
            postgres = importlib.import_module(f"{__name__}.postgres")
        except ImportError as exc:
            raise ConfigurationError(
                f"store URL {url!r} needs PostgreSQL support: pip install 'appevents[postgres]' "
                f"({exc})"
            ) from None
        options = {} if wait_timeout is None else {"connect_timeout": wait_timeout}
        store: Store = postgres.PostgresStore(url, **options)
        return store
    raise ConfigurationError(
        f"store URL scheme {scheme!r} in {url!r} is not supported: use sqlite:///path, "
        "memory:// or postgresql://…"
    )
