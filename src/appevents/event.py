"""The Event value object: a Stripe event, parsed once from the raw bytes.

Two kinds arrive at a webhook endpoint, signed alike, and both become one ``Event`` so a
handler, the stores and the worker treat them the same:

- a v1 **snapshot** event (``"object": "event"``): the resource as it was, in ``object``;
- a v2 **thin** event notification (``"object": "v2.core.event"``, ``thin`` is True): no
  snapshot, a reference to the resource (``related_object``) and the account it happened
  on (``context``); its full event and the resource are fetched through the API
  (``ctx.fetch_event()``, ``ctx.fetch_related_object()``).

``account`` is the account either kind happened on (a thin event's ``context``, its last
segment when the context is a path), so per-account ordering and the installation
lifecycle need no second case. ``created`` is whole Unix seconds for both (a thin
event's RFC 3339 time rounded down; the text itself is ``created_at``).

The raw bytes are kept beside the parsed fields: they are what was signed, what is
stored, and what ``to_stripe()`` and replays are rebuilt from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# orjson parses a Stripe body three times as fast as json (~4 µs for 2.6 KB), a sixth of
# what the receiver's event loop spends per delivery. It is stricter (no NaN, no lone
# surrogates: a 400) and reads integers beyond 64 bits as floats, which Stripe never sends.
import orjson

from .errors import ConfigurationError, InvalidEvent

__all__ = ["Event", "EventRequest", "InvalidEvent", "RelatedObject", "ThinDetails"]

NOT_JSON = "body_not_json"
NOT_AN_EVENT = "body_not_an_event"
THIN = "v2.core.event"

# RFC 3339 as Stripe writes it (2026-12-07T20:00:00.123Z); fromisoformat alone would also
# take dates without a time, week dates and other ISO 8601 forms Stripe never sends.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


@dataclass(frozen=True, slots=True)
class EventRequest:
    """The API request that caused the event; ``id`` is None for automatic events."""

    id: str | None
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class RelatedObject:
    """What a thin event is about: ``url`` is the API path that retrieves it."""

    id: str
    type: str
    url: str


@dataclass(frozen=True, slots=True)
class ThinDetails:
    """The fields of a thin notification that a snapshot event does not have."""

    context: str | None
    related_object: RelatedObject | None
    created_at: str
    data: Mapping[str, Any] | None


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
    """The API request behind it (a thin event's ``reason.request``); None if automatic."""
    raw: bytes = field(repr=False, compare=False)
    thin_details: ThinDetails | None = field(default=None, repr=False)
    """What only a thin notification has (one field, not five: the v1 parse stays fast)."""

    @property
    def thin(self) -> bool:
        """A v2 thin notification: ``object`` is empty; fetch the event or the resource."""
        return self.thin_details is not None

    @property
    def context(self) -> str | None:
        """A thin event's ``context`` as sent (the account, maybe as a path); else None."""
        return None if self.thin_details is None else self.thin_details.context

    @property
    def related_object(self) -> RelatedObject | None:
        """A thin event's ``related_object``, when its type has one."""
        return None if self.thin_details is None else self.thin_details.related_object

    @property
    def created_at(self) -> str | None:
        """A thin event's ``created`` as sent (RFC 3339, milliseconds); None for v1 events."""
        return None if self.thin_details is None else self.thin_details.created_at

    @property
    def data(self) -> Mapping[str, Any] | None:
        """A thin notification's ``data``, for the few types that carry it in the notification."""
        return None if self.thin_details is None else self.thin_details.data

    @property
    def object_type(self) -> str | None:
        """``data.object.object`` (e.g. ``"payment_intent"``), or ``related_object.type``."""
        if self.related_object is not None:
            return self.related_object.type
        value = self.object.get("object")
        return value if isinstance(value, str) else None

    @property
    def object_id(self) -> str | None:
        """``data.object.id``, or ``related_object.id``."""
        if self.related_object is not None:
            return self.related_object.id
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
        kind = document.get("object")
        if kind != "event":
            if kind == THIN:
                return _thin(document, raw)
            raise _not_an_event(f'"object" is {kind!r}, expected "event" or "{THIN}"')
        event_id, event_type = _id_and_type(document)
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

    def to_stripe(self, client: Any = None) -> Any:
        """This event as stripe-python gives it (needs the ``stripe`` extra).

        A v1 event: a ``stripe.Event``. A thin event: the ``EventNotification`` subclass
        ``StripeClient.parse_event_notification`` returns for its type, bound to
        ``client`` (a ``stripe.StripeClient``, required: its ``fetch_event()`` and
        ``fetch_related_object()`` call the API with that client's key).
        """
        try:
            import stripe
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise ImportError(
                "Event.to_stripe() needs the stripe library: pip install 'appevents[stripe]'"
            ) from None
        if not self.thin:
            return stripe.Event.construct_from(self.to_dict(), None)
        if not isinstance(client, stripe.StripeClient):
            raise ConfigurationError(
                f"thin event {self.id}: to_stripe() got client={client!r}; pass the "
                "stripe.StripeClient its notification fetches with, as in "
                "event.to_stripe(stripe.StripeClient(api_key))"
            )
        return client.parse_event_notification_without_verification(self.raw)


def _id_and_type(document: dict[str, Any]) -> tuple[str, str]:
    event_id = _required(document, "id", str)
    # NUL never occurs in Stripe's ids and PostgreSQL cannot store it in text.
    if not event_id.startswith("evt_") or len(event_id) > 255 or "\x00" in event_id:
        raise _not_an_event(f'"id" {event_id[:80]!r} does not look like evt_...')
    event_type = _required(document, "type", str)
    if not event_type or len(event_type) > 255 or "\x00" in event_type:
        raise _not_an_event(f'"type" {event_type[:80]!r} is not an event type')
    return event_id, event_type


def _thin(document: dict[str, Any], raw: bytes | None) -> Event:
    """A v2 thin event notification, checked as stripe-python's parse would need it."""
    event_id, event_type = _id_and_type(document)
    created_at = _required(document, "created", str)
    livemode = _required(document, "livemode", bool)
    context = document.get("context")
    account = None
    if context is not None:
        segments = context.split("/") if isinstance(context, str) else [""]
        if not all(segments) or len(context) > 255 or "\x00" in context:
            raise _not_an_event(
                f'"context" {str(context)[:80]!r} is not an account context (acct_...) or null'
            )
        account = segments[-1]
    data = document.get("data")
    if data is not None and not isinstance(data, dict):
        raise _not_an_event(f'"data" {data!r} is not an object')
    return Event(
        id=event_id,
        type=event_type,
        account=account,
        livemode=livemode,
        created=_rfc3339_seconds(created_at),
        api_version=None,  # thin events are unversioned
        object={},
        previous_attributes=None,
        request=_reason_request(document.get("reason")),
        raw=raw if raw is not None else json.dumps(document, separators=(",", ":")).encode(),
        thin_details=ThinDetails(
            context=context,
            related_object=_related_object(document.get("related_object")),
            created_at=created_at,
            data=data,
        ),
    )


def _rfc3339_seconds(text: str) -> int:
    parsed = None
    match = _RFC3339.fullmatch(text)
    if match is not None:
        fraction = match.group(1) or ""
        # fromisoformat takes at most microseconds; Stripe sends milliseconds.
        trimmed = text[: match.start(1)] + fraction[:7] + text[match.end(1) :] if fraction else text
        try:
            parsed = datetime.fromisoformat(trimmed)
        except ValueError:  # 2026-13-45T...: the right shape, not a date
            parsed = None
    if parsed is None:
        raise _not_an_event(
            f'"created" {text[:80]!r} is not an RFC 3339 time such as "2026-12-07T20:00:00.123Z"'
        )
    seconds = int(parsed.timestamp() // 1)
    if not 0 <= seconds < 10**11:
        raise _not_an_event(f'"created" {text!r} is not a time after 1970')
    return seconds


def _related_object(value: Any) -> RelatedObject | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(key), str) and value[key] and "\x00" not in value[key]
        for key in ("id", "type", "url")
    ):
        raise _not_an_event(
            f'"related_object" {str(value)[:120]!r} needs string "id", "type" and "url"'
        )
    if not value["url"].startswith("/v"):
        raise _not_an_event(
            f'"related_object.url" {value["url"][:80]!r} is not an API path such as '
            '"/v1/billing/meters/mtr_..."'
        )
    return RelatedObject(id=value["id"], type=value["type"], url=value["url"])


def _reason_request(value: Any) -> EventRequest | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise _not_an_event(f'"reason" {str(value)[:120]!r} is not an object with a "type"')
    if value["type"] != "request":
        return None
    request = value.get("request")
    # stripe-python reads reason.request.id and .idempotency_key when the type is request.
    if not isinstance(request, dict) or not all(
        isinstance(request.get(key), str) for key in ("id", "idempotency_key")
    ):
        raise _not_an_event(
            f'"reason.request" {str(request)[:120]!r} needs string "id" and "idempotency_key"'
        )
    return EventRequest(id=request["id"], idempotency_key=request["idempotency_key"])


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
