"""``GET /v2/core/events`` (Stripe's filters: ``object_id``, ``types``, ``created``, ``limit``,
``page``) and ``GET /v2/core/events/{id}``, on the account the request acts on
(``Stripe-Context`` or ``Stripe-Account``, else the key's own).

v2 lists answer ``{"data", "next_page_url", "previous_page_url"}``; a page token carries
the filters with the position, so a page URL alone gives the next page (stripe-python
follows ``next_page_url`` as it is).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote

from ..callers import Caller
from ..service import Sandbox
from ..state import thin_events
from . import params
from .calls import Route, V2Call
from .errors import V2Error, v2_errors

__all__ = ["routes"]

_FILTERS = ("object_id", "types", "created", "limit")
_PATH = "/v2/core/events"
MAX_TYPES = 20


def routes(sandbox: Sandbox) -> list[Route]:
    @v2_errors
    def list_events(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("event")
        params.known_only(raw, (*_FILTERS, "page"))
        filters, position = _page(raw) if "page" in raw else (_filters(raw), {})
        created = {
            op: params.parse_time(value, f"created[{op}]")
            for op, value in (filters.get("created") or {}).items()
        }
        rows, more = thin_events.list_thin_events(
            sandbox.db, account=caller.account, livemode=caller.livemode,
            types=filters.get("types") or (), object_id=filters.get("object_id"),
            created=created, limit=filters["limit"],
            before_seq=position.get("before"), after_seq=position.get("after"),
        )  # fmt: skip
        backwards = "after" in position
        newer = rows[0].seq if rows else None
        older = rows[-1].seq if rows else None
        has_older = more if not backwards else bool(rows)
        has_newer = (more if backwards else "before" in position) and bool(rows)
        return {
            "data": [row.body for row in rows],
            "next_page_url": _url(filters, {"before": older}) if has_older else None,
            "previous_page_url": _url(filters, {"after": newer}) if has_newer else None,
        }

    @v2_errors
    def get_event(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("event")
        return thin_events.get_thin_event(
            sandbox.db, call.path_params["id"], account=caller.account, livemode=caller.livemode
        )

    return [("GET", _PATH, list_events), ("GET", _PATH + "/{id}", get_event)]


def _filters(raw: dict[str, Any]) -> dict[str, Any]:
    types = params.strings(raw, "types")
    if len(types) > MAX_TYPES:
        raise V2Error(f"Invalid types: at most {MAX_TYPES} event types", param="types")
    created = raw.get("created")
    if created is not None and (
        not isinstance(created, dict) or not set(created) <= {"gt", "gte", "lt", "lte"}
    ):
        raise V2Error(
            "Invalid created: give created[gt], [gte], [lt] or [lte] as RFC 3339 timestamps",
            param="created",
        )
    for op, value in (created or {}).items():
        params.parse_time(value, f"created[{op}]")
    return {
        "object_id": params.optional_str(raw, "object_id"),
        "types": types,
        "created": created,
        "limit": params.limit(raw),
    }


def _url(filters: dict[str, Any], position: dict[str, Any]) -> str:
    token = json.dumps({"f": filters, "p": position}, separators=(",", ":"))
    return f"{_PATH}?page={quote(base64.urlsafe_b64encode(token.encode()).decode())}"


def _page(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """The filters and position a page token carries (the request's own filters are the
    token's: a token comes from a list answer)."""
    token = raw["page"]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        filters, position = decoded["f"], decoded["p"]
        checked = _filters(filters)
        if set(position) - {"before", "after"} or not all(
            isinstance(v, int) for v in position.values()
        ):
            raise ValueError(position)
    except (ValueError, KeyError, TypeError, binascii.Error, V2Error):
        raise V2Error(
            f"Invalid page: {str(token)[:60]!r} is not a page token of this list: use the "
            "next_page_url or previous_page_url a list answered",
            param="page",
        ) from None
    return checked, position
