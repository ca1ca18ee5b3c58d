"""v2 parameters: JSON bodies (typed as JSON types them) and query strings (strings),
checked as Stripe checks them, each error naming the parameter and what it takes."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any

from .errors import V2Error

__all__ = ["known_only", "limit", "optional_str", "parse_time", "required_str", "strings"]

MAX_LIMIT = 100


def known_only(params: dict[str, Any], known: Collection[str]) -> None:
    for name in params:
        if name not in known:
            raise V2Error(
                f"Received unknown parameter: {name}. Known: {', '.join(sorted(known))}",
                param=name, code="parameter_unknown",
            )  # fmt: skip


def required_str(params: dict[str, Any], name: str, what: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise V2Error(f"Missing required param: {name} ({what})", param=name,
                      code="parameter_missing")  # fmt: skip
    return _str(value, name)


def optional_str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else _str(value, name)


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise V2Error(f"Invalid {name}: expected a string, got {type(value).__name__}",
                      param=name)  # fmt: skip
    if len(value) > 5000:
        raise V2Error(f"Invalid {name}: at most 5000 characters", param=name)
    return value


def strings(params: dict[str, Any], name: str, *, required: bool = False) -> list[str]:
    value = params.get(name)
    if value is None:
        if required:
            raise V2Error(f"Missing required param: {name} (a list of strings)", param=name,
                          code="parameter_missing")  # fmt: skip
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise V2Error(f"Invalid {name}: expected a list of strings", param=name)
    return value


def limit(params: dict[str, Any], default: int = 20) -> int:
    value = params.get("limit", default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or not 1 <= number <= MAX_LIMIT:
        raise V2Error(f"Invalid limit: {str(value)[:50]}: an integer from 1 to {MAX_LIMIT}",
                      param="limit")  # fmt: skip
    return number


def parse_time(value: Any, name: str) -> int:
    """An RFC 3339 timestamp (``2024-09-30T12:00:00.000Z``) as epoch milliseconds."""
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return int(moment.timestamp() * 1000)
    raise V2Error(
        f"Invalid {name}: {str(value)[:50]!r}: an RFC 3339 timestamp with a zone, such as "
        "2024-09-30T12:00:00.000Z",
        param=name,
    )
