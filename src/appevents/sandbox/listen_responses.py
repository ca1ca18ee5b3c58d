"""What a local endpoint answered a `listen` client: the Stripe CLI's ``webhook_response``.

The Stripe CLI reports each forward's answer (the URL, the status, the body) with the
``webhook_id`` of the message it forwarded. The sandbox keeps it beside the event's
deliveries to webhook endpoints, so ``GET /_sandbox/events/{id}/deliveries`` shows what
the developer's local endpoint said too. Only answers to messages the connection was sent
are kept: a client cannot write into another event's log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .callers import Caller
    from .service import Sandbox
    from .state.db import StateDB

__all__ = ["Answered", "answered", "of_event", "record"]

MAX_RESPONSE = 5000
"""Characters of an answer kept, as for a webhook endpoint's attempts."""
MAX_URL = 2000


@dataclass(frozen=True, slots=True)
class Answered:
    event_id: str
    forward_url: str
    status: int
    body: str


def answered(reply: Any, sent: Mapping[str, str]) -> Answered | None:
    """The answer a ``webhook_response`` reports, when it is about a message in ``sent``
    (webhook_id -> event id)."""
    if not isinstance(reply, dict) or reply.get("type") != "webhook_response":
        return None
    event_id = sent.get(reply.get("webhook_id") or "")
    status, url, body = reply.get("status"), reply.get("forward_url"), reply.get("body")
    if event_id is None or not isinstance(status, int) or isinstance(status, bool):
        return None
    return Answered(
        event_id,
        url[:MAX_URL] if isinstance(url, str) else "",
        status,
        body[:MAX_RESPONSE] if isinstance(body, str) else "",
    )


def record(sandbox: Sandbox, account: str, livemode: bool, device: str, answer: Answered) -> None:
    """Keep what device ``device`` of ``account`` reported."""
    with sandbox.transaction() as db:
        db.execute(
            "INSERT INTO cli_responses (event, account, livemode, device, at, forward_url,"
            " status_code, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (answer.event_id, account, livemode, device, sandbox.clock(),
             answer.forward_url, answer.status, answer.body),
        )  # fmt: skip


def of_event(db: StateDB, caller: Caller, event_id: str) -> list[dict[str, Any]]:
    """The answers the caller's own listening devices reported for ``event_id``."""
    rows = db.execute(
        "SELECT device, at, forward_url, status_code, response FROM cli_responses"
        " WHERE event = ? AND account IN (?, ?) AND livemode = ? ORDER BY rowid",
        (event_id, caller.key_account, caller.account, caller.livemode),
    ).fetchall()
    return [dict(r) for r in rows]
