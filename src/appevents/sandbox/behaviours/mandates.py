"""Mandates: the customer's permission to debit a delayed method (SEPA Debit, ACH), made
when an intent confirmed with ``mandate_data`` charges it.

At Stripe a new mandate has no event of its own; it is ``pending`` while the first debit is
submitted and becomes ``active`` (``mandate.updated``), and the intent and charge name it.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec
from ..rest.engine import Engine, Request

__all__ = ["activate"]


def activate(
    engine: Engine,
    request: Request,
    method: dict[str, Any],
    mandate_data: Any,
) -> dict[str, Any]:
    """A new mandate for ``method``, accepted as ``mandate_data`` says (offline when it
    does not), made active (``mandate.updated``)."""
    resource = spec.resource("mandate")
    assert resource is not None  # the spec has mandates
    acceptance = mandate_data.get("customer_acceptance") if isinstance(mandate_data, dict) else None
    accepted = acceptance if isinstance(acceptance, dict) else {"type": "offline"}
    kind = str(method.get("type"))
    mandate = engine.new(resource, {}, request.caller)
    mandate.update(
        customer_acceptance={
            "accepted_at": accepted.get("accepted_at") or engine.sandbox.now(),
            "type": accepted.get("type", "offline"),
            str(accepted.get("type", "offline")): accepted.get(str(accepted.get("type"))) or {},
        },
        payment_method=method["id"],
        payment_method_details={"type": kind, kind: _details(kind, method)},
        status="pending",
        type="multi_use",
        multi_use={},
    )
    engine.record(request.caller, mandate, "created", request)
    mandate["status"] = "active"
    engine.record(request.caller, mandate, "updated", request, previous={"status": "pending"})
    return mandate


def _details(kind: str, method: dict[str, Any]) -> dict[str, Any]:
    if kind == "sepa_debit":
        reference = str(method["id"]).removeprefix("pm_")[:12].upper()
        return {"reference": reference, "url": f"https://stripe.com/mandates/{reference}"}
    return {}
