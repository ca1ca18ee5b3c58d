"""``settings.APPEVENTS``: the receiver the Django site runs, built once per process.

    APPEVENTS = {
        "APP": "myapp.events.receiver",  # required: the appevents.App with your handlers
        "SECRETS": ["whsec_..."],        # the endpoint's signing secret(s)
        "STORE": "django",               # or a store URL; default: the App's own store
        "DATABASE": "default",           # the Django database "STORE": "django" uses
        "API_KEY": "sk_...",             # ctx.stripe / ctx.fetch_event (and API_BASE,
        "API_BASE": "https://api.stripe.com",  # API_VERSION)
        "RUN_WORKER": True,              # False: only receive; manage.py appevents_worker
    }

Each key but ``APP`` replaces the App's own setting when given, so one App module
serves the site and ``appevents serve`` alike. A wrong value raises
``ImproperlyConfigured`` naming the key and the fix.

``app`` (this module's attribute) is a new App configured so, which the ``appevents``
command line loads as ``--app appevents.integrations.django.conf:app``: the management
commands reuse those commands that way.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ...errors import ConfigurationError
from ...receiver.app import App
from ...receiver.http import WSGIEndpoint
from ...receiver.inbox import Store
from ...receiver.stores import open_store_url

__all__ = ["CLI_TARGET", "endpoint", "receiver", "reset", "start_on_first_request"]

log = logging.getLogger("appevents.django")

CLI_TARGET = f"{__name__}:app"
"""How the ``appevents`` commands (``--app``) name the site's configured receiver."""

_OVERRIDES = {
    "SECRETS": "secrets",
    "STORE": "store",
    "API_KEY": "api_key",
    "API_BASE": "api_base",
    "API_VERSION": "api_version",
}
_KEYS = ("APP", *_OVERRIDES, "DATABASE", "RUN_WORKER")
DJANGO_STORE = "django"

_lock = threading.Lock()
_endpoint: WSGIEndpoint | None = None
_started = False
_exit_hook = False


def _settings() -> Mapping[str, Any]:
    value = getattr(settings, "APPEVENTS", None)
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(
            f"settings.APPEVENTS is {value!r}: set it to a dict such as "
            "APPEVENTS = {'APP': 'myapp.events.receiver', 'SECRETS': ['whsec_...'], "
            "'STORE': 'django'}"
        )
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise ImproperlyConfigured(
            f"settings.APPEVENTS has unknown keys {unknown}: the keys are {list(_KEYS)}"
        )
    return value


def _import_app(path: Any) -> App:
    if not isinstance(path, str) or not path.strip():
        raise ImproperlyConfigured(
            f"settings.APPEVENTS['APP'] is {path!r}: set it to the dotted path of your "
            "appevents.App, as in 'myapp.events.receiver'"
        )
    dotted = path.replace(":", ".")
    try:
        app = import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"settings.APPEVENTS['APP'] = {path!r} cannot be imported ({exc}): give the "
            "module and the App's name in it, as in 'myapp.events.receiver'"
        ) from exc
    if not isinstance(app, App):
        raise ImproperlyConfigured(
            f"settings.APPEVENTS['APP'] = {path!r} is a {type(app).__name__}, not an "
            "appevents.App: point it at receiver = App(...)"
        )
    return app


def receiver() -> App:
    """A new App configured by ``settings.APPEVENTS`` (its store not yet open)."""
    config = _settings()
    if "APP" not in config:
        raise ImproperlyConfigured(
            "settings.APPEVENTS has no 'APP': set it to the dotted path of your "
            "appevents.App, as in 'myapp.events.receiver'"
        )
    app = _import_app(config["APP"])
    overrides = {_OVERRIDES[key]: config[key] for key in _OVERRIDES if key in config}
    if overrides.get("store") == DJANGO_STORE:
        overrides["store"] = _django_store(app, config.get("DATABASE", "default"))
    elif "DATABASE" in config:
        raise ImproperlyConfigured(
            "settings.APPEVENTS['DATABASE'] is only used with 'STORE': 'django': remove it, "
            "or set 'STORE': 'django' to keep the inbox in that database"
        )
    try:
        configured = app.configured(**overrides)
        if isinstance(configured.store, str):
            open_store_url(configured.store)  # refuse a wrong URL now, not at the first request
    except ConfigurationError as exc:
        raise ImproperlyConfigured(f"settings.APPEVENTS: {exc}") from exc
    if not configured.secrets:
        raise ImproperlyConfigured(
            "settings.APPEVENTS has no 'SECRETS' (and the App none): set 'SECRETS': "
            "['whsec_...'] to the endpoint's signing secret(s)"
        )
    return configured


def _django_store(app: App, alias: Any) -> Store:
    from django.db import connections

    if not isinstance(alias, str) or alias not in connections:
        raise ImproperlyConfigured(
            f"settings.APPEVENTS['DATABASE'] is {alias!r}, not one of settings.DATABASES "
            f"({sorted(connections)}): name the database that keeps the inbox"
        )
    from .store import DjangoStore

    return DjangoStore(alias, app=app)


def run_worker_setting() -> bool:
    value = _settings().get("RUN_WORKER", True)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            f"settings.APPEVENTS['RUN_WORKER'] is {value!r}: True runs the worker in each "
            "serving process, False leaves it to manage.py appevents_worker"
        )
    return value


def endpoint() -> WSGIEndpoint:
    """The site's receiver endpoint (one per process; its runtime starts on first use)."""
    global _endpoint, _exit_hook
    with _lock:
        if _endpoint is None:
            _endpoint = WSGIEndpoint(_at_its_url(receiver()), run_worker=run_worker_setting())
            if not _exit_hook:
                atexit.register(reset)
                _exit_hook = True
        return _endpoint


def _at_its_url(app: App) -> App:
    """The App with its path where the include put the view, so that the receiver's log
    lines name the URL Stripe delivers to (the view never routes by ``App.path``)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return app.configured(path=reverse("appevents:webhook"))
    except NoReverseMatch:  # the URLs are not included (yet): the App's own path
        return app


def start_on_first_request(**_: Any) -> None:
    """``request_started``: start the store and worker with the process's first request
    (any URL), so that stored events are processed after a restart before a new one
    arrives. A failure leaves the site's pages working; deliveries try again."""
    global _started
    if _started:
        return
    with _lock:
        if _started:
            return
        _started = True
    try:
        endpoint().runtime  # noqa: B018 - starts it
    except Exception:
        log.exception("appevents: the receiver did not start; deliveries will retry it")


def reset() -> None:
    """Stop the worker, close the store and forget the settings read (at exit, and when a
    test changes ``settings.APPEVENTS``); the next request starts anew."""
    global _endpoint, _started
    with _lock:
        current, _endpoint, _started = _endpoint, None, False
    if current is not None:
        current.close()


def __getattr__(name: str) -> Any:
    if name == "app":
        return receiver()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
