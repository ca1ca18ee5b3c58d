"""Coupons as Stripe validates them: a coupon takes off a percentage or an amount in a
currency, for a duration (``repeating`` ones for some months), and keeps the id it is
created with, which no other coupon of the account may have."""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS"]


def create_coupon(engine: Engine, request: Request) -> Any:
    params = request.params
    _check_discount(params)
    _check_duration(params)
    resource = spec.resource("coupon")
    assert resource is not None  # the spec has coupons
    engine.require(request.caller, resource.name, write=True)
    body = engine.new(resource, params, request.caller)
    with engine.sandbox.transaction():
        if isinstance(params.get("id"), str):
            _claim_id(engine, request, params["id"])
            body["id"] = params["id"]
        engine.record(request.caller, body, "created", request)
    return body


def _check_discount(params: dict[str, Any]) -> None:
    if "percent_off" not in params and "amount_off" not in params:
        raise InvalidRequest(
            "You must pass either percent_off (a percentage, such as 25) or amount_off "
            "(in the currency's smallest unit, with currency).",
            param="percent_off",
            code="parameter_missing",
        )
    if "amount_off" in params and "currency" not in params:
        raise InvalidRequest(
            "You must pass currency (such as usd) when passing amount_off.",
            param="currency",
            code="parameter_missing",
        )


def _check_duration(params: dict[str, Any]) -> None:
    if params.get("duration") == "repeating" and "duration_in_months" not in params:
        raise InvalidRequest(
            "You must pass duration_in_months (the number of months the coupon applies) "
            "when duration is repeating.",
            param="duration_in_months",
            code="parameter_missing",
        )


def _claim_id(engine: Engine, request: Request, coupon_id: str) -> None:
    if store.find(engine.sandbox.db, request.caller.account, coupon_id) is not None:
        raise InvalidRequest(
            f"Coupon already exists: '{coupon_id}'. Give another id, or none to have one made.",
            param="id",
            code="resource_already_exists",
        )


BEHAVIOURS: dict[str, Behaviour] = {"PostCoupons": create_coupon}
