"""Verification sessions are cancelled and redacted as Stripe's, each emitting its event."""

from __future__ import annotations

import pytest
import stripe

CANCEL = [
    # (status before, status after or None when refused)
    ("requires_input", "canceled"),
    ("processing", "canceled"),
    ("verified", None),
    ("canceled", None),
]


def _types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in reversed(client.v1.events.list({"limit": 100}).data)]


def _session_with_status(sandbox, status: str) -> str:
    client = sandbox.client()
    session = client.v1.identity.verification_sessions.create({"type": "document"})
    assert session.status == "requires_input"
    if status != "requires_input":  # how the sandbox would have got it there: its store
        from appevents.sandbox.rest import store

        db = sandbox.server.sandbox.db
        body = store.find(db, sandbox.platform, session.id)
        assert body is not None
        with sandbox.server.sandbox.transaction() as tx:
            store.save(tx, sandbox.platform, False, {**body, "status": status}, 0)
    return session.id


@pytest.mark.parametrize(("before", "after"), CANCEL)
def test_cancel_by_status(sandbox, before, after):
    client = sandbox.client()
    session_id = _session_with_status(sandbox, before)
    if after is None:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.identity.verification_sessions.cancel(session_id)
        assert refused.value.code == "verification_session_unexpected_state"
        assert f"has a status of {before} and cannot be canceled" in str(refused.value)
        assert _types(client) == ["identity.verification_session.created"]
        return
    session = client.v1.identity.verification_sessions.cancel(session_id)
    assert session.status == after
    assert client.v1.identity.verification_sessions.retrieve(session_id).status == after
    assert _types(client) == [
        "identity.verification_session.created", "identity.verification_session.canceled",
    ]  # fmt: skip


def test_redact_removes_what_was_collected_and_emits_redacted(sandbox):
    client = sandbox.client()
    session_id = _session_with_status(sandbox, "requires_input")
    session = client.v1.identity.verification_sessions.redact(session_id)
    assert session.redaction is not None and session.redaction.status == "redacted"
    assert (session.status, session.verified_outputs) == ("canceled", None)
    assert _types(client) == [
        "identity.verification_session.created", "identity.verification_session.redacted",
    ]  # fmt: skip
    event = client.v1.events.list({"type": "identity.verification_session.redacted"}).data[0]
    assert event.data.object["id"] == session_id


def test_a_processing_session_cannot_be_redacted(sandbox):
    client = sandbox.client()
    session_id = _session_with_status(sandbox, "processing")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.identity.verification_sessions.redact(session_id)
    assert session_id in str(refused.value) and "cancel it first" in str(refused.value)
