"""Recipes for subscriptions, subscription schedules and test clocks (pure data)."""

from __future__ import annotations

from .cascades import CLI_DESCRIPTION, customer_with_card, paid_subscription, price, product
from .model import Recipe, Step, create, delete, recipe, step, update

__all__ = ["RECIPES"]

_SUBSCRIPTION_BASICS = (customer_with_card(), product(), price())
_TRIAL = {
    "customer": "${customer:id}",
    "status": "trialing",
    "latest_invoice": None,
    "items.data.0.price": "${price}",
    "items.data.0.plan": "${plan}",
    "items.data.0.subscription": "${subscription:id}",
    "items.data.0.quantity": 1,
    "plan": "${plan}",
    "quantity": 1,
    "start_date": "${context:now}",
    "trial_start": "${context:now}",
    "trial_end": "${context:now+259200}",
    "current_period_start": "${context:now}",
    "current_period_end": "${context:now+259200}",
    "cancel_at": None,
    "canceled_at": None,
    "ended_at": None,
    "pause_collection": None,
    "schedule": None,
}


def _subscribed(name: str, *more: Step, event_type: str | None = None) -> Recipe:
    return recipe(name, *_SUBSCRIPTION_BASICS, paid_subscription(), *more, event_type=event_type)


def _billing_via_default_method(name: str, outcome: str, event_type: str) -> Recipe:
    """The Stripe CLI's subscription.payment_* fixtures: a card made first, attached and set
    as the customer's default, then a subscription whose first invoice is paid (or not)."""
    return recipe(
        name,
        step(
            "payment_method",
            create(
                "payment_method",
                "payment_method",
                values={"type": "card", "customer": None, "card.last4": "4242"},
            ),
        ),
        customer_with_card(card=None, params={"name": "SubscriptionTestCustomer"}),
        step(
            "attach_payment_method",
            update(
                "payment_method", "payment_method.attached", values={"customer": "${customer:id}"}
            ),
        ),
        step(
            "default_payment_method",
            update("customer", "customer.updated"),
            params={"invoice_settings": {"default_payment_method": "${payment_method:id}"}},
        ),
        product(),
        price(),
        paid_subscription(outcome="failed" if outcome == "failed" else "succeeded"),
        event_type=event_type,
        note=f"subscription.payment_{outcome} is not an event type: it stands for {event_type}",
    )


_SCHEDULE = {
    "customer": "${customer:id}",
    "status": "active",
    "subscription": "${subscription:id}",
    "released_subscription": None,
    "canceled_at": None,
    "completed_at": None,
    "released_at": None,
    "end_behavior": "release",
    "phases": [
        {
            "start_date": "${context:now}",
            "end_date": "${context:now+2592000}",
            "items": [{"price": "${price:id}", "quantity": 1}],
        },
        {
            "start_date": "${context:now+2592000}",
            "end_date": "${context:now+5184000}",
            "items": [{"price": "${price:id}", "quantity": 2}],
        },
    ],
    "current_phase": {"start_date": "${context:now}", "end_date": "${context:now+2592000}"},
}
_schedule = step(
    "subscription_schedule",
    create(
        "subscription_schedule",
        "subscription_schedule",
        "subscription_schedule.created",
        values=_SCHEDULE,
    ),
    create(
        "subscription",
        "subscription",
        "customer.subscription.created",
        values={
            **_TRIAL,
            "status": "active",
            "trial_start": None,
            "trial_end": None,
            "current_period_end": "${context:now+2592000}",
            "schedule": "${subscription_schedule:id}",
        },
    ),
)


def _scheduled(event: str, *more: Step) -> Recipe:
    return recipe(event, *_SUBSCRIPTION_BASICS, _schedule, *more)


def _schedule_ends(name: str, event: str, values: dict[str, object]) -> Step:
    return step(name, update("subscription_schedule", event, values=values))


_clock = step(
    "test_clock",
    create(
        "test_clock",
        "test_helpers.test_clock",
        "test_helpers.test_clock.created",
        values={"status": "ready", "deletes_after": "${context:now+2592000}"},
    ),
    params={"frozen_time": 1577836800, "name": CLI_DESCRIPTION},
)
_advance = step(
    "advance_test_clock",
    update("test_clock", "test_helpers.test_clock.advancing", values={"status": "advancing"}),
    update("test_clock", "test_helpers.test_clock.ready", values={"status": "ready"}),
    params={"frozen_time": 1580515200},
)

RECIPES: tuple[Recipe, ...] = (
    _subscribed("customer.subscription.created"),
    _subscribed(
        "customer.subscription.updated",
        step(
            "subscription_update",
            update("subscription", "customer.subscription.updated"),
            params={"metadata": {"foo": "bar"}},
        ),
    ),
    _subscribed(
        "customer.subscription.deleted",
        step(
            "subscription_cancel",
            update(
                "subscription",
                "customer.subscription.deleted",
                values={
                    "status": "canceled",
                    "canceled_at": "${context:now}",
                    "ended_at": "${context:now}",
                },
            ),
        ),
    ),
    recipe(
        "customer.subscription.paused",
        *_SUBSCRIPTION_BASICS,
        step(
            "subscription",
            create("subscription", "subscription", "customer.subscription.created", values=_TRIAL),
        ),
        step(
            "subscription_pause",
            update(
                "subscription",
                "customer.subscription.paused",
                "customer.subscription.updated",
                values={"status": "paused", "trial_end": "${context:now}"},
            ),
            params={"trial_settings": {"end_behavior": {"missing_payment_method": "pause"}}},
        ),
        note="the trial ends at once instead of waiting for the clock, pausing the subscription",
    ),
    recipe(
        "customer.subscription.trial_will_end",
        *_SUBSCRIPTION_BASICS,
        step(
            "subscription",
            create(
                "subscription",
                "subscription",
                "customer.subscription.created",
                "customer.subscription.trial_will_end",
                values=_TRIAL,
            ),
        ),
        note="trial_will_end is sent at once (Stripe sends it three days before trial_end)",
    ),
    _billing_via_default_method(
        "subscription.payment_succeeded", "succeeded", "invoice.payment_succeeded"
    ),
    _billing_via_default_method("subscription.payment_failed", "failed", "invoice.payment_failed"),
    _scheduled("subscription_schedule.created"),
    _scheduled(
        "subscription_schedule.updated",
        step(
            "subscription_schedule_update",
            update("subscription_schedule", "subscription_schedule.updated"),
            params={"metadata": {"foo": "bar"}},
        ),
    ),
    _scheduled(
        "subscription_schedule.canceled",
        step(
            "subscription_schedule_cancel",
            update(
                "subscription_schedule",
                "subscription_schedule.canceled",
                values={"status": "canceled", "canceled_at": "${context:now}"},
            ),
            update(
                "subscription",
                "customer.subscription.deleted",
                values={"status": "canceled", "canceled_at": "${context:now}"},
            ),
        ),
    ),
    _scheduled(
        "subscription_schedule.released",
        _schedule_ends(
            "subscription_schedule_release",
            "subscription_schedule.released",
            {
                "status": "released",
                "released_at": "${context:now}",
                "released_subscription": "${subscription:id}",
                "subscription": None,
            },
        ),
    ),
    _scheduled(
        "subscription_schedule.aborted",
        _schedule_ends(
            "subscription_schedule_abort",
            "subscription_schedule.aborted",
            {"status": "canceled", "canceled_at": "${context:now}"},
        ),
    ),
    _scheduled(
        "subscription_schedule.completed",
        _schedule_ends(
            "subscription_schedule_complete",
            "subscription_schedule.completed",
            {"status": "completed", "completed_at": "${context:now}"},
        ),
    ),
    _scheduled(
        "subscription_schedule.expiring",
        _schedule_ends("subscription_schedule_expiring", "subscription_schedule.expiring", {}),
    ),
    recipe("test_helpers.test_clock.created", _clock),
    recipe("test_helpers.test_clock.advancing", _clock, _advance),
    recipe("test_helpers.test_clock.ready", _clock, _advance),
    recipe(
        "test_helpers.test_clock.deleted",
        _clock,
        step("test_clock_delete", delete("test_clock", "test_helpers.test_clock.deleted")),
    ),
)
