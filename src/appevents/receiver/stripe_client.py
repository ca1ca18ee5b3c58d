"""``ctx.stripe``: a ``stripe.StripeClient`` acting as the event's account.

A handler that calls Stripe for the installing account (retrieve the payment's customer,
create an invoice item, read the account on install) gets a client with
``stripe_account`` set to the event's account, the App's key, API base (the sandbox's
URL in tests) and version. For the platform's own events (no account) it has no
``Stripe-Account``.

One client per account, made on first use and kept (the most recently used
``MAX_ACCOUNTS``); all share one HTTP connection pool, so keeping many is cheap. The pool
serves both the sync methods and stripe-python's ``*_async`` ones (for ``async def``
handlers). ``stripe`` is an optional dependency: ``pip install 'appevents[stripe]'``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from .stripe_api import DEFAULT_API_BASE, checked_api_base

if TYPE_CHECKING:
    import stripe

__all__ = ["MAX_ACCOUNTS", "StripeClients"]

MAX_ACCOUNTS = 1024
"""Accounts whose clients are kept; one used after that many others is made again."""
DEFAULT_TIMEOUT = 30.0


class StripeClients:
    """The App's ``stripe.StripeClient`` per account (``None``: the platform itself)."""

    def __init__(
        self,
        api_key: str | None,
        api_base: str = DEFAULT_API_BASE,
        *,
        api_version: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_accounts: int = MAX_ACCOUNTS,
    ) -> None:
        self.api_key = api_key
        self.api_base = checked_api_base(api_base)
        self.api_version = api_version
        self.timeout = timeout
        self.max_accounts = max_accounts
        self._clients: OrderedDict[str | None, stripe.StripeClient] = OrderedDict()
        self._http: Any = None
        self._lock = threading.Lock()  # sync handlers run on the store's thread

    def for_account(self, account: str | None) -> stripe.StripeClient:
        """The client acting as ``account`` (its ``Stripe-Account``); made on first use."""
        with self._lock:
            client = self._clients.get(account)
            if client is not None:
                self._clients.move_to_end(account)
                return client
            client = self._new(account)
            self._clients[account] = client
            if len(self._clients) > self.max_accounts:
                self._clients.popitem(last=False)
            return client

    async def aclose(self) -> None:
        """Close the shared connections (idempotent); the next use opens new ones."""
        with self._lock:
            http, self._http = self._http, None
            self._clients.clear()
        if http is not None:
            http.close()
            await http.close_async()

    def _new(self, account: str | None) -> stripe.StripeClient:
        if self.api_key is None:
            raise ConfigurationError(
                "ctx.stripe needs the platform's secret key: App(api_key='sk_...'), "
                "appevents serve --api-key, or APPEVENTS_API_KEY"
            )
        lib = _stripe_library()
        if self._http is None:
            # httpx is already a dependency; one pool for every account, sync and async.
            self._http = lib.HTTPXClient(timeout=self.timeout, allow_sync_methods=True)
        bases: dict[str, str] = {"api": self.api_base}
        if self.api_base != DEFAULT_API_BASE:
            bases["meter_events"] = self.api_base  # the sandbox serves meter events too
        client: stripe.StripeClient = lib.StripeClient(
            self.api_key,
            stripe_account=account,
            stripe_version=self.api_version,
            base_addresses=bases,
            http_client=self._http,
        )
        return client


def _stripe_library() -> Any:
    try:
        import stripe
    except ImportError:
        raise ConfigurationError(
            "ctx.stripe needs the stripe library, which is not installed: "
            "pip install 'appevents[stripe]'"
        ) from None
    return stripe
