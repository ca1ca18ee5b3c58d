"""Page tokens of the Accounts API's lists, as events_api.py makes them: a token carries the
list's filters with the position, so ``next_page_url`` alone gives the next page (which is
how stripe-python follows it)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..state.v2_accounts import Row
from .errors import V2Error

__all__ = ["answer", "position"]

Lister = Callable[[dict[str, Any], int | None, int | None], tuple[list[Row], bool]]
"""(filters, before, after) -> rows newest first, and whether more lie beyond them."""


def position(raw: dict[str, Any], filters_of: Callable[[dict[str, Any]], dict[str, Any]]
             ) -> tuple[dict[str, Any], dict[str, int]]:  # fmt: skip
    """The filters and position of a list request: its own, or its ``page`` token's."""
    if "page" not in raw:
        return filters_of(raw), {}
    token = raw["page"]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        filters, where = filters_of(decoded["f"]), decoded["p"]
        if set(where) - {"before", "after"} or not all(isinstance(v, int) for v in where.values()):
            raise ValueError(where)
    except (ValueError, KeyError, TypeError, binascii.Error, V2Error):
        raise V2Error(
            f"Invalid page: {str(token)[:60]!r} is not a page token of this list: use the "
            "next_page_url or previous_page_url a list answered",
            param="page",
        ) from None
    return filters, where


def answer(
    path: str,
    filters: dict[str, Any],
    where: dict[str, int],
    lister: Lister,
    render: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    rows, more = lister(filters, where.get("before"), where.get("after"))
    backwards = "after" in where
    has_older = (more if not backwards else True) and bool(rows)
    has_newer = (more if backwards else "before" in where) and bool(rows)
    return {
        "data": [render(row.body) for row in rows],
        "next_page_url": _url(path, filters, {"before": rows[-1].seq}) if has_older else None,
        "previous_page_url": _url(path, filters, {"after": rows[0].seq}) if has_newer else None,
    }


def _url(path: str, filters: dict[str, Any], where: dict[str, int]) -> str:
    token = json.dumps({"f": filters, "p": where}, separators=(",", ":"))
    return f"{path}?page={quote(base64.urlsafe_b64encode(token.encode()).decode())}"
