"""Subscription schedules: a subscription's future, as phases of items, one after another.

A schedule is created for a customer with ``phases`` (each lasting ``iterations`` billing
periods of its first price, or until its ``end_date``) from a ``start_date`` (``now`` by
default), or ``from_subscription`` (one phase: the subscription as it is). Starting now,
it makes its subscription at once (customer.subscription.created and its first invoice,
subscriptions.py), then ``subscription_schedule.created``; starting later, it is
``not_started`` until a test clock (test_clocks.py) reaches its start.

``POST`` updates it (``subscription_schedule.updated``); ``/cancel`` cancels it and its
subscription (``customer.subscription.deleted``, then ``subscription_schedule.canceled``);
``/release`` leaves the subscription running without it (``subscription_schedule.released``).
As its clock moves, each phase's end moves the subscription to the next phase's items
(``customer.subscription.updated``, ``subscription_schedule.updated``); the last phase's
end completes it (``subscription_schedule.completed``), canceling the subscription when
``end_behavior`` is ``cancel``. Such a schedule, whose subscription will end, warns first
(``subscription_schedule.expiring``; a released subscription goes on, nothing expires):
Stripe documents seven days before the end, and its CLI's own expiring trigger (checked
against Stripe, stripe-cli#1462) advances a clock to nine days before it, so it is sent
from nine days on.
"""

from __future__ import annotations

import copy
from typing import Any

from ..rest import build, spec
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import billing_periods, subscription_items, subscriptions

__all__ = ["BEHAVIOURS", "advance"]

EXPIRING_NOTICE = billing_periods.days(9)
_OPEN = ("not_started", "active")
_SETTABLE = ("metadata", "end_behavior", "default_settings")


def create(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "subscription_schedule", write=True)
    params = request.params
    if isinstance(params.get("from_subscription"), str):
        return _from_subscription(engine, request, params["from_subscription"])
    customer_id = params.get("customer")
    if not isinstance(customer_id, str) or not customer_id:
        raise InvalidRequest(
            "Missing required param: customer. Give the customer (cus_...) to schedule, or "
            "from_subscription (sub_...) to schedule an existing subscription.",
            param="customer",
            code="parameter_missing",
        )
    customer = subscription_items.named(engine, request, customer_id, "customer", "customer")
    now = billing_periods.now_for(engine, request, customer)
    start_date = params.get("start_date", "now")
    start_at = now if start_date == "now" else int(start_date)
    given = params.get("phases")
    if not isinstance(given, list) or not given:
        raise InvalidRequest(
            "Missing required param: phases. Give at least one phase: "
            "phases[0][items][0][price]=price_...",
            param="phases",
            code="parameter_missing",
        )
    resource = spec.resource("subscription_schedule")
    assert resource is not None  # the spec has subscription schedules
    settable: dict[str, Any] = {k: params[k] for k in _SETTABLE
                if k in params}  # fmt: skip
    schedule = engine.new(resource, {**settable, "customer": customer_id}, caller)
    schedule.update(
        created=now,
        end_behavior=params.get("end_behavior", "release"),
        metadata=params.get("metadata") or {},
        phases=_phases(engine, request, given, start_at),
        test_clock=billing_periods.clock_of(engine, request, customer),
        status="not_started",
        subscription=None,
        current_phase=None,
    )
    with engine.sandbox.transaction():
        if start_at <= now:
            _start(engine, request, schedule)
        engine.record(caller, schedule, "created", request)
    return schedule


def _phases(
    engine: Engine, request: Request, given: list[dict[str, Any]], start_at: int
) -> list[dict[str, Any]]:
    """The phases with their dates: each starts when the one before ends."""
    phases: list[dict[str, Any]] = []
    made = engine.made(request.caller)
    begins = start_at
    for index, each in enumerate(given):
        items = each.get("items")
        if not isinstance(items, list) or not items:
            raise InvalidRequest(
                f"Missing required param: phases[{index}][items]. Give the phase's items: "
                f"phases[{index}][items][0][price]=price_...",
                param=f"phases[{index}][items]",
                code="parameter_missing",
            )
        prices = [
            subscription_items.price_of_item(engine, request, item, f"phases[{index}][items][{n}]")
            for n, item in enumerate(items)
        ]
        ends = each.get("end_date")
        if not isinstance(ends, int):
            interval, count = billing_periods.period_of(prices[0])
            ends = begins
            for _ in range(int(each.get("iterations") or 1)):
                ends = billing_periods.next_period_end(ends, interval, count)
        elif ends <= begins:
            raise InvalidRequest(
                f"Invalid phases[{index}][end_date]: {ends} is not after the phase's start "
                f"({begins}). Give a later end_date, or iterations.",
                param=f"phases[{index}][end_date]",
            )
        phase = build.new_value("subscription_schedule_phase_configuration", made)
        phase.update(
            currency=prices[0].get("currency"),
            end_date=ends,
            items=[{**build.new_value("subscription_schedule_configuration_item", made),
                    "price": price["id"], "quantity": int(item.get("quantity") or 1),
                    "metadata": item.get("metadata") or {}}
                   for price, item in zip(prices, items, strict=True)],
            metadata=each.get("metadata") or {},
            proration_behavior=each.get("proration_behavior", "create_prorations"),
            start_date=begins,
            trial_end=each.get("trial_end") if isinstance(each.get("trial_end"), int) else None,
        )  # fmt: skip
        phases.append(phase)
        begins = ends
    return phases


def _items_params(phase: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"price": item["price"], "quantity": item["quantity"],
             "metadata": item.get("metadata") or {}} for item in phase["items"]]  # fmt: skip


def _start(engine: Engine, request: Request, schedule: dict[str, Any]) -> None:
    """The schedule's first phase begins: its subscription is made."""
    phase = schedule["phases"][0]
    params: dict[str, Any] = {"customer": schedule["customer"], "items": _items_params(phase),
                              "metadata": phase.get("metadata") or {}}  # fmt: skip
    if phase.get("trial_end"):
        params["trial_end"] = phase["trial_end"]
    subscription = subscriptions.start(engine, request, params, schedule=schedule["id"])
    schedule.update(
        status="active",
        subscription=subscription["id"],
        current_phase={"start_date": phase["start_date"], "end_date": phase["end_date"]},
    )


def _from_subscription(engine: Engine, request: Request, subscription_id: str) -> Any:
    caller = request.caller
    subscription = subscription_items.named(
        engine, request, subscription_id, "subscription", "from_subscription"
    )
    if subscription.get("schedule"):
        raise InvalidRequest(
            f"The subscription {subscription_id} is already attached to the schedule "
            f"{subscription['schedule']}: update that schedule instead.",
            param="from_subscription",
        )
    resource = spec.resource("subscription_schedule")
    assert resource is not None  # the spec has subscription schedules
    now = billing_periods.now_for(engine, request, {"test_clock": subscription.get("test_clock")})
    schedule = engine.new(resource, {"customer": subscription["customer"]}, caller)
    made = engine.made(caller)
    phase = build.new_value("subscription_schedule_phase_configuration", made)
    phase.update(
        currency=subscription.get("currency"),
        start_date=subscription["current_period_start"],
        end_date=subscription["current_period_end"],
        items=[{**build.new_value("subscription_schedule_configuration_item", made),
                "price": item["price"]["id"], "quantity": item.get("quantity") or 1}
               for item in subscription["items"]["data"]],
        metadata={},
        proration_behavior="create_prorations",
    )  # fmt: skip
    schedule.update(
        created=now,
        current_phase={"start_date": phase["start_date"], "end_date": phase["end_date"]},
        end_behavior="release",
        metadata={},
        phases=[phase],
        status="active",
        subscription=subscription_id,
        test_clock=subscription.get("test_clock"),
    )
    with engine.sandbox.transaction():
        engine.record(caller, schedule, "created", request)
        subscription["schedule"] = schedule["id"]
        engine.record(caller, subscription, "updated", request, previous={"schedule": None})
    return schedule


def _open(engine: Engine, request: Request) -> dict[str, Any]:
    schedule = engine.load(request.caller, request.object_id, ("subscription_schedule",))
    if schedule.get("status") not in _OPEN:
        raise InvalidRequest(
            f"You cannot change the subscription schedule {schedule['id']}: it is "
            f"{schedule['status']}. Create a new schedule instead.",
        )
    return schedule


def update(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription_schedule", write=True)
    schedule = _open(engine, request)
    before = copy.deepcopy(schedule)
    params = request.params
    settable: dict[str, Any] = {k: params[k] for k in _SETTABLE
                if k in params}  # fmt: skip
    build.apply(schedule, spec.schema("subscription_schedule"), settable)
    if isinstance(params.get("phases"), list) and params["phases"]:
        start_at = int(schedule["phases"][0]["start_date"])
        schedule["phases"] = _phases(engine, request, params["phases"], start_at)
    previous = {k: before.get(k) for k in schedule if schedule[k] != before.get(k)}
    with engine.sandbox.transaction():
        if previous:
            engine.record(request.caller, schedule, "updated", request, previous=previous)
    return schedule


def cancel(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription_schedule", write=True)
    schedule = _open(engine, request)
    now = billing_periods.now_for(engine, request, {"test_clock": schedule.get("test_clock")})
    with engine.sandbox.transaction():
        subscription = _subscription_of(engine, request, schedule)
        if subscription is not None and subscription.get("status") != "canceled":
            subscriptions.cancel(engine, request, subscription, now)
        schedule.update(status="canceled", canceled_at=now, current_phase=None)
        engine.record(request.caller, schedule, "canceled", request)
    return schedule


def release(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription_schedule", write=True)
    schedule = _open(engine, request)
    now = billing_periods.now_for(engine, request, {"test_clock": schedule.get("test_clock")})
    with engine.sandbox.transaction():
        subscription = _subscription_of(engine, request, schedule)
        if subscription is not None:
            subscription["schedule"] = None
            engine.record(request.caller, subscription, "released", request)  # stored
        schedule.update(
            status="released",
            released_at=now,
            released_subscription=schedule.get("subscription"),
            subscription=None,
            current_phase=None,
        )
        engine.record(request.caller, schedule, "released", request)
    return schedule


def _subscription_of(
    engine: Engine, request: Request, schedule: dict[str, Any]
) -> dict[str, Any] | None:
    if not schedule.get("subscription"):
        return None
    return engine.load(request.caller, str(schedule["subscription"]), ("subscription",))


def advance(
    engine: Engine, request: Request, schedule: dict[str, Any], since: int, until: int
) -> None:
    """What happens to a schedule while its test clock moves from ``since`` to ``until``:
    it starts, warns of its end, changes phase, completes; in time order."""
    caller = request.caller
    if schedule.get("status") == "not_started":
        if int(schedule["phases"][0]["start_date"]) > until:
            return
        _start(engine, request, schedule)
        engine.record(caller, schedule, "updated", request, previous={"status": "not_started"})
    if schedule.get("status") != "active":
        return
    ends = int(schedule["phases"][-1]["end_date"])
    expires = schedule.get("end_behavior") == "cancel"  # released, nothing expires
    if expires and since < ends - EXPIRING_NOTICE <= until:
        engine.record(caller, schedule, "expiring", request)
    for index, phase in enumerate(schedule["phases"]):
        current = schedule.get("current_phase") or {}
        if phase["start_date"] != current.get("start_date") or phase["end_date"] > until:
            continue
        if index + 1 < len(schedule["phases"]):
            _next_phase(engine, request, schedule, schedule["phases"][index + 1])
    if ends <= until:
        _complete(engine, request, schedule, ends)


def _next_phase(
    engine: Engine, request: Request, schedule: dict[str, Any], phase: dict[str, Any]
) -> None:
    before = copy.deepcopy(schedule["current_phase"])
    schedule["current_phase"] = {"start_date": phase["start_date"], "end_date": phase["end_date"]}
    subscription = _subscription_of(engine, request, schedule)
    if subscription is not None and subscription.get("status") != "canceled":
        old = copy.deepcopy(subscription.get("items"))
        gone = [{"id": item["id"], "deleted": True} for item in subscription["items"]["data"]]
        subscription_items.update_items(
            engine, request, subscription, [*_items_params(phase), *gone]
        )
        engine.record(request.caller, subscription, "updated", request, previous={"items": old})
    engine.record(request.caller, schedule, "updated", request,
                  previous={"current_phase": before})  # fmt: skip


def _complete(engine: Engine, request: Request, schedule: dict[str, Any], ends: int) -> None:
    subscription = _subscription_of(engine, request, schedule)
    ending = schedule.get("end_behavior") == "cancel"
    if ending and subscription is not None and subscription.get("status") != "canceled":
        subscriptions.cancel(engine, request, subscription, ends)
    schedule.update(status="completed", completed_at=ends, current_phase=None)
    engine.record(request.caller, schedule, "completed", request)


BEHAVIOURS: dict[str, Behaviour] = {
    "PostSubscriptionSchedules": create,
    "PostSubscriptionSchedulesSchedule": update,
    "PostSubscriptionSchedulesScheduleCancel": cancel,
    "PostSubscriptionSchedulesScheduleRelease": release,
}
