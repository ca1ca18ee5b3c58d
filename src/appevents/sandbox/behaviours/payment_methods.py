"""Payment methods: made from Stripe's test names and tokens, attached to a customer and
detached from it, as Stripe does.

``POST /v1/payment_methods`` with ``card[token]=tok_visa`` (or a testing card's number)
makes a card payment method with that card's details. ``/attach`` names a stored method or
a test name (``/v1/payment_methods/pm_card_visa/attach`` attaches a NEW method made from
it) and emits ``payment_method.attached``; a card that declines everything (Stripe's
``chargeDeclined``) is refused with its 402 instead. ``/detach`` empties ``customer`` and
emits ``payment_method.detached``. :func:`attach` is what other behaviours use when a
parameter names a method for a customer (a setup intent's, a customer's default).
"""

from __future__ import annotations

from typing import Any

from ..rest import store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import CardError, InvalidRequest
from . import test_methods

__all__ = ["BEHAVIOURS", "attach", "attach_for_new_customer", "decline_error"]


def create_payment_method(engine: Engine, request: Request) -> Any:
    params = request.params
    card = _testing_card_of(params)
    if params.get("type") != "card" or card is None:
        return engine.generic(request)
    engine.require(request.caller, "payment_method", write=True)
    with engine.sandbox.transaction():
        return test_methods.new_card_method(engine, request, card, params)


def attach_payment_method(engine: Engine, request: Request) -> Any:
    customer = request.params.get("customer")
    if not isinstance(customer, str) or not customer:
        raise InvalidRequest(
            "Missing required param: customer (the cus_... to attach the payment method to).",
            param="customer",
            code="parameter_missing",
        )
    engine.require(request.caller, "payment_method", write=True)
    with engine.sandbox.transaction():
        method_id = attach(engine, request, request.object_id, customer)
    return engine.load(request.caller, method_id, ("payment_method",))


def detach_payment_method(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "payment_method", write=True)
    method = engine.load(request.caller, request.object_id, ("payment_method",))
    if not method.get("customer"):
        raise InvalidRequest(
            f"The payment method {method['id']} is not attached to a customer, so it cannot "
            "be detached. Attach it first, or leave it as it is.",
            code="payment_method_unexpected_state",
        )
    customer, method["customer"] = str(method["customer"]), None
    with engine.sandbox.transaction() as db:
        engine.record(request.caller, method, "detached", request)
        store.remove_child(db, request.caller.account, _listed_at(customer), str(method["id"]))
    return method


def _listed_at(customer: str) -> str:
    """Where a customer's payment methods are listed."""
    return f"/v1/customers/{customer}/payment_methods"


def attach(engine: Engine, request: Request, given: str, customer: str) -> str:
    """Attach the payment method ``given`` names (a stored ``pm_...`` or a test name, which
    makes a new one) to ``customer`` and emit ``payment_method.attached``; return its id.
    A card that declines is refused with Stripe's 402 and nothing is attached."""
    caller = request.caller
    engine.load(caller, customer, ("customer",))
    method_id = test_methods.payment_method_for(engine, request, given)
    method = engine.load(caller, method_id, ("payment_method",))
    card = test_methods.card_of(method)
    if card.declines_on_attach:
        raise decline_error(card, param=None, objects={})
    if method.get("customer") == customer:
        return method_id
    if method.get("customer"):
        raise InvalidRequest(
            f"The payment method you provided has already been attached to a customer "
            f"({method['customer']}). Detach it first, or make a new one for {customer}.",
            code="payment_method_unexpected_state",
        )
    method["customer"] = customer
    engine.record(caller, method, "attached", request)
    store.add_child(engine.sandbox.db, caller.account, _listed_at(customer), method_id)
    return method_id


def attach_for_new_customer(engine: Engine, request: Request, customer: dict[str, Any]) -> None:
    """What a new customer's parameters naming a payment method do (for POST /v1/customers
    to call after its create): ``payment_method`` is attached, and
    ``invoice_settings[default_payment_method]`` names the attached one when it is the same
    test name (Stripe resolves both to one method), else a method of its own, attached."""
    params = request.params
    named = params.get("payment_method")
    attached: dict[str, str] = {}
    if isinstance(named, str) and named:
        attached[named] = attach(engine, request, named, str(customer["id"]))
    settings = params.get("invoice_settings")
    default = settings.get("default_payment_method") if isinstance(settings, dict) else None
    if isinstance(default, str) and default:
        if default not in attached:
            attached[default] = attach(engine, request, default, str(customer["id"]))
        customer.setdefault("invoice_settings", {})["default_payment_method"] = attached[default]
        store.save(engine.sandbox.db, request.caller.account, request.caller.livemode,
                   customer, engine.sandbox.now())  # fmt: skip


def decline_error(
    card: test_methods.TestingCard,
    *,
    param: str | None,
    objects: dict[str, Any],
    charge: str | None = None,
) -> CardError:
    """Stripe's 402 for a testing card's decline."""
    return CardError(
        card.decline_message(),
        code=card.error_code,
        decline_code=card.decline_code,
        param=param,
        charge=charge,
        objects=objects,
    )


def _testing_card_of(params: dict[str, Any]) -> test_methods.TestingCard | None:
    """The testing card a create names: ``card[token]``, ``card=tok_...`` or a number."""
    card = params.get("card")
    token = card.get("token") if isinstance(card, dict) else card
    if isinstance(token, str) and test_methods.is_test_name(token):
        return test_methods.testing_card(token)
    if isinstance(card, dict) and card.get("number"):
        return test_methods.card_numbered(card["number"])
    return None


BEHAVIOURS: dict[str, Behaviour] = {
    "PostPaymentMethods": create_payment_method,
    "PostPaymentMethodsPaymentMethodAttach": attach_payment_method,
    "PostPaymentMethodsPaymentMethodDetach": detach_payment_method,
}
