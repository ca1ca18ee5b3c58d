"""The sandbox state's records: immutable values the state functions return and the
caches hold (cache.py); kept apart so the cache needs none of the functions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["AppRecord", "Endpoint", "Install", "Key"]


@dataclass(frozen=True, slots=True)
class Key:
    """Who an API key acts as."""

    account: str
    livemode: bool


@dataclass(frozen=True, slots=True)
class AppRecord:
    id: str
    owner: str
    manifest_id: str
    name: str
    created: int


@dataclass(frozen=True, slots=True)
class Install:
    account: str
    app: str
    mode: str
    version: str
    active: bool
    installed_at: int
    uninstalled_at: int | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    account: str
    livemode: bool
    connect: bool
    application: str | None
    url: str
    enabled_events: tuple[str, ...]
    status: str
    secret: str
    api_version: str | None
    description: str | None
    metadata: dict[str, str]
    created: int
    failing_since: float | None = None
    payload: str = "snapshot"
    """What it is sent: ``snapshot`` events (v1), or ``thin`` ones (a v2 destination's)."""
    also_own: bool = False
    """A Connect one (``connect``) that gets its owner's own events too: a v2 destination
    whose ``events_from`` has both ``@self`` and ``@accounts``."""
    destination: bool = False
    """A v2 event destination's (not listed among the v1 webhook endpoints)."""

    def to_api(self, *, with_secret: bool = False) -> dict[str, Any]:
        """The webhook_endpoint object; the secret only in the create response, as Stripe."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": self.application,
            "created": self.created,
            "description": self.description,
            "enabled_events": list(self.enabled_events),
            "livemode": self.livemode,
            "metadata": dict(self.metadata),  # a copy: the endpoint itself may be cached
            "status": self.status,
            "url": self.url,
        }
        if with_secret:
            body["secret"] = self.secret
        return body

    def changed(self, **changes: Any) -> Endpoint:
        return replace(self, **changes)
