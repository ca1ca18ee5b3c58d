"""``appevents serve`` (endpoint + worker) and ``appevents worker`` (worker only)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys

import click

from ..errors import AppEventsError
from ..receiver.app import App
from ..receiver.inbox import Store
from ..receiver.limits import (
    DEFAULT_LINGER_TIMEOUT,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_URL_BYTES,
    MIN_HEADER_BYTES,
    MIN_URL_BYTES,
)
from ..receiver.runtime import Runtime
from ..receiver.server import Companion, WebhookServer
from ..receiver.stores.memory import MemoryStore
from ..receiver.stores.sqlite import SQLiteStore
from .common import (
    MANIFEST_ENV,
    SECRET_ENV,
    STORE_ENV,
    app_dir_option,
    cannot_listen,
    guard,
    load_app,
    log_level_option,
    open_store,
    run,
    secrets_from,
    store_for_writing,
    store_option,
)
from .config import API_BASE_ENV, API_KEY_ENV
from .serve_observability import (
    configure_logging,
    log_format_option,
    metrics_for,
    metrics_options,
    observability_server,
)
from .worker_process import WorkerProcess, report_results, watch_wake_pipe

log = logging.getLogger("appevents")


DASHBOARD_TOKEN_ENV = "APPEVENTS_DASHBOARD_TOKEN"  # noqa: S105 - a variable name, no secret


def dashboard_options(function: click.decorators.FC) -> click.decorators.FC:
    """--dashboard and where it listens, and its token."""
    options = [
        click.option(
            "--dashboard",
            "dashboard_on",
            is_flag=True,
            help="Serve the operators' dashboard (inbox, dead letters with replay, "
            "installations, activity) on a listener of its own, behind a token.",
        ),
        click.option(
            "--dashboard-port",
            type=click.IntRange(0, 65535),
            default=None,
            help="The dashboard's port (0: a free one); implies --dashboard. [default: 0]",
        ),
        click.option(
            "--dashboard-host",
            default="127.0.0.1",
            show_default=True,
            help="Interface the dashboard binds (keep it local, or behind TLS).",
        ),
        click.option(
            "--dashboard-token",
            envvar=DASHBOARD_TOKEN_ENV,
            show_envvar=True,
            default=None,
            help="The token every dashboard page and button needs (16 characters or more). "
            "[default: a random one, printed at start-up in the login URL]",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def api_options(function: click.decorators.FC) -> click.decorators.FC:
    """--api-key / --api-base: what handlers' ctx.fetch_event() and fetch_related_object() use."""
    function = click.option(
        "--api-base",
        envvar=API_BASE_ENV,
        show_envvar=True,
        default=None,
        help="Stripe's API for handlers' fetches (the sandbox's URL locally). "
        "[default: the app's App(api_base=...), https://api.stripe.com]",
    )(function)
    return click.option(
        "--api-key",
        envvar=API_KEY_ENV,
        show_envvar=True,
        default=None,
        help="The platform's secret key (sk_...) handlers fetch thin events' full event and "
        "related object with. [default: the app's App(api_key=...)]",
    )(function)


def _api_settings(api_key: str | None, api_base: str | None) -> dict[str, object]:
    settings: dict[str, object] = {}
    if api_key:
        settings["api_key"] = api_key
    if api_base:
        settings["api_base"] = api_base
    return settings


def _check_manifest(app: App) -> None:
    """Warn at start-up about permissions the app's manifest lacks for its handlers."""
    if not app.manifest:
        return
    try:
        from ..manifest import check_app_permissions
    except ImportError:  # pragma: no cover - manifest tooling is part of the package
        return
    try:
        warnings = check_app_permissions(app.manifest, app.event_types())
    except AppEventsError as exc:
        click.secho(f"warning: cannot check {app.manifest}: {exc}", fg="yellow", err=True)
        return
    for line in warnings:
        click.secho(f"warning: {line}", fg="yellow", err=True)


@click.command()
@click.argument("target", metavar="MODULE:APP")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=4242, show_default=True, type=click.IntRange(0, 65535))
@store_option
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    envvar=SECRET_ENV,
    show_envvar=True,
    help="Webhook signing secret (whsec_…); repeat, or comma-separate, to accept several "
    "while rolling one.",
)
@app_dir_option
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=None,
    help="Connections served at once; past it a client gets a 503. [default: the open-file "
    "limit (ulimit -n) less a tenth, at least 64 kept for the store and children]",
)
@click.option(
    "--max-url-bytes",
    type=click.IntRange(min=MIN_URL_BYTES),
    default=DEFAULT_MAX_URL_BYTES,
    show_default=True,
    help="Longest request URL; a longer one gets a 414.",
)
@click.option(
    "--max-header-bytes",
    type=click.IntRange(min=MIN_HEADER_BYTES),
    default=DEFAULT_MAX_HEADER_BYTES,
    show_default=True,
    help="Largest request headers, all together; larger ones get a 431.",
)
@click.option(
    "--linger-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_LINGER_TIMEOUT,
    show_default=True,
    help="Seconds a refused client may go on sending (discarded) so that it reads the "
    "refusal instead of a reset connection.",
)
@click.option(
    "--worker",
    "worker_mode",
    type=click.Choice(["process", "in-process", "off"]),
    default=None,
    help="Where the worker runs: its own child process (the default: a core of its own), "
    "in the server's process (the default for memory://, whose events live there), or "
    "off (run `appevents worker` apart).",
)
@click.option("--no-worker", is_flag=True, help="Same as --worker off.")
@click.option(
    "--ingest",
    "ingest_mode",
    type=click.Choice(["process", "thread"]),
    default=None,
    help="Where a sqlite:/// store commits received events: a child process of their own "
    "(the default: commits do not wait for the server's Python lock) or a thread of the "
    "server's process.",
)
@click.option(
    "--commit-timeout",
    type=float,
    default=None,
    help="Seconds a delivery waits for its commit before the answer is 503 (Stripe "
    "retries): a stalled store cannot hold requests longer. [default: the app's, 5.0]",
)
@click.option(
    "--stats-interval",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between the log lines that sum up the deliveries refused meanwhile "
    "(bad signature, wrong path...), written only when there were some.",
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(dir_okay=False),
    envvar=MANIFEST_ENV,
    show_envvar=True,
    default=None,
    help="The app's stripe-app.json, whose permissions are checked at start-up against the "
    "handlers. [default: the app's App(manifest=...)]",
)
@metrics_options
@dashboard_options
@click.option(
    "--catchup-on-start",
    is_flag=True,
    help="Once up, list from the API what arrived since each account's newest stored event "
    "and insert what is missing, in the background (as `appevents catchup --since-last`; "
    "needs --api-key).",
)
@api_options
@log_level_option
@log_format_option
def serve(
    target: str,
    host: str,
    port: int,
    store_url: str | None,
    secrets: tuple[str, ...],
    app_dir: str,
    max_connections: int | None,
    max_url_bytes: int,
    max_header_bytes: int,
    linger_timeout: float,
    worker_mode: str | None,
    no_worker: bool,
    ingest_mode: str | None,
    commit_timeout: float | None,
    stats_interval: float,
    manifest_path: str | None,
    metrics_port: int | None,
    metrics_host: str,
    ready_max_backlog: int,
    ready_max_worker_age: float,
    dashboard_on: bool,
    dashboard_port: int | None,
    dashboard_host: str,
    dashboard_token: str | None,
    catchup_on_start: bool,
    api_key: str | None,
    api_base: str | None,
    log_level: str,
    log_format: str,
) -> None:
    """Run the app's webhook endpoint and its worker with one command.

    Every delivery is verified, stored durably, then answered 200; the worker runs the
    handlers, by default in a child process that the server wakes after each commit and
    restarts if it dies. Environment: APPEVENTS_WEBHOOK_SECRET (comma-separated
    secrets), APPEVENTS_STORE (store URL), APPEVENTS_MANIFEST (stripe-app.json),
    APPEVENTS_API_KEY and APPEVENTS_API_BASE (what handlers fetch thin events' data with),
    APPEVENTS_DASHBOARD_TOKEN (the dashboard's token).
    """
    configure_logging(log_level, log_format)
    dashboard_on = dashboard_on or dashboard_port is not None
    app = load_app(target, app_dir)
    # Refuse an address we cannot listen on before the store is created or opened.
    _check_listen_address(host, port)
    if metrics_port:
        _check_listen_address(metrics_host, metrics_port)
    if dashboard_port:
        _check_listen_address(dashboard_host, dashboard_port)
    settings: dict[str, object] = {}
    if manifest_path:
        settings["manifest"] = manifest_path
    if secrets:
        settings["secrets"] = secrets_from(secrets)
    if store_url:
        settings["store"] = store_url
    if commit_timeout is not None:
        settings["commit_timeout"] = commit_timeout
    settings.update(_api_settings(api_key, api_base))
    app = guard(app.configured)(**settings)
    metrics = metrics_for(metrics_port, app.clock)
    if not app.secrets:
        raise click.UsageError(
            f"no webhook signing secret: pass --secret whsec_… or set {SECRET_ENV}"
        )
    _check_manifest(app)
    store = store_for_writing(guard(app.open_store)())
    ingest = _ingest_mode(ingest_mode, store)
    if isinstance(store, SQLiteStore):
        store.ingest_process = ingest == "process"
    mode = _worker_mode(worker_mode, no_worker, in_memory=isinstance(store, MemoryStore))
    child: WorkerProcess | None = None
    if mode == "process":
        child = WorkerProcess(
            [target, "--app-dir", app_dir, "--log-level", log_level, "--log-format", log_format],
            # The same store as ours: the URL as given (a printable store.url may lack the
            # password), through the environment rather than the visible command line.
            env=_child_env(store_url, api_key, api_base),
            on_results=metrics.observe if metrics is not None else None,
        )
    runtime = guard(Runtime)(
        app,
        store,
        run_worker=mode == "in-process",
        on_commit=child.wake if child else None,
        stats_interval=stats_interval,
        metrics=metrics,
    )
    companions: list[Companion] = []
    observability = None
    if metrics_port is not None:
        observability = observability_server(
            runtime,
            host=metrics_host,
            port=metrics_port,
            max_backlog=ready_max_backlog,
            max_worker_age=ready_max_worker_age,
            worker_here=mode != "off",
            clock=app.clock,
        )
        companions.append(observability)
    dashboard = None
    if dashboard_on:
        from ..receiver.dashboard import DashboardServer, TokenAuth

        dashboard = DashboardServer(
            runtime.store, guard(TokenAuth)(dashboard_token), host=dashboard_host,
            port=dashboard_port or 0, clock=app.clock, metrics=metrics,
            wake=child.wake if child else runtime.worker.notify if mode == "in-process" else None,
        )  # fmt: skip
        companions.append(dashboard)
    if catchup_on_start:
        from .catchup import catchup_companion

        wake = child.wake if child else runtime.worker.notify if mode == "in-process" else None
        companions.append(catchup_companion(app, runtime.store, wake))
    server = guard(WebhookServer)(
        runtime,
        host=host,
        port=port,
        max_connections=max_connections,
        max_url_bytes=max_url_bytes,
        max_header_bytes=max_header_bytes,
        linger_timeout=linger_timeout,
        companions=companions,
    )
    # The store's thread wants the GIL back after every SQLite call; with the default
    # 5 ms switch interval a busy event loop makes each commit wait for it several times.
    sys.setswitchinterval(0.0005)

    def ready(server: WebhookServer) -> None:
        click.echo(
            f"appevents: receiving at http://{host}:{server.bound_port}{app.path} "
            f"(store {runtime.store.url}, worker {_DESCRIBE[mode]}"
            + (f", commits {_DESCRIBE[ingest]})" if ingest else ")"),
            err=True,
        )
        if observability is not None:
            click.echo(
                f"appevents: metrics at http://{metrics_host}:{observability.bound_port}/metrics "
                "(and /healthz, /readyz)",
                err=True,
            )
        if dashboard is not None:
            click.echo(f"appevents: dashboard at {dashboard.login_url}", err=True)
            if dashboard_host not in ("127.0.0.1", "localhost", "::1"):
                click.secho(
                    f"warning: the dashboard answers on {dashboard_host} over plain HTTP: its "
                    "token and session cross the network unencrypted unless a TLS proxy "
                    "fronts it",
                    fg="yellow",
                    err=True,
                )
        if child is not None:
            child.start()

    try:
        server.run(on_ready=ready)
    except OSError as exc:
        raise click.ClickException(cannot_listen(host, port, exc)) from None
    except AppEventsError as exc:  # the store did not open: a missing database, a server down
        raise click.ClickException(str(exc)) from None
    finally:
        if child is not None:
            child.stop()


def _child_env(
    store_url: str | None, api_key: str | None, api_base: str | None
) -> dict[str, str] | None:
    """The worker child's environment: ours, with the settings given on our command line
    (through the environment, where a key is not visible to `ps` as arguments are)."""
    given = {STORE_ENV: store_url, API_KEY_ENV: api_key, API_BASE_ENV: api_base}
    extra = {name: value for name, value in given.items() if value}
    return {**os.environ, **extra} if extra else None


def _check_listen_address(host: str, port: int) -> None:
    """Resolve ``host`` and bind each of its addresses, as the server will, then let go."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, protocol, _, address in addresses:
            with socket.socket(family, kind, protocol) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as exc:
        raise click.ClickException(cannot_listen(host, port, exc)) from None


_DESCRIBE = {
    "process": "in a child process",
    "in-process": "in this process",
    "thread": "in this process",
    "off": "off",
}


def _ingest_mode(chosen: str | None, store: Store) -> str | None:
    if not isinstance(store, SQLiteStore):
        if chosen is not None:
            raise click.UsageError(
                f"--ingest {chosen} applies to sqlite:/// stores only, not to {store.url}: "
                "leave --ingest out"
            )
        return None
    return chosen or "process"


def _worker_mode(chosen: str | None, no_worker: bool, *, in_memory: bool) -> str:
    if no_worker:
        if chosen not in (None, "off"):
            raise click.UsageError(f"--no-worker contradicts --worker {chosen}: pass one of them")
        return "off"
    if chosen is None:
        return "in-process" if in_memory else "process"
    if chosen == "process" and in_memory:
        raise click.UsageError(
            "--worker process cannot reach a memory:// store (its events live in the server's "
            "process): use --worker in-process, or a sqlite:/// or postgresql:// store"
        )
    return chosen


@click.command()
@click.argument("target", metavar="MODULE:APP")
@store_option
@app_dir_option
@api_options
@log_level_option
@log_format_option
@click.option("--wake-fd", type=int, default=None, hidden=True)  # set by `appevents serve`
@click.option("--stats-fd", type=int, default=None, hidden=True)  # set by `appevents serve`
def worker(
    target: str,
    store_url: str | None,
    app_dir: str,
    api_key: str | None,
    api_base: str | None,
    log_level: str,
    log_format: str,
    wake_fd: int | None,
    stats_fd: int | None,
) -> None:
    """Run only the worker: process the events stored by `appevents serve --no-worker`.

    Environment: APPEVENTS_STORE (store URL), APPEVENTS_API_KEY and APPEVENTS_API_BASE
    (what handlers fetch thin events' data with).
    """
    configure_logging(log_level, log_format)
    app = load_app(target, app_dir)
    if api_settings := _api_settings(api_key, api_base):
        app = guard(app.configured)(**api_settings)
    store = store_for_writing(open_store(store_url) if store_url else guard(app.open_store)())
    run_worker(app, store, wake_fd=wake_fd, stats_fd=stats_fd)


def run_worker(
    app: App, store: Store, *, wake_fd: int | None = None, stats_fd: int | None = None
) -> None:
    """Process ``app``'s events in ``store`` until SIGINT/SIGTERM: what ``appevents worker``
    runs, and the framework integrations' worker commands (``flask appevents worker``)."""

    async def main() -> None:
        await store.open()
        for setup in app.setup_hooks:
            await store.setup(setup)
        work = app.worker(store)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, work.stop)
        if wake_fd is not None:
            watch_wake_pipe(loop, wake_fd, work.notify, work.stop)
        if stats_fd is not None:
            work.observer = report_results(stats_fd)
        click.echo(f"appevents: worker on {store.url}", err=True)
        try:
            await work.run()
        finally:
            await store.close()
            click.echo(f"appevents: worker stopped after {work.stats.processed} attempts", err=True)

    run(main())
