"""What the receiver dashboard's pages read from the store, through the store's own
interface (the same queries ``appevents inbox`` runs), never around it.

The store lists events by status and account, newest received first; the dashboard's
other filters (type with ``*`` wildcards, several separated by commas, and created dates)
are applied to the newest ``SCAN`` events that status and account select, and a page
says when that window was full, so nothing is silently missing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ...errors import ConfigurationError
from ..inbox import Attempt, Status, Store, StoredEvent
from ..installations import AUTHORIZED, DEAUTHORIZED, Installation

__all__ = [
    "EventDetail",
    "Filters",
    "InboxPage",
    "event_detail",
    "inbox_page",
    "installation_history",
    "matching_events",
    "replay_matching",
]

PAGE = 100
SCAN = 2000
"""Events the type and date filters look through, newest first."""
REPLAY_LIMIT = 100_000
"""Events one "Replay all" of an account's (or failed) events replays at most."""
LIFECYCLE = (AUTHORIZED, DEAUTHORIZED, "v1." + AUTHORIZED, "v1." + DEAUTHORIZED)
STATUSES = tuple(s.value for s in Status)
REPLAYABLE = (Status.DONE, Status.FAILED, Status.DEAD)
"""What ``Store.replay`` makes pending again; a pending event is about to be processed."""


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = ""
    account: str = ""
    types: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, values: Any) -> Filters:
        """From a query string or a form (anything with ``get``)."""
        return cls(*(str(values.get(name, "")).strip() for name in _FIELDS))

    def query(self) -> dict[str, str]:
        return {name: getattr(self, f) for name, f in zip(_FIELDS, _ATTRS, strict=True)
                if getattr(self, f)}  # fmt: skip

    def check(self) -> None:
        """Raise ConfigurationError naming a filter that cannot be applied."""
        if self.status and self.status not in STATUSES:
            raise ConfigurationError(
                f"unknown status {self.status[:40]!r}: pick one of {', '.join(STATUSES)}"
            )
        self.bounds()

    def patterns(self) -> list[re.Pattern[str]]:
        return [_pattern(p.strip()) for p in self.types.split(",") if p.strip()]

    def bounds(self) -> tuple[int | None, int | None]:
        """``created`` from the start of ``since`` to the end of ``until`` (UTC days)."""
        start = _day(self.since, "from") if self.since else None
        end = _day(self.until, "to") + 86400 if self.until else None
        return start, end

    def matches(self, event: StoredEvent) -> bool:
        patterns = self.patterns()
        if patterns and not any(p.fullmatch(event.type) for p in patterns):
            return False
        start, end = self.bounds()
        return (start is None or event.created >= start) and (end is None or event.created < end)


_FIELDS = ("status", "account", "type", "since", "until")
_ATTRS = ("status", "account", "types", "since", "until")


def _pattern(text: str) -> re.Pattern[str]:
    """``*`` matches any run of characters, everything else itself."""
    return re.compile(".*".join(re.escape(part) for part in text.split("*")))


def _day(text: str, name: str) -> int:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(
            f"the {name} date {text[:40]!r} is not a date: write it as YYYY-MM-DD"
        ) from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


@dataclass(frozen=True, slots=True)
class InboxPage:
    events: list[StoredEvent]
    matching: int | None
    """How many events the filters select; None when the store cannot say cheaply (an
    account's events: the page then only knows whether there are older ones)."""
    scanned_all: bool
    """False when SCAN events were looked through and older ones may match too."""
    counts: dict[Status, int]
    offset: int = 0
    more: bool = False
    """Whether matching events older than these exist."""

    @property
    def older(self) -> int | None:
        """The offset of the next page, if there are more matching events."""
        return self.offset + len(self.events) if self.more else None


async def matching_events(
    store: Store, filters: Filters, *, limit: int = SCAN
) -> tuple[list[StoredEvent], bool]:
    """The events the filters select, newest first, and whether that is all of them: the
    newest ``limit`` the store selects by status and account (then filtered by type and
    date, when asked)."""
    filters.check()
    listed = await store.list_events(
        status=Status(filters.status) if filters.status else None,
        account=filters.account or None,
        limit=limit + 1,
    )
    complete = len(listed) <= limit
    return [e for e in listed[:limit] if filters.matches(e)], complete


async def inbox_page(store: Store, filters: Filters, offset: int = 0) -> InboxPage:
    """The PAGE matching events from ``offset`` on (0: the newest)."""
    start = max(offset, 0)
    counts = await store.counts()
    if not (filters.types or filters.since or filters.until):
        # The store selects these itself: read only as far as this page goes.
        found, complete = await matching_events(store, filters, limit=start + PAGE)
        matching = None
        if not filters.account:
            matching = (
                counts.get(Status(filters.status), 0) if filters.status else sum(counts.values())
            )
        return InboxPage(found[start:], matching, True, counts, start, more=not complete)
    found, complete = await matching_events(store, filters)
    shown = found[start : start + PAGE]
    return InboxPage(shown, len(found), complete, counts, start, more=start + PAGE < len(found))


async def replay_matching(store: Store, filters: Filters, *, now: float) -> list[str]:
    """Replay the events the filters select (a status Store.replay accepts): all the dead
    ones with the store's own ``replay_dead`` when nothing else narrows them, as
    ``appevents inbox replay --dead`` does; else those listed (erased ones left out)."""
    if filters == Filters(Status.DEAD.value):
        return await store.replay_dead(now=now)
    narrowed = bool(filters.types or filters.since or filters.until)
    found, _ = await matching_events(store, filters, limit=SCAN if narrowed else REPLAY_LIMIT)
    ids = [e.id for e in found if e.payload is not None]
    return await store.replay(ids, now=now) if ids else []


@dataclass(frozen=True, slots=True)
class EventDetail:
    event: StoredEvent
    attempts: list[Attempt]
    payload: str | None
    """The payload as indented JSON (the raw text if it is not JSON); None once erased."""

    @property
    def replayable(self) -> bool:
        return self.event.status in REPLAYABLE and self.event.payload is not None


async def event_detail(store: Store, event_id: str) -> EventDetail:
    """Raises NotFound for an unknown id."""
    event = await store.get_event(event_id)
    attempts = await store.attempts(event_id)
    return EventDetail(event, attempts, _pretty(event.payload))


def _pretty(payload: bytes | None) -> str | None:
    if payload is None:
        return None
    text = payload.decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def error_summary(error: str | None) -> str:
    """The line of a traceback that says what went wrong (its last non-empty one)."""
    lines = [line for line in (error or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


async def installation_history(
    store: Store, account: str
) -> tuple[list[Installation], list[StoredEvent]]:
    """The account's installations (test and live) and its install and uninstall events,
    newest first (among its newest SCAN events)."""
    installations = [i for i in await store.list_installations() if i.account == account]
    events = await store.list_events(account=account, limit=SCAN)
    return installations, [e for e in events if e.type in LIFECYCLE]
