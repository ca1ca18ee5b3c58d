"""Serve an ``appevents.App`` inside a Flask application (``appevents[flask]``).

    from flask import Flask
    from appevents import App
    from appevents.integrations.flask import AppEvents

    receiver = App(secrets=["whsec_..."], store="sqlite:///inbox.db")
    site = Flask(__name__)
    events = AppEvents(site, app=receiver, url_prefix="/stripe")   # POST /stripe/webhook

or, with an application factory, ``events = AppEvents(app=receiver)`` then
``events.init_app(site, url_prefix="/stripe")``. The endpoint is a view on the
``appevents`` blueprint at ``url_prefix + App.path``; other paths are the site's own.

When the receiver starts. The store, group committer and worker run on an event loop in a
background thread of the process serving requests (:class:`~appevents.receiver.http.
WSGIEndpoint`), started by the first request the site serves (any route) and stopped at
interpreter exit (``atexit``), or by :meth:`AppEvents.close`. Not at ``init_app``: under
``gunicorn --preload`` the app is built in the master, whose threads do not survive the
fork into its workers; ``flask run --reload`` builds it in the watching process too, which
never serves a request and must not hold the store or run a worker. Started by a
request, each serving process (a gunicorn worker, the reloader's child) runs its own,
and the reloader's restart (``sys.exit`` in the child) runs the exit hook.
``run_worker=False`` leaves processing to ``flask appevents worker``.

Commands (``flask appevents --help``): ``worker``, ``inbox``, ``show``, ``replay``,
``stats`` and ``installations``: the ``appevents`` command line's own, on the receiver's store.

A UI extension's call is verified by :func:`ui_request_required`, which puts the
caller (an :class:`appevents.UIRequest`) on ``flask.g.ui_request``.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click
from flask import Blueprint, Flask, Response, current_app, g, request
from flask.cli import AppGroup

from ..errors import ConfigurationError, SignatureError
from ..receiver.app import App
from ..receiver.http import WSGIEndpoint
from ..receiver.replies import Reply, error_reply, method_not_allowed, too_large
from ..signature import DEFAULT_TOLERANCE
from ..ui_request import sign_ui_request, verify_ui_request

__all__ = ["AppEvents", "ui_request_required"]

log = logging.getLogger("appevents.flask")

F = TypeVar("F", bound=Callable[..., Any])

# Every method reaches the view, so that a GET gets the receiver's JSON 405 (Allow: POST)
# rather than Flask's HTML one.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class AppEvents:
    """The Flask extension: the webhook endpoint on a blueprint, the receiver's store and
    worker run with the site, and the ``flask appevents`` commands."""

    def __init__(
        self,
        flask_app: Flask | None = None,
        *,
        app: App,
        url_prefix: str = "",
        run_worker: bool = True,
    ) -> None:
        if not isinstance(app, App):
            raise ConfigurationError(
                f"AppEvents(app=...) takes an appevents.App, got {type(app).__name__}: "
                "pass app=App(secrets=[...], store=...)"
            )
        self.app = app
        self.endpoint = WSGIEndpoint(app, run_worker=run_worker)
        """The running receiver (``.runtime`` once started), shared by every site."""
        self._started = False
        self._start_lock = threading.Lock()
        self._exit_hook = False
        if flask_app is not None:
            self.init_app(flask_app, url_prefix=url_prefix)

    def init_app(self, flask_app: Flask, *, url_prefix: str = "") -> None:
        """Register the endpoint at ``url_prefix + App.path``, the start on the site's
        first request, and the ``flask appevents`` commands."""
        if url_prefix and not url_prefix.startswith("/"):
            raise ConfigurationError(
                f"url_prefix {url_prefix!r} must start with '/', as in '/stripe'"
            )
        blueprint = Blueprint("appevents", __name__, url_prefix=url_prefix.rstrip("/") or None)
        blueprint.add_url_rule(
            self.app.path,
            endpoint="webhook",
            view_func=self._webhook,
            methods=_METHODS,
            provide_automatic_options=False,
        )
        flask_app.register_blueprint(blueprint)
        flask_app.before_request(self._start_once)
        flask_app.cli.add_command(self._commands())
        flask_app.extensions["appevents"] = self
        if not self._exit_hook:
            _at_exit(self.close)
            self._exit_hook = True

    def close(self) -> None:
        """Stop the worker and close the store (at exit; a later request starts anew)."""
        with self._start_lock:
            self._started = False
        self.endpoint.close()

    def _start_once(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if self._started:
                return
            self._started = True
        try:
            self.endpoint.runtime  # noqa: B018 - starts it
        except Exception:
            # The site's pages keep working; deliveries try again (and answer 500 until
            # the store opens), so Stripe retries them.
            log.exception("appevents: the receiver did not start; deliveries will retry it")

    def _webhook(self) -> Response:
        limit = self.app.max_body_bytes
        signature = request.headers.get("Stripe-Signature")
        remote = request.remote_addr
        refused: Reply | None = None
        body = b""
        if request.method != "POST":
            refused = method_not_allowed(request.method)
        elif (request.content_length or 0) > limit:
            refused = too_large(limit)
        else:
            body = request.stream.read(limit + 1)  # bounded, even without Content-Length
            if len(body) > limit:
                refused = too_large(limit)
        if refused is not None:
            self.endpoint.runtime.rejections.rejected(refused, signature, remote)
            return _response(refused)
        return _response(self.endpoint.deliver(body, signature, remote))

    def _commands(self) -> click.Group:
        from ..cli.inbox import list_events, list_installations, replay, show, stats

        app = self.app

        @click.group("appevents", cls=AppGroup)
        @click.pass_context
        def group(ctx: click.Context) -> None:
            """The receiver's worker and store (the appevents command line's own)."""
            store = app.store if isinstance(app.store, str) else app.store.url
            defaults = {"store_url": store}
            # The site's receiver is the default store; --store or APPEVENTS_STORE win.
            ctx.default_map = {
                name: defaults for name in ("inbox", "show", "replay", "stats", "installations")
            }

        group.add_command(list_events, "inbox")
        group.add_command(show, "show")
        group.add_command(replay, "replay")
        group.add_command(stats, "stats")
        group.add_command(list_installations, "installations")
        group.add_command(_worker_command(app))
        return group


def _worker_command(app: App) -> click.Command:
    @click.command("worker")
    @click.option(
        "--log-level",
        default="info",
        show_default=True,
        type=click.Choice(["debug", "info", "warning", "error", "critical"]),
    )
    def worker(log_level: str) -> None:
        """Process the receiver's stored events until SIGINT/SIGTERM (with
        AppEvents(run_worker=False) in the serving processes, or beside them)."""
        from ..cli.common import guard, store_for_writing
        from ..cli.serve import run_worker

        logging.basicConfig(level=log_level.upper())
        run_worker(app, store_for_writing(guard(app.open_store)()))

    return worker


def _at_exit(stop: Callable[[], None]) -> None:
    """Run ``stop`` as the interpreter exits, while the store can still work.

    ``atexit`` is too late: by then concurrent.futures has shut its thread pools (its own
    hook, run when the main thread ends), and the store's threads refuse the last writes
    of a stopping worker. Threading's exit hooks run first, newest first, so one
    registered now runs before that pool's; ``atexit`` serves if it is ever gone."""
    register = getattr(threading, "_register_atexit", None)
    if register is None:
        atexit.register(stop)
    else:
        register(stop)


def _response(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, content_type="application/json")
    if reply.status == 405:
        response.headers["Allow"] = "POST"
    return response


def ui_request_required(
    secret: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> Callable[[F], F]:
    """Verify a UI extension's call before the view runs: the caller is then
    ``flask.g.ui_request`` (``.user_id``, ``.account_id``); a stale, forged or malformed
    call is answered 401 ``{"error": {"code", "message"}}`` and the view never runs.

    ``secret``: the app's signing secret(s) (``absec_...``), several while rolling one.
    """
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    # Signing checks the secrets as verifying does: a webhook secret or none at all is
    # refused when the view is defined, rather than as a 500 on each call.
    sign_ui_request("usr_check", "acct_check", secrets, timestamp=0)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def verified(*args: Any, **kwargs: Any) -> Any:
            try:
                g.ui_request = verify_ui_request(
                    request.get_data(cache=True),  # the view can still read the body
                    request.headers.get("Stripe-Signature"),
                    secrets,
                    tolerance=tolerance,
                    clock=clock,
                )
            except SignatureError as exc:
                return _response(error_reply(401, exc.reason, exc.message))
            return current_app.ensure_sync(view)(*args, **kwargs)

        return verified  # type: ignore[return-value]

    return decorate
