"""The parameters of a webhook endpoint, checked as Stripe does: a URL that can be
delivered to, event types that exist (its metadata is :func:`formdata.as_metadata`'s)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .. import catalog
from .formdata import shown
from .stripe_errors import InvalidRequest

__all__ = ["MAX_URL_LENGTH", "enabled_events", "required_url"]

MAX_URL_LENGTH = 2048
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def required_url(params: dict[str, Any]) -> str:
    url = params.get("url")
    if url is None or url == "":
        raise InvalidRequest(
            "Missing required param: url (where to deliver, like https://example.com/webhook)",
            param="url",
        )
    problem = _url_problem(url)
    if problem:
        raise InvalidRequest(f"Invalid URL: {shown(url, 80)}: {problem}", param="url")
    assert isinstance(url, str)
    return url


def _url_problem(url: Any) -> str:
    """Why ``url`` can never be delivered to, or "" when it can."""
    if not isinstance(url, str):
        return "expected a string"
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    if _CONTROL_OR_SPACE.search(url):
        return "it contains a space, a line break or another control character"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError as exc:
        return f"{exc} (expected an http(s) URL like https://example.com/webhook)"
    if parts.scheme not in ("http", "https"):
        return "an endpoint URL must be an http(s) URL, like https://example.com/webhook"
    if not parts.hostname:
        return "it has no host (expected an http(s) URL like https://example.com/webhook)"
    if port == 0:
        return "port 0 cannot be connected to (use a port from 1 to 65535)"
    return ""


def enabled_events(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest(
            "Missing required param: enabled_events. Pass a list of event types, or ['*']",
            param="enabled_events",
        )
    for index, event_type in enumerate(value):
        if not isinstance(event_type, str) or not (
            event_type == "*"
            or catalog.is_known_event_type(event_type)
            or catalog.is_pattern(event_type)
        ):
            suggestion = ""
            if isinstance(event_type, str) and len(event_type) <= 100:
                close = catalog.closest_names(event_type, catalog.event_types("*"))
                suggestion = f"; did you mean {', '.join(close)}?" if close else ""
            raise InvalidRequest(
                f"Invalid enabled_events[{index}]: {shown(event_type)} is not an event "
                f"type{suggestion}",
                param=f"enabled_events[{index}]",
            )
    return tuple(value)
