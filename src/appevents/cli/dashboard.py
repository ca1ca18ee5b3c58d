"""``appevents dashboard``: open the sandbox's dashboard in the browser."""

from __future__ import annotations

import webbrowser

import click
import httpx

from .config import API_BASE_ENV, DEFAULT_API_BASE, check_api_base, load_login


@click.command()
@click.option(
    "--api-base", envvar=API_BASE_ENV, show_envvar=True,
    help=f"The sandbox's URL [default: the one `appevents login` saved, else {DEFAULT_API_BASE}]",
)  # fmt: skip
@click.option("--no-open", is_flag=True, help="Print the dashboard's URL instead of opening it.")
def dashboard(api_base: str | None, no_open: bool) -> None:
    """Open the sandbox's dashboard (accounts, apps, webhook endpoints, events, live) in
    the browser.

    Environment: APPEVENTS_API_BASE (the sandbox's URL).
    """
    if api_base is None:
        login = load_login()
        api_base = login.api_base if login is not None else DEFAULT_API_BASE
    url = check_api_base(api_base) + "/"
    try:
        answer = httpx.get(url, timeout=5)
    except httpx.HTTPError as exc:
        raise click.ClickException(
            f"no sandbox answers at {url} ({exc}): start one with `appevents sandbox`, or pass "
            "--api-base with the URL it printed"
        ) from None
    if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
        raise click.ClickException(
            f"{url} answered {answer.status_code} without the dashboard: is it an appevents "
            "sandbox? Pass --api-base with the URL `appevents sandbox` printed"
        )
    if no_open:
        click.echo(url)
        return
    if not webbrowser.open(url):
        click.echo(f"no browser to open here; the dashboard is at {url}")
        return
    click.echo(f"opened {url}")
