"""What a handler fetches through Stripe's API: the full event and the related object.

A thin event notification names its event and the object it is about, no more; the
handler reads them with ``ctx.fetch_event()`` and ``ctx.fetch_related_object()`` (or the
``_async`` ones in an ``async def`` handler), as the account the event happened on:
``Stripe-Context: <context>`` on /v2 paths, ``Stripe-Account: <account>`` on /v1 paths,
with the API key and base URL given to ``App(api_key=..., api_base=...)``.

httpx rather than stripe-python's ``StripeClient``: httpx is already a dependency while
``stripe`` is an optional extra, the handler needs two GETs and decoded JSON (what
``Event.object`` is for a snapshot event), and the errors must be this project's, with
the status, Stripe's message and the fix. A sync handler gets ``httpx.Client`` (it runs
on the store's thread, where waiting blocks nobody else's handler), an async one
``httpx.AsyncClient`` on the worker's loop. Someone who wants stripe-python's objects
has ``event.to_stripe(stripe.StripeClient(key))``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from ..errors import ConfigurationError, StripeAPIError
from ..event import Event

__all__ = [
    "DEFAULT_API_BASE",
    "V2_API_VERSION",
    "APIRequest",
    "StripeAPI",
    "checked_api_base",
    "json_body",
    "stripe_error",
]

DEFAULT_API_BASE = "https://api.stripe.com"
V2_API_VERSION = "2026-10-28.endive"
"""Sent on /v2 requests when no ``api_version`` is set: Stripe's /v2 API wants a version
(the one stripe-python 16.1.0 pins)."""
DEFAULT_TIMEOUT = 20.0

_FIXES = {
    400: "Stripe refused the request itself: is api_base ({base}) Stripe's API?",
    401: "check the API key (App(api_key=...), appevents serve --api-key or "
    "APPEVENTS_API_KEY): it must be the platform's secret key (sk_...) of the event's mode",
    403: "the key may not read this on account {account}: does the app's stripe-app.json "
    "grant the permission for {what}, and is the app still installed there?",
    404: "nothing by that id for this key and account: is the key of the event's mode "
    "(livemode={livemode}), or is the event older than Stripe keeps (30 days)?",
    429: "rate limited: the handler's attempt fails and the worker retries it later",
}
_SERVER_FIX = "Stripe's side failed: the handler's attempt fails and the worker retries it later"


@dataclass(frozen=True, slots=True)
class APIRequest:
    """One GET: the path on the API base, the headers that give it its account."""

    path: str
    headers: dict[str, str]
    event: Event


class StripeAPI:
    def __init__(
        self,
        api_key: str | None,
        api_base: str = DEFAULT_API_BASE,
        *,
        api_version: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
            raise ConfigurationError(
                f"api_key {api_key!r} is not a key: pass the platform's secret key (sk_...)"
            )
        self.api_base = checked_api_base(api_base)
        self.api_key = api_key
        self.api_version = api_version
        self.timeout = timeout
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._lock = threading.Lock()

    # -- what to ask ------------------------------------------------------------------------

    def event_request(self, event: Event) -> APIRequest:
        """The full event: ``/v2/core/events/{id}`` for a thin one, else ``/v1/events/{id}``."""
        version = "v2/core" if event.thin else "v1"
        return self._request(f"/{version}/events/{quote(event.id, safe='')}", event)

    def related_object_request(self, event: Event) -> APIRequest | None:
        """The thin event's ``related_object.url``; None when it has none."""
        if event.related_object is None:
            return None
        return self._request(event.related_object.url, event)

    def _request(self, path: str, event: Event) -> APIRequest:
        if self.api_key is None:
            raise ConfigurationError(
                f"fetching {path} for event {event.id} needs the platform's secret key: "
                "App(api_key='sk_...'), appevents serve --api-key, or APPEVENTS_API_KEY"
            )
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Stripe-Request-Trigger": f"event={event.id}",
        }
        if path.startswith("/v2/"):
            if event.context is not None:
                headers["Stripe-Context"] = event.context
            headers["Stripe-Version"] = self.api_version or V2_API_VERSION
        else:
            if event.account is not None:
                headers["Stripe-Account"] = event.account
            if self.api_version is not None:
                headers["Stripe-Version"] = self.api_version
        return APIRequest(path, headers, event)

    # -- asking -----------------------------------------------------------------------------

    def get(self, request: APIRequest) -> dict[str, Any]:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(base_url=self.api_base, timeout=self.timeout)
            client = self._client
        try:
            response = client.get(request.path, headers=request.headers)
        except httpx.HTTPError as exc:
            raise self._unanswered(request, exc) from None
        return self._answer(request, response)

    async def get_async(self, request: APIRequest) -> dict[str, Any]:
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(base_url=self.api_base, timeout=self.timeout)
        try:
            response = await self._async_client.get(request.path, headers=request.headers)
        except httpx.HTTPError as exc:
            raise self._unanswered(request, exc) from None
        return self._answer(request, response)

    async def aclose(self) -> None:
        """Close both clients (idempotent); the next fetch opens them again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
        async_client, self._async_client = self._async_client, None
        if async_client is not None:
            await async_client.aclose()

    # -- answers ----------------------------------------------------------------------------

    def _unanswered(self, request: APIRequest, exc: httpx.HTTPError) -> StripeAPIError:
        return StripeAPIError(
            f"GET {self.api_base}{request.path} for event {request.event.id}: no answer "
            f"({type(exc).__name__}: {exc}); is api_base ({self.api_base}) reachable? The "
            "handler's attempt fails and the worker retries it later",
            status=None,
            url=self.api_base + request.path,
        )

    def _answer(self, request: APIRequest, response: httpx.Response) -> dict[str, Any]:
        url = self.api_base + request.path
        body = json_body(response)
        if response.is_success and isinstance(body, dict):
            return body
        event = request.event
        if response.is_success:
            raise StripeAPIError(
                f"GET {url} for event {event.id} answered {response.status_code} with a body "
                f"that is not a JSON object ({response.content[:120]!r}): is api_base "
                f"({self.api_base}) Stripe's API?",
                status=response.status_code,
                url=url,
            )
        code, message, said = stripe_error(body, response)
        fix = _FIXES.get(response.status_code)
        if fix is None:
            fix = _SERVER_FIX if response.status_code >= 500 else "see Stripe's message"
        what = event.related_object.type if event.related_object else event.type
        fix = fix.format(
            base=self.api_base, account=event.account, what=what, livemode=event.livemode
        )
        raise StripeAPIError(
            f"GET {url} for event {event.id} (account {event.account}) answered "
            f"{response.status_code}: {said}" + (f" ({code})" if code else "") + f"; {fix}",
            status=response.status_code,
            code=code,
            stripe_message=message,
            url=url,
        )


# -- shared with the catch-up's EventsAPI and ctx.stripe's StripeClients ----------------------


def checked_api_base(api_base: object) -> str:
    """``api_base`` without its trailing ``/``; ConfigurationError unless an http(s) URL."""
    if not isinstance(api_base, str) or not api_base.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"api_base {api_base!r} is not an http(s) URL: use {DEFAULT_API_BASE!r}, or "
            "the sandbox's URL such as 'http://127.0.0.1:12111'"
        )
    return api_base.rstrip("/")


def json_body(response: httpx.Response) -> Any:
    """The answer's body decoded as JSON; None when it is not JSON."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def stripe_error(body: Any, response: httpx.Response) -> tuple[str | None, str | None, str]:
    """From a refusal: Stripe's error ``code`` and ``message`` (None where its body has
    none), and what to quote (the message, else the body's start, else the reason)."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    return code, message, message or response.text[:200] or response.reason_phrase
