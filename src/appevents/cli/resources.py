"""``appevents events | webhook-endpoints | accounts``: the sandbox's API from the shell."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import click

from .api_client import call, echo_json, login_or_fail, path
from .merchants import remember_merchant

# Why `accounts list` does not show what `accounts create` made: users look there first.
STANDALONE = (
    "a merchant made by `accounts create` is an account of its own, not a connected account "
    "of yours: it is connected to you through your app once it installs it"
)

live_option = click.option("--live", is_flag=True, help="Use the live-mode key.")
account_option = click.option("--stripe-account", help="Act on this account (Stripe-Account).")


@click.group()
def events() -> None:
    """List, retrieve and resend the sandbox's events."""


@events.command("list")
@click.option("--type", "event_type", help="Event type; `charge.*` style wildcards allowed.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@account_option
@live_option
def list_events(event_type: str | None, limit: int, stripe_account: str | None, live: bool) -> None:
    params: dict[str, Any] = {"limit": limit}
    if event_type:
        params["type"] = event_type
    page = call(
        "GET", "/v1/events", params, stripe_account=stripe_account, live=live, expect=("data",)
    )
    whose = f"account {stripe_account}" if stripe_account else "your account"
    _echo_listing(
        f"Events of {whose}" + (f" of type {event_type}" if event_type else ""),
        page["data"],
        lambda event: (
            f"{event['id']}  {event['type']}"
            + (f" {event['account']}" if event.get("account") else "")
            + f"  pending_webhooks={event['pending_webhooks']}"
        ),
        # The listing is the caller's own: an installing account's events are its own.
        ""
        if stripe_account
        else "(events of accounts that installed your app: pass --stripe-account acct_…)",
    )


def _echo_listing(
    title: str, rows: Iterable[dict[str, Any]], line: Callable[[dict[str, Any]], str], why: str
) -> None:
    """A header, then one line per row, or "none" (and why) rather than nothing at all."""
    click.echo(f"{title}:")
    shown = False
    for row in rows:
        click.echo(f"  {line(row)}")
        shown = True
    if not shown:
        click.echo(f"  none {why}".rstrip())


@events.command("retrieve")
@click.argument("event_id")
@account_option
@live_option
def retrieve_event(event_id: str, stripe_account: str | None, live: bool) -> None:
    found = call(
        "GET", path("/v1/events/{}", event_id), stripe_account=stripe_account, live=live,
        expect=("id",),
    )  # fmt: skip
    echo_json(found)


@events.command("resend")
@click.argument("event_id")
@click.option("--webhook-endpoint", required=True, help="The we_… to deliver it to again.")
@click.option("--wait", default=15.0, show_default=True, type=click.FloatRange(0, 600),
              help="Seconds to wait for the attempt's outcome (0: don't wait).")  # fmt: skip
@live_option
def resend_event(event_id: str, webhook_endpoint: str, wait: float, live: bool) -> None:
    """Deliver an event again to one endpoint and show the attempt's outcome."""
    log = path("/_sandbox/events/{}/deliveries", event_id)

    def attempts() -> list[dict[str, Any]]:
        return _attempts(call("GET", log, live=live, expect=DELIVERIES), webhook_endpoint)

    before = len(attempts())
    call("POST", path("/v1/events/{}/retry", event_id), {"webhook_endpoint": webhook_endpoint},
         live=live, expect=("id",))  # fmt: skip
    click.echo(f"Resending {event_id} to {webhook_endpoint}")
    deadline = time.monotonic() + wait
    while wait:
        made = attempts()
        if len(made) > before:
            click.echo(_outcome(made[-1]))
            if made[-1]["status_code"] is None or made[-1]["status_code"] >= 300:
                raise SystemExit(1)
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    click.echo(
        "No attempt yet"
        + (f" after {wait:g} s" if wait else "")
        + ": the sandbox delivers it in the background (see its deliveries in "
        f"GET /_sandbox/events/{event_id}/deliveries)"
    )


DELIVERIES = ("deliveries",)


def _attempts(deliveries: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
    """The endpoint's attempts in the order they were made (numbers restart on a resend)."""
    for delivery in deliveries["deliveries"]:
        if delivery["endpoint"] == endpoint:
            return sorted(delivery["attempts_log"], key=lambda a: a["at"])
    return []


def _outcome(attempt: dict[str, Any]) -> str:
    duration = f"{attempt['duration_ms']:.0f} ms"
    if attempt["status_code"] is None:
        return f"Failed after {duration}: {attempt['error']}"
    verdict = "Delivered" if 200 <= attempt["status_code"] < 300 else "Failed"
    return f"{verdict}: [{attempt['status_code']}] in {duration}"


@click.group("webhook-endpoints")
def webhook_endpoints() -> None:
    """Register, list, update and delete webhook endpoints (the Dashboard's)."""


def _events_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@webhook_endpoints.command("create")
@click.option("--url", required=True)
@click.option("--events", "enabled", default="*", show_default=True, help="Comma-separated types.")
@click.option("--connect", is_flag=True, help="Listen to events on connected accounts / installs.")
@click.option("--description")
@live_option
def create_endpoint(
    url: str, enabled: str, connect: bool, description: str | None, live: bool
) -> None:
    params: dict[str, Any] = {
        "url": url,
        "enabled_events": _events_list(enabled),
        "connect": connect,
    }
    if description:
        params["description"] = description
    endpoint = call(
        "POST", "/v1/webhook_endpoints", params, live=live, expect=("id", "url", "secret")
    )
    click.echo(f"Created {endpoint['id']} -> {endpoint['url']}")
    click.echo(f"Signing secret (shown once): {endpoint['secret']}")


@webhook_endpoints.command("list")
@live_option
def list_endpoints(live: bool) -> None:
    _echo_listing(
        f"Webhook endpoints ({'live' if live else 'test'} mode)",
        call("GET", "/v1/webhook_endpoints", {"limit": 100}, live=live, expect=("data",))["data"],
        lambda endpoint: (
            f"{endpoint['id']}  {endpoint['status']}"
            + (" connect" if endpoint.get("application") else "")
            + f"  {endpoint['url']}  {','.join(endpoint['enabled_events'])}"
        ),
        "(add one: appevents webhook-endpoints create --url URL [--connect])",
    )


@webhook_endpoints.command("update")
@click.argument("endpoint_id")
@click.option("--url")
@click.option("--events", "enabled", help="Comma-separated types.")
@click.option("--disabled/--enabled", default=None)
@live_option
def update_endpoint(
    endpoint_id: str, url: str | None, enabled: str | None, disabled: bool | None, live: bool
) -> None:
    params: dict[str, Any] = {}
    if url:
        params["url"] = url
    if enabled:
        params["enabled_events"] = _events_list(enabled)
    if disabled is not None:
        params["disabled"] = disabled
    if not params:
        raise click.UsageError("nothing to update: pass --url, --events or --disabled/--enabled")
    endpoint = call(
        "POST", path("/v1/webhook_endpoints/{}", endpoint_id), params, live=live,
        expect=("id", "status", "url"),
    )  # fmt: skip
    click.echo(f"Updated {endpoint['id']}: {endpoint['status']} {endpoint['url']}")


@webhook_endpoints.command("delete")
@click.argument("endpoint_id")
@live_option
def delete_endpoint(endpoint_id: str, live: bool) -> None:
    call("DELETE", path("/v1/webhook_endpoints/{}", endpoint_id), live=live, expect=("id",))
    click.echo(f"Deleted {endpoint_id}")


@click.group()
def accounts() -> None:
    """Create and list the sandbox's accounts."""


@accounts.command("create")
@click.option("--email")
@click.option(
    "--connected",
    is_flag=True,
    help="A connected account of yours (Connect) instead of a merchant of its own.",
)
def create_account(email: str | None, connected: bool) -> None:
    params = {"email": email} if email else {}
    if connected:
        account = call("POST", "/v1/accounts", {"type": "custom", **params}, expect=("id",))
        click.echo(f"Created connected account {account['id']}")
        return
    account = call("POST", "/_sandbox/accounts", json_body=params, expect=("id", "keys"))
    # Kept so that `apps install --account` can act as the merchant, as only it may.
    remember_merchant(login_or_fail().api_base, account["id"], account["keys"])
    click.echo(f"Created account {account['id']}")
    click.echo(f"  {STANDALONE} (so it is not in `accounts list`)")
    click.echo(f"  test secret key: {account['keys']['test']}")


@accounts.command("list")
def list_accounts() -> None:
    """Your connected accounts."""
    _echo_listing(
        "Connected accounts",
        call("GET", "/v1/accounts", {"limit": 100}, expect=("data",))["data"],
        lambda account: f"{account['id']}  {account.get('email') or ''}".rstrip(),
        # What `accounts create` makes by default is not among them, and users look here.
        f"({STANDALONE}; `accounts create --connected` makes one of yours)",
    )
