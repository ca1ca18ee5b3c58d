"""Why an event cannot be resent to an endpoint, and what to do instead (`events resend`).

Only an endpoint an event was routed to can get it again; the refusal says why this one was
not, and which endpoints were, so the user knows what to type next.
"""

from __future__ import annotations

import sqlite3

from .routing import enabled_events_select
from .state.endpoints import Endpoint

__all__ = ["unrouted"]


def unrouted(db: sqlite3.Connection, event_id: str, endpoint: Endpoint) -> str:
    """The message refusing to resend ``event_id`` to ``endpoint`` (which it never reached)."""
    event = db.execute(
        "SELECT account, type, created FROM events WHERE id = ?", (event_id,)
    ).fetchone()
    reason = _why_not(endpoint, event["account"], event["type"], event["created"])
    sent_to = [
        r[0]
        for r in db.execute(
            "SELECT d.endpoint FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint"
            " WHERE d.event = ? AND e.account = ? ORDER BY d.id",
            (event_id, endpoint.account),
        )
    ]
    if sent_to:
        advice = (
            f"it was sent to {', '.join(sent_to)}: resend it to one of those "
            f"(--webhook-endpoint {sent_to[0]})"
        )
    else:
        connect = " --connect" if event["account"] != endpoint.account else ""
        advice = (
            "it was sent to none of your endpoints: create one that listens to "
            f"{event['type']} (`appevents webhook-endpoints create --url URL --events "
            f"{event['type']}{connect}`), then trigger a new event"
        )
    return (
        f"Event {event_id} was never routed to endpoint {endpoint.id} ({reason}), so it "
        f"cannot be resent there; {advice}"
    )


def _why_not(endpoint: Endpoint, account: str, event_type: str, created: int) -> str:
    if not enabled_events_select(endpoint.enabled_events, event_type):
        return f"it listens to {', '.join(endpoint.enabled_events)}, not {event_type}"
    if account != endpoint.account and not endpoint.connect:
        return f"the event is {account}'s, and the endpoint is not a Connect endpoint"
    if account == endpoint.account and endpoint.connect:
        return "the event is your own account's, and the endpoint is a Connect endpoint"
    # Same second: the endpoint matches in every other way, so it came after the event.
    if endpoint.created >= created:
        return "the endpoint was created after the event"
    return "it was disabled or did not match when the event happened"
