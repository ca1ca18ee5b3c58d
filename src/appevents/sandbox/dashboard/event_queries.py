"""What the dashboard's event and object pages read, and the marks its live view watches.

The events list spans every account and both modes (the API's lists are one account's
view); its type filter takes ``*`` anywhere (``*.succeeded``, ``charge.*``), several
patterns separated by commas."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..listen import Connection, ListenHub
from ..state import endpoints
from ..state.db import loads
from ..state.deliveries import attempts_of
from ..state.thin_events import THIN_ACCOUNT
from ..stripe_errors import InvalidRequest, ResourceMissing
from .queries import grant_fix

__all__ = [
    "EventFilters",
    "app_of",
    "deliveries_of",
    "event_detail",
    "events_page",
    "linked_objects",
    "marks",
]

PAGE = 50
_ID = re.compile(r"[a-z][a-z0-9]*_[A-Za-z0-9]{6,}")
"""What an object id looks like (``cus_…``, ``pi_…``, ``acct_…``)."""
MAX_LINKS = 50


@dataclass(frozen=True, slots=True)
class EventFilters:
    types: str = ""
    account: str = ""
    since: str = ""
    until: str = ""
    mode: str = ""
    """``test``, ``live`` or empty for both."""

    def type_patterns(self) -> list[str]:
        return [p.strip() for p in self.types.split(",") if p.strip()]

    def query(self) -> dict[str, str]:
        shown = {"type": self.types, "account": self.account, "since": self.since,
                 "until": self.until, "mode": self.mode}  # fmt: skip
        return {k: v for k, v in shown.items() if v}


def _day(text: str, name: str) -> int:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"Invalid {name} date {text[:40]!r}: write it as YYYY-MM-DD", param=name
        ) from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _glob(pattern: str) -> str:
    """A type pattern as SQLite GLOB: ``*`` stays a wildcard, ``?`` and ``[`` are literal."""
    return pattern.replace("[", "[[]").replace("?", "[?]")


@dataclass
class EventRow:
    seq: int
    id: str
    account: str
    livemode: bool
    type: str
    created: int
    succeeded: int
    failed: int
    pending: int
    withheld: int
    thin: bool
    """A v2 thin event (``/v2/core/events``): its page is thin_queries'."""


def events_page(
    db: sqlite3.Connection, filters: EventFilters, before: int | None = None
) -> tuple[list[EventRow], int | None]:
    """Newest first, ``PAGE`` at a time; returns the rows and the cursor of the next page."""
    # A thin event's row names no account (THIN_ACCOUNT): its own row in thin_events does.
    clauses: list[str] = ["1"]
    params: list[str | int | bool] = []
    patterns = filters.type_patterns()
    if patterns:
        clauses.append("(" + " OR ".join("e.type GLOB ?" for _ in patterns) + ")")
        params.extend(_glob(p) for p in patterns)
    if filters.account:
        clauses.append("COALESCE(t.account, e.account) = ?")
        params.append(filters.account)
    if filters.mode in ("test", "live"):
        clauses.append("e.livemode = ?")
        params.append(filters.mode == "live")
    if filters.since:
        clauses.append("e.created >= ?")
        params.append(_day(filters.since, "since"))
    if filters.until:
        clauses.append("e.created < ?")
        params.append(_day(filters.until, "until") + int(timedelta(days=1).total_seconds()))
    if before is not None:
        clauses.append("e.seq < ?")
        params.append(before)
    rows = db.execute(
        "SELECT e.seq, e.id, COALESCE(t.account, e.account), e.livemode, e.type, e.created,"
        " (SELECT COUNT(*) FROM deliveries d WHERE d.event = e.id AND d.status = 'succeeded'),"
        " (SELECT COUNT(*) FROM deliveries d WHERE d.event = e.id AND d.status = 'failed'),"
        " (SELECT COUNT(*) FROM deliveries d WHERE d.event = e.id AND d.status = 'pending'),"
        " (SELECT COUNT(*) FROM withheld w WHERE w.event = e.id), t.id IS NOT NULL"
        " FROM events e LEFT JOIN thin_events t ON e.account = ? AND t.id = e.id"
        f" WHERE {' AND '.join(clauses)} ORDER BY e.seq DESC LIMIT ?",
        (THIN_ACCOUNT, *params, PAGE + 1),
    ).fetchall()
    found = [EventRow(*r) for r in rows[:PAGE]]
    return found, (found[-1].seq if len(rows) > PAGE else None)


@dataclass
class EventDetail:
    body: dict[str, Any]
    account: str
    stored: str
    """The event's JSON as stored (what deliveries send, with ``pending_webhooks``)."""
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    listen: list[dict[str, Any]] = field(default_factory=list)

    live_endpoints: frozenset[str] = frozenset()

    @property
    def resend_targets(self) -> list[str]:
        """The endpoints the event may be sent again: those it was routed or withheld from,
        when they still exist."""
        seen = [d["endpoint"] for d in self.deliveries] + [w["endpoint"] for w in self.withheld]
        return [e for e in dict.fromkeys(seen) if e in self.live_endpoints]


def event_detail(db: sqlite3.Connection, event_id: str) -> EventDetail:
    row = db.execute(
        "SELECT account, body FROM events WHERE id = ? AND account != ?", (event_id, THIN_ACCOUNT)
    ).fetchone()
    if row is None:
        raise ResourceMissing("event", event_id)
    detail = EventDetail(loads(row["body"]), row["account"], row["body"])
    live = endpoints.live_endpoints(db)
    detail.live_endpoints = frozenset(live)
    detail.deliveries = deliveries_of(db, event_id)
    for w in db.execute(
        "SELECT w.endpoint, w.reason, w.message, e.url, e.application, e.account AS owner"
        " FROM withheld w JOIN webhook_endpoints e ON e.id = w.endpoint"
        " WHERE w.event = ? ORDER BY w.rowid",
        (event_id,),
    ):
        app = w["application"] or app_of(db, w["owner"], detail.account)
        fix = grant_fix(db, w["reason"], detail.body["type"], detail.account, app)
        detail.withheld.append({**dict(w), "app": app, "fix": fix})
    detail.links = linked_objects(db, detail.account, detail.body.get("data", {}), event_id)
    detail.listen = [
        dict(r)
        for r in db.execute(
            "SELECT account, device, at, forward_url, status_code, response FROM cli_responses"
            " WHERE event = ? ORDER BY at",
            (event_id,),
        )
    ]
    return detail


def deliveries_of(db: sqlite3.Connection, event_id: str) -> list[dict[str, Any]]:
    """Every delivery of the event, with its attempts and its endpoint's URL and secret."""
    live = endpoints.live_endpoints(db)
    found = []
    for d in db.execute(
        "SELECT d.id, d.endpoint, d.status, d.attempts, d.next_attempt_at, w.url, w.secret"
        " FROM deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint"
        " WHERE d.event = ? ORDER BY d.id",
        (event_id,),
    ):
        delivery = {k: d[k] for k in ("id", "endpoint", "status", "attempts", "next_attempt_at")}
        delivery["url"] = d["url"]
        delivery["deleted"] = d["endpoint"] not in live
        delivery["attempts_log"] = attempts_of(db, d["id"])
        delivery["secret"] = d["secret"]
        found.append(delivery)
    return found


def app_of(db: sqlite3.Connection, owner: str, account: str) -> str | None:
    """The app of ``owner`` installed on ``account`` (a Connect endpoint made without one)."""
    row = db.execute(
        "SELECT i.app FROM installs i JOIN apps a ON a.id = i.app"
        " WHERE a.owner = ? AND i.account = ? LIMIT 1",
        (owner, account),
    ).fetchone()
    return None if row is None else str(row["app"])


def _ids_in(value: Any, found: dict[str, None]) -> None:
    if isinstance(value, dict):
        for child in value.values():
            _ids_in(child, found)
    elif isinstance(value, list):
        for child in value:
            _ids_in(child, found)
    elif isinstance(value, str) and _ID.fullmatch(value):
        found[value] = None


def linked_objects(
    db: sqlite3.Connection, account: str, value: Any, exclude: str = ""
) -> list[dict[str, Any]]:
    """The objects of ``account`` whose ids ``value`` holds (those the sandbox stores)."""
    ids: dict[str, None] = {}
    _ids_in(value, ids)
    ids.pop(exclude, None)
    wanted = list(ids)[:MAX_LINKS]
    if not wanted:
        return []
    rows = db.execute(
        "SELECT id, object FROM objects WHERE account = ?"
        f" AND id IN ({', '.join('?' * len(wanted))})",
        (account, *wanted),
    ).fetchall()
    kinds = {r["id"]: r["object"] for r in rows}
    return [{"id": i, "object": kinds[i]} for i in wanted if i in kinds]


@dataclass
class ObjectDetail:
    account: str
    body: dict[str, Any]
    livemode: bool
    links: list[dict[str, Any]]
    events: list[dict[str, Any]]


def object_detail(db: sqlite3.Connection, account: str, object_id: str) -> ObjectDetail:
    row = db.execute(
        "SELECT body, livemode FROM objects WHERE account = ? AND id = ?", (account, object_id)
    ).fetchone()
    if row is None:
        raise ResourceMissing("object", object_id)
    body = loads(row["body"])
    about = db.execute(
        "SELECT id, type, created FROM (SELECT id, type, created, seq FROM events"
        " WHERE account = ? AND json_extract(body, '$.data.object.id') = ?"
        " UNION ALL SELECT t.id, t.type, e.created, e.seq FROM thin_events t"  # its related_object
        " JOIN events e ON e.id = t.id WHERE t.account = ? AND t.object_id = ?)"
        " ORDER BY seq DESC LIMIT 50",
        (account, object_id, account, object_id),
    ).fetchall()
    return ObjectDetail(
        account, body, bool(row["livemode"]), linked_objects(db, account, body, object_id),
        [dict(r) for r in about],
    )  # fmt: skip


def marks(db: sqlite3.Connection, hub: ListenHub | None = None) -> str:
    """A token that changes whenever a page could: a new event, delivery attempt or
    withholding, an install, an endpoint enabled or gone, a `listen` connection. Each part
    is a maximum or a count of a small table: cheap to read a few times a second."""
    row = db.execute(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM events),"
        " (SELECT COALESCE(MAX(rowid), 0) FROM delivery_attempts),"
        " (SELECT COALESCE(MAX(rowid), 0) FROM withheld),"
        " (SELECT COUNT(*) FROM installs WHERE active = 1),"
        " (SELECT COUNT(*) FROM webhook_endpoints WHERE deleted = 0 AND status = 'enabled')"
    ).fetchone()
    listening = len(connections(db, hub)) if hub else 0
    return "-".join(str(v) for v in (*tuple(row), listening))


def connections(db: sqlite3.Connection, hub: ListenHub) -> list[Connection]:
    """The `listen` sessions connected now, of every account and mode."""
    everyone = {r[0] for r in db.execute("SELECT id FROM accounts")}
    return hub.listening(everyone, False) + hub.listening(everyone, True)
