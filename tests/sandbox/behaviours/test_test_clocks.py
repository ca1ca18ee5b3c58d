"""Test clocks as Stripe's: made frozen at a time, advanced only forward (advancing, what
the objects on it do meanwhile in time order, then ready), subscriptions on them renewing
their periods and ending their trials at the clock's time."""

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


def test_a_clock_is_made_frozen_and_advances_forward(billing: Billing) -> None:
    clocks = billing.client.v1.test_helpers.test_clocks
    billing.events()
    clock = clocks.create({"frozen_time": JAN_1_2020, "name": "monthly renewals"})
    assert (clock.status, clock.frozen_time, clock.name) == ("ready", JAN_1_2020,
                                                            "monthly renewals")  # fmt: skip
    assert clock.deletes_after == clock.created + 30 * DAY
    assert billing.types() == ["test_helpers.test_clock.created"]
    advanced = clocks.advance(clock.id, {"frozen_time": FEB_1_2020})
    events = billing.events()
    assert [e.type for e in events] == ["test_helpers.test_clock.advancing",
                                        "test_helpers.test_clock.ready"]  # fmt: skip
    assert [e.data.object.status for e in events] == ["advancing", "ready"]
    assert (advanced.status, advanced.frozen_time) == ("ready", FEB_1_2020)
    assert clocks.retrieve(clock.id).frozen_time == FEB_1_2020


REFUSALS = [
    ({}, "Missing required param: frozen_time."),
    ({"frozen_time": JAN_1_2020}, f"The frozen_time {JAN_1_2020} is not after the clock's"),
    ({"frozen_time": JAN_1_2020 - DAY}, f"The frozen_time {JAN_1_2020 - DAY} is not after"),
]


@pytest.mark.parametrize(("data", "message"), REFUSALS)
def test_a_clock_does_not_go_back(billing: Billing, data: dict[str, Any], message: str) -> None:
    clock = billing.client.v1.test_helpers.test_clocks.create({"frozen_time": JAN_1_2020})
    code, error = billing.refusal("POST", f"/v1/test_helpers/test_clocks/{clock.id}/advance", data)
    assert (code, error["param"]) == (400, "frozen_time")
    assert error["message"].startswith(message)
    assert billing.refusal("POST", "/v1/test_helpers/test_clocks", {})[1]["message"].startswith(
        "Missing required param: frozen_time."
    )


def test_a_subscription_on_a_clock_renews_each_period(billing: Billing) -> None:
    clock = billing.client.v1.test_helpers.test_clocks.create({"frozen_time": JAN_1_2020})
    subscription = billing.subscribe(billing.customer(clock=clock.id))
    assert (subscription.test_clock, subscription.start_date) == (clock.id, JAN_1_2020)
    assert subscription.current_period_end == FEB_1_2020
    billing.events()
    billing.client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": MAR_1_2020})
    emitted = billing.types("customer.subscription", "invoice.paid", "test_helpers")
    assert emitted == [
        "test_helpers.test_clock.advancing",
        "customer.subscription.updated", "invoice.paid",
        "customer.subscription.updated", "invoice.paid",
        "test_helpers.test_clock.ready",
    ]  # fmt: skip
    renewed = billing.client.v1.subscriptions.retrieve(subscription.id)
    assert (renewed.current_period_start, renewed.status) == (MAR_1_2020, "active")
    invoices = billing.client.v1.invoices.list({"subscription": subscription.id}).data
    assert len(invoices) == 3 and renewed.latest_invoice == invoices[0].id


TRIALS = [
    # (trial days, customer pays, advance by days, subscription events, status)
    (7, True, 3, [], "trialing"),
    (7, True, 5, ["customer.subscription.trial_will_end"], "trialing"),
    (7, True, 8, ["customer.subscription.trial_will_end", "customer.subscription.updated"],
     "active"),
    (7, False, 8, ["customer.subscription.trial_will_end", "customer.subscription.updated"],
     "past_due"),
]  # fmt: skip


@pytest.mark.parametrize(("days", "paying", "advance", "events", "status"), TRIALS)
def test_a_trial_on_a_clock_warns_then_ends(
    billing: Billing, days: int, paying: bool, advance: int, events: list[str], status: str
) -> None:
    clock = billing.client.v1.test_helpers.test_clocks.create({"frozen_time": JAN_1_2020})
    subscription = billing.subscribe(
        billing.customer(paying=paying, clock=clock.id), trial_period_days=days
    )
    assert subscription.trial_end == JAN_1_2020 + days * DAY
    billing.events()
    billing.client.v1.test_helpers.test_clocks.advance(
        clock.id, {"frozen_time": JAN_1_2020 + advance * DAY}
    )
    assert billing.types("customer.subscription") == events
    assert billing.client.v1.subscriptions.retrieve(subscription.id).status == status
