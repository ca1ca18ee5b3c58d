"""Billing's catalogue: prices and the products they belong to. A recurring price is a
plan too (plans.py): its creation and updates emit ``plan.created``/``plan.updated`` after
``price.created``/``price.updated``."""

from __future__ import annotations

from typing import Any

from ..rest import spec
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from .plans import also_as_plan

__all__ = ["BEHAVIOURS"]


def create_price(engine: Engine, request: Request) -> Any:
    """A price names its product (``product``, or ``product_data`` making one with it);
    it is ``recurring`` when it has an interval, ``one_time`` otherwise."""
    params = request.params
    if "product" not in params and "product_data" not in params:
        raise InvalidRequest(
            "Missing required param: product (an existing prod_... id, or product_data[name] "
            "to create one with the price).",
            param="product",
            code="parameter_missing",
        )
    if (
        "unit_amount" not in params
        and "custom_unit_amount" not in params
        and (params.get("billing_scheme") != "tiered")
    ):
        raise InvalidRequest(
            "Missing required param: unit_amount.", param="unit_amount", code="parameter_missing"
        )
    product = params.get("product")
    with engine.sandbox.transaction():
        if product is not None:
            engine.load(request.caller, str(product), ("product",))
        else:
            product = _product_for(engine, request, params["product_data"])
        typed: dict[str, Any] = {
            "product": product,
            "type": "recurring" if params.get("recurring") else "one_time",
        }
        if isinstance(params.get("unit_amount"), int):
            typed["unit_amount_decimal"] = str(params["unit_amount"])
        price: dict[str, Any] = engine.generic(request.with_params(**typed))
        also_as_plan(engine, request, price, "created")
    return price


def update_price(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "price", write=True)
    price = engine.load(request.caller, request.object_id, ("price",))
    before = dict(price)
    with engine.sandbox.transaction():
        engine.change(request, price)
        previous = {k: v for k, v in before.items() if price.get(k) != v}
        if previous:
            also_as_plan(engine, request, price, "updated", previous)
    return price


def _product_for(engine: Engine, request: Request, product_data: dict[str, Any]) -> str:
    resource = spec.resource("product")
    assert resource is not None  # the spec has products
    body = engine.new(resource, product_data, request.caller)
    engine.record(request.caller, body, "created", request)
    return str(body["id"])


BEHAVIOURS: dict[str, Behaviour] = {"PostPrices": create_price, "PostPricesPrice": update_price}
