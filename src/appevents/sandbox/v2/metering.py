"""Meter events, as Stripe's meters take them (``POST /v1/billing/meter_events``, the v2
``meter_events`` and ``meter_event_stream``): each names a meter by ``event_name`` and
carries its customer and value in ``payload`` under the meter's keys.

Stripe checks the shape at once (400) and the rest asynchronously, reporting problems
as thin events rather than to the caller: no active meter for the name →
``v1.billing.meter.no_meter_found``; a payload without the meter's customer key, naming
no customer, or with a value that is not a number → ``v1.billing.meter.error_report_triggered``
on the meter. Here the check runs before the call answers, so the event is there at once.
"""

from __future__ import annotations

import re
from typing import Any

from ..callers import Caller
from ..rest import store
from ..service import Sandbox
from .errors import V2Error
from .thin import emit_thin, related, rfc3339

__all__ = ["MeterEvent", "active_meter", "record", "shape"]

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_IDENTIFIER_WINDOW = 24 * 3600
"""Seconds an identifier stays unique (Stripe: a rolling 24 hours)."""
CUSTOMER_KEY, VALUE_KEY = "stripe_customer_id", "value"


MeterEvent = dict[str, Any]
"""``event_name``, ``payload`` (strings), ``identifier``, ``timestamp`` (epoch seconds)."""


def shape(sandbox: Sandbox, given: Any, timestamp: int | None, where: str = "") -> MeterEvent:
    """A meter event's parameters, checked as Stripe checks them before accepting it."""
    if not isinstance(given, dict):
        raise V2Error(f"Invalid {where or 'event'}: expected an object", param=where or None)
    name = given.get("event_name")
    if not isinstance(name, str) or not name:
        raise V2Error(f"Missing required param: {where}event_name (the meter's event_name)",
                      param=f"{where}event_name", code="parameter_missing")  # fmt: skip
    payload = given.get("payload")
    if not isinstance(payload, dict) or not payload:
        raise V2Error(
            f"Missing required param: {where}payload (an object with the meter's customer "
            f"key, {CUSTOMER_KEY} by default, and its value key, {VALUE_KEY} by default)",
            param=f"{where}payload", code="parameter_missing",
        )  # fmt: skip
    for key, value in payload.items():
        if not isinstance(value, str):
            raise V2Error(f"Invalid {where}payload[{key[:40]}]: payload values are strings",
                          param=f"{where}payload[{key[:40]}]")  # fmt: skip
    identifier = given.get("identifier")
    if identifier is not None and (not isinstance(identifier, str) or len(identifier) > 100):
        raise V2Error(f"Invalid {where}identifier: a string of at most 100 characters",
                      param=f"{where}identifier")  # fmt: skip
    now = sandbox.now()
    at = now if timestamp is None else timestamp
    if at > now + 300 or at < now - 35 * 86400:
        raise V2Error(
            f"Invalid {where}timestamp: {rfc3339(at)} is not within the past 35 days or "
            "the next 5 minutes",
            param=f"{where}timestamp",
        )
    return {
        "event_name": name,
        "payload": dict(payload),
        "identifier": identifier or sandbox.ids.new("mev", 24),
        "timestamp": at,
    }


def active_meter(sandbox: Sandbox, caller: Caller, event_name: str) -> dict[str, Any] | None:
    for meter in store.list_of(sandbox.db, caller.account, caller.livemode, ["billing.meter"]):
        if meter.get("event_name") == event_name and meter.get("status") == "active":
            return meter
    return None


def record(
    sandbox: Sandbox,
    caller: Caller,
    event: MeterEvent,
    *,
    request_id: str,
    idempotency_key: str | None,
    duplicate_is_error: bool,
) -> bool:
    """Take ``event``: False when its identifier was taken in the last 24 hours (an error
    for the v1 API, dropped silently by the stream, as Stripe does)."""
    now = sandbox.now()
    taken = sandbox.db.execute(
        "SELECT 1 FROM meter_events WHERE account = ? AND livemode = ? AND identifier = ?"
        " AND created > ?",
        (caller.account, caller.livemode, event["identifier"], now - _IDENTIFIER_WINDOW),
    ).fetchone()
    if taken is not None:
        if duplicate_is_error:
            raise V2Error(
                f"An event with identifier {event['identifier'][:100]} already exists: "
                "identifiers are unique for 24 hours (leave it out for one of Stripe's)",
                param="identifier", code="duplicate_meter_event",
            )  # fmt: skip
        return False
    with sandbox.transaction() as db:
        db.execute(
            "INSERT INTO meter_events (account, livemode, identifier, event_name, created)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, livemode, identifier) DO UPDATE"
            " SET event_name = excluded.event_name, created = excluded.created, canceled = 0",
            (caller.account, caller.livemode, event["identifier"], event["event_name"], now),
        )
        _report(sandbox, caller, event, request_id, idempotency_key)
    return True


def _report(
    sandbox: Sandbox,
    caller: Caller,
    event: MeterEvent,
    request_id: str,
    idempotency_key: str | None,
) -> None:
    """The thin event for what is wrong with ``event``, if anything."""
    meter = active_meter(sandbox, caller, event["event_name"])
    problem: tuple[str, str] | None
    if meter is None:
        problem = ("no_meter", f"No active meter was found for event_name {event['event_name']}")
    else:
        problem = _payload_problem(sandbox, caller, meter, event["payload"])
    if problem is None:
        return
    code, message = problem
    now = sandbox.clock()
    data = {
        "developer_message_summary": message,
        "reason": {
            "error_count": 1,
            "error_types": [{
                "code": code,
                "error_count": 1,
                "sample_errors": [
                    {"error_message": message, "request": {"identifier": event["identifier"]}}
                ],
            }],
        },
        "validation_start": rfc3339(now),
        "validation_end": rfc3339(now),
    }  # fmt: skip
    if meter is None:
        emit_thin(
            sandbox, caller.account, caller.livemode, "v1.billing.meter.no_meter_found",
            data=data, request_id=request_id, idempotency_key=idempotency_key,
        )  # fmt: skip
        return
    emit_thin(
        sandbox, caller.account, caller.livemode, "v1.billing.meter.error_report_triggered",
        related_object=related(meter["id"], "billing.meter", f"/v1/billing/meters/{meter['id']}"),
        data=data, request_id=request_id, idempotency_key=idempotency_key,
    )  # fmt: skip


def _payload_problem(
    sandbox: Sandbox, caller: Caller, meter: dict[str, Any], payload: dict[str, str]
) -> tuple[str, str] | None:
    customer_key = (meter.get("customer_mapping") or {}).get("event_payload_key") or CUSTOMER_KEY
    value_key = (meter.get("value_settings") or {}).get("event_payload_key") or VALUE_KEY
    customer = payload.get(customer_key)
    if not customer:
        return "meter_event_no_customer_defined", (
            f"The payload has no {customer_key}: meter {meter['id']} maps the customer from "
            f"payload[{customer_key}]"
        )
    found = store.find(sandbox.db, caller.account, customer)
    if found is None or found.get("object") != "customer" or found.get("deleted"):
        return "meter_event_customer_not_found", f"No such customer: {customer[:100]}"
    if (meter.get("default_aggregation") or {}).get("formula") == "count":
        return None  # counted: no value to read
    value = payload.get(value_key)
    if value is None or not _NUMBER.fullmatch(value):
        return "meter_event_invalid_value", (
            f"The payload's {value_key} must be a number, got {str(value)[:50]!r}"
        )
    return None
