"""``appevents dashboard``: open the sandbox's dashboard in the browser, or, with
``--store``, serve the receiver dashboard of that store alone."""

from __future__ import annotations

import webbrowser

import click
import httpx

from .common import cannot_listen, guard, store_for_reading
from .config import API_BASE_ENV, DEFAULT_API_BASE, check_api_base, load_login
from .serve import DASHBOARD_TOKEN_ENV


@click.command()
@click.option(
    "--api-base", envvar=API_BASE_ENV, show_envvar=True,
    help=f"The sandbox's URL [default: the one `appevents login` saved, else {DEFAULT_API_BASE}]",
)  # fmt: skip
@click.option("--no-open", is_flag=True, help="Print the dashboard's URL instead of opening it.")
@click.option(
    "--store", "store_url", default=None,
    help="Serve the receiver dashboard of this store (sqlite:///PATH, postgresql://...) "
    "instead: its inbox, dead letters with replay, installations and activity.",
)  # fmt: skip
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="With --store: the interface to bind."
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="With --store: the port (0: a free one).")  # fmt: skip
@click.option(
    "--token", envvar=DASHBOARD_TOKEN_ENV, show_envvar=True, default=None,
    help="With --store: the token every page needs [default: a random one, printed].",
)  # fmt: skip
def dashboard(
    api_base: str | None, no_open: bool, store_url: str | None, host: str, port: int,
    token: str | None,
) -> None:  # fmt: skip
    """Open the sandbox's dashboard (accounts, apps, webhook endpoints, events, live) in
    the browser; with --store, serve the receiver dashboard of that store until Ctrl-C.

    Environment: APPEVENTS_API_BASE (the sandbox's URL), APPEVENTS_DASHBOARD_TOKEN (the
    receiver dashboard's token).
    """
    if store_url is not None:
        _serve_store(store_url, host, port, token, no_open)
        return
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


def _serve_store(store_url: str, host: str, port: int, token: str | None, no_open: bool) -> None:
    from ..receiver.dashboard import TokenAuth, serve_store

    store = store_for_reading(store_url, None, ".")  # never creates a store that is not there
    auth = guard(TokenAuth)(token)

    def ready(url: str) -> None:
        click.echo(f"appevents: dashboard of {store.url} at {url}", err=True)
        if not no_open:
            webbrowser.open(url)

    try:
        serve_store(store, auth, host=host, port=port, on_ready=ready)
    except OSError as exc:
        raise click.ClickException(cannot_listen(host, port, exc)) from None
