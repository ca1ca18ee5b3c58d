"""What the payments behaviours' tests share: the events a sandbox emitted, in order, and
the calls that make a payment with one of Stripe's test methods."""

from __future__ import annotations

from typing import Any

import stripe


def event_types(client: stripe.StripeClient, since: int = 0) -> list[str]:
    """The types of the events emitted after the first ``since``, oldest first."""
    return [event.type for event in events(client)[since:]]


def events(client: stripe.StripeClient) -> list[Any]:
    listed = client.v1.events.list({"limit": 100}).data
    return list(reversed(listed))


def intent(client: stripe.StripeClient, method: str, **params: Any) -> Any:
    """A payment intent of 2000 usd confirmed with ``method`` (a test name or an id)."""
    return client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "confirm": True, "payment_method": method,
         "payment_method_types": ["card"], **params}
    )  # fmt: skip


def card_error(client: stripe.StripeClient, method: str, **params: Any) -> stripe.CardError:
    """The 402 a confirmation with a declining ``method`` answers."""
    try:
        intent(client, method, **params)
    except stripe.CardError as error:
        return error
    raise AssertionError(f"{method} did not decline")
