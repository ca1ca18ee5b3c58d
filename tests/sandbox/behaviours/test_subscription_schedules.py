"""Subscription schedules' life as Stripe's, by table: created now or later, updated,
canceled, released, moved through their phases by a test clock to completion; the events
of each step in order, the schedule and its subscription naming each other."""

from __future__ import annotations

from typing import Any

import pytest

from subscription_world import Billing

JAN_1_2020 = 1577836800
FEB_1_2020 = 1580515200
MAR_1_2020 = 1583020800
DAY = 86400


@pytest.fixture
def billing(sandbox: Any) -> Billing:
    return Billing(sandbox)


def _phases(billing: Billing, *quantities: int) -> list[dict[str, Any]]:
    return [{"iterations": 1, "items": [{"price": billing.price.id, "quantity": quantity}]}
            for quantity in quantities]  # fmt: skip


def _schedule(billing: Billing, customer: Any, **params: Any) -> Any:
    return billing.client.v1.subscription_schedules.create(
        {"customer": customer.id, "start_date": "now", "phases": _phases(billing, 1, 2),
         **params}
    )  # fmt: skip


def test_a_schedule_starting_now_makes_its_subscription(billing: Billing) -> None:
    customer = billing.customer()
    billing.events()
    schedule = _schedule(billing, customer)
    emitted = billing.types("customer.subscription", "subscription_schedule")
    assert emitted == ["customer.subscription.created", "subscription_schedule.created"]
    assert schedule.status == "active" and schedule.end_behavior == "release"
    subscription = billing.client.v1.subscriptions.retrieve(schedule.subscription)
    assert (subscription.schedule, subscription.status) == (schedule.id, "active")
    first, second = schedule.phases
    assert first.end_date == second.start_date == subscription.current_period_end
    assert schedule.current_phase.to_dict() == {
        "start_date": first.start_date, "end_date": first.end_date
    }  # fmt: skip
    assert [p["items"][0]["quantity"] for p in schedule.phases] == [1, 2]


def test_a_schedule_starting_later_waits(billing: Billing) -> None:
    customer = billing.customer()
    billing.events()
    schedule = _schedule(billing, customer, start_date=4102444800)
    assert billing.types() == ["subscription_schedule.created"]
    assert (schedule.status, schedule.subscription) == ("not_started", None)
    assert schedule.phases[0].start_date == 4102444800


STEPS = [
    # (starts now, step, status after, events, subscription's status after)
    (True, "update", "active", ["subscription_schedule.updated"], "active"),
    (True, "cancel", "canceled",
     ["customer.subscription.deleted", "subscription_schedule.canceled"], "canceled"),
    (True, "release", "released", ["subscription_schedule.released"], "active"),
    (False, "cancel", "canceled", ["subscription_schedule.canceled"], None),
    (False, "release", "released", ["subscription_schedule.released"], None),
]  # fmt: skip


@pytest.mark.parametrize(("now", "step", "status", "events", "after"), STEPS)
def test_a_schedule_step(
    billing: Billing, now: bool, step: str, status: str, events: list[str], after: str | None
) -> None:
    schedule = _schedule(billing, billing.customer(), start_date="now" if now else 4102444800)
    billing.events()
    schedules = billing.client.v1.subscription_schedules
    if step == "update":
        changed = schedules.update(schedule.id, {"metadata": {"appevents": "updated"}})
    else:
        changed = getattr(schedules, step)(schedule.id)
    assert billing.types() == events
    assert changed.status == status
    if after is None:
        return
    subscription = billing.client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription.status == after
    if step == "release":
        assert (changed.released_subscription, changed.subscription) == (subscription.id, None)
        assert subscription.schedule is None
    else:
        assert subscription.schedule == schedule.id


def test_an_updated_schedule_says_what_changed(billing: Billing) -> None:
    schedule = _schedule(billing, billing.customer())
    billing.events()
    billing.client.v1.subscription_schedules.update(schedule.id, {"metadata": {"a": "b"}})
    (event,) = billing.events()
    assert event.data.to_dict()["previous_attributes"] == {"metadata": {}}


def test_an_ended_schedule_refuses_changes(billing: Billing) -> None:
    schedule = _schedule(billing, billing.customer())
    billing.client.v1.subscription_schedules.cancel(schedule.id)
    for path in ("/cancel", "/release", ""):
        data = {"metadata[a]": "b"} if path == "" else None
        code, error = billing.refusal(
            "POST", f"/v1/subscription_schedules/{schedule.id}{path}", data
        )
        assert code == 400
        assert error["message"].startswith(
            f"You cannot change the subscription schedule {schedule.id}: it is canceled."
        )


REFUSALS = [
    ({"start_date": "now"}, "customer", "Missing required param: customer."),
    ({"customer": "?"}, "phases", "Missing required param: phases."),
    ({"customer": "?", "phases[0][iterations]": "1"}, "phases[0][items]",
     "Missing required param: phases[0][items]."),
]  # fmt: skip


@pytest.mark.parametrize(("data", "param", "message"), REFUSALS)
def test_a_schedule_stripe_would_refuse(
    billing: Billing, data: dict[str, Any], param: str, message: str
) -> None:
    customer = billing.customer()
    data = {k: customer.id if v == "?" else v for k, v in data.items()}
    code, error = billing.refusal("POST", "/v1/subscription_schedules", data)
    assert (code, error["param"], error["code"]) == (400, param, "parameter_missing")
    assert error["message"].startswith(message)


def test_a_schedule_from_a_subscription_takes_it_as_it_is(billing: Billing) -> None:
    subscription = billing.subscribe(billing.customer())
    billing.events()
    schedule = billing.client.v1.subscription_schedules.create(
        {"from_subscription": subscription.id}
    )
    assert billing.types() == ["subscription_schedule.created", "customer.subscription.updated"]
    assert (schedule.subscription, schedule.status) == (subscription.id, "active")
    assert schedule.phases[0].end_date == subscription.current_period_end
    assert billing.client.v1.subscriptions.retrieve(subscription.id).schedule == schedule.id
    code, error = billing.refusal(
        "POST", "/v1/subscription_schedules", {"from_subscription": subscription.id}
    )
    assert (code, error["param"]) == (400, "from_subscription")


CLOCKED = [
    # (end_behavior, phases' quantities, advance to, schedule events, status, sub status)
    ("release", (1, 2), FEB_1_2020 + DAY, ["subscription_schedule.updated"], "active", "active"),
    ("release", (1,), FEB_1_2020, ["subscription_schedule.completed"], "completed", "active"),
    ("cancel", (1,), FEB_1_2020 - 9 * DAY, ["subscription_schedule.expiring"], "active",
     "active"),
    ("cancel", (1,), FEB_1_2020, ["subscription_schedule.expiring",
                                  "subscription_schedule.completed"], "completed", "canceled"),
    ("release", (1, 2), MAR_1_2020, ["subscription_schedule.updated",
                                     "subscription_schedule.completed"], "completed", "active"),
]  # fmt: skip


@pytest.mark.parametrize(("ends", "quantities", "until", "events", "status", "after"), CLOCKED)
def test_a_test_clock_moves_a_schedule_through_its_phases(
    billing: Billing, ends: str, quantities: tuple[int, ...], until: int, events: list[str],
    status: str, after: str,
) -> None:  # fmt: skip
    clock = billing.client.v1.test_helpers.test_clocks.create({"frozen_time": JAN_1_2020})
    customer = billing.customer(clock=clock.id)
    schedule = billing.client.v1.subscription_schedules.create({
        "customer": customer.id, "start_date": JAN_1_2020, "end_behavior": ends,
        "phases": _phases(billing, *quantities),
    })  # fmt: skip
    assert schedule.test_clock == clock.id
    billing.events()
    billing.client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": until})
    emitted = billing.types("subscription_schedule", "test_helpers")
    assert emitted == ["test_helpers.test_clock.advancing", *events,
                       "test_helpers.test_clock.ready"]  # fmt: skip
    moved = billing.client.v1.subscription_schedules.retrieve(schedule.id)
    assert moved.status == status
    subscription = billing.client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription.status == after
    if len(quantities) > 1:
        assert subscription["items"].data[0].quantity == 2
