"""``appevents sandbox``: run the local Stripe."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from ..sandbox.delivery import DeliverySettings
from ..sandbox.schedule import DisablePolicy, RetrySchedule
from .common import guard

DATA_ENV = "APPEVENTS_SANDBOX_DATA"


def default_data_path() -> Path:
    base = Path(click.get_app_dir("appevents", force_posix=True))
    return base / "sandbox.db"


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
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Compress retry schedules: 0.001 makes Stripe's 3-day schedule last ~4 minutes.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Delivery timeout (s).",
)
@click.option("--log-level", default="warning", show_default=True)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    if reset:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()
    settings = DeliverySettings(
        timeout=timeout,
        schedule=RetrySchedule(time_scale=time_scale),
        disable=DisablePolicy(time_scale=time_scale),
    )
    server = guard(SandboxServer)(path, settings=settings)
    platform = server.platform()
    keys = platform["keys"]
    assert isinstance(keys, dict)
    click.echo(f"appevents sandbox on http://{host}:{port} (state: {path})")
    click.echo(f"platform account {platform['id']}")
    click.echo(f"  test secret key: {keys['test']}")
    click.echo(f"  live secret key: {keys['live']}")
    click.echo(f"stripe-python: stripe.api_base = 'http://{host}:{port}'", err=False)
    config = uvicorn.Config(
        server.asgi(), host=host, port=port, log_level=log_level, access_log=False, lifespan="on"
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run()
    finally:
        server.close()
