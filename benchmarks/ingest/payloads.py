"""Realistic, pre-signed Stripe deliveries for the ingest benchmark.

Every request is a complete HTTP/1.1 request (Stripe's delivery headers, a fresh
``Stripe-Signature``) serialised to bytes *before* the timed window, so the load
generator only writes bytes and the signing cost never lands in the measurement.

Each event carries a distinct id that starts with a per-run tag, so the rows one run
stored can be selected from the events table afterwards.
"""

from __future__ import annotations

import json
import random
import string
import struct
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appevents import sign

__all__ = [
    "ACCOUNTS",
    "SignedRequest",
    "load_requests",
    "payment_intent_succeeded",
    "presign",
    "run_tag",
    "write_requests",
]

_BASE62 = string.digits + string.ascii_letters
API_VERSION = "2024-06-20"
_SEED = 20240620  # fixed: every run sends the same population of accounts and shapes

# Stripe's deliveries carry these headers (besides Host, Content-Length and the signature).
DELIVERY_HEADERS = (
    ("Accept", "*/*; q=0.5, application/xml"),
    ("Cache-Control", "no-cache"),
    ("Content-Type", "application/json; charset=utf-8"),
    ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
)


# Random bytes mapped onto base62 by one translate(): a per-character rng.choice() made
# id generation the bulk of pre-signing time. The modulo bias is irrelevant here.
_BYTE_TO_BASE62 = bytes(ord(_BASE62[i % 62]) for i in range(256))


def _stripe_id(rng: random.Random, prefix: str, length: int = 24) -> str:
    return prefix + rng.randbytes(length).translate(_BYTE_TO_BASE62).decode()


def _accounts(count: int) -> tuple[str, ...]:
    rng = random.Random(_SEED)
    return tuple(_stripe_id(rng, "acct_1", 15) for _ in range(count))


ACCOUNTS = _accounts(100)
"""100 connected accounts that installed the app: events spread across tenants."""


def run_tag(rng: random.Random | None = None) -> str:
    """Four base62 characters that start every event id of one run."""
    rng = rng or random.Random()
    return "".join(rng.choice(_BASE62) for _ in range(4))


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits))


def _random_values(event_id: str, account: str, created: int, rng: random.Random) -> dict[str, Any]:
    """The fields that differ from one event to the next."""
    pi_id = _stripe_id(rng, "pi_3")
    order = rng.randrange(10**6, 10**7)
    amount = rng.choice((500, 1099, 1999, 2500, 4900, 12000, 35999)) + rng.randrange(100)
    return {
        "event_id": event_id,
        "account": account,
        "created": created,
        "pi_created": created - rng.randrange(2, 30),
        "pi_id": pi_id,
        "client_secret": f"{pi_id}_secret_{_stripe_id(rng, '', 25)}",
        "charge_id": _stripe_id(rng, "ch_3"),
        "pm_id": _stripe_id(rng, "pm_1"),
        "pmc_id": _stripe_id(rng, "pmc_1"),
        "customer": _stripe_id(rng, "cus_", 14),
        "amount": amount,
        "currency": rng.choice(("usd", "eur", "gbp")),
        "order": str(order),
        "description": f"Order #{order}",
        "cart_id": _stripe_id(rng, "cart_", 12),
        "email": f"customer{order}@example.com",
        "line1": f"{rng.randrange(1, 999)} Market Street",
        "request_id": _stripe_id(rng, "req_", 14),
        "idempotency_key": _stripe_id(rng, "", 32),
    }


def _document(v: dict[str, Any]) -> dict[str, Any]:
    payment_intent = {
        "id": v["pi_id"],
        "object": "payment_intent",
        "amount": v["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": v["amount"],
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": v["client_secret"],
        "confirmation_method": "automatic",
        "created": v["pi_created"],
        "currency": v["currency"],
        "customer": v["customer"],
        "description": v["description"],
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": v["charge_id"],
        "livemode": False,
        "metadata": {"order_id": v["order"], "cart_id": v["cart_id"]},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": v["pm_id"],
        "payment_method_configuration_details": {"id": v["pmc_id"], "parent": None},
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            },
            "link": {"persistent_token": None},
        },
        "payment_method_types": ["card", "link"],
        "processing": None,
        "receipt_email": v["email"],
        "review": None,
        "setup_future_usage": None,
        "shipping": {
            "address": {
                "city": "San Francisco",
                "country": "US",
                "line1": v["line1"],
                "line2": None,
                "postal_code": "94103",
                "state": "CA",
            },
            "carrier": None,
            "name": "Jenny Rosen",
            "phone": None,
            "tracking_number": None,
        },
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    return {
        "id": v["event_id"],
        "object": "event",
        "account": v["account"],
        "api_version": API_VERSION,
        "created": v["created"],
        "data": {"object": payment_intent},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": v["request_id"], "idempotency_key": v["idempotency_key"]},
        "type": "payment_intent.succeeded",
    }


def payment_intent_succeeded(
    event_id: str, account: str, created: int, rng: random.Random
) -> bytes:
    """The body of a v1 ``payment_intent.succeeded`` event with the full object.

    Stripe pretty-prints its bodies with two-space indentation; so do we, which keeps
    them at the size real deliveries have (about 2.6 KB here).
    """
    return _render(_random_values(event_id, account, created, rng))


def _make_template() -> str:
    # json.dumps(indent=2) runs the pure-Python encoder (~80 µs per event); rendering a
    # str.format template made once is ~10x faster, which keeps pre-signing a 10 s run
    # at a few seconds. Numbers are placeholders without quotes, strings with.
    sentinels = {name: f"@@{name}@@" for name in _random_values("", "", 0, random.Random(0))}
    text = json.dumps(_document(sentinels), indent=2).replace("{", "{{").replace("}", "}}")
    for name in sentinels:
        placeholder = "{" + name + "}"
        numeric = name in ("amount", "created", "pi_created")
        text = text.replace(f'"@@{name}@@"', placeholder if numeric else f'"{placeholder}"')
    return text


_TEMPLATE = _make_template()


def _render(values: dict[str, Any]) -> bytes:
    return _TEMPLATE.format_map(values).encode()


@dataclass(frozen=True, slots=True)
class SignedRequest:
    event_id: str
    raw: bytes
    """The whole HTTP/1.1 request: request line, headers and body."""


def presign(
    count: int,
    *,
    secret: str,
    host: str,
    port: int,
    tag: str,
    path: str = "/webhook",
    rng: random.Random | None = None,
) -> list[SignedRequest]:
    """``count`` signed deliveries with ids ``evt_<tag><sequence>...``, signed now."""
    rng = rng or random.Random()
    now = int(time.time())
    head_common = "".join(f"{name}: {value}\r\n" for name, value in DELIVERY_HEADERS)
    requests = []
    for sequence in range(count):
        event_id = f"evt_{tag}{_base62(sequence, 6)}{_stripe_id(rng, '', 14)}"
        account = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
        body = payment_intent_succeeded(event_id, account, now, rng)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{head_common}"
            f"Stripe-Signature: {sign(body, secret, now)}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(SignedRequest(event_id, head.encode() + body))
    return requests


# File format shared with loadgen.py and the wrk script: each request as a 10-digit
# decimal length followed by the raw bytes. Decimal, not binary, so Lua reads it simply.
_LENGTH = struct.Struct("10s")


def write_requests(path: Path, requests: Iterable[SignedRequest]) -> None:
    with path.open("wb") as out:
        for request in requests:
            out.write(b"%010d" % len(request.raw))
            out.write(request.raw)


def load_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return list(_iter_records(data))


def _iter_records(data: bytes) -> Iterator[bytes]:
    offset = 0
    while offset < len(data):
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        end = offset + int(length)
        yield data[offset:end]
        offset = end


def body_sizes(requests: Sequence[SignedRequest]) -> tuple[int, int]:
    """Smallest and largest body size in bytes."""
    sizes = [len(r.raw) - r.raw.index(b"\r\n\r\n") - 4 for r in requests]
    return min(sizes), max(sizes)
