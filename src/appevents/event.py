"""The Event value object: a Stripe v1 (snapshot) event, parsed once from the raw bytes.

The raw bytes are kept beside the parsed fields: they are what was signed, what is
stored, and what ``to_stripe()`` and replays are rebuilt from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# orjson parses a Stripe body three times as fast as json (~4 µs for 2.6 KB), a sixth of
# what the receiver's event loop spends per delivery. It is stricter (no NaN, no lone
# surrogates: a 400) and reads integers beyond 64 bits as floats, which Stripe never sends.
import orjson

from .errors import InvalidEvent

__all__ = ["Event", "EventRequest", "InvalidEvent"]

NOT_JSON = "body_not_json"
NOT_AN_EVENT = "body_not_an_event"
THIN_EVENT = "thin_event_not_supported"


@dataclass(frozen=True, slots=True)
class EventRequest:
    """The API request that caused the event; ``id`` is None for automatic events."""

    id: str | None
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    account: str | None
    """The connected account the event happened on; None for the platform's own events."""
    livemode: bool
    created: int
    api_version: str | None
    object: Mapping[str, Any] = field(repr=False)
    """``data.object``: the resource as it was when the event happened."""
    previous_attributes: Mapping[str, Any] | None = field(repr=False)
    """``data.previous_attributes`` on ``*.updated`` events, else None."""
    request: EventRequest | None = field(repr=False)
    raw: bytes = field(repr=False, compare=False)

    @property
    def object_type(self) -> str | None:
        """``data.object.object``, e.g. ``"payment_intent"``."""
        value = self.object.get("object")
        return value if isinstance(value, str) else None

    @property
    def object_id(self) -> str | None:
        value = self.object.get("id")
        return value if isinstance(value, str) else None

    @classmethod
    def parse(cls, raw: bytes) -> Event:
        """Parse the raw body of a delivery; raise :class:`InvalidEvent` if it is not one."""
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:  # invalid UTF-8 and too deep nesting included
            raise InvalidEvent(
                NOT_JSON, f"the body is not UTF-8 JSON ({exc}): expected a Stripe event object"
            ) from None
        return cls.from_dict(document, raw)

    @classmethod
    def from_dict(cls, document: Any, raw: bytes | None = None) -> Event:
        """Build an event from its decoded JSON; ``raw`` defaults to its compact encoding."""
        if not isinstance(document, dict):
            raise _not_an_event(f"the body is a JSON {type(document).__name__}, not an object")
        if document.get("object") == "v2.core.event":
            raise InvalidEvent(
                THIN_EVENT,
                "this is a thin (v2) event notification: appevents receives snapshot (v1) "
                "events; create the destination with event_payload=snapshot",
            )
        if document.get("object") != "event":
            raise _not_an_event(f'"object" is {document.get("object")!r}, expected "event"')
        event_id = _required(document, "id", str)
        # NUL never occurs in Stripe's ids and PostgreSQL cannot store it in text.
        if not event_id.startswith("evt_") or len(event_id) > 255 or "\x00" in event_id:
            raise _not_an_event(f'"id" {event_id[:80]!r} does not look like evt_...')
        event_type = _required(document, "type", str)
        if not event_type or len(event_type) > 255 or "\x00" in event_type:
            raise _not_an_event(f'"type" {event_type[:80]!r} is not an event type')
        created = _required(document, "created", int)
        if not 0 <= created < 10**11:
            raise _not_an_event(f'"created" {created!r} is not a Unix time in seconds')
        livemode = _required(document, "livemode", bool)
        account = document.get("account")
        if account is not None and not (
            isinstance(account, str) and account.startswith("acct_") and "\x00" not in account
        ):
            raise _not_an_event(f'"account" {account!r} is not an acct_... id or null')
        api_version = document.get("api_version")
        if api_version is not None and not isinstance(api_version, str):
            raise _not_an_event(f'"api_version" {api_version!r} is not a string or null')
        data = _required(document, "data", dict)
        obj = data.get("object")
        if not isinstance(obj, dict):
            raise _not_an_event('"data.object" is missing or not an object')
        previous = data.get("previous_attributes")
        if previous is not None and not isinstance(previous, dict):
            raise _not_an_event('"data.previous_attributes" is not an object')
        return cls(
            id=event_id,
            type=event_type,
            account=account,
            livemode=livemode,
            created=created,
            api_version=api_version,
            object=obj,
            previous_attributes=previous,
            request=_parse_request(document.get("request")),
            raw=raw if raw is not None else json.dumps(document, separators=(",", ":")).encode(),
        )

    def to_dict(self) -> dict[str, Any]:
        """The event as decoded JSON (a fresh copy)."""
        result: dict[str, Any] = orjson.loads(self.raw)
        return result

    def to_stripe(self) -> Any:
        """This event as a ``stripe.Event`` (needs the ``stripe`` extra)."""
        try:
            import stripe
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise ImportError(
                "Event.to_stripe() needs the stripe library: pip install 'appevents[stripe]'"
            ) from None
        return stripe.Event.construct_from(self.to_dict(), None)


def _required(document: dict[str, Any], key: str, kind: type) -> Any:
    value = document.get(key)
    # bool is an int subclass: "created": true must not pass as a timestamp.
    if value is None or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _not_an_event(f'"{key}" is {value!r}, expected {kind.__name__}')
    return value


def _parse_request(value: Any) -> EventRequest | None:
    if value is None:
        return None
    if isinstance(value, str):  # API versions before 2017-05-25 sent the request id alone
        return EventRequest(id=value, idempotency_key=None)
    if not isinstance(value, dict):
        raise _not_an_event(f'"request" is {value!r}, expected an object or null')
    request_id, key = value.get("id"), value.get("idempotency_key")
    if not (request_id is None or isinstance(request_id, str)) or not (
        key is None or isinstance(key, str)
    ):
        raise _not_an_event(f'"request" {value!r} has non-string id or idempotency_key')
    return EventRequest(id=request_id, idempotency_key=key)


def _not_an_event(why: str) -> InvalidEvent:
    return InvalidEvent(NOT_AN_EVENT, f"the body is not a Stripe event: {why}")
