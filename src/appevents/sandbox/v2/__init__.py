"""Stripe's ``/v2`` API in the sandbox: thin events (``/v2/core/events``), event
destinations (``/v2/core/event_destinations``), the meter event API
(``/v2/billing/...``) and the Accounts API (``/v2/core/accounts``, their persons, account
links). JSON bodies in, v2's error shape out (errors.py)."""

from __future__ import annotations

from ..service import Sandbox
from . import account_links, accounts, billing, destinations, events_api, persons
from .calls import Route
from .twins import thin_twins

__all__ = ["routes"]


def routes(sandbox: Sandbox) -> list[Route]:
    """``(method, path, run)`` of every v2 operation, for api.py's list; v1 events get
    their thin twins from now on (the API that serves them is in place)."""
    sandbox.on_emitted = thin_twins(sandbox)
    return [
        *events_api.routes(sandbox), *destinations.routes(sandbox), *billing.routes(sandbox),
        *accounts.routes(sandbox), *persons.routes(sandbox), *account_links.routes(sandbox),
    ]  # fmt: skip
