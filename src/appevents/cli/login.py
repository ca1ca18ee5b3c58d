"""``appevents login`` / ``logout``: pair the CLI with a running sandbox.

Pairing goes the way `stripe login` goes (``POST /stripecli/auth``, a confirmation page,
a poll that hands the keys over once). The sandbox lets only this machine confirm, and
this CLI is on it, so it confirms by itself; a sandbox that refuses (another machine's)
gets the page's URL printed for its user to open there, and the CLI waits for them.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import click
import httpx

from .api_client import answer, check_header, unreachable
from .config import (
    API_BASE_ENV,
    API_KEY_ENV,
    DEFAULT_API_BASE,
    Login,
    check_api_base,
    check_config_writable,
    forget_login,
    save_login,
)


@click.command()
@click.option("--api-base", default=DEFAULT_API_BASE, show_default=True, envvar=API_BASE_ENV,
              show_envvar=True, help="The sandbox's URL.")  # fmt: skip
@click.option("--api-key", envvar=API_KEY_ENV, show_envvar=True,
              help="Use this secret key instead of pairing (for scripts).")  # fmt: skip
@click.option("--device-name", default=socket.gethostname(), show_default=True)
def login(api_base: str, api_key: str | None, device_name: str) -> None:
    """Pair this CLI with a running `appevents sandbox` and save its keys (mode 0600).

    Environment: APPEVENTS_API_BASE, APPEVENTS_API_KEY, APPEVENTS_CONFIG_DIR.
    """
    api_base = check_api_base(api_base)
    if api_key:
        check_header("--api-key", api_key, "pass the sk_test_… key the sandbox printed")
    check_config_writable()
    try:
        if api_key:
            response = httpx.get(
                f"{api_base}/v1/account", headers={"Authorization": f"Bearer {api_key}"}, timeout=10
            )
            try:
                account = answer(api_base, response)
            except click.ClickException as refused:
                raise click.ClickException(
                    f"the sandbox at {api_base} refused the key: {refused.message}"
                ) from None
            saved = Login(api_base, str(account["id"]), api_key, None, device_name)
        else:
            saved = _pair(api_base, device_name)
    except httpx.HTTPError as exc:
        raise unreachable(api_base, exc) from None
    except (KeyError, TypeError):
        raise click.ClickException(
            f"{api_base} answered, but not as `appevents sandbox` does: is it the sandbox?"
        ) from None
    path = save_login(saved)
    click.echo(
        f"Done! The appevents CLI is configured for account {saved.account} "
        f"with device name {device_name} (saved in {path})"
    )


POLL_INTERVAL = 1.0
POLL_ATTEMPTS = 120  # as the Stripe CLI: two minutes for the user to confirm


def _pair(api_base: str, device_name: str) -> Login:
    started = answer(api_base, httpx.post(
        f"{api_base}/stripecli/auth",
        data={"device_name": device_name, "client_version": "appevents"}, timeout=10,
    ))  # fmt: skip
    browser_url, poll_url = str(started["browser_url"]), str(started["poll_url"])
    token = browser_url.partition("?t=")[2]
    confirmed = httpx.post(browser_url.partition("?")[0], data={"t": token}, timeout=10)
    if confirmed.status_code != 200:
        click.echo(
            f"Your pairing code is: {started['verification_code']}\n"
            f"The sandbox takes the confirmation from its own machine: open {browser_url} "
            "there and allow access (^C to quit)",
            err=True,
        )
    for _ in range(POLL_ATTEMPTS):
        polled: dict[str, Any] = answer(api_base, httpx.get(poll_url, timeout=10))
        if polled.get("redeemed"):
            return Login(api_base, str(polled["account_id"]), str(polled["testmode_key_secret"]),
                         str(polled["livemode_key_secret"]), device_name)  # fmt: skip
        time.sleep(POLL_INTERVAL)
    raise click.ClickException(
        f"nobody confirmed the pairing at {browser_url} within two minutes: run "
        "`appevents login` again"
    )


@click.command()
def logout() -> None:
    """Forget the saved login."""
    click.echo("Logged out." if forget_login() else "Not logged in.")
