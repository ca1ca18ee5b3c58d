"""The request headers of a recorded delivery attempt.

Attempts record their answer, not their request: the headers are those the delivery
engine sends (delivery.py), with ``Stripe-Signature`` computed again over the payload at
the attempt's second, with the endpoint's current secret (a rolled secret shows the new
one's signature). A browser test compares them with what a receiver was sent."""

from __future__ import annotations

from ...signature import sign
from ..delivery import USER_AGENT
from ..owed import payload_of

__all__ = ["attempt_headers", "thin_attempt_headers"]


def attempt_headers(stored: str, secret: str, at: float, pending: int) -> list[tuple[str, str]]:
    """``stored``: the event's JSON as stored; ``pending``: the ``pending_webhooks`` it was
    sent with (its number of deliveries, for a first attempt)."""
    return _headers(payload_of(stored, pending), secret, at)


def thin_attempt_headers(
    stored: str, secret: str, at: float, pending: int
) -> list[tuple[str, str]]:
    """A thin event's: its notification is sent as stored (no ``pending_webhooks``)."""
    return _headers(stored.encode(), secret, at)


def _headers(payload: bytes, secret: str, at: float) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json; charset=utf-8"),
        ("User-Agent", USER_AGENT),
        ("Accept", "*/*; q=0.5, application/xml"),
        ("Cache-Control", "no-cache"),
        ("Stripe-Signature", sign(payload, secret, int(at))),
    ]
