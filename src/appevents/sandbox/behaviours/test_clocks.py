"""Test clocks: a frozen time that customers created on it (``customer[test_clock]``) live
by, moved forward on demand to see what billing does over time.

``POST /v1/test_helpers/test_clocks`` makes one (``frozen_time`` required;
``test_helpers.test_clock.created``); it is deleted by itself 30 days later
(``deletes_after``). ``/advance`` moves it to a later ``frozen_time``:
``test_helpers.test_clock.advancing``, then what the objects on the clock do in that time
(subscription schedules starting, changing phase, completing; subscriptions' trials
ending, periods renewing with their invoices), then ``test_helpers.test_clock.ready``.
Stripe advances asynchronously; here the advance has run when the call answers, so the
clock it answers is ``ready`` again, as a later GET of Stripe's is.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import billing_periods, subscription_schedules, subscriptions

__all__ = ["BEHAVIOURS"]

_LIFETIME = billing_periods.days(30)


def create(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "test_helpers.test_clock", write=True)
    frozen_time = request.params.get("frozen_time")
    if not isinstance(frozen_time, int):
        raise InvalidRequest(
            "Missing required param: frozen_time. Give the Unix timestamp the clock starts "
            "at, such as the current time.",
            param="frozen_time",
            code="parameter_missing",
        )
    resource = spec.resource("test_helpers.test_clock")
    assert resource is not None  # the spec has test clocks
    clock = engine.new(resource, request.params, request.caller)
    clock.update(
        deletes_after=engine.sandbox.now() + _LIFETIME,
        frozen_time=frozen_time,
        name=request.params.get("name"),
        status="ready",
    )
    with engine.sandbox.transaction():
        engine.record(request.caller, clock, "created", request)
    return clock


def advance(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "test_helpers.test_clock", write=True)
    clock = engine.load(caller, request.object_id, ("test_helpers.test_clock",))
    until = request.params.get("frozen_time")
    since = int(clock["frozen_time"])
    if not isinstance(until, int):
        raise InvalidRequest(
            "Missing required param: frozen_time. Give the later Unix timestamp to advance "
            f"the clock to (it is at {since}).",
            param="frozen_time",
            code="parameter_missing",
        )
    if until <= since:
        raise InvalidRequest(
            f"The frozen_time {until} is not after the clock's current frozen_time {since}: "
            "a test clock only moves forward. Give a later time.",
            param="frozen_time",
        )
    with engine.sandbox.transaction():
        clock.update(status="advancing")
        engine.record(caller, clock, "advancing", request)
        clock["frozen_time"] = until  # what is made meanwhile lives at the new time
        engine.record(caller, clock, "moved", request)  # stored, no event
        _objects_live(engine, request, clock["id"], since, until)
        clock["status"] = "ready"
        engine.record(caller, clock, "ready", request)
    return clock


def _objects_live(engine: Engine, request: Request, clock_id: str, since: int, until: int) -> None:
    """Move what lives on the clock: schedules first (they change their subscriptions),
    then each subscription on its own (trials, renewals)."""
    db, caller = engine.sandbox.db, request.caller
    for schedule in _on_clock(engine, request, "subscription_schedule", clock_id):
        subscription_schedules.advance(engine, request, schedule, since, until)
    for subscription in _on_clock(engine, request, "subscription", clock_id):
        current = store.find(db, caller.account, subscription["id"]) or subscription
        subscriptions.advance(engine, request, current, since, until)


def _on_clock(
    engine: Engine, request: Request, object_type: str, clock_id: str
) -> list[dict[str, Any]]:
    """The objects of a type on the clock, oldest first."""
    caller = request.caller
    rows = store.list_of(engine.sandbox.db, caller.account, caller.livemode, [object_type])
    return [row for row in reversed(rows) if row.get("test_clock") == clock_id]


BEHAVIOURS: dict[str, Behaviour] = {
    "PostTestHelpersTestClocks": create,
    "PostTestHelpersTestClocksTestClockAdvance": advance,
}
