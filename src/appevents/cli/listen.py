"""``appevents listen``: forward the sandbox's events to your local endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import click

from ..errors import AppEventsError
from ..listener import Listener, ListenOptions, parse_headers, patterns
from .config import API_BASE_ENV, API_KEY_ENV, load_login


@click.command()
@click.option("-f", "--forward-to",
              help="URL for your account's own events: http(s)://host[:port]/path, "
                   "host:port/path, a port (4242) or a path (/hook).")  # fmt: skip
@click.option("-c", "--forward-connect-to",
              help="URL for Connect events (accounts that installed your app); defaults to "
                   "--forward-to.")  # fmt: skip
@click.option("-e", "--events", default="*", show_default=True, help="Comma-separated types.")
@click.option("-H", "--headers", help="Extra headers, 'K:V,K2:V2'.")
@click.option("--connect-headers", help="Extra headers for Connect events [default: --headers].")
@click.option("--print-secret", is_flag=True, help="Print the signing secret and exit.")
@click.option("--format", "fmt", type=click.Choice(["JSON"], case_sensitive=False),
              help="Print each event as one JSON line.")  # fmt: skip
@click.option("--skip-verify", is_flag=True, help="Do not check TLS certificates.")
@click.option("--live", is_flag=True, help="Listen to live-mode events.")
@click.option(
    "--all-thin",
    is_flag=True,
    help="Thin events too, every type (--events takes thin types: v1.billing.*).",
)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Seconds to wait for your endpoint's answer.")  # fmt: skip
@click.option("--api-base", envvar=API_BASE_ENV, show_envvar=True, help="The sandbox's URL.")
@click.option("--api-key", envvar=API_KEY_ENV, show_envvar=True, help="Secret key to use.")
def listen(
    forward_to: str | None, forward_connect_to: str | None, events: str, headers: str | None,
    connect_headers: str | None, print_secret: bool, fmt: str | None, skip_verify: bool,
    live: bool, all_thin: bool, timeout: float, api_base: str | None, api_key: str | None,
) -> None:  # fmt: skip
    """Receive the sandbox's events and forward them, signed, to a local URL.

    Events of your own account go to --forward-to; events of the accounts that installed
    your app (they carry `account`) go to --forward-connect-to. An event your app's
    permissions withhold is shown with the command that grants the missing permission.
    Environment: APPEVENTS_API_BASE, APPEVENTS_API_KEY, APPEVENTS_CONFIG_DIR.
    """
    saved = load_login()
    if (api_base is None or api_key is None) and saved is None:
        raise click.UsageError("not logged in: run `appevents login` (or pass --api-key)")
    try:
        options = ListenOptions(
            api_base=(api_base or saved.api_base).rstrip("/"),  # type: ignore[union-attr]
            api_key=api_key or saved.key(live),  # type: ignore[union-attr]
            device_name=saved.device_name if saved else "default",
            forward_to=forward_to,
            forward_connect_to=forward_connect_to,
            events=patterns(events),
            headers=parse_headers(headers),
            connect_headers=None if connect_headers is None else parse_headers(connect_headers),
            skip_verify=skip_verify,
            json_output=fmt is not None,
            timeout=timeout,
            all_thin=all_thin,
        )
    except AppEventsError as exc:
        raise click.UsageError(str(exc)) from None
    listener = Listener(
        options,
        out=lambda line: click.echo(line),
        status=lambda line: click.echo(line, err=True),
    )

    async def main() -> None:
        if print_secret:
            click.echo(await listener.fetch_secret())
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await listener.run(stop)

    try:
        asyncio.run(main())
    except AppEventsError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach the sandbox at {options.api_base}: {exc}"
        ) from None
    sys.stdout.flush()
