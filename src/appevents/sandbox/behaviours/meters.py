"""Billing meters: made with Stripe's defaults (the customer read from the payload's
``stripe_customer_id``, the value from ``value``), one active meter per ``event_name``,
deactivated and reactivated (``billing.meter.deactivated`` / ``.reactivated``), listed by
status; and the meter events they take (``POST /v1/billing/meter_events``), whose problems
Stripe reports as thin events (v2/metering.py).
"""

from __future__ import annotations

from typing import Any

from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import ApiError, InvalidRequest
from ..v2 import metering

__all__ = ["BEHAVIOURS"]

_METER = ("billing.meter",)


def create(engine: Engine, request: Request) -> Any:
    given = request.params
    name = given.get("event_name")
    if isinstance(name, str) and metering.active_meter(engine.sandbox, request.caller, name):
        raise InvalidRequest(
            f"An active meter with event_name {name[:100]} already exists: use it, or "
            "deactivate it first (POST /v1/billing/meters/{id}/deactivate)",
            param="event_name",
        )
    mapping = {"event_payload_key": metering.CUSTOMER_KEY, "type": "by_id"}
    value = {"event_payload_key": metering.VALUE_KEY}
    return engine.generic(
        request.with_params(
            customer_mapping={**mapping, **(given.get("customer_mapping") or {})},
            value_settings={**value, **(given.get("value_settings") or {})},
        )
    )


def deactivate(engine: Engine, request: Request) -> Any:
    """No longer takes events (they are reported as no_meter_found)."""
    return _switch(engine, request, active=False)


def reactivate(engine: Engine, request: Request) -> Any:
    return _switch(engine, request, active=True)


def _switch(engine: Engine, request: Request, *, active: bool) -> Any:
    caller = request.caller
    engine.require(caller, "billing.meter", write=True)
    meter = engine.load(caller, request.object_id, _METER)
    status = "active" if active else "inactive"
    if meter["status"] == status:
        raise InvalidRequest(f"Meter {meter['id']} is already {status}", param="id")
    other = metering.active_meter(engine.sandbox, caller, str(meter["event_name"]))
    if active and other is not None:
        raise InvalidRequest(
            f"Meter {other['id']} is active with event_name {meter['event_name']}: "
            "deactivate it before reactivating this one",
            param="id",
        )
    now = engine.sandbox.now()
    meter.update(status=status, updated=now)
    meter["status_transitions"] = {"deactivated_at": None if active else now}
    with engine.sandbox.transaction():
        engine.record(caller, meter, "reactivated" if active else "deactivated", request)
    return meter


def meter_event(engine: Engine, request: Request) -> Any:
    """A meter event (v1): its shape checked at once, the rest reported as thin events."""
    engine.require(request.caller, "billing.meter", write=True)
    given = request.params
    timestamp = given.get("timestamp")
    try:
        event = metering.shape(
            engine.sandbox, given, timestamp if isinstance(timestamp, int) else None
        )
        metering.record(
            engine.sandbox, request.caller, event, request_id=request.request_id,
            idempotency_key=request.idempotency_key, duplicate_is_error=True,
        )  # fmt: skip
    except ApiError as exc:  # v1's shape for v1's path
        raise InvalidRequest(exc.message, param=exc.param, code=exc.code) from None
    return {
        "object": "billing.meter_event",
        "created": engine.sandbox.now(),
        "event_name": event["event_name"],
        "identifier": event["identifier"],
        "livemode": request.caller.livemode,
        "payload": event["payload"],
        "timestamp": event["timestamp"],
    }


BEHAVIOURS: dict[str, Behaviour] = {
    "PostBillingMeters": create,
    "PostBillingMetersIdDeactivate": deactivate,
    "PostBillingMetersIdReactivate": reactivate,
    "PostBillingMeterEvents": meter_event,
}
