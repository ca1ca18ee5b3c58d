"""Handler registration and matching: which functions run for an event type.

Patterns are an exact type (``payment_intent.succeeded``), a prefix wildcard
(``payment_intent.*``, which also matches ``payment_intent.partially_funded`` and, for
``charge.*``, ``charge.dispute.created``) or ``*`` for every type.

A pattern naming no type Stripe sends (a typo such as ``payment_intent.succeded``) would
register a handler that never runs, so registering one warns (UnknownEventTypeWarning, with
the closest known names) unless it is declared a custom type with ``allow_unknown=True``. A
warning, not an error: Stripe adds event types before the catalog knows them.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import catalog
from ..errors import ConfigurationError, UnknownName
from ..event import Event

if TYPE_CHECKING:
    import stripe

    from .installations import Installation
    from .stripe_api import StripeAPI
    from .stripe_client import StripeClients

__all__ = [
    "Context",
    "Handler",
    "HandlerFunction",
    "HandlerRegistry",
    "UnknownEventTypeWarning",
    "check_pattern",
    "unknown_pattern_warning",
]

HandlerFunction = Callable[..., Any]
"""``fn(event, ctx)`` or ``fn(event)``; plain or ``async def``."""


@dataclass(slots=True)
class Context:
    """What a handler gets beside the event."""

    event: Event
    account: str | None
    """The connected account, or None for the platform's own events."""
    livemode: bool
    installation: Installation | None
    """The account's installation after this event's lifecycle effect (None: platform)."""
    previous: Installation | None
    """The installation before this event: None in ``on_install`` means a first install."""
    transaction: Any
    """The store's database connection, inside the transaction that marks the event done.

    Write your effects through it and they happen exactly once per event: they commit
    with the outcome or roll back with a failure. SQLite: a ``sqlite3.Connection`` (``?``
    placeholders). PostgreSQL (``%s`` placeholders): for ``async def`` handlers a
    ``psycopg.AsyncConnection``; for sync handlers a ``psycopg.Connection`` when every
    handler of the app is sync (the batch then runs on one thread, the fastest way), else
    a ``SyncConnection`` over the batch's async connection. Both have ``execute(sql,
    params)`` returning rows with ``fetchone()`` / ``fetchall()``; never commit or roll
    back through it. The memory store: None. The Django database (``"STORE": "django"``):
    a Django cursor (``%s``); the ORM's writes to that database are in the transaction too.
    """
    attempt: int
    """1 for the first attempt at this event."""
    api: StripeAPI | None = None
    """Stripe's API as the app's key and base URL reach it (``App(api_key=, api_base=)``)."""
    stripe_clients: StripeClients | None = None
    """Where :attr:`stripe` comes from (the worker's, one client per account)."""

    @property
    def stripe(self) -> stripe.StripeClient:
        """A ``stripe.StripeClient`` acting as the event's account (``Stripe-Account`` set;
        none for the platform's own events), with the App's ``api_key``, ``api_base`` and
        ``api_version``. In ``async def`` handlers use its ``*_async`` methods.

        After an uninstall the app may no longer call the account: in an uninstall
        handler (and for any event once the installation is inactive) this raises
        :class:`~appevents.errors.ConfigurationError` instead of making calls Stripe
        would refuse."""
        if self.stripe_clients is None:
            raise ConfigurationError(
                "ctx.stripe has no client to give: this Context was built without one; the "
                "worker of an App gives every handler one (App(api_key=..., api_base=...))"
            )
        if self.installation is not None and not self.installation.active:
            raise ConfigurationError(
                f"ctx.stripe is not available for event {self.event.id}: the app was "
                f"uninstalled from account {self.account}, so it can no longer call that "
                "account; clean up your own data (ctx.transaction) without calling Stripe"
            )
        return self.stripe_clients.for_account(self.account)

    def fetch_event(self) -> dict[str, Any]:
        """The full event from the API, as the event's account: a thin event's
        ``GET /v2/core/events/{id}`` (with its ``data`` and ``changes``), or a snapshot
        event's ``GET /v1/events/{id}``. Raises :class:`~appevents.errors.StripeAPIError`."""
        api = self._api("fetch_event")
        return api.get(api.event_request(self.event))

    async def fetch_event_async(self) -> dict[str, Any]:
        """:meth:`fetch_event` for ``async def`` handlers."""
        api = self._api("fetch_event_async")
        return await api.get_async(api.event_request(self.event))

    def fetch_related_object(self) -> dict[str, Any] | None:
        """A thin event's related object (``GET related_object.url``) as it is now, as the
        event's account; None when the event names none (a snapshot event carries its
        object in ``event.object``). Raises :class:`~appevents.errors.StripeAPIError`."""
        api = self._api("fetch_related_object")
        request = api.related_object_request(self.event)
        return None if request is None else api.get(request)

    async def fetch_related_object_async(self) -> dict[str, Any] | None:
        """:meth:`fetch_related_object` for ``async def`` handlers."""
        api = self._api("fetch_related_object_async")
        request = api.related_object_request(self.event)
        return None if request is None else await api.get_async(request)

    def _api(self, method: str) -> StripeAPI:
        if self.api is None:
            raise ConfigurationError(
                f"ctx.{method}() has no API to ask: this Context was built without one; the "
                "worker of an App gives every handler one (App(api_key=..., api_base=...))"
            )
        return self.api


@dataclass(frozen=True, slots=True)
class Handler:
    pattern: str
    function: HandlerFunction
    is_async: bool
    wants_context: bool

    @classmethod
    def wrap(cls, pattern: str, function: HandlerFunction) -> Handler:
        if not callable(function):
            raise ConfigurationError(f"handler for {pattern!r} is not callable: {function!r}")
        return cls(
            pattern=pattern,
            function=function,
            is_async=inspect.iscoroutinefunction(function)
            or inspect.iscoroutinefunction(getattr(function, "__call__", None)),  # noqa: B004
            wants_context=_positional_arity(function) >= 2,
        )

    @property
    def name(self) -> str:
        return getattr(self.function, "__qualname__", repr(self.function))

    def arguments(self, event: Event, ctx: Context) -> tuple[Any, ...]:
        return (event, ctx) if self.wants_context else (event,)

    def call_async(self, event: Event, ctx: Context) -> Awaitable[Any]:
        result: Awaitable[Any] = self.function(*self.arguments(event, ctx))
        return result


def check_pattern(pattern: str) -> str:
    """Return ``pattern`` if it is an event type, ``prefix.*`` or ``*``; else raise."""
    if not isinstance(pattern, str) or not pattern or pattern != pattern.strip():
        raise ConfigurationError(
            f"event pattern {pattern!r} is not valid: use an event type like "
            "'payment_intent.succeeded', a prefix like 'payment_intent.*', or '*'"
        )
    if pattern == "*":
        return pattern
    head = pattern[:-2] if pattern.endswith(".*") else pattern
    if "*" in head or not head or head.startswith(".") or head.endswith(".") or ".." in head:
        raise ConfigurationError(
            f"event pattern {pattern!r} is not valid: '*' may only stand alone or as a "
            "last '.*' segment, as in 'payment_intent.*'"
        )
    return pattern


class UnknownEventTypeWarning(UserWarning):
    """A handler was registered for an event type (or prefix) Stripe does not send."""


def unknown_pattern_warning(pattern: str) -> str | None:
    """Why ``pattern`` (already checked) matches no known event type, or None if it does."""
    try:
        catalog.event_types(pattern)
    except UnknownName as unknown:
        if pattern.endswith(".*"):
            prefix = pattern[:-1]
            if any(t.startswith(prefix) for t in catalog.thin_event_types()):
                return None
        elif catalog.is_thin_event_type(pattern):
            return None
        # A thin-looking name (v1.…, v2.…) is closest to a thin type, anything else to a v1 one.
        thin_like = pattern.startswith(("v1.", "v2."))
        suggestions = (
            catalog.closest_names(pattern, _thin_names(), limit=3)
            if thin_like
            else unknown.suggestions
        )
        hint = f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
        what = (
            f"no Stripe event type starts with {pattern[:-1]!r}"
            if pattern.endswith(".*")
            else "Stripe sends no event of that type"
        )
        return (
            f"app.on({pattern!r}): {what}{hint}, so this handler will never run; fix the "
            "name, or pass allow_unknown=True for an event type of your own"
        )
    return None


@functools.cache
def _thin_names() -> tuple[str, ...]:
    """Every thin type and each of its ``prefix.*`` patterns, for suggestions."""
    names = set(catalog.thin_event_types())
    for name in catalog.thin_event_types():
        parts = name.split(".")
        names.update(".".join(parts[:n]) + ".*" for n in range(1, len(parts)))
    return tuple(sorted(names))


def matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


class HandlerRegistry:
    """Handlers by pattern, in registration order, with a per-type lookup cache."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self._cache: dict[str, tuple[Handler, ...]] = {}

    def add(self, pattern: str, function: HandlerFunction, *, allow_unknown: bool = False) -> None:
        """Register ``function``; warns (at the caller of ``App.on``'s decorator) when
        ``pattern`` matches no known event type, unless ``allow_unknown``."""
        self._handlers.append(Handler.wrap(check_pattern(pattern), function))
        self._cache.clear()
        warning = None if allow_unknown else unknown_pattern_warning(pattern)
        if warning is not None:
            # add <- App.on's register <- the decorated function's module
            warnings.warn(warning, UnknownEventTypeWarning, stacklevel=3)

    def for_type(self, event_type: str) -> tuple[Handler, ...]:
        found = self._cache.get(event_type)
        if found is None:
            found = tuple(h for h in self._handlers if matches(h.pattern, event_type))
            self._cache[event_type] = found
        return found

    def all(self) -> tuple[Handler, ...]:
        return tuple(self._handlers)

    def patterns(self) -> list[str]:
        """Every distinct pattern, in registration order."""
        return list(dict.fromkeys(h.pattern for h in self._handlers))

    def __len__(self) -> int:
        return len(self._handlers)


def _positional_arity(function: HandlerFunction) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume (event, ctx)
        return 2
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return 2
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if not 1 <= len(positional) <= 2:
        raise ConfigurationError(
            f"handler {getattr(function, '__qualname__', function)!r} takes "
            f"{len(positional)} positional parameters: a handler is fn(event) or fn(event, ctx)"
        )
    return len(positional)
