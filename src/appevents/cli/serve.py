"""``appevents serve`` (endpoint + worker) and ``appevents worker`` (worker only)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click

from ..errors import AppEventsError
from ..receiver.app import App
from .common import SECRET_ENV, guard, load_app, open_store, run, secrets_from, store_option

log = logging.getLogger("appevents")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


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
@click.option("--app-dir", default=".", show_default=True, help="Folder to import MODULE from.")
@click.option("--no-worker", is_flag=True, help="Only receive; run `appevents worker` apart.")
@click.option("--log-level", default="info", show_default=True)
def serve(
    target: str,
    host: str,
    port: int,
    store_url: str | None,
    secrets: tuple[str, ...],
    app_dir: str,
    no_worker: bool,
    log_level: str,
) -> None:
    """Run the app's webhook endpoint and its worker in one process.

    Every delivery is verified, stored durably, then answered 200; the worker runs the
    handlers. Environment: APPEVENTS_WEBHOOK_SECRET (comma-separated secrets),
    APPEVENTS_STORE (store URL).
    """
    import uvicorn

    _configure_logging(log_level)
    app = load_app(target, app_dir)
    settings: dict[str, object] = {}
    if secrets:
        settings["secrets"] = secrets_from(secrets)
    if store_url:
        settings["store"] = store_url
    app = guard(app.configured)(**settings)
    if not app.secrets:
        raise click.UsageError(
            f"no webhook signing secret: pass --secret whsec_… or set {SECRET_ENV}"
        )
    _check_manifest(app)
    runtime = guard(app.runtime)(run_worker=not no_worker)
    from ..receiver.http import ASGIEndpoint

    endpoint = ASGIEndpoint(app, runtime)
    config = uvicorn.Config(
        endpoint,
        host=host,
        port=port,
        loop="auto",
        http="auto",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # the endpoint never reads client addresses: skip the work
        log_level=log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    click.echo(
        f"appevents: receiving at http://{host}:{port}{app.path} "
        f"(store {runtime.store.url}, worker {'off' if no_worker else 'on'})",
        err=True,
    )
    with contextlib.suppress(KeyboardInterrupt):  # ^C is how one stops it: no "Aborted!"
        uvicorn.Server(config).run()


@click.command()
@click.argument("target", metavar="MODULE:APP")
@store_option
@click.option("--app-dir", default=".", show_default=True, help="Folder to import MODULE from.")
@click.option("--log-level", default="info", show_default=True)
def worker(target: str, store_url: str | None, app_dir: str, log_level: str) -> None:
    """Run only the worker: process the events stored by `appevents serve --no-worker`.

    Environment: APPEVENTS_STORE (store URL).
    """
    _configure_logging(log_level)
    app = load_app(target, app_dir)
    store = open_store(store_url) if store_url else guard(app.open_store)()

    async def main() -> None:
        await store.open()
        for setup in app.setup_hooks:
            await store.setup(setup)
        work = app.worker(store)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, work.stop)
        click.echo(f"appevents: worker on {store.url}", err=True)
        try:
            await work.run()
        finally:
            await store.close()
            click.echo(f"appevents: worker stopped after {work.stats.processed} attempts", err=True)

    run(main())
