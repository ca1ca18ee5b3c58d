"""Store backends, chosen by URL: ``memory://``, ``sqlite:///path``, ``postgresql://…``."""

from __future__ import annotations

import importlib

from ...errors import ConfigurationError
from ..inbox import Store

__all__ = ["open_store_url"]


def open_store_url(url: str) -> Store:
    """Build (not yet open) the store a URL names."""
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

        return SQLiteStore.from_url(url)
    if scheme in ("postgres", "postgresql"):
        try:
            postgres = importlib.import_module(f"{__name__}.postgres")
        except ImportError as exc:
            raise ConfigurationError(
                f"store URL {url!r} needs PostgreSQL support: pip install 'appevents[postgres]' "
                f"({exc})"
            ) from None
        store: Store = postgres.PostgresStore(url)
        return store
    raise ConfigurationError(
        f"store URL scheme {scheme!r} in {url!r} is not supported: use sqlite:///path, "
        "memory:// or postgresql://…"
    )
