"""Identity: verification sessions cancelled or redacted, as Stripe's end.

A session waits for its user's documents (``requires_input``). Cancelling one that waits
or is processing makes it ``canceled`` and emits ``identity.verification_session.canceled``;
a verified or cancelled one cannot be. Redacting a session (any status but ``processing``)
removes what was collected: its ``verified_outputs``, ``last_error`` and
``provided_details`` go, its ``redaction.status`` becomes ``redacted`` and Stripe emits
``identity.verification_session.redacted`` (test mode redacts at once, with no
intermediate ``processing``); a session redacted while it waited is cancelled too, without
a ``.canceled`` of its own.
"""

from __future__ import annotations

from typing import Any

from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS"]

_SESSION = ("identity.verification_session",)
_CANCELLABLE = ("requires_input", "processing")


def create_session(engine: Engine, request: Request) -> Any:
    """A new session waits for its user: nothing collected, verified or redacted yet."""
    return engine.generic(
        request.with_params(
            status="requires_input", last_error=None, last_verification_report=None,
            verified_outputs=None, redaction=None, provided_details=None,
        )
    )  # fmt: skip


def cancel_session(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, _SESSION[0], write=True)
    session = engine.load(request.caller, request.object_id, _SESSION)
    if session.get("status") not in _CANCELLABLE:
        raise InvalidRequest(
            f"This VerificationSession has a status of {session.get('status')} and cannot be "
            "canceled: only one in requires_input or processing can. Create a new "
            "VerificationSession instead.",
            code="verification_session_unexpected_state",
        )
    session["status"] = "canceled"
    with engine.sandbox.transaction():
        engine.record(request.caller, session, "canceled", request)
    return session


def redact_session(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, _SESSION[0], write=True)
    session = engine.load(request.caller, request.object_id, _SESSION)
    if session.get("status") == "processing":
        raise InvalidRequest(
            f"VerificationSession {session['id']} is processing and cannot be redacted yet: "
            "redact it once it is verified or requires_input, or cancel it first.",
            code="verification_session_unexpected_state",
        )
    if session.get("status") == "requires_input":
        session["status"] = "canceled"  # a redacted session can no longer collect anything
    session.update(
        redaction={"status": "redacted"},
        verified_outputs=None,
        last_error=None,
        provided_details=None,
    )
    with engine.sandbox.transaction():
        engine.record(request.caller, session, "redacted", request)
    return session


BEHAVIOURS: dict[str, Behaviour] = {
    "PostIdentityVerificationSessions": create_session,
    "PostIdentityVerificationSessionsSessionCancel": cancel_session,
    "PostIdentityVerificationSessionsSessionRedact": redact_session,
}
