"""What a caller may see of the objects other accounts own.

Stripe answers an id the caller may not see exactly as one that does not exist (404
``resource_missing``), so no answer tells whether an id exists on another account. The
rules:

* an app is seen by its developer only (its permissions and installs are the developer's);
* an event is seen on the account the request acts on (the key's own, or the
  ``Stripe-Account`` one it may act on), and by a developer whose endpoint it was routed
  or withheld from, while that developer is the account's platform or has an app
  installed (or once installed) there;
* of an event's deliveries, a caller sees those to its own endpoints: their answers are
  the endpoint owner's (a platform acting on an account it created sees that account's
  endpoints too, an app does not).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .callers import Caller
from .state import accounts, apps, deliveries, thin_events
from .stripe_errors import ResourceMissing

__all__ = ["deliveries_of", "visible_app", "visible_event"]


def visible_app(db: sqlite3.Connection, caller: Caller, app_id: str) -> apps.AppRecord:
    app = apps.get_app(db, app_id)  # the same error for an unknown id
    if app.owner != caller.key_account:
        raise ResourceMissing("application", app_id, param="app")
    return app


def visible_event(db: sqlite3.Connection, caller: Caller, event_id: str) -> str:
    """The account event ``event_id`` happened on, when the caller may see the event."""
    row = db.execute(
        "SELECT account FROM events WHERE id = ? AND livemode = ?", (event_id, caller.livemode)
    ).fetchone()
    if row is not None:
        account: str = row["account"]
        if account == thin_events.THIN_ACCOUNT:  # a thin event's row: its account is there
            account = thin_events.thin_event_account(db, event_id, caller.livemode) or account
        if account == caller.account:
            return account
        if _routed_to(db, event_id, caller.key_account) and _related(
            db, caller.key_account, account
        ):
            return account
    raise ResourceMissing("event", event_id)


def deliveries_of(db: sqlite3.Connection, caller: Caller, event_id: str) -> dict[str, Any]:
    """The event's deliveries (with every attempt) and withholdings the caller may see."""
    account = visible_event(db, caller, event_id)
    owners = [caller.key_account]
    if caller.app is None and account == caller.account:
        owners.append(account)  # the account itself, or the platform that created it
    marks = ", ".join("?" * len(owners))
    rows = db.execute(
        "SELECT d.id, d.endpoint, d.status, d.attempts, d.next_attempt_at FROM deliveries d"
        " JOIN webhook_endpoints e ON e.id = d.endpoint"
        f" WHERE d.event = ? AND e.account IN ({marks})"
        " ORDER BY d.id",
        (event_id, *owners),
    ).fetchall()
    owed = []
    for r in rows:
        owed.append({**dict(r), "attempts_log": deliveries.attempts_of(db, r["id"])})
    withheld = db.execute(
        "SELECT w.endpoint, w.reason, w.message FROM withheld w"
        " JOIN webhook_endpoints e ON e.id = w.endpoint"
        f" WHERE w.event = ? AND e.account IN ({marks})"
        " ORDER BY w.rowid",
        (event_id, *owners),
    ).fetchall()
    return {"event": event_id, "deliveries": owed, "withheld": [dict(w) for w in withheld]}


def _routed_to(db: sqlite3.Connection, event_id: str, owner: str) -> bool:
    found = db.execute(
        "SELECT 1 FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint"
        " WHERE d.event = ? AND e.account = ?"
        " UNION ALL SELECT 1 FROM withheld w JOIN webhook_endpoints e ON e.id = w.endpoint"
        " WHERE w.event = ? AND e.account = ? LIMIT 1",
        (event_id, owner, event_id, owner),
    ).fetchone()
    return found is not None


def _related(db: sqlite3.Connection, owner: str, account: str) -> bool:
    """``owner`` created ``account`` (Connect) or has an app installed there, now or before."""
    if accounts.platform_of(db, account) == owner:
        return True
    return any(
        apps.get_app(db, i.app).owner == owner for i in apps.list_installs(db, account=account)
    )
