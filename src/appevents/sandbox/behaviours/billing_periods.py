"""Billing periods as Stripe counts them: a recurring price bills every ``interval_count``
days, weeks, months or years from the subscription's billing cycle anchor (a month later
on the same day of the month, the month's last day when it is shorter), and "now" for a
customer on a test clock is that clock's frozen time, not the wall clock."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..rest import store
from ..rest.engine import Engine, Request

__all__ = ["clock_of", "days", "next_period_end", "now_for", "period_of"]

_DAY = 86400


def next_period_end(start: int, interval: str, count: int = 1) -> int:
    """When a period of ``count`` ``interval`` s starting at ``start`` ends."""
    moment = datetime.fromtimestamp(start, UTC)
    if interval == "day":
        return start + count * _DAY
    if interval == "week":
        return start + count * 7 * _DAY
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_of(price: Mapping[str, Any]) -> tuple[str, int]:
    """A recurring price's (interval, interval_count); a one-time price bills monthly."""
    recurring = price.get("recurring") or {}
    return str(recurring.get("interval") or "month"), int(recurring.get("interval_count") or 1)


def clock_of(engine: Engine, request: Request, customer: Mapping[str, Any]) -> str | None:
    """The test clock a customer is on, if it still exists."""
    clock = customer.get("test_clock")
    if isinstance(clock, dict):
        clock = clock.get("id")
    if not isinstance(clock, str) or not clock:
        return None
    found = store.find(engine.sandbox.db, request.caller.account, clock)
    return clock if found is not None and not found.get("deleted") else None


def now_for(engine: Engine, request: Request, customer: Mapping[str, Any]) -> int:
    """The time it is for a customer: its test clock's frozen time, else the sandbox's."""
    clock = clock_of(engine, request, customer)
    if clock is not None:
        found = store.find(engine.sandbox.db, request.caller.account, clock)
        if found is not None:
            return int(found["frozen_time"])
    return engine.sandbox.now()


def days(count: int) -> int:
    """``count`` days in seconds (a trial's length)."""
    return count * _DAY
