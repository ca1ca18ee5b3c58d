"""What the v2 tests share: a StripeClient on the sandbox for v2 (and the meter event
host), thin destinations to a real receiver, and reading what it was sent."""

from __future__ import annotations

import json
from typing import Any

import stripe

from sandbox_fixtures import Receiver, RunningSandbox, wait_for


def v2_client(sandbox: RunningSandbox, key: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(
        key or sandbox.key,
        base_addresses={"api": sandbox.base, "meter_events": sandbox.base},
        max_network_retries=0,
    )


def thin_destination(client: stripe.StripeClient, url: str, types: list[str], **extra: Any) -> Any:
    return client.v2.core.event_destinations.create({
        "name": "thin", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": types, "webhook_endpoint": {"url": url},
        "include": ["webhook_endpoint.signing_secret", "webhook_endpoint.url"], **extra,
    })  # fmt: skip


def bodies(receiver: Receiver, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The first ``count`` bodies the receiver got, once it got them."""
    wait_for(lambda: len(receiver.received) >= count, timeout)
    return [json.loads(body) for _, body in receiver.received[:count]]


def manifest(app_id: str, version: str, permissions: list[str]) -> dict[str, Any]:
    """A stripe-app.json of ``app_id`` granting ``permissions``, for `/_sandbox/apps`."""
    name = app_id.rsplit(".", 1)[-1].capitalize()
    return {
        "id": app_id, "version": version, "name": name, "icon": "",
        "permissions": [{"permission": p, "purpose": f"{name} needs it"} for p in permissions],
    }  # fmt: skip
