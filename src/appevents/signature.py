"""Stripe-Signature: sign and verify webhook payloads.

The scheme (docs.stripe.com/webhooks#verify-manually): the header is
``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``; each ``v1`` is the hex HMAC-SHA256 of
``"{t}.{raw body}"`` keyed by the whole endpoint secret string (``whsec_`` included).
Several ``v1`` values appear while a secret is being rolled; ``v0`` and unknown schemes
are ignored.

This module is pure: the clock is injected, nothing is read from the environment.
Unlike ``stripe.Webhook``, the tolerance is checked in both directions (a timestamp far
in the future is as suspicious as a stale one) and cannot be switched off by a falsy
value.
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable, Iterable
from hashlib import sha256

from .errors import ConfigurationError, SignatureError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SignatureError",
    "Verifier",
    "compute_signature",
    "sign",
    "verify",
]

DEFAULT_TOLERANCE = 300
"""Seconds a signature stays valid on either side of now (Stripe's default)."""

_MAX_HEADER_LENGTH = 8192  # a header carrying a few secrets' signatures is ~300 bytes
_HEX_DIGEST_LENGTH = 64

# Stable reason codes, also used as the ``code`` of the receiver's HTTP 400 answers.
MISSING_HEADER = "missing_signature_header"
MALFORMED_HEADER = "malformed_signature_header"
NO_TIMESTAMP = "no_timestamp"
NO_SIGNATURE = "no_v1_signature"
MISMATCH = "no_matching_signature"
TOO_OLD = "timestamp_too_old"
IN_FUTURE = "timestamp_in_future"

Clock = Callable[[], float]


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}.{payload}"`` keyed by ``secret``."""
    message = b"%d." % timestamp + payload
    return hmac.new(secret.encode(), message, sha256).hexdigest()


def sign(
    payload: bytes,
    secret: str | Iterable[str],
    timestamp: int | None = None,
    *,
    clock: Clock = time.time,
) -> str:
    """Return a ``Stripe-Signature`` header value for ``payload``.

    ``secret`` may be several secrets (one ``v1`` each, as Stripe does while a secret is
    rolled). ``timestamp`` defaults to ``clock()``.
    """
    secrets = _normalise_secrets(secret)
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise ConfigurationError(
            f"payload must be the raw body as bytes, got {type(payload).__name__}: "
            "sign exactly the bytes you send"
        )
    t = int(clock()) if timestamp is None else _check_timestamp(timestamp)
    body = bytes(payload)
    parts = [f"t={t}"] + [f"v1={compute_signature(body, s, t)}" for s in secrets]
    return ",".join(parts)


class Verifier:
    """Verifies Stripe-Signature headers against one or more endpoint secrets.

    Build it once (it pre-encodes the secrets) and call :meth:`verify` per request.
    """

    __slots__ = ("_clock", "_keys", "secrets", "tolerance")

    def __init__(
        self,
        secrets: str | Iterable[str],
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Clock = time.time,
    ) -> None:
        self.secrets = _normalise_secrets(secrets)
        self._keys = tuple(s.encode() for s in self.secrets)
        self.tolerance = _check_tolerance(tolerance)
        self._clock = clock

    def verify(self, payload: bytes, header: str | bytes | None) -> int:
        """Return the signed timestamp if ``header`` proves ``payload``; else raise.

        Raises :class:`SignatureError` for every kind of bad input, never anything else.
        """
        timestamp, signatures = _parse_header(header)
        message = b"%d." % timestamp + payload
        matched = False
        for key in self._keys:
            expected = hmac.digest(key, message, "sha256")
            for candidate in signatures:
                # Keep comparing after a match so timing does not depend on the position.
                matched |= hmac.compare_digest(expected, candidate)
        if not matched:
            raise SignatureError(
                MISMATCH,
                f"no v1 signature in the Stripe-Signature header matches the body with any of "
                f"the {len(self._keys)} configured secret(s): check that the endpoint's signing "
                "secret (whsec_...) is configured and that the raw body was not re-encoded "
                "on the way",
            )
        age = self._clock() - timestamp
        if age > self.tolerance:
            raise SignatureError(
                TOO_OLD,
                f"signature timestamp t={timestamp} is {age:.0f} s old, more than the "
                f"tolerance of {self.tolerance:g} s: a replayed delivery, or this machine's "
                "clock is behind (check NTP)",
            )
        if -age > self.tolerance:
            raise SignatureError(
                IN_FUTURE,
                f"signature timestamp t={timestamp} is {-age:.0f} s in the future, more "
                f"than the tolerance of {self.tolerance:g} s: this machine's clock is ahead "
                "(check NTP)",
            )
        return timestamp


def verify(
    payload: bytes,
    header: str | bytes | None,
    secrets: str | Iterable[str],
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """One-shot :meth:`Verifier.verify`; ``now`` (Unix seconds) defaults to the clock."""
    clock: Clock = time.time if now is None else (lambda: now)
    return Verifier(secrets, tolerance=tolerance, clock=clock).verify(payload, header)


def _parse_header(header: str | bytes | None) -> tuple[int, list[bytes]]:
    if header is None or header == "" or header == b"":
        raise SignatureError(
            MISSING_HEADER,
            "the request has no Stripe-Signature header: only Stripe (or `appevents listen`) "
            "signs deliveries; check that no proxy strips the header",
        )
    if isinstance(header, bytes):
        try:
            header = header.decode("ascii")
        except UnicodeDecodeError:
            raise _malformed(repr(header[:80]), "it contains non-ASCII bytes") from None
    if len(header) > _MAX_HEADER_LENGTH:
        raise _malformed(header[:80] + "...", f"it is longer than {_MAX_HEADER_LENGTH} characters")
    timestamp: int | None = None
    signatures: list[bytes] = []
    for item in header.split(","):
        scheme, sep, value = item.strip().partition("=")
        if not sep:
            raise _malformed(header, f"item {item.strip()!r} is not key=value")
        if scheme == "t":
            if timestamp is not None:
                raise _malformed(header, "it has more than one t=")
            if not value.isdigit() or not value.isascii() or len(value) > 12:
                raise _malformed(header, f"t={value!r} is not a Unix time in seconds")
            timestamp = int(value)
        elif scheme == "v1":
            if len(value) != _HEX_DIGEST_LENGTH:
                raise _malformed(header, f"v1={value[:80]!r} is not 64 hex digits")
            try:
                signatures.append(bytes.fromhex(value))
            except ValueError:
                raise _malformed(header, f"v1={value!r} is not 64 hex digits") from None
        # v0 (Stripe's fake test-mode scheme) and unknown schemes are ignored.
    if timestamp is None:
        raise SignatureError(
            NO_TIMESTAMP,
            f"the Stripe-Signature header {header[:200]!r} has no t=<timestamp>: "
            "expected 't=<unix seconds>,v1=<hex>'",
        )
    if not signatures:
        raise SignatureError(
            NO_SIGNATURE,
            f"the Stripe-Signature header {header[:200]!r} has no v1 signature "
            "(v0 and other schemes are ignored): expected 't=<unix seconds>,v1=<hex>'",
        )
    return timestamp, signatures


def _malformed(header: str, why: str) -> SignatureError:
    return SignatureError(
        MALFORMED_HEADER,
        f"the Stripe-Signature header {header[:200]!r} is malformed: {why}; "
        "expected 't=<unix seconds>,v1=<64 hex digits>'",
    )


def _normalise_secrets(secrets: str | Iterable[str]) -> tuple[str, ...]:
    items = (secrets,) if isinstance(secrets, str) else tuple(secrets)
    if not items:
        raise ConfigurationError(
            "no webhook signing secret configured: pass the endpoint's whsec_... secret "
            "(Dashboard > Developers > Webhooks, or the one `appevents listen` prints)"
        )
    for s in items:
        if not isinstance(s, str) or not s.strip():
            raise ConfigurationError(
                f"webhook signing secret {s!r} is empty or not a string: pass the endpoint's "
                "whsec_... secret"
            )
        if s != s.strip():
            raise ConfigurationError(
                f"webhook signing secret {s!r} has surrounding whitespace: the HMAC key is the "
                "exact string, strip it where it is configured"
            )
    return items


def _check_tolerance(tolerance: float) -> float:
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not math.isfinite(tolerance)
        or tolerance <= 0
    ):
        raise ConfigurationError(
            f"signature tolerance must be a positive number of seconds, got {tolerance!r}: "
            f"use the default {DEFAULT_TOLERANCE}; it cannot be disabled, because a signature "
            "without a time bound can be replayed forever"
        )
    return float(tolerance)


def _check_timestamp(timestamp: int) -> int:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ConfigurationError(
            f"timestamp must be a non-negative whole number of Unix seconds, got {timestamp!r}"
        )
    return timestamp
