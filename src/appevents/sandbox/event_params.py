"""The parameters of a raw event (``POST /_sandbox/events``): its type and its object."""

from __future__ import annotations

import re
from typing import Any

from .formdata import as_dict, shown
from .stripe_errors import InvalidRequest

__all__ = ["MAX_TYPE_LENGTH", "data_object", "event_type"]

MAX_TYPE_LENGTH = 100
"""Stripe's longest event type has under 70 characters."""
_EVENT_TYPE = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")


def event_type(value: Any) -> str:
    if value is None or value == "":
        raise InvalidRequest(
            "Missing required param: type (an event type like payment_intent.succeeded)",
            param="type",
        )
    if (
        not isinstance(value, str)
        or len(value) > MAX_TYPE_LENGTH
        or not _EVENT_TYPE.fullmatch(value)
    ):
        raise InvalidRequest(
            f"Invalid type: {shown(value)}: expected a dotted event type like "
            f"payment_intent.succeeded (lowercase letters, digits and _, at most "
            f"{MAX_TYPE_LENGTH} characters)",
            param="type",
        )
    return value


def data_object(value: Any) -> dict[str, Any]:
    """``data.object``: an object whose ``id`` and ``object`` (its type), when given, are
    strings, as every Stripe object's are."""
    if value is None:
        raise InvalidRequest(
            'Missing required param: object (the event\'s data.object, like {"id": "cus_1", '
            '"object": "customer"})',
            param="object",
        )
    obj = as_dict(value, "object")
    for field in ("id", "object"):
        if field in obj and not isinstance(obj[field], str):
            raise InvalidRequest(
                f"Invalid object[{field}]: {shown(obj[field])}: expected a string "
                f"(like {'cus_1' if field == 'id' else 'customer'})",
                param=f"object[{field}]",
            )
    return obj
