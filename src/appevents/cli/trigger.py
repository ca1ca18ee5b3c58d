"""``appevents trigger``: run a fixture's API calls against the sandbox, as ``stripe
trigger`` does; the events are what those calls cause."""

from __future__ import annotations

import click

from ..errors import AppEventsError
from ..manifest import DEFAULT_MANIFEST, Manifest
from .api_client import call, login_or_fail
from .config import API_KEY_ENV
from .merchants import merchant_key


def _names_epilog() -> str:
    from ..sandbox import fixtures  # the fixtures are read when help is asked for

    return "\b\nTriggers:\n" + "\n".join(f"  {name}" for name in fixtures.names())


class _TriggerCommand(click.Command):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.epilog = _names_epilog()
        super().format_epilog(ctx, formatter)


@click.command(cls=_TriggerCommand)
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
    """Trigger EVENT: run its fixture, the API calls `stripe trigger EVENT` makes (every
    name it knows, listed below, and account.application.authorized / deauthorized, which
    install or uninstall your app). Steps are named as in the Stripe CLI's fixtures."""
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
