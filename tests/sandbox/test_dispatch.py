"""Fair turns across endpoints, decided without sockets or time: round robin, a cap per
endpoint and in all, and endpoints in trouble held to one delivery each, from a pool of
their own, so that hanging endpoints never take the senders of healthy ones."""

from __future__ import annotations

import random

import pytest

from appevents.errors import ConfigurationError
from appevents.sandbox.dispatch import Dispatcher


def dispatcher(concurrency: int = 16, per_endpoint: int = 4, troubled: int = 4) -> Dispatcher[str]:
    return Dispatcher(concurrency=concurrency, per_endpoint=per_endpoint, troubled=troubled)


def take_all(d: Dispatcher[str]) -> list[str]:
    taken = []
    while (next_one := d.take()) is not None:
        taken.append(next_one[1])
    return taken


def test_endpoints_with_work_take_turns_one_delivery_each():
    d = dispatcher()
    for item in ("a1", "a2", "a3"):
        d.add("we_a", item)
    d.add("we_b", "b1")
    for item in ("c1", "c2"):
        d.add("we_c", item)
    assert d.waiting == 6
    assert take_all(d) == ["a1", "b1", "c1", "a2", "c2", "a3"]
    assert (d.waiting, d.in_flight(), d.in_flight("we_a")) == (0, 6, 3)


def test_beyond_its_share_an_endpoint_only_borrows_senders_nobody_waits_for():
    d = dispatcher(concurrency=8, per_endpoint=3)
    for n in range(10):
        d.add("we_a", f"a{n}")
    # Alone: its share, then all but a share's worth of the rest, kept for newcomers.
    assert take_all(d) == ["a0", "a1", "a2", "a3", "a4"]
    for n in range(4):
        d.add("we_b", f"b{n}")
    assert take_all(d) == ["b0", "b1", "b2"]  # a newcomer gets its share at once
    for _ in range(2):
        d.done("we_a", True)
        assert take_all(d) == []  # both are at or beyond their share: nobody borrows yet
    d.done("we_a", True)
    assert d.in_flight("we_a") == 2
    assert take_all(d) == ["a5"]  # within its share again, up to it
    assert (d.in_flight("we_a"), d.in_flight()) == (3, 6)


def test_no_more_than_concurrency_in_flight_across_endpoints():
    d = dispatcher(concurrency=3, per_endpoint=2)
    for endpoint in ("we_a", "we_b"):
        for n in range(3):
            d.add(endpoint, f"{endpoint}{n}")
    assert take_all(d) == ["we_a0", "we_b0", "we_a1"]
    d.done("we_a", True)
    assert take_all(d) == ["we_b1"]  # the turn is we_b's, and we_a is not at its cap


def test_a_failed_endpoint_gets_one_in_flight_until_a_prompt_success():
    d = dispatcher(concurrency=4, per_endpoint=4)
    for n in range(8):
        d.add("we_a", f"a{n}")
    assert take_all(d) == ["a0", "a1", "a2", "a3"]
    d.done("we_a", False)  # a timeout, or a 500
    assert d.in_trouble("we_a")
    assert take_all(d) == []  # three still in flight: not even one more
    d.done("we_a", False)
    d.done("we_a", None)  # nothing was attempted: the standing does not change
    assert take_all(d) == []
    d.done("we_a", False)
    assert take_all(d) == ["a4"]  # none in flight: one at a time
    assert take_all(d) == []
    d.done("we_a", True)
    assert not d.in_trouble("we_a")
    assert take_all(d) == ["a5", "a6", "a7"]


def test_hanging_endpoints_never_hold_a_healthy_endpoints_senders():
    """Issue 12, item 27: 16 endpoints that never answer filled all 16 senders; the healthy
    endpoint's first delivery waited behind them."""
    d = dispatcher(concurrency=16, per_endpoint=4, troubled=4)
    hanging = [f"we_hang{n}" for n in range(16)]
    for endpoint in hanging:
        for n in range(80):
            d.add(endpoint, f"{endpoint}.{n}")
    first_wave = take_all(d)
    assert first_wave == [f"{endpoint}.0" for endpoint in hanging]  # one each, in turn
    d.add("we_healthy", "h1")
    assert d.take() is None  # every sender of the good-standing pool is busy
    for endpoint in hanging:
        d.slow(endpoint)  # in flight for too long: they are in trouble now
    assert d.take() == ("we_healthy", "h1")
    for endpoint in hanging:  # the first wave times out
        d.done(endpoint, False)
    d.add("we_healthy", "h2")
    second_wave = take_all(d)
    assert second_wave[0] == "h2"
    # Hanging endpoints share the trouble pool, one delivery each, in turn.
    assert second_wave[1:] == ["we_hang0.1", "we_hang1.1", "we_hang2.1", "we_hang3.1"]
    d.done("we_hang0", False)
    assert take_all(d) == ["we_hang4.1"]
    for n in range(16):
        d.add("we_healthy", f"h{n + 3}")
    # Alone in good standing, it borrows the senders nobody else waits for.
    assert take_all(d) == [f"h{n}" for n in range(3, 13)]
    assert d.in_flight("we_healthy") == 12


def test_deliveries_in_flight_when_their_endpoint_fell_into_trouble_leave_the_pool_open():
    d = dispatcher(concurrency=16, per_endpoint=4, troubled=1)
    for n in range(20):
        d.add("we_hangs", f"h{n}")
    assert len(take_all(d)) == 12
    d.slow("we_hangs")  # twelve in flight, in neither pool now
    d.add("we_failed_once", "f0")
    assert take_all(d) == ["f0"]
    d.done("we_failed_once", False)  # a 500, say: in trouble too
    d.add("we_failed_once", "f1")
    assert take_all(d) == ["f1"]  # the trouble pool's one slot is free for it
    d.done("we_hangs", False)
    assert take_all(d) == []  # the pool is taken; we_hangs has eleven in flight anyway
    d.done("we_failed_once", True)
    for _ in range(11):
        d.done("we_hangs", False)
    assert take_all(d) == ["h12"]


def test_a_slow_endpoint_answering_promptly_again_returns_with_its_deliveries_in_flight():
    d = dispatcher(concurrency=4, per_endpoint=4, troubled=1)
    for n in range(6):
        d.add("we_a", f"a{n}")
    assert take_all(d) == ["a0", "a1", "a2", "a3"]
    d.slow("we_a")
    d.add("we_b", "b0")
    assert take_all(d) == ["b0"]  # we_a's four moved to the trouble pool
    d.done("we_a", True)  # one of them answered 2xx promptly after all
    assert not d.in_trouble("we_a")
    assert d.in_flight("we_a") == 3
    assert take_all(d) == []  # back in the good pool: 3 + b0 = 4 in flight
    d.done("we_b", True)
    assert take_all(d) == ["a4"]


def test_endpoints_in_trouble_with_a_backlog_are_named():
    d = dispatcher(concurrency=3, per_endpoint=1)
    for endpoint in ("we_a", "we_b", "we_c"):
        d.add(endpoint, f"{endpoint}0")
        d.add(endpoint, f"{endpoint}1")
    assert len(take_all(d)) == 3
    d.done("we_a", False)  # in trouble, one waiting
    d.done("we_b", True)
    d.slow("we_c")  # in trouble, one waiting, one in flight
    assert sorted(d.troubled_with_backlog()) == ["we_a", "we_c"]
    assert take_all(d) == ["we_b1", "we_a1"]
    assert list(d.troubled_with_backlog()) == ["we_c"]  # we_a's backlog is in flight


def test_items_of_an_endpoint_keep_their_order():
    d = dispatcher(per_endpoint=1)
    for n in range(5):
        d.add("we_a", f"a{n}")
    d.add("we_b", "b0")
    assert list(d.waiting_for("we_a")) == ["a0", "a1", "a2", "a3", "a4"]
    sent = []
    while d.waiting:
        taken = d.take()
        assert taken is not None
        sent.append(taken[1])
        d.done(taken[0], True)
    assert sent == ["a0", "b0", "a1", "a2", "a3", "a4"]


def test_clear_forgets_what_waits_but_not_what_is_in_flight():
    d = dispatcher(concurrency=1, per_endpoint=1)
    for n in range(3):
        d.add("we_a", f"a{n}")
    assert take_all(d) == ["a0"]
    d.clear()
    assert (d.waiting, d.in_flight()) == (0, 1)
    d.done("we_a", True)
    assert take_all(d) == []


def test_done_for_an_endpoint_with_nothing_in_flight_is_refused():
    d = dispatcher()
    with pytest.raises(ValueError, match="we_a"):
        d.done("we_a", True)


@pytest.mark.parametrize("field", ["concurrency", "per_endpoint", "troubled"])
@pytest.mark.parametrize("value", [0, -1, True, 2.5, "4"])
def test_limits_are_counts(field, value):
    limits = {"concurrency": 16, "per_endpoint": 4, "troubled": 4, field: value}
    with pytest.raises(ConfigurationError, match=f"{field}={value!r}: expected an integer >= 1"):
        Dispatcher(**limits)


@pytest.mark.parametrize("seed", [12, 27, 2026])
def test_random_work_keeps_every_limit_loses_nothing_and_never_idles_needlessly(seed):
    rng = random.Random(seed)
    limits = {"concurrency": 5, "per_endpoint": 2, "troubled": 2}
    d: Dispatcher[str] = Dispatcher(**limits)
    endpoints = [f"we_{n}" for n in range(7)]
    added: dict[str, list[str]] = {e: [] for e in endpoints}
    sent: dict[str, list[str]] = {e: [] for e in endpoints}
    flying: dict[str, int] = dict.fromkeys(endpoints, 0)
    trouble: set[str] = set()
    good = 0  # in flight to endpoints in good standing, counted by this model
    pool: set[str] = set()  # endpoints in trouble holding a slot of the trouble pool

    def standing(endpoint: str, troubled: bool) -> None:
        nonlocal good
        if troubled and endpoint not in trouble:
            trouble.add(endpoint)
            good -= flying[endpoint]  # in flight still, in neither pool
        elif not troubled and endpoint in trouble:
            trouble.discard(endpoint)
            pool.discard(endpoint)
            good += flying[endpoint]

    for step in range(5000):
        action = rng.random()
        if action < 0.35:
            endpoint = rng.choice(endpoints)
            item = f"{endpoint}.{step}"
            added[endpoint].append(item)
            d.add(endpoint, item)
        elif action < 0.7:
            waiting = [e for e in endpoints if len(sent[e]) < len(added[e])]
            share, concurrency = limits["per_endpoint"], limits["concurrency"]
            within = [e for e in waiting if e not in trouble and flying[e] < share]
            troubled = [e for e in waiting if e in trouble and flying[e] == 0]
            borrowing = [e for e in waiting if e not in trouble and flying[e] >= share]
            # In order of precedence: within their share, in trouble, borrowing.
            eligible = (
                (within if good < concurrency else [])
                or (troubled if len(pool) < limits["troubled"] else [])
                or (borrowing if good < concurrency - share else [])
            )
            taken = d.take()
            if taken is None:
                assert eligible == [], f"step {step}: idle while {eligible} may send"
                continue
            endpoint, item = taken
            assert endpoint in eligible, f"step {step}: {endpoint} is over a limit"
            assert item == added[endpoint][len(sent[endpoint])]  # in order, none skipped
            sent[endpoint].append(item)
            flying[endpoint] += 1
            if endpoint in trouble:
                pool.add(endpoint)
            else:
                good += 1
        else:
            busy = [e for e in endpoints if flying[e]]
            if not busy:
                continue
            endpoint = rng.choice(busy)
            if rng.random() < 0.1:
                d.slow(endpoint)
                standing(endpoint, troubled=True)
                continue
            healthy = rng.choice([True, True, False, None])
            d.done(endpoint, healthy)
            flying[endpoint] -= 1
            if endpoint not in trouble:
                good -= 1
            else:
                pool.discard(endpoint)  # its pool slot is freed first
            if healthy is not None:
                standing(endpoint, troubled=not healthy)
        assert d.in_flight() == sum(flying.values())
        assert all(d.in_trouble(e) == (e in trouble) for e in endpoints)
    assert sum(len(items) for items in sent.values()) > 1000  # the walk did real work
