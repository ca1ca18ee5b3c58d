"""Invoice items: a pending amount on a customer, for its next invoice.

Its amount is ``amount`` as given, or its price's ``unit_amount`` (or ``unit_amount``
given) times its ``quantity``, in the price's currency; Stripe emits
``invoiceitem.created``. Invoices take a customer's pending items (invoices.py).
"""

from __future__ import annotations

from typing import Any

from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS"]


def create_invoice_item(engine: Engine, request: Request) -> Any:
    params = request.params
    quantity = int(params.get("quantity") or 1)
    typed: dict[str, Any] = {"quantity": quantity}
    if isinstance(params.get("price"), str):
        price = engine.load(request.caller, params["price"], ("price",))
        typed.update(
            amount=int(price.get("unit_amount") or 0) * quantity, currency=price["currency"]
        )
    elif isinstance(params.get("unit_amount"), int):
        typed["amount"] = params["unit_amount"] * quantity
    elif not isinstance(params.get("amount"), int) and "price_data" not in params:
        raise InvalidRequest(
            "You must pass amount, unit_amount or price (a price_... id) to create an "
            "invoice item.",
            param="amount",
            code="parameter_missing",
        )
    if "amount" in params:
        typed.pop("amount", None)
    return engine.generic(request.with_params(**typed))


BEHAVIOURS: dict[str, Behaviour] = {"PostInvoiceitems": create_invoice_item}
