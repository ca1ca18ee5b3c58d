"""``appevents events | webhook-endpoints | accounts``: the sandbox's API from the shell."""

from __future__ import annotations

from typing import Any

import click

from .api_client import call, echo_json

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
    page = call("GET", "/v1/events", params, stripe_account=stripe_account, live=live)
    for event in page["data"]:
        account = f" {event['account']}" if event.get("account") else ""
        click.echo(
            f"{event['id']}  {event['type']}{account}  pending_webhooks={event['pending_webhooks']}"
        )


@events.command("retrieve")
@click.argument("event_id")
@account_option
@live_option
def retrieve_event(event_id: str, stripe_account: str | None, live: bool) -> None:
    echo_json(call("GET", f"/v1/events/{event_id}", stripe_account=stripe_account, live=live))


@events.command("resend")
@click.argument("event_id")
@click.option("--webhook-endpoint", required=True, help="The we_… to deliver it to again.")
@live_option
def resend_event(event_id: str, webhook_endpoint: str, live: bool) -> None:
    """Deliver an event again to one endpoint."""
    call("POST", f"/v1/events/{event_id}/retry", {"webhook_endpoint": webhook_endpoint}, live=live)
    click.echo(f"Resending {event_id} to {webhook_endpoint}")


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
    endpoint = call("POST", "/v1/webhook_endpoints", params, live=live)
    click.echo(f"Created {endpoint['id']} -> {endpoint['url']}")
    click.echo(f"Signing secret (shown once): {endpoint['secret']}")


@webhook_endpoints.command("list")
@live_option
def list_endpoints(live: bool) -> None:
    for endpoint in call("GET", "/v1/webhook_endpoints", {"limit": 100}, live=live)["data"]:
        connect = " connect" if endpoint.get("application") else ""
        click.echo(
            f"{endpoint['id']}  {endpoint['status']}{connect}  {endpoint['url']}  "
            f"{','.join(endpoint['enabled_events'])}"
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
    endpoint = call("POST", f"/v1/webhook_endpoints/{endpoint_id}", params, live=live)
    click.echo(f"Updated {endpoint['id']}: {endpoint['status']} {endpoint['url']}")


@webhook_endpoints.command("delete")
@click.argument("endpoint_id")
@live_option
def delete_endpoint(endpoint_id: str, live: bool) -> None:
    call("DELETE", f"/v1/webhook_endpoints/{endpoint_id}", live=live)
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
        account = call("POST", "/v1/accounts", {"type": "custom", **params})
        click.echo(f"Created connected account {account['id']}")
        return
    account = call("POST", "/_sandbox/accounts", json_body=params)
    click.echo(f"Created account {account['id']}")
    click.echo(f"  test secret key: {account['keys']['test']}")


@accounts.command("list")
def list_accounts() -> None:
    """Your connected accounts."""
    for account in call("GET", "/v1/accounts", {"limit": 100})["data"]:
        click.echo(f"{account['id']}  {account.get('email') or ''}")
