"""Retry schedule and endpoint disabling: tables for both modes, time scaling, give-up, streaks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appevents import ConfigurationError
from appevents.sandbox.schedule import (
    DAY,
    HOUR,
    MINUTE,
    DisablePolicy,
    RetrySchedule,
    advance_failure_streak,
    failure_streak_start,
)

T0 = 1_700_000_000.0

LIVE_OFFSETS = [
    0,
    1 * MINUTE,
    6 * MINUTE,
    36 * MINUTE,
    1 * HOUR + 36 * MINUTE,
    3 * HOUR + 36 * MINUTE,
    7 * HOUR + 36 * MINUTE,
    15 * HOUR + 36 * MINUTE,
    31 * HOUR + 36 * MINUTE,
    55 * HOUR + 36 * MINUTE,
    72 * HOUR,  # 79 h 36 min, brought forward to the end of Stripe's 3-day window
]
TEST_OFFSETS = [0, 30 * MINUTE, 90 * MINUTE, 210 * MINUTE]


def test_live_mode_retries_exponentially_then_daily_for_exactly_three_days():
    times = RetrySchedule().attempt_times(True, T0)
    assert [t - T0 for t in times] == LIVE_OFFSETS
    assert RetrySchedule().max_attempts(True) == 11


def test_test_mode_retries_three_times_over_a_few_hours():
    times = RetrySchedule().attempt_times(False, T0)
    assert [t - T0 for t in times] == TEST_OFFSETS
    assert RetrySchedule().max_attempts(False) == 4  # the first attempt and 3 retries


@pytest.mark.parametrize(
    ("mode_live", "attempts_made", "last_offset", "expected_offset"),
    [
        (True, 1, 0, 1 * MINUTE),
        (True, 2, 1 * MINUTE, 6 * MINUTE),
        (True, 3, 6 * MINUTE, 36 * MINUTE),
        (True, 9, 31 * HOUR + 36 * MINUTE, 55 * HOUR + 36 * MINUTE),
        (True, 10, 55 * HOUR + 36 * MINUTE, 72 * HOUR),
        (True, 11, 72 * HOUR, None),
        (False, 1, 0, 30 * MINUTE),
        (False, 2, 30 * MINUTE, 90 * MINUTE),
        (False, 3, 90 * MINUTE, 210 * MINUTE),
        (False, 4, 210 * MINUTE, None),
    ],
)
def test_next_attempt_table(mode_live, attempts_made, last_offset, expected_offset):
    result = RetrySchedule().next_attempt_at(mode_live, attempts_made, T0, T0 + last_offset)
    assert result == (None if expected_offset is None else T0 + expected_offset)


def test_delays_count_from_the_last_attempt_so_a_late_attempt_keeps_the_spacing():
    # the 3rd attempt ran two hours late; the 4th still waits its hour after it
    late = T0 + 2 * HOUR
    assert RetrySchedule().next_attempt_at(True, 3, T0, late) == late + 30 * MINUTE


def test_no_attempt_is_scheduled_past_the_window_even_with_delays_left():
    schedule = RetrySchedule()
    assert schedule.next_attempt_at(True, 4, T0, T0 + 71 * HOUR) == T0 + 72 * HOUR
    assert schedule.next_attempt_at(True, 4, T0, T0 + 72 * HOUR) is None
    assert schedule.next_attempt_at(True, 4, T0, T0 + 80 * HOUR) is None
    assert schedule.next_attempt_at(False, 1, T0, T0 + 6 * HOUR) is None


def test_time_scale_compresses_every_delay_and_the_window():
    scaled = RetrySchedule(time_scale=1 / 3600)  # an hour lasts a second
    assert [t - T0 for t in scaled.attempt_times(True, T0)] == pytest.approx(
        [offset / 3600 for offset in LIVE_OFFSETS]
    )
    assert [t - T0 for t in scaled.attempt_times(False, T0)] == pytest.approx([0, 0.5, 1.5, 3.5])
    assert scaled.give_up_after(True) == pytest.approx(72)
    assert scaled.delays(False) == pytest.approx((0.5, 1, 2))
    assert scaled.max_attempts(True) == 11


def test_custom_delays_and_windows():
    schedule = RetrySchedule(
        live_delays=(10, 20), test_delays=(), live_give_up_after=25, test_give_up_after=1
    )
    assert schedule.attempt_times(True, 0) == (0, 10, 25)
    assert schedule.attempt_times(False, 0) == (0,)  # no retries in test mode
    assert schedule.next_attempt_at(False, 1, 0, 0) is None


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"time_scale": 0}, "time_scale=0: expected a finite number greater than 0"),
        ({"time_scale": -1.0}, "time_scale=-1.0"),
        ({"time_scale": math.nan}, "time_scale=nan"),
        ({"time_scale": math.inf}, "time_scale=inf"),
        ({"time_scale": True}, "time_scale=True"),
        ({"time_scale": "fast"}, "time_scale='fast'"),
        ({"live_delays": (60, -5)}, r"live_delays\[1\]=-5"),
        ({"test_delays": (0,)}, r"test_delays\[0\]=0"),
        ({"test_delays": (math.nan,)}, r"test_delays\[0\]=nan"),
        ({"live_delays": [60, 300]}, "live_delays=\\[60, 300\\]: expected a tuple"),
        ({"live_give_up_after": 0}, "live_give_up_after=0"),
        ({"test_give_up_after": -HOUR}, "test_give_up_after=-3600.0"),
    ],
)
def test_unusable_schedule_settings_raise_configuration_error(changes, match):
    with pytest.raises(ConfigurationError, match=match):
        RetrySchedule(**changes)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((True, 0, T0, T0), "attempts_made=0: expected >= 1"),
        ((True, 1.0, T0, T0), "attempts_made=1.0: expected an int"),
        ((True, True, T0, T0), "attempts_made=True"),
        ((True, 1, T0, T0 - 1), "is before first_attempt_at"),
        ((True, 1, math.nan, T0), "first_attempt_at=nan"),
        ((True, 1, T0, math.inf), "last_attempt_at=inf"),
    ],
)
def test_unusable_next_attempt_arguments_raise_configuration_error(args, match):
    with pytest.raises(ConfigurationError, match=match):
        RetrySchedule().next_attempt_at(*args)


@given(
    mode_live=st.booleans(),
    time_scale=st.floats(min_value=1e-6, max_value=10),
    lateness=st.lists(st.floats(min_value=0, max_value=5 * DAY), max_size=15),
)
def test_attempts_never_go_backwards_nor_past_the_window_and_always_stop(
    mode_live, time_scale, lateness
):
    schedule = RetrySchedule(time_scale=time_scale)
    times = [T0]
    for late in lateness:
        following = schedule.next_attempt_at(mode_live, len(times), T0, times[-1])
        if following is None:
            break
        assert times[-1] < following <= T0 + schedule.give_up_after(mode_live)
        times.append(following + late * time_scale)
    assert len(times) <= schedule.max_attempts(mode_live)


# --- disabling endpoints --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("streak_started_at", "now", "disable"),
    [
        (None, T0 + 30 * DAY, False),  # the last attempt succeeded
        (T0, T0, False),
        (T0, T0 + 8 * DAY, False),
        (T0, T0 + 9 * DAY - 1, False),
        (T0, T0 + 9 * DAY, True),
        (T0, T0 + 12 * DAY, True),
    ],
)
def test_endpoint_is_disabled_after_nine_days_of_failures(streak_started_at, now, disable):
    assert DisablePolicy().should_disable(streak_started_at, now) is disable


def test_disable_period_scales_and_can_be_configured():
    assert DisablePolicy(time_scale=1 / 3600).scaled_failing_period == pytest.approx(216)
    assert DisablePolicy(time_scale=1 / 3600).should_disable(0, 216)
    assert not DisablePolicy(time_scale=1 / 3600).should_disable(0, 215)
    assert DisablePolicy(failing_period=HOUR).should_disable(T0, T0 + HOUR)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"failing_period": 0}, "failing_period=0"),
        ({"failing_period": math.nan}, "failing_period=nan"),
        ({"time_scale": -1}, "time_scale=-1"),
        ({"time_scale": math.inf}, "time_scale=inf"),
    ],
)
def test_unusable_disable_settings_raise_configuration_error(changes, match):
    with pytest.raises(ConfigurationError, match=match):
        DisablePolicy(**changes)


@pytest.mark.parametrize(
    ("streak", "attempt_at", "ok", "expected"),
    [
        (None, 10.0, False, 10.0),  # a first failure starts a streak
        (5.0, 10.0, False, 5.0),  # later failures continue it
        (5.0, 10.0, True, None),  # a success ends it
        (None, 10.0, True, None),
        (15.0, 10.0, False, 10.0),  # an older failure recorded late moves the start back
    ],
)
def test_advance_failure_streak(streak, attempt_at, ok, expected):
    assert advance_failure_streak(streak, attempt_at, ok) == expected


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        ([], None),
        ([(1, True)], None),
        ([(1, False)], 1),
        ([(1, False), (2, False), (3, False)], 1),
        ([(1, False), (2, True), (3, False), (4, False)], 3),
        ([(4, False), (3, False), (2, True), (1, False)], 3),  # any order
        ([(1, False), (2, False), (3, True)], None),
        ([(5, False), (5, True)], None),  # at equal times the success wins
    ],
)
def test_failure_streak_start_over_an_attempt_history(attempts, expected):
    assert failure_streak_start(attempts) == expected


def test_a_day_of_success_in_nine_resets_the_clock():
    history = [(T0 + day * DAY, day == 4) for day in range(13)]  # fails every day but day 4
    policy = DisablePolicy()
    start = failure_streak_start(history)
    assert start == T0 + 5 * DAY
    assert not policy.should_disable(start, T0 + 12 * DAY)
    assert policy.should_disable(start, T0 + 14 * DAY)
