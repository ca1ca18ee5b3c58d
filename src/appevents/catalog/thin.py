"""Stripe's v2 thin event types: the object each names (``related_object``), whether it
carries ``data``, its snapshot twin, the permissions that let an app receive it; and the
fields of the v2 objects. Generated from stripe-python's source (scripts/thin_catalog.py).

A thin event is a small, unversioned notification (``object: "v2.core.event"``); the
receiver fetches the event (``GET /v2/core/events/{id}``) and the related object for more.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..errors import UnknownName
from ._data import closest, load

__all__ = [
    "ThinEventInfo",
    "is_thin_event_type",
    "thin_event_info",
    "thin_event_types",
    "v2_fields",
]


@dataclass(frozen=True, slots=True)
class ThinEventInfo:
    type: str
    related_object: str | None
    """The ``related_object.type`` its notifications name (``billing.meter``), None when
    they name none (``v1.billing.meter.no_meter_found``)."""
    data_fields: tuple[str, ...] | None
    """The fields of its ``data`` (None: the type has no ``data``)."""
    snapshot_type: str | None
    """The v1 snapshot type it mirrors (``charge.succeeded`` for ``v1.charge.succeeded``)."""
    permissions: tuple[str, ...]
    """Any one of these, with ``event_read``, lets an app's destination receive it."""


@functools.cache
def _catalog() -> dict[str, ThinEventInfo]:
    return {
        name: ThinEventInfo(
            name,
            entry["related_object"],
            None if entry["data"] is None else tuple(entry["data"]),
            entry["snapshot_type"],
            tuple(entry["permissions"]),
        )
        for name, entry in load("thin_events.json")["thin_events"].items()
    }


def is_thin_event_type(event_type: str) -> bool:
    return event_type in _catalog()


def thin_event_info(event_type: str) -> ThinEventInfo:
    """What is known of ``event_type``; UnknownName (with the closest names) otherwise."""
    try:
        return _catalog()[event_type]
    except KeyError:
        raise UnknownName(
            "thin event type", event_type, closest(event_type, thin_event_types())
        ) from None


@functools.cache
def thin_event_types() -> tuple[str, ...]:
    return tuple(sorted(_catalog()))


def v2_fields(object_name: str) -> dict[str, bool]:
    """The top-level fields of a v2 object (``v2.core.event_destination``), each with
    whether it is nullable; callers must not change the dict."""
    fields: dict[str, bool] = load("thin_events.json")["v2_objects"][object_name]
    return fields
