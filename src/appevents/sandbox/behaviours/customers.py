"""Customers: what Stripe gives a new one beyond its parameters, and what a coupon or a
source on one makes.

A new customer has its own invoice prefix (eight characters, as Stripe's). A coupon or
promotion code given on create is its discount from the start (in ``customer.created``,
then ``customer.discount.created``); given on update it replaces, or with ``""`` removes,
the discount (customer_discounts.py). A ``source`` given on create is a card of the
customer's (``customer.source.created``) and its ``default_source`` (``customer.updated``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..rest import spec
from ..rest.engine import Behaviour, Engine, Request
from .customer_discounts import coupon_for, new_discount, replace_discount

__all__ = ["BEHAVIOURS"]

_PREFIX_ALPHABET = "0123456789ABCDEF"
_DISCOUNT_PARAMS = ("coupon", "promotion_code")


def create_customer(engine: Engine, request: Request) -> Any:
    params = request.params
    prefix = params.get("invoice_prefix") or engine.sandbox.ids.code(_PREFIX_ALPHABET, 8)
    source = params.get("source")
    plain = {k: v for k, v in params.items() if k not in (*_DISCOUNT_PARAMS, "source")}
    request = request.with_params(invoice_prefix=prefix)
    caller = request.caller
    with engine.sandbox.transaction():
        coupon = coupon_for(engine, request, params)
        if coupon is None:
            customer: dict[str, Any] = engine.generic(
                _replaced(request, {**plain, "invoice_prefix": prefix})
            )
        else:
            resource = spec.resource("customer")
            assert resource is not None  # the spec has customers
            engine.require(caller, resource.name, write=True)
            customer = engine.new(resource, {**plain, "invoice_prefix": prefix}, caller)
            customer["discount"] = new_discount(engine, request, coupon, customer["id"])
            engine.record(caller, customer, "created", request)
            engine.record(caller, customer["discount"], "created", request)
        if isinstance(source, str) and source:
            _add_default_source(engine, request, customer, source)
    return customer


def _add_default_source(
    engine: Engine, request: Request, customer: dict[str, Any], source: str
) -> None:
    """The card becomes the new customer's default source: the sources behaviour makes it
    so (and emits ``customer.updated``) when it runs; if it did not, it is done here."""
    card = engine.call(request, "POST", f"/v1/customers/{customer['id']}/sources",
                       {"source": source})  # fmt: skip
    customer.update(engine.load(request.caller, str(customer["id"]), ("customer",)))
    if not customer.get("default_source"):
        customer["default_source"] = card["id"]
        engine.record(request.caller, customer, "updated", request,
                      previous={"default_source": None})  # fmt: skip


def update_customer(engine: Engine, request: Request) -> Any:
    params = request.params
    plain = {k: v for k, v in params.items() if k not in _DISCOUNT_PARAMS}
    with engine.sandbox.transaction():
        customer: dict[str, Any] = engine.generic(_replaced(request, plain))
        if any(name in params for name in _DISCOUNT_PARAMS):
            coupon = coupon_for(engine, request, params)
            replace_discount(engine, request, customer, coupon)
    return customer


def _replaced(request: Request, params: dict[str, Any]) -> Request:
    """The same call with exactly ``params``."""
    return dataclasses.replace(request, params=params)


BEHAVIOURS: dict[str, Behaviour] = {
    "PostCustomers": create_customer,
    "PostCustomersCustomer": update_customer,
}
