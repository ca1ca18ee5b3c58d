"""The v2 meter event API: ``POST /v2/billing/meter_event_session`` (a token for the
stream, 15 minutes), ``/v2/billing/meter_event_stream`` (up to 100 events per call, with
that token as the Bearer key), ``/v2/billing/meter_events`` (one, answered) and
``/v2/billing/meter_event_adjustments`` (cancel one by identifier).

Stripe serves the stream on a host of its own (meter-events.stripe.com); the sandbox
serves it on its own host, so a client's ``meter_events`` base address is the sandbox's.
"""

from __future__ import annotations

from typing import Any

from ..callers import Caller
from ..service import Sandbox
from . import metering, params
from .calls import Route, V2Call
from .errors import V2Error, v2_errors
from .thin import rfc3339

__all__ = ["routes"]

SESSION_SECONDS = 15 * 60
MAX_STREAM_EVENTS = 100


def routes(sandbox: Sandbox) -> list[Route]:
    @v2_errors
    def open_session(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("billing_meter", write=True)
        params.known_only(raw, ())
        now = sandbox.now()
        mode = "live" if caller.livemode else "test"
        session = sandbox.ids.new(f"mes_{mode}", 40)
        token = sandbox.ids.secret(f"mes_token_{mode}", 48)
        expires = now + SESSION_SECONDS
        with sandbox.transaction() as db:
            # The token is a key of the account: the stream's calls act as it.
            db.execute(
                "INSERT INTO api_keys (key, account, livemode) VALUES (?, ?, ?)",
                (token, caller.account, caller.livemode),
            )
            db.execute(
                "INSERT INTO meter_event_sessions (id, token, account, livemode, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session, token, caller.account, caller.livemode, expires),
            )
        return {
            "id": session, "object": "v2.billing.meter_event_session",
            "authentication_token": token, "created": rfc3339(now),
            "expires_at": rfc3339(expires), "livemode": caller.livemode,
        }  # fmt: skip

    @v2_errors
    def stream(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("billing_meter", write=True)
        params.known_only(raw, ("events",))
        given = raw.get("events")
        if not isinstance(given, list) or not given:
            raise V2Error("Missing required param: events (a list of meter events)",
                          param="events", code="parameter_missing")  # fmt: skip
        if len(given) > MAX_STREAM_EVENTS:
            raise V2Error(f"Invalid events: at most {MAX_STREAM_EVENTS} per request",
                          param="events")  # fmt: skip
        checked = [
            metering.shape(sandbox, each, _timestamp(each, f"events[{i}]."), f"events[{i}].")
            for i, each in enumerate(given)
        ]
        for each in checked:
            metering.record(sandbox, caller, each, request_id=call.request_id,
                            idempotency_key=call.idempotency_key,
                            duplicate_is_error=False)  # fmt: skip
        return {}

    @v2_errors
    def meter_event(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("billing_meter", write=True)
        params.known_only(raw, ("event_name", "identifier", "payload", "timestamp"))
        event = metering.shape(sandbox, raw, _timestamp(raw, ""))
        metering.record(sandbox, caller, event, request_id=call.request_id,
                        idempotency_key=call.idempotency_key,
                        duplicate_is_error=True)  # fmt: skip
        return {
            "object": "v2.billing.meter_event", "created": rfc3339(sandbox.clock()),
            "event_name": event["event_name"], "identifier": event["identifier"],
            "livemode": caller.livemode, "payload": event["payload"],
            "timestamp": rfc3339(event["timestamp"]),
        }  # fmt: skip

    @v2_errors
    def adjust(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("billing_meter", write=True)
        params.known_only(raw, ("cancel", "event_name", "type"))
        name = params.required_str(raw, "event_name", "the meter's event_name")
        if params.required_str(raw, "type", "cancel") != "cancel":
            raise V2Error("Invalid type: only cancel is supported", param="type")
        cancel = raw.get("cancel")
        identifier = cancel.get("identifier") if isinstance(cancel, dict) else None
        if not isinstance(identifier, str) or not identifier:
            raise V2Error("Missing required param: cancel.identifier (the event to cancel)",
                          param="cancel.identifier", code="parameter_missing")  # fmt: skip
        with sandbox.transaction() as db:
            changed = db.execute(
                "UPDATE meter_events SET canceled = 1 WHERE account = ? AND livemode = ?"
                " AND identifier = ? AND event_name = ? AND created > ?",
                (caller.account, caller.livemode, identifier, name,
                 sandbox.now() - 24 * 3600),
            ).rowcount  # fmt: skip
        if not changed:
            raise V2Error(
                f"No meter event {identifier[:100]} of {name[:100]} in the last 24 hours to "
                "cancel: only events Stripe received within 24 hours can be canceled",
                param="cancel.identifier", code="resource_missing",
            )  # fmt: skip
        mode = "live" if caller.livemode else "test"
        return {
            "id": sandbox.ids.new(f"mea_{mode}", 40), "object": "v2.billing.meter_event_adjustment",
            "cancel": {"identifier": identifier}, "created": rfc3339(sandbox.clock()),
            "event_name": name, "livemode": caller.livemode, "status": "complete",
            "type": "cancel",
        }  # fmt: skip

    return [
        ("POST", "/v2/billing/meter_event_session", open_session),
        ("POST", "/v2/billing/meter_event_stream", stream),
        ("POST", "/v2/billing/meter_events", meter_event),
        ("POST", "/v2/billing/meter_event_adjustments", adjust),
    ]


def _timestamp(given: Any, where: str) -> int | None:
    value = given.get("timestamp") if isinstance(given, dict) else None
    return None if value is None else params.parse_time(value, f"{where}timestamp") // 1000
