"""Shared fixtures: stores of every kind, event builders, servers on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from appevents import Event

pytest_plugins = ["anyio", "sandbox_fixtures"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def build_event(
    n: int,
    *,
    account: str | None = "acct_1",
    created: int | None = None,
    event_type: str = "payment_intent.succeeded",
    livemode: bool = False,
) -> Event:
    doc = {
        "id": f"evt_{n:06d}",
        "object": "event",
        "type": event_type,
        "livemode": livemode,
        "created": 1_700_000_000 + n if created is None else created,
        "data": {"object": {"id": f"pi_{n}", "object": "payment_intent", "amount": n}},
    }
    if account is not None:
        doc["account"] = account
    return Event.parse(json.dumps(doc).encode())


@pytest.fixture
def make_event():
    return build_event
