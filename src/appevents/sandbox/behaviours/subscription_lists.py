"""Listing subscriptions as Stripe lists them (``GET /v1/subscriptions``): without a
``status``, those not canceled; ``status=canceled`` (or ``ended``: canceled and
incomplete_expired) the ended ones; ``status=all`` every one. ``customer``, ``price`` (an
item's), ``collection_method``, ``test_clock`` and ``created`` narrow the list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import list_params
from ..rest import store
from ..rest.engine import Behaviour, Engine, Request

__all__ = ["BEHAVIOURS"]

_ENDED = ("canceled", "incomplete_expired")
_EQUAL = ("customer", "collection_method", "test_clock")
_BOUNDS = {
    "eq": lambda v, t: v == t, "gt": lambda v, t: v > t, "gte": lambda v, t: v >= t,
    "lt": lambda v, t: v < t, "lte": lambda v, t: v <= t,
}  # fmt: skip


def _status_fits(status: Any, wanted: Any) -> bool:
    if wanted is None:
        return bool(status != "canceled")
    if wanted == "all":
        return True
    if wanted == "ended":
        return bool(status in _ENDED)
    return bool(status == wanted)


def _fits(row: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    if not _status_fits(row.get("status"), params.get("status")):
        return False
    if any(name in params and row.get(name) != params[name] for name in _EQUAL):
        return False
    if "price" in params:
        prices = [_id(item.get("price")) for item in (row.get("items") or {}).get("data", [])]
        if params["price"] not in prices:
            return False
    created = list_params.created_filter(dict(params))
    made = int(row.get("created") or 0)
    return created is None or all(bool(_BOUNDS[op](made, bound)) for op, bound in created.items())


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def list_subscriptions(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "subscription", write=False)
    rows = store.list_of(engine.sandbox.db, caller.account, caller.livemode, ["subscription"])
    kept = [row for row in rows if _fits(row, request.params)]
    return list_params.page(kept, request.params, request.path)


BEHAVIOURS: dict[str, Behaviour] = {"GetSubscriptions": list_subscriptions}
