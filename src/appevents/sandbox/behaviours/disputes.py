"""Disputes: what Stripe's dispute test cards open once their charge succeeds, and their
life until they close.

A ``createDispute`` card's charge is disputed at once (``charge.dispute.created``, status
``needs_response``, the charge ``disputed``), its amount and Stripe's dispute fee taken
from the balance (``charge.dispute.funds_withdrawn``). A ``createDisputeInquiry`` card
opens an inquiry (``warning_needs_response``): no funds move. Updating evidence emits
``charge.dispute.updated``; ``/close`` accepts the dispute: a dispute is ``lost``, an
inquiry ``warning_closed`` (``charge.dispute.closed``).
"""

from __future__ import annotations

from typing import Any

from ..rest import build, spec
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import balance

__all__ = ["BEHAVIOURS", "DISPUTE_FEE", "open_dispute"]

DISPUTE_FEE = 1500
"""Stripe's fee for a US card dispute, in cents."""
_RESPONSE_DAYS = 7
_CLOSED = ("lost", "won", "warning_closed")


def open_dispute(
    engine: Engine, request: Request, charge: dict[str, Any], reason: str
) -> dict[str, Any]:
    """The dispute a test card opens on its succeeded ``charge``: an inquiry for
    ``reason`` "inquiry", else a dispute for that reason; stored with its events."""
    resource = spec.resource("dispute")
    assert resource is not None  # the spec has disputes
    inquiry = reason == "inquiry"
    dispute = engine.new(resource, {}, request.caller)
    dispute.update(
        amount=charge["amount"],
        currency=charge["currency"],
        charge=charge["id"],
        payment_intent=charge.get("payment_intent"),
        reason="fraudulent" if inquiry else reason,
        status="warning_needs_response" if inquiry else "needs_response",
        is_charge_refundable=inquiry,
        balance_transactions=[],
        payment_method_details={"type": "card", "card": {
            "brand": (charge.get("payment_method_details") or {}).get("card", {}).get("brand"),
            "network_reason_code": "10.4" if reason == "fraudulent" else None,
            "case_type": "inquiry" if inquiry else "chargeback",
        }},
    )  # fmt: skip
    dispute["evidence_details"] = {
        **(dispute.get("evidence_details") or {}),
        "due_by": engine.sandbox.now() + _RESPONSE_DAYS * 86400,
        "has_evidence": False,
        "past_due": False,
        "submission_count": 0,
    }
    charge["disputed"] = True
    engine.record(request.caller, charge, "disputed", request)  # stored: no event of its own
    engine.record(request.caller, dispute, "created", request)
    if not inquiry:
        withdrawn = balance.debit(
            engine, request, amount=int(charge["amount"]) + DISPUTE_FEE,
            currency=str(charge["currency"]), source=str(dispute["id"]), type="adjustment",
            description=f"Chargeback withdrawal for {charge['id']}", from_pending=True,
        )  # fmt: skip
        dispute["balance_transactions"] = [withdrawn]
        engine.record(request.caller, dispute, "funds_withdrawn", request)
    return dispute


def update_dispute(engine: Engine, request: Request) -> Any:
    """Evidence and metadata: ``charge.dispute.updated``; a closed dispute is final."""
    dispute = engine.load(request.caller, request.object_id, ("dispute",))
    engine.require(request.caller, "dispute", write=True)
    _refuse_closed(dispute, "updated")
    if request.params.get("evidence"):
        details = dict(dispute.get("evidence_details") or {})
        details["has_evidence"] = True
        if request.params.get("submit") is not False:
            details["submission_count"] = int(details.get("submission_count") or 0) + 1
        dispute["evidence_details"] = details
    return engine.change(request, dispute)


def close_dispute(engine: Engine, request: Request) -> Any:
    """Accepting the dispute: lost (an inquiry: closed); ``charge.dispute.closed``."""
    dispute = engine.load(request.caller, request.object_id, ("dispute",))
    engine.require(request.caller, "dispute", write=True)
    _refuse_closed(dispute, "closed")
    inquiry = str(dispute.get("status", "")).startswith("warning_")
    dispute["status"] = "warning_closed" if inquiry else "lost"
    dispute["is_charge_refundable"] = False
    build.apply(dispute, spec.schema("dispute"), {"metadata": request.params.get("metadata")}
                if request.params.get("metadata") else {})  # fmt: skip
    with engine.sandbox.transaction():
        engine.record(request.caller, dispute, "closed", request)
    return dispute


def _refuse_closed(dispute: dict[str, Any], verb: str) -> None:
    if dispute.get("status") in _CLOSED:
        raise InvalidRequest(
            f"This dispute is already closed (status {dispute['status']}) and cannot be "
            f"{verb}. Retrieve it to read its outcome."
        )


BEHAVIOURS: dict[str, Behaviour] = {
    "PostDisputesDispute": update_dispute,
    "PostDisputesDisputeClose": close_dispute,
}
