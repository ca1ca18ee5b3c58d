"""Every v1 event type Stripe publishes: the object it carries and the permissions that let an
app receive it (``event_read`` plus any one of :func:`permissions_for`).

Permissions are ``documented`` when Stripe's event permissions table lists the type, and
``inferred`` otherwise (documented siblings, else the resource's own read permission; an empty
tuple when nothing sensible exists).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal, cast

from ..errors import ConfigurationError, UnknownName
from ._data import closest, load

PermissionsSource = Literal["documented", "inferred"]


@dataclass(frozen=True, slots=True)
class EventInfo:
    """What the catalog knows about one event type."""

    type: str
    object_type: str
    """The ``object`` value of ``data.object``, e.g. ``dispute`` for ``charge.dispute.created``."""
    permissions: tuple[str, ...]
    """Any one of these, together with ``event_read``, lets an app receive the event."""
    permissions_source: PermissionsSource
    recommended_permission: str | None
    """The permission to grant when none is: the one named after the resource, else the first."""

    @property
    def documented(self) -> bool:
        return self.permissions_source == "documented"


@functools.cache
def _catalog() -> dict[str, EventInfo]:
    events = load("events.json")["events"]
    return {
        name: EventInfo(
            type=name,
            object_type=entry["object"],
            permissions=tuple(entry["permissions"]),
            permissions_source=cast(PermissionsSource, entry["permissions_source"]),
            recommended_permission=entry["recommended_permission"],
        )
        for name, entry in events.items()
    }


@functools.cache
def _all_types() -> tuple[str, ...]:
    return tuple(sorted(_catalog()))


def is_known_event_type(event_type: str) -> bool:
    return event_type in _catalog()


def event_info(event_type: str) -> EventInfo:
    """Everything known about ``event_type``; UnknownName (with suggestions) if unknown."""
    try:
        return _catalog()[event_type]
    except KeyError:
        raise UnknownName("event type", event_type, closest(event_type, _all_types())) from None


def permissions_for(event_type: str) -> tuple[str, ...]:
    """The permissions any one of which (plus ``event_read``) delivers ``event_type``."""
    return event_info(event_type).permissions


def object_type_for(event_type: str) -> str:
    """The ``object`` of the resource ``event_type`` carries in ``data.object``."""
    return event_info(event_type).object_type


def is_pattern(pattern: str) -> bool:
    return "*" in pattern


def event_types(matching: str = "*") -> list[str]:
    """The known event types matching an exact name, ``prefix.*`` or ``*``, sorted.

    ``prefix.*`` also matches deeper types (``charge.*`` includes ``charge.dispute.created``),
    as Stripe's own ``type`` filter does. Raises UnknownName when nothing matches and
    ConfigurationError for any other wildcard form.
    """
    if matching == "*":
        return list(_all_types())
    if not is_pattern(matching):
        return [event_info(matching).type]
    prefix = matching.removesuffix("*")
    if not matching.endswith(".*") or "*" in prefix:
        raise ConfigurationError(
            f"unsupported event type pattern {matching!r}: use an exact type "
            "(payment_intent.succeeded), a prefix (payment_intent.*) or *"
        )
    found = [name for name in _all_types() if name.startswith(prefix)]
    if not found:
        prefixes = sorted({name.rsplit(".", 1)[0] + ".*" for name in _all_types()})
        raise UnknownName("event type pattern", matching, closest(matching, prefixes))
    return found
