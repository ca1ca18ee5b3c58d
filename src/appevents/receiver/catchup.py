"""Catching up on missed events: the plan, as pure functions of their inputs.

Stripe retries a failed delivery for three days, then gives up; an endpoint disabled, a
secret rotated wrongly or a long outage loses events silently. The API keeps them for
30 days (``GET /v1/events``, an installed account's with ``Stripe-Account``), so a
catch-up lists them and inserts those the inbox lacks through the receiver's own dedupe
path. This module decides *what* to list and *when*; ``catchup_api`` asks, and
``catchup_run`` inserts and keeps the progress.

The period ``[since, until)`` of each account is walked in windows, oldest first.
Stripe lists newest first, so a window is listed whole (every page), then inserted
oldest first: the worker, which processes an account's events in ``created`` order
among those present, never sees a newer caught-up event before an older one. A window
that would hold more than ``max_buffered`` events is listed again in smaller windows
sized from the density seen, so memory stays bounded however busy an account is. After
each window the account's cursor (``through``: everything created before it is in the
inbox) is saved, so a restarted catch-up continues where it stopped.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import ConfigurationError

__all__ = [
    "RETENTION_SECONDS",
    "SINCE_LAST_OVERLAP",
    "Since",
    "TokenBucket",
    "Window",
    "key_livemode",
    "next_span",
    "parse_since",
    "rate_for_key",
    "resume_point",
    "since_last",
    "span_after_overflow",
]

RETENTION_SECONDS = 30 * 86400
"""Stripe keeps events 30 days: older ones cannot be listed."""
SINCE_LAST_OVERLAP = 300
"""``--since-last`` starts this many seconds before the newest stored event: Stripe does
not deliver in order, so events created just before it may still be missing."""
LIVE_RATE = 100.0
TEST_RATE = 25.0
"""Stripe's read limits, requests per second, in live and test mode."""

_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Since:
    """Where a catch-up starts: a moment, and whether it was moved up to what Stripe keeps."""

    at: int
    """Epoch seconds."""
    asked: int
    """What was asked for (earlier than ``at`` when clamped)."""

    @property
    def clamped(self) -> bool:
        return self.at > self.asked


def parse_since(text: str, *, now: float) -> Since:
    """``--since``: a date (``2026-11-01``, midnight UTC), an RFC 3339 time
    (``2026-11-01T12:00:00Z``, ``…+01:00``) or a duration ago (``3d``, ``12h``, ``90m``,
    ``45s``, ``2w``). Earlier than Stripe keeps events (30 days) is moved up to that
    limit (``clamped``); a time in the future is refused."""
    value = text.strip()
    match = _RELATIVE.match(value)
    asked = int(now) - int(match[1]) * _UNITS[match[2]] if match else _absolute(text)
    if asked > now:
        raise ConfigurationError(
            f"--since {text!r} is in the future ({_iso(asked)}, now is {_iso(now)}): give "
            "a moment in the past, such as 3d or a date like 2026-11-01"
        )
    oldest = int(now) - RETENTION_SECONDS
    return Since(at=max(asked, oldest), asked=asked)


def _absolute(text: str) -> int:
    value = text.strip()
    try:
        if _DATE.match(value):
            moment = datetime.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=datetime.UTC)
        else:
            moment = datetime.datetime.fromisoformat(value.replace("z", "Z"))
            if moment.tzinfo is None:
                raise ConfigurationError(
                    f"--since {text!r} has no time zone: add one (2026-11-01T12:00:00Z, "
                    "…+01:00), or give a date (2026-11-01, midnight UTC) or a duration (3d)"
                )
    except ValueError as exc:
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(
            f"--since {text!r} is not a date (2026-11-01), an RFC 3339 time "
            "(2026-11-01T12:00:00Z) or a duration ago (3d, 12h, 90m, 45s, 2w)"
        ) from None
    return int(moment.timestamp())


def since_last(newest_created: int | None, *, now: float) -> Since | None:
    """``--since-last`` for one account: a little before the newest event the store holds
    of it (None when it holds none: nothing says where to start)."""
    if newest_created is None:
        return None
    asked = newest_created - SINCE_LAST_OVERLAP
    return Since(at=max(asked, int(now) - RETENTION_SECONDS), asked=asked)


def _iso(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(int(seconds), datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def key_livemode(api_key: str) -> bool:
    """The mode of the events a key lists: ``sk_live_``/``rk_live_`` live, else test."""
    return api_key.startswith(("sk_live_", "rk_live_"))


def rate_for_key(api_key: str) -> float:
    """Stripe's read limit for the key's mode, in requests per second."""
    return LIVE_RATE if key_livemode(api_key) else TEST_RATE


@dataclass(frozen=True, slots=True)
class Window:
    """Events created in ``[start, end)``."""

    start: int
    end: int


def first_window(through: int, until: int, span: int) -> Window:
    return Window(through, min(until, through + max(1, span)))


def span_after_overflow(window: Window, buffered: int, oldest_buffered: int, cap: int) -> int:
    """The span of the window to list instead of one that held more than ``cap`` events:
    ``buffered`` of them were listed (newest first) down to ``oldest_buffered``; the new
    window is sized to hold about half of ``cap`` at that density, and is always
    smaller than the one that overflowed (at least a second)."""
    seen_seconds = max(1, window.end - oldest_buffered)
    per_second = buffered / seen_seconds
    span = int((cap / 2) / per_second) if per_second > 0 else window.end - window.start
    return max(1, min(span, (window.end - window.start) // 2))


def next_span(span: int, listed: int, cap: int) -> int:
    """After a window that fit: the same span, doubled while windows stay sparse."""
    return span * 2 if listed < cap // 8 else span


def resume_point(
    saved_since: int, saved_through: int, saved_until: int, since: int
) -> tuple[int, int | None]:
    """Where to start an account's catch-up from ``since``, given its saved progress:
    ``(through, until)``; ``until`` None means a fresh run (until now). An unfinished run
    that started no later than ``since`` is continued up to its own ``until``; a finished
    one, or one that started later (``since`` asks for more), is not."""
    if saved_through < saved_until and saved_since <= since < saved_until:
        return max(saved_through, since), saved_until
    return since, None


class TokenBucket:
    """At most ``rate`` acquisitions a second on average, ``burst`` at once.

    The clock (monotonic seconds) and the sleeper are injected, so that tests drive time
    themselves."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ConfigurationError(
                f"the catch-up's rate must be a positive number of requests a second, got "
                f"{rate!r}: Stripe allows {LIVE_RATE:g} in live mode and {TEST_RATE:g} in test"
            )
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate / 10))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._at = clock()
        self.waited = 0.0
        """Seconds spent waiting for a token, in all."""

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    async def acquire(self) -> None:
        # The token is taken at once, on credit: a negative balance is the wait. Callers
        # waiting together each wait their own turn, and no float rounding can leave one
        # a hair short of a token forever.
        self._refill()
        self._tokens -= 1.0
        if self._tokens < 0:
            wait = -self._tokens / self.rate
            self.waited += wait
            await self._sleep(wait)
