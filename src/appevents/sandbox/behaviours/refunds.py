"""Refunds: money returned from a charge (named by itself or by its payment intent), as
Stripe returns it.

``POST /v1/refunds`` (or ``/v1/charges/{charge}/refunds``) refunds the rest of the charge,
or ``amount`` of it: the refund ``succeeded`` with its balance transaction (taken from the
balance), listed on its charge; the charge's ``amount_refunded`` grows and it is
``refunded`` once all of it is. Events, in Stripe's order: ``charge.refunded`` then
``refund.created``. Updating a refund (its metadata) emits ``charge.refund.updated`` and
``refund.updated``. Only a charge that succeeded can be refunded; refunding one not yet
captured releases its authorization (no money moves).
"""

from __future__ import annotations

from typing import Any

from ..rest import build, spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import balance

__all__ = ["BEHAVIOURS", "refund"]


def create_refund(engine: Engine, request: Request) -> Any:
    params = request.params
    engine.require(request.caller, "refund", write=True)
    charge_id = params.get("charge") or (request.first_id if request.op.path_params else None)
    with engine.sandbox.transaction():
        if not charge_id and params.get("payment_intent"):
            intent = engine.load(request.caller, str(params["payment_intent"]),
                                 ("payment_intent",))  # fmt: skip
            charge_id = intent.get("latest_charge")
            if intent.get("status") != "succeeded" or not charge_id:
                raise InvalidRequest(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                    f"to refund (its status is {intent['status']}). Refund one that succeeded.",
                    param="payment_intent",
                    code="charge_not_refundable" if charge_id else "resource_missing",
                )
        if not charge_id:
            raise InvalidRequest(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        charge = engine.load(request.caller, str(charge_id), ("charge",))
        return refund(engine, request, charge, params)


def refund(
    engine: Engine, request: Request, charge: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """Refund ``params["amount"]`` (the rest by default) of ``charge``: the new refund,
    its balance transaction and both events."""
    captured = bool(charge.get("captured"))
    # An uncaptured charge can be refunded too: that releases its authorization.
    held = int(charge["amount_captured"]) if captured else int(charge["amount"])
    left = held - int(charge["amount_refunded"])
    amount = int(params.get("amount") or left)
    if charge.get("status") != "succeeded":
        raise InvalidRequest(
            f"Charge {charge['id']} cannot be refunded: its status is {charge.get('status')}; "
            "only a charge that succeeded can be. Wait for a pending one to succeed.",
            param="charge",
            code="charge_not_refundable",
        )
    if amount <= 0 or amount > left:
        message = (
            f"Charge {charge['id']} has already been refunded."
            if left == 0
            else f"Refund amount ({amount}) is greater than the charge's unrefunded amount "
            f"({left}). Ask for at most {left}."
        )
        code = "charge_already_refunded" if left == 0 else "amount_too_large"
        raise InvalidRequest(message, param="amount", code=code)
    resource = spec.resource("refund")
    assert resource is not None  # the spec has refunds
    fields = {k: v for k, v in params.items() if k in ("metadata", "reason")}
    body = engine.new(resource, fields, request.caller)
    transaction = None
    if captured:
        transaction = balance.debit(
            engine, request, amount=amount, currency=str(charge["currency"]),
            source=str(body["id"]), type="refund", from_pending=True,
        )  # fmt: skip
    body.update(
        amount=amount,
        charge=charge["id"],
        currency=charge["currency"],
        payment_intent=charge.get("payment_intent"),
        balance_transaction=transaction["id"] if transaction else None,
        status="succeeded",
        metadata=body.get("metadata") or {},
        destination_details={"type": "card", "card": {
            "reference_status": "available", "reference_type": "acquirer_reference_number",
            "type": "refund" if captured else "reversal",
            "reference": engine.sandbox.ids.code("0123456789", 23),
        }},
    )  # fmt: skip
    charge["amount_refunded"] = int(charge["amount_refunded"]) + amount
    charge["refunded"] = charge["amount_refunded"] >= held
    caller = request.caller
    engine.record(caller, charge, "refunded", request)
    engine.record(caller, body, "created", request)
    store.add_child(engine.sandbox.db, caller.account, f"/v1/charges/{charge['id']}/refunds",
                    str(body["id"]))  # fmt: skip
    return body


def update_refund(engine: Engine, request: Request) -> Any:
    """Its metadata: ``charge.refund.updated`` then ``refund.updated``, as Stripe emits."""
    body = engine.load(request.caller, request.object_id, ("refund",))
    engine.require(request.caller, "refund", write=True)
    previous = build.apply(body, spec.schema("refund"), request.params)
    if previous:
        caller = request.caller
        with engine.sandbox.transaction():
            for event_type in ("charge.refund.updated", "refund.updated"):
                engine.sandbox.emit(
                    caller.account, caller.livemode, event_type, body,
                    previous_attributes=previous, request_id=request.request_id,
                    idempotency_key=request.idempotency_key,
                )  # fmt: skip
    return body


BEHAVIOURS: dict[str, Behaviour] = {
    "PostRefunds": create_refund,
    "PostChargesChargeRefunds": create_refund,
    "PostRefundsRefund": update_refund,
    "PostChargesChargeRefundsRefund": update_refund,
}
