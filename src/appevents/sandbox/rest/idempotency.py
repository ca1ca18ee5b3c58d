"""Stripe's idempotency keys: a POST retried with the same ``Idempotency-Key`` gets the
first answer again (its status and body) instead of running twice.

A key is kept 24 hours, as Stripe does, per account and mode: the account the request
acts on (a platform's call on a connected account uses that account's keys) and test or
live. A key reused for another endpoint, or with other parameters, is an
``idempotency_error``.

The contract with the caller (the REST dispatcher):

- Only POST requests use keys (Stripe ignores them on GET and DELETE, which are
  idempotent already): the caller reads the header with :func:`check_key` for POST
  requests only.
- On the lane, with nothing else running in between: :func:`replay` first; when it
  answers, send that and run nothing. Otherwise run the operation (which commits its own
  writes, or rolls them back when it fails) and :func:`remember` its answer right after.
- Like Stripe, save an answer only once the operation began executing, whatever its
  status: an error it raised is remembered too (outside whatever savepoint undoes the
  failed operation's writes, or the key goes with them). A request refused before that
  (parameters that fail validation, an unknown path, authentication) is not saved, so
  the client can fix it and retry with the same key.
- ``fingerprint`` the parameters as decoded (form values are strings, JSON ones typed):
  the same request sent once as a form and once as JSON counts as other parameters.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from ..stripe_errors import IdempotencyError, InvalidRequest

__all__ = [
    "KEY_LIFETIME",
    "MAX_KEY_LENGTH",
    "check_key",
    "fingerprint",
    "remember",
    "replay",
    "sweep",
]

MAX_KEY_LENGTH = 255
KEY_LIFETIME = 24 * 60 * 60
"""Seconds a key answers for after its first use; from then on it is unknown again."""


def check_key(header: str | None) -> str | None:
    """The ``Idempotency-Key`` header's value; None when the request has none (an empty
    value counts as none: it cannot tell one request from another)."""
    if not header:
        return None
    if len(header) > MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long (this one has "
            f"{len(header)}): use a shorter key, such as a UUID."
        )
    return header


def fingerprint(params: dict[str, Any]) -> str:
    """A hash of the parameters that does not depend on the order of their keys."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(
    db: sqlite3.Connection,
    *,
    account: str,
    livemode: bool,
    key: str,
    request: str,
    fingerprint: str,
    now: int,
) -> tuple[int, bytes] | None:
    """The answer saved for ``key`` (status, body), when it was first used for the same
    ``request`` ("POST /v1/customers") with the same parameters less than 24 hours before
    ``now``; None when the key is unknown or has expired (its row is then dropped)."""
    row = db.execute(
        "SELECT request, fingerprint, status, response, created FROM idempotency_keys"
        " WHERE account = ? AND livemode = ? AND key = ?",
        (account, livemode, key),
    ).fetchone()
    if row is None:
        return None
    saved_request, saved_fingerprint, status, response, created = row
    if now - created >= KEY_LIFETIME:
        db.execute(
            "DELETE FROM idempotency_keys WHERE account = ? AND livemode = ? AND key = ?",
            (account, livemode, key),
        )
        return None
    if saved_request != request:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{saved_request}' vs '{request}'). {_try_another(key)}"
        )
    if saved_fingerprint != fingerprint:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. {_try_another(key)}"
        )
    return status, response.encode()


def remember(
    db: sqlite3.Connection,
    *,
    account: str,
    livemode: bool,
    key: str,
    request: str,
    fingerprint: str,
    status: int,
    body: bytes,
    now: int,
) -> None:
    """Save the answer to the first use of ``key``, in the caller's transaction (after a
    :func:`replay` that found nothing: the key must not be saved already)."""
    db.execute(
        "INSERT INTO idempotency_keys"
        " (account, livemode, key, request, fingerprint, status, response, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (account, livemode, key, request, fingerprint, status, body.decode(), now),
    )


def _try_another(key: str) -> str:
    return f"Try using a key other than '{key}' if you meant to execute a different request."


def sweep(db: sqlite3.Connection, now: int) -> int:
    """Drop the keys older than :data:`KEY_LIFETIME` (the official libraries send a key with
    every POST: kept forever, they would grow with every call). Returns how many."""
    cursor = db.execute("DELETE FROM idempotency_keys WHERE created <= ?", (now - KEY_LIFETIME,))
    return cursor.rowcount
