"""`appevents listen --all-thin` against a running sandbox: thin events arrive signed with
the device's secret (stripe-python verifies them), each once, beside the snapshot events
it asked for; without the flag, none."""

from __future__ import annotations

import asyncio
import json

import stripe

from appevents.listener import Listener, ListenOptions
from sandbox_fixtures import Receiver, RunningSandbox
from servers import asgi_server


def listen_while(
    sandbox: RunningSandbox, options: ListenOptions, hooks: Receiver, want: int
) -> str:
    """Run the listener, meanwhile one meter event without a meter and one customer."""
    client = stripe.StripeClient(sandbox.key, base_addresses={"api": sandbox.base})

    async def scenario() -> str:
        stop = asyncio.Event()
        ready = asyncio.Event()
        listener = Listener(options, out=lambda line: None,
                            status=lambda line: ready.set() if "Ready!" in line else None)  # fmt: skip
        running = asyncio.create_task(listener.run(stop))
        await asyncio.wait_for(ready.wait(), 10)
        await asyncio.sleep(0.2)  # the stream is open
        await asyncio.to_thread(client.v1.billing.meter_events.create,
                                params={"event_name": "nothing_meters_this",
                                        "payload": {"value": "1"}})  # fmt: skip
        await asyncio.to_thread(client.v1.customers.create)
        for _ in range(250):
            if len(hooks.received) >= want:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # room for a wrong extra forward to show
        stop.set()
        await running
        assert listener.secret is not None
        return listener.secret

    return asyncio.run(scenario())


def test_all_thin_forwards_thin_events_verifiable_by_stripe_python_and_snapshots_asked(
    sandbox: RunningSandbox,
):
    hooks = Receiver()
    with asgi_server(hooks) as base:
        options = ListenOptions(sandbox.base, sandbox.key, device_name="thin",
                                forward_to=base, events=("customer.created",), all_thin=True)  # fmt: skip
        secret = listen_while(sandbox, options, hooks, want=2)
    client = stripe.StripeClient(sandbox.key)
    objects = sorted(json.loads(body)["object"] for _, body in hooks.received)
    assert objects == ["event", "v2.core.event"]
    headers, body = next((h, b) for h, b in hooks.received if b'"v2.core.event"' in b)
    notification = client.parse_event_notification(body, headers["stripe-signature"], secret)
    assert notification.type == "v1.billing.meter.no_meter_found"


def test_without_all_thin_no_thin_event_is_forwarded(sandbox: RunningSandbox):
    hooks = Receiver()
    with asgi_server(hooks) as base:
        options = ListenOptions(sandbox.base, sandbox.key, device_name="snap", forward_to=base)
        listen_while(sandbox, options, hooks, want=1)
    assert [json.loads(body)["type"] for _, body in hooks.received] == ["customer.created"]
