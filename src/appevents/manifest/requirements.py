"""Which permissions an app needs to receive its events, and which its manifest lacks.

Stripe sends an event to an app only when the app's manifest grants ``event_read`` plus any one
of the event's permissions (catalog). When none is granted we recommend the most specific one:
the permission named after the event's resource (``payment_intent_read`` for
``payment_intent.succeeded``), else the first the table lists.

``*`` (every event) asks for ``event_read`` only: it receives whatever the granted permissions
allow, and demanding a hundred permissions for it would help nobody.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import catalog
from ..errors import AppEventsError
from .document import DEFAULT_MANIFEST, Manifest

EVENT_READ = "event_read"
WILDCARD = "*"

# How Stripe's own "listen to events" guide names these resources in purposes.
_RESOURCE_LABELS = {
    "payment_intent": "PaymentIntent",
    "setup_intent": "SetupIntent",
    "payment_method": "PaymentMethod",
    "checkout_session": "Checkout Session",
}


@dataclass(frozen=True)
class PermissionNeed:
    """A permission to grant so the app receives ``event_types``."""

    permission: str
    event_types: tuple[str, ...]
    alternatives: tuple[str, ...] = ()
    """Other permissions that would deliver every one of ``event_types`` just as well."""

    @property
    def purpose(self) -> str:
        return default_purpose(self.permission)

    def grant_command(self, manifest_path: str | os.PathLike[str] | None = None) -> str:
        return grant_command(self.permission, self.purpose, manifest_path)


@dataclass(frozen=True)
class EventSelection:
    """Event types named by patterns (exact, ``prefix.*``, ``*``), expanded."""

    event_types: tuple[str, ...]
    wildcard: bool
    """``*`` was among the patterns."""

    @classmethod
    def expand(cls, patterns: Iterable[str]) -> EventSelection:
        """Raises UnknownName / ConfigurationError for a pattern the catalog cannot resolve."""
        found: dict[str, None] = {}
        wildcard = False
        for pattern in patterns:
            if pattern == WILDCARD:
                wildcard = True
                continue
            found.update(dict.fromkeys(catalog.event_types(pattern)))
        return cls(tuple(found), wildcard)

    @property
    def without_known_permission(self) -> tuple[str, ...]:
        """Types for which no permission is known (Stripe may never send them to an app)."""
        return tuple(t for t in self.event_types if not catalog.permissions_for(t))


def required_permissions(event_types: Iterable[str]) -> list[PermissionNeed]:
    """Everything an app with no permissions would need to receive ``event_types``."""
    return _needs(EventSelection.expand(event_types), frozenset())


def missing_permissions(manifest: Manifest, event_types: Iterable[str]) -> list[PermissionNeed]:
    """What ``manifest`` must still grant for the app to receive ``event_types``."""
    return _needs(EventSelection.expand(event_types), manifest.granted_permissions())


def default_purpose(permission: str) -> str:
    """A purpose in the style of Stripe's guide ("Read PaymentIntent data in webhook events")."""
    if permission == EVENT_READ:
        return "Read webhook event data"
    resource, _, access = permission.rpartition("_")
    label = _RESOURCE_LABELS.get(resource) or resource.replace("_", " ").title()
    if access == "read":
        return f"Read {label} data in webhook events"
    return f"{access.title()} {label} data"


def grant_command(
    permission: str, purpose: str, manifest_path: str | os.PathLike[str] | None = None
) -> str:
    """The exact ``appevents apps grant permission`` command line that grants ``permission``."""
    command = f'appevents apps grant permission {permission} "{purpose}"'
    if manifest_path is not None and Path(manifest_path) != Path(DEFAULT_MANIFEST):
        command += f" --manifest {manifest_path}"
    return command


def check_app_permissions(
    manifest_path: str | os.PathLike[str], event_types: Iterable[str]
) -> list[str]:
    """Warning lines for ``appevents serve`` start-up: permissions the manifest lacks for the
    app's handlers, each with the command that fixes it. Never raises for a bad manifest or an
    unknown event type: those become warning lines too."""
    path = Path(manifest_path)
    try:
        selection = EventSelection.expand(event_types)
        manifest = Manifest.load(path)
        needs = _needs(selection, manifest.granted_permissions())
    except AppEventsError as error:
        return [f"cannot check the app's permissions: {error}"]
    lines = [
        f"{path.name} does not grant {need.permission}"
        + (f" (or {' / '.join(need.alternatives)})" if need.alternatives else "")
        + f", so Stripe will not send {describe_event_types(need.event_types)} to the app; "
        f"fix: {need.grant_command(path)}"
        for need in needs
    ]
    if selection.without_known_permission:
        lines.append(unmapped_note(selection.without_known_permission))
    return lines


def describe_event_types(event_types: tuple[str, ...], limit: int = 3) -> str:
    if event_types == (WILDCARD,):
        return "any event"
    shown = ", ".join(event_types[:limit])
    more = len(event_types) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def unmapped_note(event_types: tuple[str, ...]) -> str:
    return (
        f"no permission is known to deliver {describe_event_types(event_types)} to apps "
        "(Stripe's event permissions table does not list them); Stripe may not send them"
    )


def _needs(selection: EventSelection, granted: frozenset[str]) -> list[PermissionNeed]:
    needs: list[PermissionNeed] = []
    if EVENT_READ not in granted:
        everything = selection.event_types + ((WILDCARD,) if selection.wildcard else ())
        needs.append(PermissionNeed(EVENT_READ, everything))
    by_permission: dict[str, list[catalog.EventInfo]] = {}
    for event_type in selection.event_types:
        info = catalog.event_info(event_type)
        if info.recommended_permission is None or info.permissions == (EVENT_READ,):
            continue  # nothing known beyond event_read, or event_read alone suffices
        if granted.intersection(info.permissions):
            continue
        by_permission.setdefault(info.recommended_permission, []).append(info)
    for permission, infos in by_permission.items():
        shared = set(infos[0].permissions).intersection(*(i.permissions for i in infos))
        alternatives = tuple(p for p in infos[0].permissions if p in shared and p != permission)
        needs.append(PermissionNeed(permission, tuple(i.type for i in infos), alternatives))
    return needs
