"""``appevents sandbox``: run the local Stripe."""

from __future__ import annotations

import contextlib
import math
import socket
from pathlib import Path

import click

from ..sandbox.delivery import DeliverySettings
from ..sandbox.schedule import DisablePolicy, RetrySchedule
from .common import cannot_listen, guard

DATA_ENV = "APPEVENTS_SANDBOX_DATA"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def default_data_path() -> Path:
    base = Path(click.get_app_dir("appevents", force_posix=True))
    return base / "sandbox.db"


def positive_finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # click's FloatRange lets nan and inf through: neither is a duration or a scale.
    if not math.isfinite(value) or value <= 0:
        raise click.BadParameter(f"{value} is not a positive finite number; pass e.g. 0.5")
    return value


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound before anything is printed: the keys shown are those of a sandbox that runs."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise click.BadParameter(f"cannot use host {host!r}: {exc}", param_hint="--host") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise click.ClickException(cannot_listen(host, port, exc)) from None
    return sock


def prepare_data(path: Path, reset: bool) -> None:
    """The state file's folder exists, and with ``reset`` the old state is gone."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if reset:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{path}{suffix}").unlink()
    except OSError as exc:
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = f"{exc.filename} is a file, not a folder"
        else:
            reason = f"{exc.strerror or exc}: {exc.filename or path.parent}"
        raise click.ClickException(
            f"cannot {'reset' if reset else 'use'} the sandbox's state {path} ({reason}): pass "
            "--data with a file in a writable folder"
        ) from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=12111, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=DATA_ENV,
    show_envvar=True,
    help="SQLite file holding the sandbox's state [default: ~/.appevents/sandbox.db]",
)
@click.option("--reset", is_flag=True, help="Empty the sandbox's state first.")
@click.option(
    "--time-scale",
    type=float,
    callback=positive_finite,
    default=1.0,
    show_default=True,
    help="Compress retry schedules: 0.001 makes Stripe's 3-day schedule last ~4 minutes.",
)
@click.option(
    "--timeout", type=float, callback=positive_finite, default=30.0, show_default=True,
    help="Delivery timeout (s).",
)  # fmt: skip
@click.option(
    "--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False), default="warning",
    show_default=True,
)  # fmt: skip
def sandbox(
    host: str, port: int, data: Path | None, reset: bool, time_scale: float, timeout: float,
    log_level: str,
) -> None:  # fmt: skip
    """Run a local, stateful Stripe for events: accounts, apps and installs, webhook
    endpoints, events and signed deliveries, for the official stripe libraries to talk to.

    Environment: APPEVENTS_SANDBOX_DATA (state file).
    """
    import uvicorn

    from ..sandbox.server import SandboxServer

    path = data or default_data_path()
    if path.is_dir():  # the default path (a given one was checked by click)
        raise click.BadParameter(f"{path} is a folder; pass a file in it", param_hint="--data")
    sock = listening_socket(host, port)
    try:
        prepare_data(path, reset)
        settings = DeliverySettings(
            timeout=timeout,
            schedule=RetrySchedule(time_scale=time_scale),
            disable=DisablePolicy(time_scale=time_scale),
        )
        server = guard(SandboxServer)(path, settings=settings)
        try:
            platform = guard(server.platform)()
        except BaseException:
            server.close()
            raise
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]
    keys = platform["keys"]
    assert isinstance(keys, dict)
    click.echo(f"appevents sandbox on http://{host}:{port} (state: {path})")
    click.echo(f"platform account {platform['id']}")
    click.echo(f"  test secret key: {keys['test']}")
    click.echo(f"  live secret key: {keys['live']}")
    click.echo(f"stripe-python: stripe.api_base = 'http://{host}:{port}'", err=False)
    click.echo(f"dashboard: http://{host}:{port}/ (or `appevents dashboard`)")
    config = uvicorn.Config(
        server.asgi(), log_level=log_level.lower(), access_log=False, lifespan="on"
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        server.close()
