"""Verify the calls a Stripe App's UI extension makes to the app's backend.

In the Dashboard, the extension calls ``fetchStripeSignature(additionalPayload?)`` from
``@stripe/ui-extension-sdk`` and sends the result as the ``Stripe-Signature`` header,
with a JSON body carrying ``user_id`` and ``account_id`` of the signed-in user (and the
additional payload's fields, if it passed any). Stripe signs, with the app's signing
secret (``absec_...``) and the webhook scheme of :mod:`appevents.signature`, the bytes
JavaScript's ``JSON.stringify({user_id, account_id, ...additionalPayload})`` makes: no
whitespace, keys in that order (JavaScript puts integer-like keys first), non-ASCII
characters as they are. The backend rebuilds those bytes from the body it received and
checks the header (docs.stripe.com/stripe-apps/build-backend).

The body the extension sends may hold fields it did not sign; they are tried as signed
first, then left out, and :attr:`UIRequest.payload` holds only the fields the signature
covers. This module is pure: the clock is injected, nothing is read from the environment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import ConfigurationError, SignatureError
from .signature import DEFAULT_TOLERANCE, MISMATCH, Verifier, sign

__all__ = [
    "INVALID_BODY",
    "MISSING_ACCOUNT_ID",
    "MISSING_USER_ID",
    "UIRequest",
    "sign_ui_request",
    "signed_bytes",
    "verify_ui_request",
]

# Reason codes added to those of appevents.signature (same SignatureError, same use).
INVALID_BODY = "invalid_ui_request_body"
MISSING_USER_ID = "missing_user_id"
MISSING_ACCOUNT_ID = "missing_account_id"

_HEADER = "stripe-signature"
_MAX_INDEX = 2**32 - 2  # JavaScript orders keys that are array indices (< 2**32 - 1) first


@dataclass(frozen=True, slots=True)
class UIRequest:
    """A UI-extension call whose signature was verified."""

    user_id: str
    """The Dashboard user who made the call (``usr_...``)."""
    account_id: str
    """The account whose Dashboard the user was in (``acct_...``)."""
    payload: dict[str, Any]
    """Every signed field: ``user_id``, ``account_id`` and the additional payload."""
    timestamp: int
    """The ``t=`` of the signature (Unix seconds)."""


def verify_ui_request(
    body: bytes | str | Mapping[str, Any],
    signature: str | Mapping[str, str] | None,
    secret: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> UIRequest:
    """Return the verified caller of a UI-extension request; raise :class:`SignatureError`.

    ``body`` is the request body (JSON bytes or text) or the dict a framework parsed from
    it; ``signature`` the ``Stripe-Signature`` header's value or the request's headers;
    ``secret`` the app's signing secret(s), several while one is being rolled.
    """
    verifier = Verifier(_check_secrets(secret), tolerance=tolerance, clock=clock)
    fields = _parse_body(body)
    user_id = _require_id(fields, "user_id", "usr_", MISSING_USER_ID)
    account_id = _require_id(fields, "account_id", "acct_", MISSING_ACCOUNT_ID)
    header = _header_value(signature)
    extra = {k: v for k, v in fields.items() if k not in ("user_id", "account_id")}
    # With extra fields, they are either the additional payload or unsigned app data.
    candidates = [extra, {}] if extra else [{}]
    for i, candidate in enumerate(candidates):
        try:
            signed = signed_bytes(user_id, account_id, candidate)
        except RecursionError:
            raise SignatureError(
                INVALID_BODY, "the UI-extension request body is nested too deeply to verify"
            ) from None
        try:
            timestamp = verifier.verify(signed, header)
        except SignatureError as exc:
            if exc.reason == MISMATCH and i + 1 < len(candidates):
                continue
            if exc.reason == MISMATCH:
                raise SignatureError(
                    MISMATCH,
                    f"the Stripe-Signature header does not sign user_id={user_id!r}, "
                    f"account_id={account_id!r}"
                    + (f" (with or without the fields {sorted(extra)})" if extra else "")
                    + f" with any of the {len(verifier.secrets)} configured secret(s): "
                    "check that the app's signing secret (absec_..., on the app's page in "
                    "the Dashboard, or `appevents apps` for the sandbox) is configured, and "
                    "that the body sends the user_id and account_id the extension signed",
                ) from None
            raise
        payload = {"user_id": user_id, "account_id": account_id, **candidate}
        return UIRequest(user_id, account_id, payload, timestamp)
    raise AssertionError("unreachable: the last candidate returns or raises")


def sign_ui_request(
    user_id: str,
    account_id: str,
    secret: str | Iterable[str],
    *,
    timestamp: int | None = None,
    extra: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> str:
    """The ``Stripe-Signature`` header Stripe gives a UI extension for this user and
    account (``extra``: its additional payload, which the body must then carry too)."""
    secrets = _check_secrets(secret)
    payload = signed_bytes(user_id, account_id, extra or {})
    return sign(payload, secrets, timestamp, clock=clock)


def signed_bytes(user_id: str, account_id: str, extra: Mapping[str, Any]) -> bytes:
    """The bytes Stripe signs: ``JSON.stringify({user_id, account_id, ...extra})``."""
    merged: dict[str, Any] = {"user_id": user_id, "account_id": account_id}
    merged.update(extra)  # like a JS spread: a repeated key keeps its first position
    return _js_stringify(merged).encode()


def _check_secrets(secret: str | Iterable[str]) -> tuple[str, ...]:
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    if not secrets:
        raise ConfigurationError(
            "no app signing secret configured: pass the app's absec_... secret (the app's "
            "page in the Dashboard > Signing secret, or `appevents apps` for the sandbox)"
        )
    for s in secrets:
        if not isinstance(s, str) or not s.strip() or s != s.strip():
            raise ConfigurationError(
                f"app signing secret {s!r} is empty, not a string or has surrounding "
                "whitespace: pass the app's absec_... secret exactly as the Dashboard shows it"
            )
        if s.startswith("whsec_"):
            raise ConfigurationError(
                f"{s[:10]}... is a webhook endpoint secret: UI-extension requests are signed "
                "with the app's signing secret (absec_...), not the endpoint's"
            )
    return secrets


def _parse_body(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    if isinstance(body, bytes | bytearray | memoryview):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError(
                INVALID_BODY, "the UI-extension request body is not UTF-8: send JSON"
            ) from None
    if not isinstance(body, str):
        raise ConfigurationError(
            f"body must be the request body (bytes or str) or its parsed JSON object, "
            f"got {type(body).__name__}"
        )
    try:
        parsed = json.loads(body)
    except RecursionError:
        raise SignatureError(
            INVALID_BODY, "the UI-extension request body is JSON nested too deeply to read"
        ) from None
    except ValueError as exc:
        raise SignatureError(
            INVALID_BODY,
            f"the UI-extension request body {body[:80]!r} is not JSON ({exc}): send "
            "JSON.stringify({user_id, account_id, ...}) with Content-Type: application/json",
        ) from None
    if not isinstance(parsed, dict):
        raise SignatureError(
            INVALID_BODY,
            f"the UI-extension request body {body[:80]!r} is not a JSON object: send "
            '{"user_id": ..., "account_id": ...}',
        )
    return parsed


def _require_id(fields: Mapping[str, Any], name: str, prefix: str, reason: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise SignatureError(
            reason,
            f"the UI-extension request body has no {name} (got {value!r}): send the "
            f"{prefix}... from the extension's userContext with the signature, as "
            "Stripe's guide shows",
        )
    return value


def _header_value(signature: str | Mapping[str, str] | None) -> str | None:
    if signature is None or isinstance(signature, str):
        return signature
    for key, value in signature.items():
        # A WSGI environ names it HTTP_STRIPE_SIGNATURE.
        if key.lower() in (_HEADER, "http_stripe_signature"):
            return value
    return None


def _js_stringify(value: Any) -> str:
    """``JSON.stringify`` of the value JavaScript gets from parsing the same JSON."""
    if isinstance(value, Mapping):
        items = ",".join(
            f"{json.dumps(str(k), ensure_ascii=False)}:{_js_stringify(v)}"
            for k, v in _js_key_order(value)
        )
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_js_stringify(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return _js_number(value)
    raise ConfigurationError(
        f"{value!r} ({type(value).__name__}) cannot be part of a signed payload: use JSON "
        "values (str, int, float, bool, None, list, dict)"
    )


def _js_key_order(obj: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    # ECMAScript OrdinaryOwnPropertyKeys: array indices ascending, then insertion order.
    def index(key: Any) -> int | None:
        k = str(key)
        if k.isdigit() and k.isascii() and (k == "0" or k[0] != "0"):
            n = int(k)
            return n if n <= _MAX_INDEX else None
        return None

    indexed = sorted(((index(k), k, v) for k, v in obj.items() if index(k) is not None))
    named = [(k, v) for k, v in obj.items() if index(k) is None]
    return [(k, v) for _, k, v in indexed] + named


def _js_number(x: float) -> str:
    # ECMAScript Number::toString over the shortest round-trip digits Python also finds.
    if x != x or x in (float("inf"), float("-inf")):
        return "null"
    if x == 0:
        return "0"
    sign_, digits, exp = Decimal(repr(x)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    k = len(ds)
    n = int(exp) + k  # the value is 0.ds * 10**n
    out: str
    if k <= n <= 21:
        out = ds + "0" * (n - k)
    elif 0 < n <= 21:
        out = ds[:n] + "." + ds[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + ds
    else:
        e = n - 1
        mantissa = ds if k == 1 else ds[0] + "." + ds[1:]
        out = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return ("-" if sign_ else "") + out
