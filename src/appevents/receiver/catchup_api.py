"""The catch-up's side of Stripe's API: one page of ``GET /v1/events`` at a time.

httpx against ``api_base`` with the platform's key, as handlers' fetches are
(``stripe_api``), every request after a token of the rate limiter. A 429 or a 5xx is
asked again after a pause (a catch-up runs long, and Stripe's rate limit counts the
app's other traffic too); anything else fails the account's catch-up with Stripe's
message and what to fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import ConfigurationError, StripeAPIError
from .catchup import TokenBucket, Window
from .stripe_api import DEFAULT_API_BASE, DEFAULT_TIMEOUT, checked_api_base, json_body, stripe_error

__all__ = ["EventsAPI", "Page"]

PAGE_SIZE = 100  # Stripe's largest page
_RETRIES = 5
_FIXES = {
    401: "check --api-key (APPEVENTS_API_KEY): it must be the platform's secret key (sk_...)",
    403: "the key may not list account {account}'s events: is the app still installed "
    "there, and does its stripe-app.json grant event_read?",
    404: "is --api-base ({base}) Stripe's API, and the starting_after event still kept (30 days)?",
}


@dataclass(frozen=True, slots=True)
class Page:
    events: list[dict[str, Any]]
    """Newest first, as Stripe lists them; each with ``account`` when it is an installed
    account's (as a Connect delivery names it)."""
    has_more: bool


class EventsAPI:
    """Lists an account's events (None: the platform's own) page by page."""

    def __init__(
        self,
        api_key: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        limiter: TokenBucket,
        timeout: float = DEFAULT_TIMEOUT,
        retry_pause: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError(
                f"catch-up needs the platform's secret key (sk_...), got {api_key!r}: pass "
                "--api-key or set APPEVENTS_API_KEY (or App(api_key=...))"
            )
        self.api_base = checked_api_base(api_base)
        self.api_key = api_key
        self.limiter = limiter
        self.retry_pause = retry_pause
        self.page_size = page_size
        self.requests = 0
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=self.api_base, timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def page(
        self, account: str | None, window: Window, starting_after: str | None = None
    ) -> Page:
        params: dict[str, str | int] = {
            "limit": self.page_size,
            "created[gte]": window.start,
            "created[lt]": window.end,
        }
        if starting_after is not None:
            params["starting_after"] = starting_after
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if account is not None:
            headers["Stripe-Account"] = account
        body = await self._get(params, headers, account)
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            raise StripeAPIError(
                f"GET {self.api_base}/v1/events answered a list without a data array: is "
                f"--api-base ({self.api_base}) Stripe's API?",
                status=200,
                url=f"{self.api_base}/v1/events",
            )
        if account is not None:
            # A Connect delivery names the account; a listed event may not: name it, so
            # the caught-up event is stored under the account it happened on.
            data = [e if e.get("account") else {**e, "account": account} for e in data]
        return Page(events=data, has_more=bool(body.get("has_more")))

    async def _get(
        self, params: dict[str, str | int], headers: dict[str, str], account: str | None
    ) -> dict[str, Any]:
        url = f"{self.api_base}/v1/events"
        for attempt in range(_RETRIES + 1):
            await self.limiter.acquire()
            self.requests += 1
            try:
                response = await self._client.get("/v1/events", params=params, headers=headers)
            except httpx.HTTPError as exc:
                if attempt < _RETRIES:
                    await self._sleep(self.retry_pause * 2**attempt)
                    continue
                raise StripeAPIError(
                    f"GET {url} for {_whose(account)}: no answer ({type(exc).__name__}: "
                    f"{exc}); is --api-base ({self.api_base}) reachable?",
                    status=None,
                    url=url,
                ) from None
            if (response.status_code == 429 or response.status_code >= 500) and (
                attempt < _RETRIES
            ):
                await self._sleep(self.retry_pause * 2**attempt)
                continue
            return self._answer(response, url, account)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, response: httpx.Response, url: str, account: str | None) -> dict[str, Any]:
        body = json_body(response)
        if response.is_success and isinstance(body, dict):
            return body
        if response.is_success:
            raise StripeAPIError(
                f"GET {url} answered {response.status_code} with a body that is not a JSON "
                f"object ({response.content[:120]!r}): is --api-base ({self.api_base}) "
                "Stripe's API?",
                status=response.status_code,
                url=url,
            )
        code, message, said = stripe_error(body, response)
        fix = _FIXES.get(response.status_code, "see Stripe's message").format(
            account=account, base=self.api_base
        )
        raise StripeAPIError(
            f"GET {url} for {_whose(account)} answered {response.status_code}: {said}"
            + (f" ({code})" if code else "")
            + f"; {fix}",
            status=response.status_code,
            code=code,
            stripe_message=message,
            url=url,
        )


def _whose(account: str | None) -> str:
    return "the platform's own events" if account is None else f"account {account}'s events"
