"""Subscription items: each is one recurring price (and its quantity) a subscription bills.

A subscription is created with its items (``items[i][price]``, ``items[i][quantity]``);
``POST /v1/subscription_items`` adds one, ``POST /v1/subscription_items/{item}`` changes its
price, quantity or metadata, ``DELETE`` removes it. Each change is a change of the
subscription: Stripe emits ``customer.subscription.updated`` with the items it had in
``previous_attributes``. An item's ``price`` is the price object, held whole; prices must
be recurring, and a subscription keeps at least one item.
"""

from __future__ import annotations

import copy
from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

_ITEM_FIELDS = ("price", "price_data", "quantity", "metadata")

__all__ = [
    "BEHAVIOURS",
    "items_list",
    "make_item",
    "named",
    "price_for",
    "price_of_item",
    "update_items",
]


def price_for(engine: Engine, request: Request, price_id: Any, param: str) -> dict[str, Any]:
    """The stored recurring price an item names (Stripe's 404, or its refusal of a
    one-time price)."""
    if not isinstance(price_id, str) or not price_id:
        raise InvalidRequest(
            f"Missing required param: {param}. Give the id of a recurring price (price_...).",
            param=param,
            code="parameter_missing",
        )
    price = named(engine, request, price_id, "price", param)
    if price.get("type") == "one_time" or not price.get("recurring"):
        raise InvalidRequest(
            f"The price specified ({price_id}) is set to `type=one_time` but this field only "
            "accepts prices with `type=recurring`: create a price with recurring[interval].",
            param=param,
        )
    return price


def named(
    engine: Engine, request: Request, object_id: str, kind: str, param: str
) -> dict[str, Any]:
    """The stored object a parameter names; Stripe's 400 naming that parameter when there
    is none (a missing object named in a path is a 404; in a parameter, a bad request)."""
    found = store.find(engine.sandbox.db, request.caller.account, object_id)
    if found is None or found.get("object") != kind or found.get("deleted"):
        raise InvalidRequest(f"No such {kind}: '{object_id}'", param=param,
                             code="resource_missing")  # fmt: skip
    return found


def price_of_item(
    engine: Engine, request: Request, given: dict[str, Any], param: str
) -> dict[str, Any]:
    """The price an item bills: the one ``price`` names, or a new one from ``price_data``
    (``currency``, ``product``, ``recurring``, ``unit_amount``), made as Stripe makes it,
    through the prices API."""
    data = given.get("price_data")
    if given.get("price") is None and isinstance(data, dict):
        made = engine.call(request, "POST", "/v1/prices", dict(data))
        return price_for(engine, request, made["id"], f"{param}[price_data]")
    return price_for(engine, request, given.get("price"), f"{param}[price]")


def make_item(
    engine: Engine, request: Request, subscription_id: str, given: dict[str, Any], param: str
) -> dict[str, Any]:
    """A new item of the subscription, stored (no event: Stripe has none for items)."""
    price = price_of_item(engine, request, given, param)
    resource = spec.resource("subscription_item")
    assert resource is not None  # the spec has subscription items
    item = engine.new(
        resource,
        {"metadata": given.get("metadata") or {}, "quantity": int(given.get("quantity") or 1),
         "subscription": subscription_id},
        request.caller,
    )  # fmt: skip
    item["price"] = price
    item["subscription"] = subscription_id
    engine.record(request.caller, item, "created", request)
    return item


def items_list(subscription_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A subscription's ``items`` field: the list object Stripe gives."""
    return {
        "object": "list",
        "data": items,
        "has_more": False,
        "total_count": len(items),
        "url": f"/v1/subscription_items?subscription={subscription_id}",
    }


def update_items(
    engine: Engine, request: Request, subscription: dict[str, Any], given: list[dict[str, Any]]
) -> None:
    """Apply ``items[i]`` of a subscription update: an ``id`` names an item to change (or
    remove, ``deleted``), none adds one; the subscription's ``items`` is set anew."""
    sub_id = str(subscription["id"])
    current = {item["id"]: item for item in (subscription.get("items") or {}).get("data", [])}
    for index, each in enumerate(given):
        param = f"items[{index}]"
        item_id = each.get("id")
        if item_id is None:
            item = make_item(engine, request, sub_id, each, param)
            current[item["id"]] = item
            continue
        if item_id not in current:
            raise InvalidRequest(
                f"Invalid {param}[id]: {item_id} is not an item of subscription {sub_id}; "
                "list its items with GET /v1/subscription_items?subscription=" + sub_id,
                param=f"{param}[id]",
            )
        item = current[item_id]
        if each.get("deleted"):
            _forget(engine, request, item)
            del current[item_id]
            continue
        _change(engine, request, item, each, param)
    if not current:
        raise InvalidRequest(
            f"A subscription must keep at least one item: cancel {sub_id} instead "
            f"(DELETE /v1/subscriptions/{sub_id}).",
            param="items",
        )
    subscription["items"] = items_list(sub_id, list(current.values()))


def _change(
    engine: Engine, request: Request, item: dict[str, Any], given: dict[str, Any], param: str
) -> None:
    if "price" in given or "price_data" in given:
        item["price"] = price_of_item(engine, request, given, param)
    if "quantity" in given:
        item["quantity"] = int(given["quantity"])
    if isinstance(given.get("metadata"), dict):
        item["metadata"] = {**(item.get("metadata") or {}), **given["metadata"]}
    engine.record(request.caller, item, "updated", request)


def _forget(engine: Engine, request: Request, item: dict[str, Any]) -> None:
    stub = {"id": item["id"], "object": "subscription_item", "deleted": True}
    store.save(engine.sandbox.db, request.caller.account, request.caller.livemode, stub,
               engine.sandbox.now())  # fmt: skip


def _subscription_of(engine: Engine, request: Request, subscription_id: Any) -> dict[str, Any]:
    if not isinstance(subscription_id, str) or not subscription_id:
        raise InvalidRequest(
            "Missing required param: subscription. Give the id of the subscription (sub_...) "
            "the item belongs to.",
            param="subscription",
            code="parameter_missing",
        )
    subscription = named(engine, request, subscription_id, "subscription", "subscription")
    if subscription.get("status") in ("canceled", "incomplete_expired"):
        raise InvalidRequest(
            f"The subscription {subscription_id} is {subscription['status']}: its items can no "
            "longer change. Create a new subscription instead.",
            param="subscription",
        )
    return subscription


def _changed_items(
    engine: Engine, request: Request, subscription: dict[str, Any], given: list[dict[str, Any]]
) -> None:
    """Change the subscription's items and emit ``customer.subscription.updated``."""
    before = copy.deepcopy(subscription.get("items"))
    with engine.sandbox.transaction():
        update_items(engine, request, subscription, given)
        engine.record(request.caller, subscription, "updated", request,
                      previous={"items": before})  # fmt: skip


def create_item(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription", write=True)
    subscription = _subscription_of(engine, request, request.params.get("subscription"))
    given = {k: v for k, v in request.params.items() if k in _ITEM_FIELDS}
    _changed_items(engine, request, subscription, [given])
    return subscription["items"]["data"][-1]


def update_item(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription", write=True)
    item = engine.load(request.caller, request.object_id, ("subscription_item",))
    subscription = _subscription_of(engine, request, item.get("subscription"))
    given = {k: v for k, v in request.params.items() if k in _ITEM_FIELDS}
    _changed_items(engine, request, subscription, [{"id": item["id"], **given}])
    return next(each for each in subscription["items"]["data"] if each["id"] == item["id"])


def delete_item(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription", write=True)
    item = engine.load(request.caller, request.object_id, ("subscription_item",))
    subscription = _subscription_of(engine, request, item.get("subscription"))
    _changed_items(engine, request, subscription, [{"id": item["id"], "deleted": True}])
    return {"id": item["id"], "object": "subscription_item", "deleted": True}


BEHAVIOURS: dict[str, Behaviour] = {
    "PostSubscriptionItems": create_item,
    "PostSubscriptionItemsItem": update_item,
    "DeleteSubscriptionItemsItem": delete_item,
}
