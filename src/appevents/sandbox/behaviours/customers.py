"""Customers: what Stripe gives a new one beyond its parameters, and what a coupon or a
source on one makes.

A new customer has its own invoice prefix (eight characters, as Stripe's). A coupon or
promotion code given on create is its discount from the start (in ``customer.created``,
then ``customer.discount.created``); given on update it replaces, or with ``""`` removes,
the discount (customer_discounts.py). A ``payment_method`` (and an
``invoice_settings[default_payment_method]``) given on create is attached to it
(``payment_method.attached``), a test name as a new method. A ``source`` given on create
is a card of the customer's (``customer.source.created``) and its ``default_source``
(``customer.updated``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from .customer_discounts import coupon_for, new_discount, replace_discount
from .payment_methods import attach_for_new_customer

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
    methods = _names_payment_methods(params)
    if methods:  # test names (pm_card_visa) resolve to methods attached to the customer
        plain = _without_payment_methods(plain)
    with engine.sandbox.transaction() as db:
        coupon = coupon_for(engine, request, params)
        if coupon is None and not methods:
            customer: dict[str, Any] = engine.generic(
                _replaced(request, {**plain, "invoice_prefix": prefix})
            )
        else:
            resource = spec.resource("customer")
            assert resource is not None  # the spec has customers
            engine.require(caller, resource.name, write=True)
            customer = engine.new(resource, {**plain, "invoice_prefix": prefix}, caller)
            if methods:  # attached first, so that customer.created names them as GET does
                store.save(db, caller.account, caller.livemode, customer, engine.sandbox.now())
                attach_for_new_customer(engine, request, customer)
            if coupon is not None:
                customer["discount"] = new_discount(engine, request, coupon, customer["id"])
            engine.record(caller, customer, "created", request)
            if coupon is not None:
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


def _names_payment_methods(params: dict[str, Any]) -> bool:
    settings = params.get("invoice_settings")
    default = settings.get("default_payment_method") if isinstance(settings, dict) else None
    return bool(params.get("payment_method") or default)


def _without_payment_methods(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters but the methods, which the attach names afresh."""
    plain = {k: v for k, v in params.items() if k != "payment_method"}
    settings = plain.get("invoice_settings")
    if isinstance(settings, dict):
        plain["invoice_settings"] = {
            k: v for k, v in settings.items() if k != "default_payment_method"
        }
    return plain


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
