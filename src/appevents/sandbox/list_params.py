"""Stripe's list parameters, checked: ``limit``, the ``starting_after`` / ``ending_before``
cursors, ``created`` filters and event ``type`` / ``types``; and paging a list by them."""

from __future__ import annotations

from typing import Any

from .formdata import as_int, as_str, shown
from .stripe_errors import InvalidRequest, ResourceMissing

__all__ = ["created_filter", "cursor", "event_types", "limit", "page"]

MAX_TYPES = 20
_CREATED_OPERATORS = ("gt", "gte", "lt", "lte")


def limit(params: dict[str, Any]) -> int:
    return as_int(params.get("limit", "10"), "limit", minimum=1, maximum=100)


def cursor(params: dict[str, Any], name: str) -> str | None:
    """``starting_after`` or ``ending_before``: an object id."""
    value = params.get(name)
    return None if value is None else as_str(value, name)


def created_filter(params: dict[str, Any]) -> dict[str, int] | None:
    """``created=T`` (exactly T) or ``created[gt|gte|lt|lte]=T``."""
    created = params.get("created")
    if created is None:
        return None
    if not isinstance(created, dict):
        return {"eq": as_int(created, "created")}
    unknown = [op for op in created if op not in _CREATED_OPERATORS]
    if unknown:
        raise InvalidRequest(
            f"Invalid created[{unknown[0]}]: use created[gt], created[gte], created[lt] or "
            "created[lte] (a Unix timestamp each), or created=TIMESTAMP",
            param=f"created[{unknown[0]}]",
        )
    return {op: as_int(value, f"created[{op}]") for op, value in created.items()}


def event_types(params: dict[str, Any]) -> list[str]:
    """``type`` (one type or ``prefix.*``) or ``types`` (a list of at most 20)."""
    if "type" in params and "types" in params:
        raise InvalidRequest("You may pass either type or types, but not both", param="types")
    if "type" in params:
        return [_event_type(params["type"], "type")]
    types = params.get("types") or []
    if not isinstance(types, list) or len(types) > MAX_TYPES:
        raise InvalidRequest(
            f"Invalid types: {shown(types)}: expected a list of at most {MAX_TYPES} event types",
            param="types",
        )
    return [_event_type(each, f"types[{n}]") for n, each in enumerate(types)]


def _event_type(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(
            f"Invalid {param}: {shown(value)}: expected a string, an event type like "
            "charge.succeeded or charge.*",
            param=param,
        )
    return value


def page(rows: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Stripe cursor pagination over an already ordered (newest first) list."""
    size = limit(params)
    ids = [r["id"] for r in rows]
    after, before = cursor(params, "starting_after"), cursor(params, "ending_before")
    if after is not None and before is not None:
        raise InvalidRequest(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    if after is not None:
        if after not in ids:
            raise ResourceMissing("object", after, param="starting_after")
        rows = rows[ids.index(after) + 1 :]
        data = rows[:size]
    elif before is not None:
        if before not in ids:
            raise ResourceMissing("object", before, param="ending_before")
        rows = rows[: ids.index(before)]
        data = rows[-size:]  # the page just before the cursor
    else:
        data = rows[:size]
    return {"object": "list", "data": data, "has_more": len(rows) > size, "url": url}
