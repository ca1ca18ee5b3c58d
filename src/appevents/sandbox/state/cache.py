"""What the sandbox's hot paths read, kept in memory next to the connection.

Every API call authenticates a key and every event is routed: without these caches each
one costs a handful of SQLite reads of rows that almost never change. The entries are
owned by the state functions (accounts, apps, endpoints): a read fills one, the write
that changes the row replaces or drops it, and a rollback clears everything (db.py).
Values are immutable (frozen dataclasses, tuples, frozensets), so handing them out
shares nothing a caller could change.

The endpoint mirror is the one part read from another thread: the delivery engine, on
the event loop, checks an endpoint's current URL and status before each POST. It is a
complete copy of the live endpoints, replaced entry by entry (atomic under the GIL).
"""

from __future__ import annotations

from .records import AppRecord, Endpoint, Install, Key

__all__ = ["StateCache"]


class StateCache:
    def __init__(self) -> None:
        self.keys: dict[str, Key] = {}
        self.platforms: dict[str, str | None] = {}
        self.installs: dict[str, tuple[Install, ...]] = {}
        self.apps: dict[str, AppRecord] = {}
        self.permissions: dict[tuple[str, str], frozenset[str]] = {}
        self.endpoints: dict[str, Endpoint] | None = None
        """Every endpoint not deleted, by id; None until first loaded."""
        self.candidates: dict[str, tuple[Endpoint, ...]] = {}
        """Per account: the endpoints its events could go to (its own + every Connect one)."""

    def clear(self) -> None:
        self.keys = {}
        self.platforms = {}
        self.installs = {}
        self.apps = {}
        self.permissions = {}
        self.endpoints = None
        self.candidates = {}

    def endpoint_saved(self, endpoint: Endpoint) -> None:
        if self.endpoints is not None:
            self.endpoints[endpoint.id] = endpoint
        self.candidates = {}

    def endpoint_deleted(self, endpoint_id: str) -> None:
        if self.endpoints is not None:
            self.endpoints.pop(endpoint_id, None)
        self.candidates = {}
