"""``appevents trigger``: make the sandbox emit an event, as Stripe would, with its cascade."""

from __future__ import annotations

import click

from ..errors import AppEventsError
from ..manifest import DEFAULT_MANIFEST, Manifest
from .api_client import call, login_or_fail
from .config import API_KEY_ENV
from .merchants import merchant_key


@click.command()
@click.argument("event")
@click.option("--stripe-account",
              help="Run it on this account: a merchant `accounts create` made (as itself, "
              "with its saved key), or one of yours (Stripe-Account).")  # fmt: skip
@click.option("--add", multiple=True, help="step:path=value, set only if missing.")
@click.option("--override", multiple=True, help="step:path=value, replace.")
@click.option("--remove", multiple=True, help="step:path, delete.")
@click.option("--skip", multiple=True, help="A step not to run.")
@click.option("--app", help="The app, for account.application.* [default: ./stripe-app.json's "
              "id, or the one you own]")  # fmt: skip
@click.option("--live", is_flag=True, help="Live mode.")
@click.option("--api-key", envvar=API_KEY_ENV, show_envvar=True,
              help="Run as this secret key's account (a merchant's own activity); "
              "default: the logged-in key.")  # fmt: skip
def trigger(
    event: str,
    stripe_account: str | None,
    add: tuple[str, ...],
    override: tuple[str, ...],
    remove: tuple[str, ...],
    skip: tuple[str, ...],
    app: str | None,
    live: bool,
    api_key: str | None,
) -> None:
    """Trigger EVENT: every name `stripe trigger` knows, account.application.authorized and
    deauthorized, and any other event type (one event with a fresh sample object)."""
    body = {
        "event": event,
        "add": list(add),
        "override": list(override),
        "remove": list(remove),
        "skip": list(skip),
    }
    if stripe_account and not api_key:
        # A merchant this CLI made: its activity (paying, installing your app) is its own
        # doing, so the trigger runs with its key; any other account through Stripe-Account.
        api_key = merchant_key(login_or_fail().api_base, stripe_account, live=live)
        if api_key:
            stripe_account = None
            if event.startswith("account.application.") and not app:
                app = _app_of_manifest()
    if app:
        body["app"] = app
    result = call(
        "POST", "/_sandbox/trigger", json_body=body, stripe_account=stripe_account, live=live,
        key=api_key, expect=("lines", "events"),
    )  # fmt: skip
    for line in result["lines"]:
        click.echo(line)
    if result.get("note"):
        click.echo(f"Note: {result['note']}")
    for caused in result["events"]:
        click.echo(f"  {caused['id']}  {caused['type']}")


def _app_of_manifest() -> str | None:
    """The id in ./stripe-app.json: the app a merchant installs, when --app is not given."""
    try:
        return Manifest.load(DEFAULT_MANIFEST).require_app_id()
    except AppEventsError:
        return None  # the sandbox then says which --app to pass
