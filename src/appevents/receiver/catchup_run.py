"""The catch-up itself: list each account's events window by window, insert the missing
ones (oldest first, marked ``catchup``), save the cursor after each window.

The plan is ``catchup``'s (pure), the asking ``catchup_api``'s; this shell only moves
events from one to the store, through ``Store.insert_events``: the receiver's own
dedupe, so an event delivered meanwhile (or by an earlier catch-up) is skipped, and a
rerun inserts nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from ..errors import InvalidEvent, StripeAPIError
from ..event import Event
from .catchup import (
    Since,
    Window,
    first_window,
    next_span,
    resume_point,
    since_last,
    span_after_overflow,
)
from .catchup_api import EventsAPI
from .inbox import CatchupProgress, Source, Store

__all__ = ["AccountResult", "Progress", "accounts_to_catch_up", "catch_up"]

MAX_BUFFERED = 10_000
"""Events one window may hold in memory before it is listed again in smaller ones."""
INSERT_CHUNK = 500
"""Events per insert (one commit each, oldest first)."""


@dataclass
class AccountResult:
    """What the catch-up did for one account (None: the platform's own events)."""

    account: str | None
    since: int | None = None
    until: int | None = None
    resumed_from: int | None = None
    """The saved cursor it continued from; None for a fresh run."""
    listed: int = 0
    inserted: int = 0
    duplicates: int = 0
    skipped: str | None = None
    """Why nothing was listed (``--since-last`` with nothing stored, and no ``--since``)."""
    error: str | None = None

    @property
    def name(self) -> str:
        return self.account or "platform"


class Progress(Protocol):
    """Where the catch-up reports as it goes (the CLI draws a bar or prints lines)."""

    def started(self, result: AccountResult, through: int) -> None: ...

    def advanced(self, result: AccountResult, through: int) -> None: ...

    def finished(self, result: AccountResult) -> None: ...


class _Silent:
    def started(self, result: AccountResult, through: int) -> None:
        pass

    def advanced(self, result: AccountResult, through: int) -> None:
        pass

    def finished(self, result: AccountResult) -> None:
        pass


async def accounts_to_catch_up(store: Store, livemode: bool) -> list[str | None]:
    """The platform's own events, then each account the app is installed on (in the
    key's mode), as the store knows them."""
    installed = [
        i.account
        for i in await store.list_installations()
        if i.status == "active" and i.livemode == livemode
    ]
    return [None, *sorted(installed)]


async def catch_up(
    store: Store,
    api: EventsAPI,
    *,
    livemode: bool,
    accounts: Sequence[str | None],
    since: Since | None,
    from_last: bool = False,
    progress: Progress | None = None,
    on_inserted: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.time,
    max_buffered: int = MAX_BUFFERED,
) -> list[AccountResult]:
    """Catch up each of ``accounts`` from ``since`` (or, ``from_last``, from its newest
    stored event, ``since`` then being the start for accounts with none).

    An account whose listing fails (Stripe refused, unreachable) has its ``error`` set
    and the next one is caught up; a store that fails stops the whole run (raises).
    ``on_inserted(n)`` is told after each commit that stored new events (to wake a
    worker)."""
    report = progress or _Silent()
    results = []
    for account in accounts:
        result = AccountResult(account)
        try:
            await _account(
                store, api, result, livemode, since, from_last, report, on_inserted, clock,
                max_buffered,
            )  # fmt: skip
        except (StripeAPIError, InvalidEvent) as exc:
            result.error = str(exc)
        report.finished(result)
        results.append(result)
    return results


async def _account(
    store: Store,
    api: EventsAPI,
    result: AccountResult,
    livemode: bool,
    since: Since | None,
    from_last: bool,
    report: Progress,
    on_inserted: Callable[[int], None] | None,
    clock: Callable[[], float],
    max_buffered: int,
) -> None:
    account = result.account
    now = clock()
    start = since
    if from_last:
        start = since_last(await store.newest_created(account, livemode), now=now) or since
    if start is None:
        result.skipped = (
            "no event of it is stored, so --since-last has nowhere to start; pass --since "
            "too (such as --since 3d) to list a period for such accounts"
        )
        return
    saved = await store.catchup_progress(account, livemode)
    through, until = (
        resume_point(saved.since, saved.through, saved.until, start.at)
        if saved is not None
        else (start.at, None)
    )
    if saved is not None and until is not None:  # an unfinished run covering this one
        result.resumed_from = through
        result.since = saved.since
    else:
        until = int(now) + 1  # created[lt]: everything up to this second
        result.since = start.at
    result.until = until
    await store.save_catchup_progress(
        CatchupProgress(account, livemode, result.since, until, through, now)
    )
    report.started(result, through)
    span = until - through
    while through < until:
        window = first_window(through, until, span)
        listed = await _list_window(api, account, window, max_buffered)
        if isinstance(listed, int):  # overflowed: the oldest created seen
            span = span_after_overflow(window, max_buffered, listed, max_buffered)
            continue
        await _insert(store, listed, result, on_inserted, clock)
        through = window.end
        await store.save_catchup_progress(
            CatchupProgress(account, livemode, result.since, until, through, clock())
        )
        report.advanced(result, through)
        span = next_span(window.end - window.start, len(listed), max_buffered)


async def _list_window(
    api: EventsAPI, account: str | None, window: Window, cap: int
) -> list[dict[str, Any]] | int:
    """Every event of the window, newest first; or, past ``cap`` events (and if the window
    can still be split), the ``created`` of the oldest one listed, to size smaller ones."""
    events: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = await api.page(account, window, after)
        events.extend(page.events)
        if not page.has_more or not page.events:
            return events
        if len(events) > cap and window.end - window.start > 1:
            return min(int(e.get("created", window.start)) for e in events)
        after = str(page.events[-1].get("id"))


async def _insert(
    store: Store,
    listed: list[dict[str, Any]],
    result: AccountResult,
    on_inserted: Callable[[int], None] | None,
    clock: Callable[[], float],
) -> None:
    """Insert the window's events oldest first (Stripe lists them newest first)."""
    events = [Event.parse(orjson.dumps(document)) for document in reversed(listed)]
    result.listed += len(events)
    for start in range(0, len(events), INSERT_CHUNK):
        chunk = events[start : start + INSERT_CHUNK]
        new = sum(await store.insert_events(chunk, clock(), source=Source.CATCHUP))
        result.inserted += new
        result.duplicates += len(chunk) - new
        if new and on_inserted is not None:
            on_inserted(new)
