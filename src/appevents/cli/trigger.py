"""``appevents trigger``: make the sandbox emit an event, as Stripe would, with its cascade."""

from __future__ import annotations

import click

from .api_client import call
from .config import API_KEY_ENV


@click.command()
@click.argument("event")
@click.option("--stripe-account", help="Run it on this account (one that installed your app).")
@click.option("--add", multiple=True, help="step:path=value, set only if missing.")
@click.option("--override", multiple=True, help="step:path=value, replace.")
@click.option("--remove", multiple=True, help="step:path, delete.")
@click.option("--skip", multiple=True, help="A step not to run.")
@click.option("--app", help="The app, for account.application.* (when you own several).")
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
