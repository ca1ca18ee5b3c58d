"""A customer's discount: a coupon (or a promotion code's coupon) on a customer makes a
``discount`` object (``di_...``), held whole in the customer's ``discount`` and answered by
``/v1/customers/{customer}/discount``. Stripe emits ``customer.discount.created`` when one
is applied, ``customer.discount.updated`` when another coupon replaces it (the discount
keeps its id), ``customer.discount.deleted`` when it is removed (``coupon=""`` or DELETE
``.../discount``), each of the last two followed by ``customer.updated``.

A discount starts when applied and ends after the coupon's ``duration_in_months`` when it
is ``repeating`` (never for ``once`` and ``forever``).
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest, ResourceMissing

__all__ = ["BEHAVIOURS", "coupon_for", "new_discount", "replace_discount"]


def coupon_for(engine: Engine, request: Request, params: dict[str, Any]) -> dict[str, Any] | None:
    """The coupon ``coupon`` or ``promotion_code`` names (None when neither does), with
    the promotion code's id under ``"promotion_code"`` of the answer's second item."""
    caller = request.caller
    if params.get("promotion_code"):
        code = engine.load(caller, str(params["promotion_code"]), ("promotion_code",))
        coupon = code.get("coupon")
        coupon_id = coupon.get("id") if isinstance(coupon, dict) else coupon
        found = engine.load(caller, str(coupon_id), ("coupon",))
        return {**found, "_promotion_code": code["id"]}
    if params.get("coupon"):
        coupon_id = str(params["coupon"])
        body = store.find(engine.sandbox.db, caller.account, coupon_id)
        if body is None or body.get("object") != "coupon" or body.get("deleted"):
            raise InvalidRequest(
                f"No such coupon: '{coupon_id}'. Create it with POST /v1/coupons first, or "
                "pass the id of an existing one.",
                param="coupon",
                code="resource_missing",
            )
        if body.get("valid") is False:
            raise InvalidRequest(
                f"Coupon {coupon_id} is no longer valid: it cannot be applied any more.",
                param="coupon",
                code="coupon_expired",
            )
        return body
    return None


def new_discount(
    engine: Engine, request: Request, coupon: dict[str, Any], customer_id: str
) -> dict[str, Any]:
    resource = spec.resource("discount")
    assert resource is not None  # the spec has discounts
    discount = engine.new(resource, {}, request.caller)
    promotion_code = coupon.pop("_promotion_code", None)
    start = engine.sandbox.now()
    discount.update(
        coupon=coupon,
        customer=customer_id,
        start=start,
        end=_end(coupon, start),
        promotion_code=promotion_code,
        checkout_session=None,
        invoice=None,
        invoice_item=None,
        subscription=None,
        subscription_item=None,
    )
    return discount


def _end(coupon: dict[str, Any], start: int) -> int | None:
    months = coupon.get("duration_in_months")
    if coupon.get("duration") != "repeating" or not isinstance(months, int):
        return None
    begun = datetime.datetime.fromtimestamp(start, datetime.UTC)
    month = begun.month - 1 + months
    year, month = begun.year + month // 12, month % 12 + 1
    day = min(begun.day, calendar.monthrange(year, month)[1])
    return int(begun.replace(year=year, month=month, day=day).timestamp())


def replace_discount(
    engine: Engine, request: Request, customer: dict[str, Any], coupon: dict[str, Any] | None
) -> None:
    """Put ``coupon`` on the customer (None: take its discount off), emitting the
    discount's event then ``customer.updated``."""
    caller = request.caller
    current: dict[str, Any] | None = customer.get("discount")
    if current is None and coupon is None:
        return
    with engine.sandbox.transaction():
        if current is not None and coupon is None:
            engine.record(caller, current, "deleted", request)
            customer["discount"] = None
        elif current is None and coupon is not None:
            customer["discount"] = new_discount(engine, request, coupon, customer["id"])
            engine.record(caller, customer["discount"], "created", request)
        elif current is not None and coupon is not None:
            fresh = new_discount(engine, request, coupon, customer["id"])
            replaced = {**fresh, "id": current["id"]}
            customer["discount"] = replaced
            previous = {k: current.get(k) for k in ("coupon", "start", "end", "promotion_code")
                        if current.get(k) != replaced.get(k)}  # fmt: skip
            engine.record(caller, replaced, "updated", request, previous=previous)
        engine.record(caller, customer, "updated", request, previous={"discount": current})


def retrieve_discount(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "customer", write=False)
    customer = engine.load(request.caller, request.first_id, ("customer",))
    if customer.get("discount") is None:
        raise ResourceMissing("discount", request.first_id)
    return customer["discount"]


def delete_discount(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "customer", write=True)
    customer = engine.load(request.caller, request.first_id, ("customer",))
    current = customer.get("discount")
    if current is None:
        raise InvalidRequest(
            f"Customer {customer['id']} has no discount to delete: apply one with "
            "coupon or promotion_code first.",
            code="resource_missing",
        )
    replace_discount(engine, request, customer, None)
    return {**current, "object": "discount", "deleted": True}


BEHAVIOURS: dict[str, Behaviour] = {
    "GetCustomersCustomerDiscount": retrieve_discount,
    "DeleteCustomersCustomerDiscount": delete_discount,
}
