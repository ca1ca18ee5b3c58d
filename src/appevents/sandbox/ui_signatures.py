"""What the Dashboard gives an app's UI extension: a signature over its user and account.

``fetchStripeSignature()`` in a Stripe App's UI extension asks Stripe for a
``Stripe-Signature`` over ``{user_id, account_id, ...additionalPayload}``, signed with the
app's signing secret; the extension sends it to the app's backend. The sandbox issues the
same signatures, so that tests call a backend as the Dashboard would.

Each app has one signing secret (``absec_...``). It is derived from the developer
account's secret key and the app's id, so it is stable for the app's life without being
stored, and nobody without the developer's key can compute it. Stripe lets a developer
expire a secret with an overlap; the sandbox's does not change.
"""

from __future__ import annotations

import hmac
import json
import sqlite3
from hashlib import sha256
from typing import Any

from ..ui_request import sign_ui_request
from .callers import Caller
from .ids import ALPHABET
from .state import accounts, apps
from .stripe_errors import InvalidRequest, ResourceMissing

__all__ = ["MAX_PAYLOAD_BYTES", "default_user", "issue", "signing_secret"]

MAX_PAYLOAD_BYTES = 4096
"""Size of an additional payload's JSON: what an extension sends is small."""
_SECRET_LENGTH = 32


def signing_secret(db: sqlite3.Connection, app: apps.AppRecord) -> str:
    """The app's signing secret, ``absec_`` and 32 letters and digits."""
    return "absec_" + _derived(db, app, f"app-signing-secret:{app.id}", _SECRET_LENGTH)


def default_user(db: sqlite3.Connection, app: apps.AppRecord, account: str) -> str:
    """The Dashboard user the sandbox signs for when none is named: one per account."""
    return "usr_" + _derived(db, app, f"dashboard-user:{account}", 14)


def issue(
    db: sqlite3.Connection,
    caller: Caller,
    app_id: str,
    params: dict[str, Any],
    now: int,
) -> dict[str, Any]:
    """A signature for a user of ``params["account"]`` in the app's UI extension.

    Asked by the app's developer (what tests do) or by the account itself; refused unless
    the app is installed (and not uninstalled) on that account, as the Dashboard shows an
    extension only there.
    """
    app = apps.get_app(db, app_id)
    account = params.get("account")
    if not isinstance(account, str) or not account:
        raise InvalidRequest(
            "Missing required param: account (the acct_... whose Dashboard the user is in)",
            param="account",
        )
    if caller.key_account not in (app.owner, account):
        raise ResourceMissing("application", app_id, param="app")  # as for any hidden app
    install = apps.get_install(db, account, app.id)
    if install is None or not install.active:
        raise InvalidRequest(
            f"App {app.id} ({app.manifest_id}) is not installed on {account}"
            f"{' any more' if install is not None else ''}: the Dashboard shows its UI "
            "extension only on accounts that installed it; install it first "
            f"(`appevents apps install --account {account}`)",
            param="account",
        )
    user = params.get("user") or default_user(db, app, account)
    if not isinstance(user, str) or not user.startswith("usr_"):
        raise InvalidRequest(
            f"Invalid user {user!r}: a Dashboard user id starts with usr_", param="user"
        )
    extra = _additional_payload(params.get("payload"))
    header = sign_ui_request(user, account, signing_secret(db, app), timestamp=now, extra=extra)
    body = {"user_id": user, "account_id": account, **extra}
    return {
        "object": "apps.ui_signature",
        "app": app.id,
        "account_id": account,
        "user_id": user,
        "signature": header,
        "created": now,
        "body": body,
        "headers": {"Stripe-Signature": header, "Content-Type": "application/json"},
    }


def _additional_payload(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise InvalidRequest(
                f"payload is not JSON: {str(exc)[:200]}", param="payload"
            ) from None
    if not isinstance(value, dict):
        raise InvalidRequest(
            f"Invalid payload {str(value)[:80]!r}: the additional payload is a JSON object",
            param="payload",
        )
    if len(json.dumps(value)) > MAX_PAYLOAD_BYTES:
        raise InvalidRequest(
            f"payload is longer than {MAX_PAYLOAD_BYTES} bytes of JSON", param="payload"
        )
    for key in ("user_id", "account_id"):
        if key in value:
            raise InvalidRequest(
                f"payload may not set {key}: Stripe signs the signed-in user's own",
                param="payload",
            )
    return value


def _derived(db: sqlite3.Connection, app: apps.AppRecord, purpose: str, length: int) -> str:
    keys = accounts.keys_of(db, app.owner)
    if "live" not in keys:
        raise InvalidRequest(
            f"App {app.id}'s developer account {app.owner} was deleted: its app has no "
            "signing secret any more",
            param="app",
        )
    digest = hmac.new(keys["live"].encode(), purpose.encode(), sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)
