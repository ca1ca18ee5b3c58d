"""Helpers for testing an app's handlers: build Stripe-shaped events and sign them.

    body = make_event("payment_intent.succeeded", account="acct_1",
                      object={"amount_received": 1200, "currency": "eur"})
    headers = signed_headers(body, "whsec_test")
    httpx.post("http://127.0.0.1:4242/webhook", content=body, headers=headers)

The object has every field of Stripe's sample for the event's resource, with fresh values
in the state the event's name says (``payment_intent.succeeded``: status ``succeeded``, the
whole amount received, nothing canceled or failed; see ``appevents.catalog.fresh``), then
what you pass; handlers see every field they would in production, and no placeholder.

``make_thin_event`` builds a v2 thin event notification the same way:

    body = make_thin_event("v1.billing.meter.no_meter_found", context="acct_1",
                           related_object={"id": "mtr_1", "type": "billing.meter",
                                           "url": "/v1/billing/meters/mtr_1"})
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import UnknownName
from .signature import sign

__all__ = ["make_event", "make_thin_event", "new_id", "signed_headers"]

_counter = itertools.count(1)

STRIPE_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
}


def new_id(prefix: str) -> str:
    """A fresh Stripe-looking id such as ``evt_1Q2w3E4r5T6y7U8i9O0pAbCd``."""
    return f"{prefix}_{next(_counter):06d}{secrets.token_hex(8)}"


def make_event(
    event_type: str,
    *,
    account: str | None = None,
    livemode: bool = False,
    created: int | None = None,
    object: Mapping[str, Any] | None = None,
    previous_attributes: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    api_version: str = "2024-06-20",
) -> bytes:
    """The JSON body of a v1 snapshot event, as Stripe would deliver it."""
    when = int(time.time()) if created is None else created
    data: dict[str, Any] = {"object": _object_for(event_type, object or {}, when, livemode)}
    if previous_attributes is not None:
        data["previous_attributes"] = dict(previous_attributes)
    document: dict[str, Any] = {
        "id": event_id or new_id("evt"),
        "object": "event",
        "account": account,
        "api_version": api_version,
        "created": when,
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account is None:
        del document["account"]
    return json.dumps(document, separators=(",", ":")).encode()


def make_thin_event(
    event_type: str,
    *,
    context: str | None = None,
    related_object: Mapping[str, str] | None = None,
    livemode: bool = False,
    created: float | None = None,
    event_id: str | None = None,
    request_id: str | None = None,
) -> bytes:
    """The JSON body of a v2 thin event notification, as an event destination delivers it.

    ``created`` is Unix seconds (now by default), written as Stripe writes it: RFC 3339
    in UTC with milliseconds. ``request_id`` makes the reason a request (with an
    idempotency key); without it the notification has no reason.
    """
    when = time.time() if created is None else created
    stamp = datetime.fromtimestamp(when, UTC)
    document: dict[str, Any] = {
        "id": event_id or new_id("evt_test"),
        "object": "v2.core.event",
        "type": event_type,
        "livemode": livemode,
        "created": f"{stamp:%Y-%m-%dT%H:%M:%S}.{stamp.microsecond // 1000:03d}Z",
    }
    if context is not None:
        document["context"] = context
    if related_object is not None:
        document["related_object"] = dict(related_object)
    if request_id is not None:
        document["reason"] = {
            "type": "request",
            "request": {"id": request_id, "idempotency_key": new_id("key")},
        }
    return json.dumps(document, separators=(",", ":")).encode()


def signed_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Stripe's delivery headers for ``body``, with a fresh ``Stripe-Signature``."""
    return {**STRIPE_HEADERS, "Stripe-Signature": sign(body, secret, timestamp)}


def _object_for(
    event_type: str, given: Mapping[str, Any], now: int, livemode: bool
) -> dict[str, Any]:
    from .catalog import object_type_for
    from .catalog.fresh import event_object

    try:
        resource = object_type_for(event_type)
    except UnknownName:
        return {"id": new_id("obj"), "object": event_type.rsplit(".", 1)[0], **given}
    return event_object(
        event_type, resource, given=given, now=now, new_id=new_id, livemode=livemode
    )
