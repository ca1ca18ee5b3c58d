"""Plans: Stripe's older name for a recurring price. A price with a ``recurring`` interval
IS a plan, with the same id: creating, updating or deleting either emits both
``price.<verb>`` and ``plan.<verb>``, and ``/v1/plans/{id}`` answers the price as a plan.

``POST /v1/plans`` makes the price (and, from ``product[name]``, its product:
``product.created``), emitting ``product.created``, ``plan.created``, ``price.created``.
The sandbox keeps the price (always saved first: the store types an id by its first
row); the plan is read from it.
"""

from __future__ import annotations

from typing import Any

from .. import list_params
from ..rest import build, spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest, ResourceMissing

__all__ = ["BEHAVIOURS", "also_as_plan", "plan_of"]

# What a plan reads from its price's ``recurring`` hash.
_RECURRING = ("interval", "interval_count", "usage_type", "aggregate_usage",
              "trial_period_days", "meter")  # fmt: skip


def plan_of(price: dict[str, Any]) -> dict[str, Any]:
    """The plan a recurring price is."""
    recurring = price.get("recurring") or {}
    plan: dict[str, Any] = {
        "id": price["id"],
        "object": "plan",
        "active": price.get("active", True),
        "amount": price.get("unit_amount"),
        "amount_decimal": price.get("unit_amount_decimal"),
        "billing_scheme": price.get("billing_scheme") or "per_unit",
        "created": price.get("created"),
        "currency": price.get("currency"),
        "livemode": price.get("livemode", False),
        "metadata": price.get("metadata") or {},
        "nickname": price.get("nickname"),
        "product": price.get("product"),
        "tiers_mode": price.get("tiers_mode"),
        "transform_usage": price.get("transform_quantity"),
    }
    for name in _RECURRING:
        plan[name] = recurring.get(name)
    plan["interval_count"] = plan["interval_count"] or 1
    plan["usage_type"] = plan["usage_type"] or "licensed"
    if price.get("tiers") is not None:
        plan["tiers"] = price["tiers"]
    return plan


def also_as_plan(
    engine: Engine,
    request: Request,
    price: dict[str, Any],
    verb: str,
    previous: dict[str, Any] | None = None,
) -> None:
    """Emit ``plan.<verb>`` for a recurring price whose ``price.<verb>`` was emitted; the
    sandbox keeps the price under their one id."""
    if not price.get("recurring"):
        return
    caller = request.caller
    with engine.sandbox.transaction() as db:
        engine.record(caller, plan_of(price), verb, request, previous=previous)
        store.save(db, caller.account, caller.livemode, price, engine.sandbox.now())


def create_plan(engine: Engine, request: Request) -> Any:
    params = request.params
    caller = request.caller
    engine.require(caller, "plan", write=True)
    for required in ("currency", "interval"):
        if required not in params:
            raise InvalidRequest(
                f"Missing required param: {required}.", param=required, code="parameter_missing"
            )
    price_resource, product_resource = spec.resource("price"), spec.resource("product")
    assert price_resource is not None and product_resource is not None  # the spec has both
    with engine.sandbox.transaction() as db:
        product = params.get("product")
        if isinstance(product, dict):
            made = engine.new(product_resource, product, caller)
            engine.record(caller, made, "created", request)
            product = made["id"]
        elif isinstance(product, str):
            engine.load(caller, product, ("product",))
        else:
            raise InvalidRequest(
                "Missing required param: product (a prod_... id, or product[name] to create "
                "one with the plan).",
                param="product",
                code="parameter_missing",
            )
        recurring = {name: params[name] for name in _RECURRING if name in params}
        amount = params.get("amount")
        price = engine.new(
            price_resource,
            {
                "active": params.get("active", True),
                "billing_scheme": params.get("billing_scheme", "per_unit"),
                "currency": params["currency"],
                "metadata": params.get("metadata") or {},
                "nickname": params.get("nickname"),
                "product": product,
                "recurring": {"interval_count": 1, "usage_type": "licensed", **recurring},
                "tiers_mode": params.get("tiers_mode"),
                "type": "recurring",
                "unit_amount": amount,
                "unit_amount_decimal": None if amount is None else str(amount),
            },
            caller,
        )
        if isinstance(params.get("id"), str):
            if store.find(db, caller.account, params["id"]) is not None:
                raise InvalidRequest(
                    f"Plan already exists: '{params['id']}'. Give another id, or none to have "
                    "one made.",
                    param="id",
                    code="resource_already_exists",
                )
            price["id"] = params["id"]
        plan = plan_of(price)
        # Kept as a price from its first row on: the store types an id by its first save.
        store.save(db, caller.account, caller.livemode, price, engine.sandbox.now())
        engine.record(caller, plan, "created", request)
        engine.record(caller, price, "created", request)  # kept: the plan is read from it
    return plan


def _price(engine: Engine, request: Request) -> dict[str, Any]:
    found = store.find(engine.sandbox.db, request.caller.account, request.object_id)
    if found is None or found.get("object") != "price" or not found.get("recurring"):
        raise ResourceMissing("plan", request.object_id)
    if found.get("deleted"):
        raise ResourceMissing("plan", request.object_id)
    return found


def retrieve_plan(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "plan", write=False)
    return plan_of(_price(engine, request))


def update_plan(engine: Engine, request: Request) -> Any:
    """A plan's changes are its price's (``trial_period_days`` in its ``recurring``)."""
    engine.require(request.caller, "plan", write=True)
    price = _price(engine, request)
    params = dict(request.params)
    before = plan_of(price)
    if "trial_period_days" in params:
        recurring = dict(price.get("recurring") or {})
        recurring["trial_period_days"] = params.pop("trial_period_days")
        params["recurring"] = recurring
    price_previous = build.apply(price, spec.schema("price"), params)
    after = plan_of(price)
    plan_previous = {k: v for k, v in before.items() if after.get(k) != v}
    if price_previous or plan_previous:
        with engine.sandbox.transaction():
            engine.record(request.caller, after, "updated", request, previous=plan_previous)
            engine.record(request.caller, price, "updated", request, previous=price_previous)
    return after


def delete_plan(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "plan", write=True)
    price = _price(engine, request)
    caller = request.caller
    with engine.sandbox.transaction() as db:
        engine.record(caller, plan_of(price), "deleted", request)
        engine.record(caller, price, "deleted", request)
        stub = {"id": price["id"], "object": "price", "deleted": True}
        store.save(db, caller.account, caller.livemode, stub, engine.sandbox.now())
    return {"id": price["id"], "object": "plan", "deleted": True}


def list_plans(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "plan", write=False)
    prices = store.list_of(engine.sandbox.db, caller.account, caller.livemode, ["price"])
    plans = [plan_of(p) for p in prices if p.get("recurring") and not p.get("deleted")]
    for name in ("active", "product"):
        if name in request.params:
            plans = [plan for plan in plans if plan.get(name) == request.params[name]]
    return list_params.page(plans, request.params, request.path)


BEHAVIOURS: dict[str, Behaviour] = {
    "PostPlans": create_plan,
    "GetPlansPlan": retrieve_plan,
    "PostPlansPlan": update_plan,
    "DeletePlansPlan": delete_plan,
    "GetPlans": list_plans,
}
