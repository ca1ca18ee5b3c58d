"""``App``: what a receiver is — its secrets, store, path and handlers.

app = App(secrets=["whsec_..."], store="sqlite:///inbox.db")

@app.on("payment_intent.succeeded")
def record_payment(event, ctx): ...

@app.on_install
def create_user(event, ctx): ...

@app.on_uninstall
def delete_user(event, ctx): ...

@app.on("v1.billing.meter.no_meter_found")      # a thin event: fetch what it names
def on_meter_error(event, ctx):
    meter = ctx.fetch_related_object()   # with App(api_key="sk_...", api_base=...)

asgi_app = app.asgi()      # uvicorn module:asgi_app, or `appevents serve module:app`
wsgi_app = app.wsgi()      # Flask, Django, gunicorn
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..errors import ConfigurationError
from ..signature import DEFAULT_TOLERANCE, _normalise_secrets
from .durations import positive_seconds
from .handlers import Handler, HandlerFunction, HandlerRegistry
from .http import ASGIEndpoint, WSGIEndpoint
from .inbox import Store
from .retention import Retention
from .retry import RetryPolicy
from .runtime import Runtime
from .stores import open_store_url
from .stripe_api import DEFAULT_API_BASE, StripeAPI
from .stripe_client import StripeClients
from .worker import Handlers, Worker

__all__ = ["App"]

F = TypeVar("F", bound=HandlerFunction)
SetupFunction = Callable[[Any], Any]

DEFAULT_STORE = "sqlite:///appevents.db"
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_COMMIT_TIMEOUT = 5.0


class App:
    def __init__(
        self,
        secrets: str | Iterable[str] = (),
        *,
        store: Store | str = DEFAULT_STORE,
        path: str = "/webhook",
        tolerance: float = DEFAULT_TOLERANCE,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        commit_timeout: float = DEFAULT_COMMIT_TIMEOUT,
        retry: RetryPolicy | None = None,
        manifest: str | None = None,
        poll_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
        random_fraction: Callable[[], float] = random.random,
        api_key: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        api_version: str | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.secrets: tuple[str, ...] = (
            () if secrets in ((), [], "") else _normalise_secrets(secrets)
        )
        self.store = store
        self.path = _check_path(path)
        self.tolerance = tolerance
        self.max_body_bytes = _check_positive_int("max_body_bytes", max_body_bytes)
        self.commit_timeout = positive_seconds("commit_timeout", commit_timeout, "5.0")
        """Seconds a delivery waits for its commit before the answer is 503 (Stripe
        retries). A store that stalls cannot hold requests longer; a commit that finishes
        after its 503 is harmless: Stripe's retry is then answered 200 as a duplicate.
        A store opened from a URL gives up on its own waits (the SQLite write lock, a
        PostgreSQL connection) after as long."""
        self.retry = retry or RetryPolicy()
        self.manifest = manifest
        """Path of the app's stripe-app.json; `appevents serve` checks its permissions."""
        self.poll_interval = poll_interval
        self.clock = clock
        self.random_fraction = random_fraction
        self.api_key = api_key
        """The platform's secret key ``ctx.fetch_event()`` and ``ctx.fetch_related_object()``
        use; None: handlers cannot fetch (they get a ConfigurationError saying so)."""
        self.api_base = api_base
        """Stripe's API, or the sandbox's URL locally."""
        self.api_version = api_version
        if retention is not None and not isinstance(retention, Retention):
            raise ConfigurationError(
                f"retention must be an appevents.Retention, such as Retention(done='30d'), "
                f"got {retention!r}"
            )
        self.retention = retention
        """Finished events past it are pruned by the worker (None: kept forever)."""
        """``Stripe-Version`` for those fetches (None: the key's default on /v1)."""
        StripeAPI(api_key, api_base, api_version=api_version)  # refuse a bad setting now
        self.registry = HandlerRegistry()
        self.install_handlers: list[Handler] = []
        self.uninstall_handlers: list[Handler] = []
        self.setup_hooks: list[SetupFunction] = []
        self._asgi: ASGIEndpoint | None = None
        self._wsgi: WSGIEndpoint | None = None

    # -- handler registration -------------------------------------------------------------

    def on(self, *patterns: str, allow_unknown: bool = False) -> Callable[[F], F]:
        """Register a handler for event types: exact, ``prefix.*`` or ``*``.

        A pattern matching no event type Stripe sends warns (UnknownEventTypeWarning, with
        the closest names); ``allow_unknown=True`` registers a type of your own quietly.
        """
        if not patterns:
            raise ConfigurationError("app.on() needs at least one event type or pattern")

        def register(function: F) -> F:
            for pattern in patterns:
                self.registry.add(pattern, function, allow_unknown=allow_unknown)
            return function

        return register

    def on_install(self, function: F) -> F:
        """Run when the app is installed on an account, re-authorized, or implied installed.

        ``ctx.previous`` is None for a first install; ``ctx.installation.source`` is
        ``"implied"`` when a business event arrived before the authorization.
        """
        self.install_handlers.append(Handler.wrap("account.application.authorized", function))
        return function

    def on_uninstall(self, function: F) -> F:
        """Run once when an account uninstalls the app: delete that account's data here."""
        self.uninstall_handlers.append(Handler.wrap("account.application.deauthorized", function))
        return function

    def on_setup(self, function: F) -> F:
        """Run ``function(connection)`` in a transaction when the store opens (create tables)."""
        self.setup_hooks.append(function)
        return function

    def event_types(self) -> list[str]:
        """The patterns handlers are registered for (what the manifest must permit)."""
        types = self.registry.patterns()
        if self.install_handlers:
            types.append("account.application.authorized")
        if self.uninstall_handlers:
            types.append("account.application.deauthorized")
        return list(dict.fromkeys(types))

    # -- running ----------------------------------------------------------------------------

    def configured(self, **settings: Any) -> App:
        """A copy with some settings replaced, sharing this app's handlers.

        What the command line uses to inject ``--secret`` and ``--store``.
        """
        unknown = set(settings) - {
            "secrets", "store", "path", "tolerance", "max_body_bytes", "commit_timeout",
            "retry", "manifest", "poll_interval", "clock", "random_fraction", "api_key",
            "api_base", "api_version", "retention",
        }  # fmt: skip
        if unknown:
            raise ConfigurationError(f"unknown App settings: {sorted(unknown)}")
        other = copy.copy(self)
        if "secrets" in settings:
            other.secrets = _normalise_secrets(settings.pop("secrets"))
        if "path" in settings:
            other.path = _check_path(settings.pop("path"))
        if "commit_timeout" in settings:
            other.commit_timeout = positive_seconds(
                "commit_timeout", settings.pop("commit_timeout"), "5.0"
            )
        for name, value in settings.items():
            setattr(other, name, value)
        StripeAPI(other.api_key, other.api_base, api_version=other.api_version)
        other._asgi = other._wsgi = None
        return other

    def open_store(self) -> Store:
        if isinstance(self.store, Store):
            return self.store
        return open_store_url(self.store, wait_timeout=self.commit_timeout)

    def worker(self, store: Store, **options: Any) -> Worker:
        """A worker running this app's handlers against ``store`` (open it first)."""
        handlers = Handlers(
            self.registry, tuple(self.install_handlers), tuple(self.uninstall_handlers)
        )
        return Worker(
            store,
            handlers,
            retry=self.retry,
            clock=self.clock,
            random_fraction=self.random_fraction,
            poll_interval=self.poll_interval,
            retention=self.retention,
            **{"api": self.api(), "stripe_clients": self.stripe_clients(), **options},
        )

    def stripe_clients(self) -> StripeClients:
        """New ``ctx.stripe`` clients (made per account on use) with this app's settings."""
        return StripeClients(self.api_key, self.api_base, api_version=self.api_version)

    def api(self) -> StripeAPI:
        """A new client for Stripe's API with this app's key, base URL and version."""
        return StripeAPI(self.api_key, self.api_base, api_version=self.api_version)

    def runtime(self, *, run_worker: bool = True) -> Runtime:
        """A new, not yet started, running instance of this receiver."""
        if not self.secrets:
            raise ConfigurationError(
                "no webhook signing secret: pass App(secrets=[...]), --secret, or set "
                "APPEVENTS_WEBHOOK_SECRET to the endpoint's whsec_... secret"
            )
        return Runtime(self, self.open_store(), run_worker=run_worker)

    def asgi(self) -> ASGIEndpoint:
        """The ASGI application (with lifespan: it opens the store and runs the worker)."""
        if self._asgi is None:
            self._asgi = ASGIEndpoint(self)
        return self._asgi

    def wsgi(self) -> WSGIEndpoint:
        """The WSGI application (store and worker run on a background event loop)."""
        if self._wsgi is None:
            self._wsgi = WSGIEndpoint(self)
        return self._wsgi


def _check_path(path: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigurationError(f"path {path!r} must start with '/', as in '/webhook'")
    return path


def _check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number of bytes, got {value!r}")
    return value
