"""When the sandbox tries a failed webhook delivery again, and when it disables an endpoint.

Pure decisions over times the caller passes in (Unix seconds, or any monotonic scale): nothing
here reads a clock, sleeps or draws random numbers, so the delivery engine and its tests drive
them with whatever time they like.

Stripe facts §2 (docs.stripe.com/webhooks, "event delivery behaviors"):

* live mode retries "for up to 3 days with an exponential back off";
* test mode (sandboxes) retries "3 times over a few hours";
* Stripe publishes no exact intervals; third-party captures describe a few quick retries, then
  hours apart, then about daily until 72 hours after the first attempt;
* endpoints that keep failing are disabled; Stripe's emails say after nine consecutive days;
* a disabled or deleted endpoint's retries stop (if it is re-enabled before the next retry,
  they continue) — the engine checks the endpoint's status when a retry falls due.

The defaults below follow that shape. :attr:`RetrySchedule.time_scale` compresses every
duration (delays, give-up windows, the disable period) so tests can live through three days in
seconds: with ``time_scale=1/3600`` an hour lasts one second.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ConfigurationError

__all__ = [
    "DAY",
    "HOUR",
    "LIVE_RETRY_DELAYS",
    "MINUTE",
    "TEST_RETRY_DELAYS",
    "DisablePolicy",
    "RetrySchedule",
    "advance_failure_streak",
    "failure_streak_start",
    "require_positive_number",
]

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR

LIVE_RETRY_DELAYS: tuple[float, ...] = (
    1 * MINUTE,
    5 * MINUTE,
    30 * MINUTE,
    1 * HOUR,
    2 * HOUR,
    4 * HOUR,
    8 * HOUR,
    16 * HOUR,
    24 * HOUR,
    24 * HOUR,
)
"""Seconds to wait after the 1st, 2nd, ... failed attempt in live mode. Exponential, then
daily; the last retry is brought forward to the 72-hour mark (:attr:`live_give_up_after`)."""

TEST_RETRY_DELAYS: tuple[float, ...] = (30 * MINUTE, 1 * HOUR, 2 * HOUR)
"""Test mode: 3 retries, 30 min, 1 h 30 min and 3 h 30 min after the first attempt."""


def require_positive_number(name: str, value: object, example: str) -> float:
    """``value`` as a finite float > 0, or a ConfigurationError naming it, with ``example``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"{name}={value!r}: expected a finite number greater than 0; {example}"
        )
    return float(value)


def _require_time(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{name}={value!r}: expected a finite time in seconds")
    return float(value)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Stripe's retry schedule for failed deliveries, per mode, optionally compressed.

    After the n-th failed attempt (n = 1, 2, ...) the next one is ``delays[n - 1] *
    time_scale`` seconds after that attempt, but never later than ``give_up_after *
    time_scale`` after the first attempt; once the delays run out, or an attempt was made at or
    after that deadline, there is no next attempt.

    Delays count from the last attempt, not the first, so an engine that ran an attempt late
    (it was stopped, the queue was long) keeps the spacing; the deadline counts from the first
    so the whole run never exceeds Stripe's window. With the defaults, live mode makes 11
    attempts over exactly 72 hours and test mode 4 attempts over 3 h 30 min.
    """

    live_delays: tuple[float, ...] = LIVE_RETRY_DELAYS
    test_delays: tuple[float, ...] = TEST_RETRY_DELAYS
    live_give_up_after: float = 3 * DAY
    test_give_up_after: float = 6 * HOUR
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        require_positive_number(
            "time_scale", self.time_scale, "1.0 is real time, 1/3600 makes an hour last a second"
        )
        for mode in ("live", "test"):
            delays = getattr(self, f"{mode}_delays")
            if not isinstance(delays, tuple):
                raise ConfigurationError(
                    f"{mode}_delays={delays!r}: expected a tuple of seconds, e.g. (60.0, 300.0); "
                    "an empty tuple means no retries"
                )
            for index, delay in enumerate(delays):
                require_positive_number(
                    f"{mode}_delays[{index}]", delay, "each delay is the seconds before a retry"
                )
            require_positive_number(
                f"{mode}_give_up_after",
                getattr(self, f"{mode}_give_up_after"),
                "it is the seconds after the first attempt when retries stop",
            )

    def delays(self, mode_live: bool) -> tuple[float, ...]:
        """The scaled delays after each failed attempt of ``mode_live``'s mode."""
        delays = self.live_delays if mode_live else self.test_delays
        return tuple(delay * self.time_scale for delay in delays)

    def give_up_after(self, mode_live: bool) -> float:
        """Scaled seconds after the first attempt beyond which no attempt is scheduled."""
        window = self.live_give_up_after if mode_live else self.test_give_up_after
        return window * self.time_scale

    def max_attempts(self, mode_live: bool) -> int:
        """Attempts in all, the first included, when every attempt runs on time."""
        return len(self.attempt_times(mode_live, 0.0))

    def next_attempt_at(
        self,
        mode_live: bool,
        attempts_made: int,
        first_attempt_at: float,
        last_attempt_at: float,
    ) -> float | None:
        """When to try again after ``attempts_made`` failed attempts; None means give up."""
        if isinstance(attempts_made, bool) or not isinstance(attempts_made, int):
            raise ConfigurationError(f"attempts_made={attempts_made!r}: expected an int >= 1")
        if attempts_made < 1:
            raise ConfigurationError(
                f"attempts_made={attempts_made}: expected >= 1; the first attempt is not a retry "
                "and is made as soon as the event is created"
            )
        first = _require_time("first_attempt_at", first_attempt_at)
        last = _require_time("last_attempt_at", last_attempt_at)
        if last < first:
            raise ConfigurationError(
                f"last_attempt_at={last_attempt_at!r} is before first_attempt_at="
                f"{first_attempt_at!r}: pass the times of the first and the latest attempt"
            )
        delays = self.delays(mode_live)
        deadline = first + self.give_up_after(mode_live)
        if attempts_made > len(delays) or last >= deadline:
            return None
        return min(last + delays[attempts_made - 1], deadline)

    def attempt_times(self, mode_live: bool, first_attempt_at: float) -> tuple[float, ...]:
        """Every attempt's time when each one fails and runs on time: the schedule to show."""
        times = [first_attempt_at]
        while (
            following := self.next_attempt_at(mode_live, len(times), first_attempt_at, times[-1])
        ) is not None:
            times.append(following)
        return tuple(times)


@dataclass(frozen=True, slots=True)
class DisablePolicy:
    """Disable an endpoint whose deliveries have failed, without one success, for
    ``failing_period * time_scale`` seconds (Stripe: nine consecutive days).

    The streak is per endpoint, across all its events; any 2xx ends it. The engine keeps the
    streak's start (:func:`advance_failure_streak`) and asks :meth:`should_disable` whenever it
    records a failed attempt, so an endpoint is only disabled by a failure, never by silence.
    """

    failing_period: float = 9 * DAY
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        require_positive_number(
            "failing_period", self.failing_period, "Stripe disables after 9 days (777600.0)"
        )
        require_positive_number(
            "time_scale", self.time_scale, "1.0 is real time, 1/3600 makes an hour last a second"
        )

    @property
    def scaled_failing_period(self) -> float:
        return self.failing_period * self.time_scale

    def should_disable(self, streak_started_at: float | None, now: float) -> bool:
        """Whether a streak of failures that began at ``streak_started_at`` (None: the last
        attempt succeeded) has lasted the failing period at ``now``."""
        if streak_started_at is None:
            return False
        started = _require_time("streak_started_at", streak_started_at)
        return _require_time("now", now) - started >= self.scaled_failing_period


def advance_failure_streak(
    streak_started_at: float | None, attempt_at: float, ok: bool
) -> float | None:
    """The failure streak's start after an attempt at ``attempt_at``: a success ends it (None),
    a failure starts one or continues the current one."""
    if ok:
        return None
    return attempt_at if streak_started_at is None else min(streak_started_at, attempt_at)


def failure_streak_start(attempts: Iterable[tuple[float, bool]]) -> float | None:
    """The start of the current failure streak over an endpoint's ``(time, ok)`` attempts, in
    any order: the first failure after the last success, or None if there is none. At equal
    times the success counts as the later attempt, so it ends the streak."""
    streak: float | None = None
    for attempt_at, ok in sorted(attempts, key=lambda attempt: (attempt[0], attempt[1])):
        streak = advance_failure_streak(streak, attempt_at, ok)
    return streak
