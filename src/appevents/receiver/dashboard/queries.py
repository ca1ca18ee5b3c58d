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
]

PAGE = 100
SCAN = 5000
"""Events the type and date filters look through, newest first."""
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
    matching: int
    """How many events the filters select (the page shows the first PAGE)."""
    scanned_all: bool
    """False when SCAN events were looked through and older ones may match too."""
    counts: dict[Status, int]
    offset: int = 0

    @property
    def older(self) -> int | None:
        """The offset of the next page, if there are more matching events."""
        after = self.offset + len(self.events)
        return after if after < self.matching else None


async def matching_events(store: Store, filters: Filters) -> tuple[list[StoredEvent], bool]:
    """Every event the filters select among the newest SCAN, and whether that was all."""
    filters.check()
    listed = await store.list_events(
        status=Status(filters.status) if filters.status else None,
        account=filters.account or None,
        limit=SCAN + 1,
    )
    complete = len(listed) <= SCAN
    return [e for e in listed[:SCAN] if filters.matches(e)], complete


async def inbox_page(store: Store, filters: Filters, offset: int = 0) -> InboxPage:
    """The PAGE matching events from ``offset`` on (0: the newest)."""
    found, complete = await matching_events(store, filters)
    start = max(offset, 0)
    return InboxPage(found[start : start + PAGE], len(found), complete, await store.counts(), start)


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
