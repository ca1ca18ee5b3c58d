"""Customers: what Stripe gives a new one beyond its parameters."""

from __future__ import annotations

from typing import Any

from ..rest.engine import Behaviour, Engine, Request

__all__ = ["BEHAVIOURS"]

_PREFIX_ALPHABET = "0123456789ABCDEF"


def create_customer(engine: Engine, request: Request) -> Any:
    """A new customer has its own invoice prefix (eight characters, as Stripe's)."""
    prefix = request.params.get("invoice_prefix") or engine.sandbox.ids.code(_PREFIX_ALPHABET, 8)
    return engine.generic(request.with_params(invoice_prefix=prefix))


BEHAVIOURS: dict[str, Behaviour] = {"PostCustomers": create_customer}
