import pytest

from appevents import ConfigurationError
from appevents.receiver import DeadLetter, Retry, RetryPolicy


def test_delays_grow_exponentially_up_to_the_cap_without_jitter():
    policy = RetryPolicy(max_attempts=10, base_delay=2, factor=3, max_delay=100, jitter=0)
    assert [policy.delay(n, 0.5) for n in range(1, 7)] == [2, 6, 18, 54, 100, 100]


def test_jitter_only_shortens_and_by_at_most_its_fraction():
    policy = RetryPolicy(base_delay=10, jitter=0.2)
    assert policy.delay(1, 0.0) == 10
    assert policy.delay(1, 0.5) == pytest.approx(9)
    assert policy.delay(1, 0.999999) == pytest.approx(8, abs=1e-5)


def test_decide_schedules_from_now_then_dead_letters():
    policy = RetryPolicy(max_attempts=3, base_delay=1, factor=2, jitter=0)
    assert policy.decide(1, now=1000, random_fraction=0.3) == Retry(1001)
    assert policy.decide(2, now=1000, random_fraction=0.3) == Retry(1002)
    assert policy.decide(3, now=1000, random_fraction=0.3) == DeadLetter(3)


def test_huge_attempt_numbers_do_not_overflow():
    assert RetryPolicy(max_attempts=10**6, max_delay=60, jitter=0).delay(5000, 0) == 60


def test_default_schedule_spans_minutes_not_hours():
    policy = RetryPolicy()
    total = sum(policy.delay(n, 0) for n in range(1, policy.max_attempts))
    assert 200 < total < 600


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": True},
        {"base_delay": -1},
        {"max_delay": float("nan")},
        {"factor": 0.5},
        {"jitter": 1.5},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kwargs)
