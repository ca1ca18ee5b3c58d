"""Every error appevents raises, in one tree.

Each carries the offending value and says how to fix it; foreign errors (json, sqlite3,
psycopg, httpx) are translated into these at the boundary where they occur.

    AppEventsError
     ├── ConfigurationError        a setting the caller passed is unusable
     ├── SignatureError            Stripe-Signature missing, malformed, wrong or stale  -> HTTP 400
     ├── InvalidEvent              verified bytes that are not a Stripe event            -> HTTP 400
     ├── UnknownName               an event type, resource or permission nobody knows
     ├── ManifestError             stripe-app.json unreadable or invalid
     ├── StripeAPIError            a fetch through Stripe's API (ctx.fetch_event()) failed
     └── StoreError                the store failed
          ├── StoreUnavailable     it cannot commit now (the receiver answers 503)
          └── NotFound             no stored row with that id
"""

from __future__ import annotations

from collections.abc import Sequence


class AppEventsError(Exception):
    """Base of every appevents error."""


class ConfigurationError(AppEventsError, ValueError):
    """A setting is unusable: the message names the setting, its value and the fix."""


class SignatureError(AppEventsError):
    """The Stripe-Signature header does not prove the body came from Stripe.

    ``reason`` is a stable machine-readable code (see ``appevents.signature``); the message
    says what was wrong with the header and what to check.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class InvalidEvent(AppEventsError):
    """A verified body that is not a Stripe event: a v1 snapshot or a v2 thin notification."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class UnknownName(AppEventsError, LookupError):
    """A name (event type, resource, permission) that is not known; suggests close ones."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = (
            f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if suggestions else ""
        )
        super().__init__(f"unknown {kind} {name!r}{hint}")


class ManifestError(AppEventsError):
    """stripe-app.json cannot be read, parsed or written."""


class StripeAPIError(AppEventsError):
    """A request to Stripe's API (``ctx.fetch_event()``, ``ctx.fetch_related_object()``)
    failed: refused with an HTTP status (``status``; Stripe's ``error.code`` and
    ``error.message`` in ``code`` and ``stripe_message``), or unanswered (``status`` None).

    Raised in a handler it fails the attempt, so the worker retries it with backoff.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        code: str | None = None,
        stripe_message: str | None = None,
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.stripe_message = stripe_message
        self.url = url


class StoreError(AppEventsError):
    """The store failed."""


class StoreUnavailable(StoreError):
    """The store cannot commit right now; the delivery must be retried later (HTTP 503)."""


class NotFound(StoreError, LookupError):
    """No stored row with that id."""
