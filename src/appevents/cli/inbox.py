"""``appevents inbox …`` and ``appevents installations …``: look into the store."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from rich.markup import escape
from rich.table import Table

from ..receiver.inbox import Attempt, Status, Store, StoredEvent
from .common import app_option, console, print_json, run, store_for_reading, store_option

T = TypeVar("T")
FORMATS = click.Choice(["table", "json"])


def _with_store(
    where: tuple[str | None, str | None, str], action: Callable[[Store], Awaitable[T]]
) -> T:
    """Run ``action`` on the store that ``(--store, --app, --app-dir)`` name."""
    store = store_for_reading(*where)

    async def main() -> T:
        async with store:
            return await action(store)

    return run(main())


def _when(seconds: float | int | None) -> str:
    if seconds is None:
        return "-"
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


@click.group()
def inbox() -> None:
    """Inspect and replay the events the receiver stored."""


@inbox.command("list")
@click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
@click.option("--account", help="Only this account (acct_…).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@store_option
@app_option
def list_events(
    status: str | None,
    account: str | None,
    limit: int,
    fmt: str,
    store_url: str | None,
    app_target: str | None,
    app_dir: str,
) -> None:
    """List stored events, newest first. Environment: APPEVENTS_STORE, APPEVENTS_APP."""
    rows = _with_store(
        (store_url, app_target, app_dir),
        lambda s: s.list_events(
            status=Status(status) if status else None, account=account, limit=limit
        ),
    )
    if fmt == "json":
        print_json([r.to_dict() for r in rows])
        return
    table = Table("id", "type", "account", "created", "status", "attempts", "last error")
    for r in rows:
        error = (r.last_error or "").strip().splitlines()[-1:] or [""]
        # Stored text is shown as it is: rich must not read markup in it.
        table.add_row(
            escape(r.id),
            escape(r.type),
            escape(r.account or "(platform)"),
            _when(r.created),
            str(r.status) + (" (erased)" if r.erased_at else ""),
            str(r.attempts),
            escape(error[0][:60]),
        )
    console().print(table)


@inbox.command("show")
@click.argument("event_id")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@store_option
@app_option
def show(
    event_id: str, fmt: str, store_url: str | None, app_target: str | None, app_dir: str
) -> None:
    """Show one event: its state, every attempt (with its error), and its payload.

    The payload is printed byte for byte as Stripe sent it; with --format json it is the
    "payload" object (null once erased). Environment: APPEVENTS_STORE, APPEVENTS_APP.
    """

    async def fetch(store: Store) -> tuple[StoredEvent, list[Attempt]]:
        event = await store.get_event(event_id)
        return event, list(await store.attempts(event_id))

    event, attempts = _with_store((store_url, app_target, app_dir), fetch)
    data = event.to_dict(with_payload=True)
    data["attempts_log"] = [
        {
            "number": a.number,
            "started_at": a.started_at,
            "finished_at": a.finished_at,
            "status": str(a.status),
            "error": a.error,
        }
        for a in attempts
    ]
    if fmt == "json":
        if data["payload"] is not None:
            data["payload"] = json.loads(data["payload"])
        print_json(data)
        return
    # Plain text, not rich: stored text reaches the terminal or the pipe verbatim, unwrapped.
    for key in ("id", "type", "account", "livemode", "status", "attempts", "last_error"):
        click.echo(f"{key}: {data[key]}")
    click.echo(f"created: {_when(data['created'])}")
    click.echo(f"received: {_when(data['received_at'])}")
    for a in data["attempts_log"]:
        click.echo(f"  attempt {a['number']}: {a['status']} at {_when(a['finished_at'])}")
        for line in (a["error"] or "").rstrip().splitlines():
            click.echo(f"    {line}")
    click.echo(data["payload"] if data["payload"] is not None else "(payload erased)")


@inbox.command("replay")
@click.argument("event_ids", nargs=-1)
@click.option("--dead", is_flag=True, help="Replay every dead-lettered event.")
@store_option
@app_option
def replay(
    event_ids: tuple[str, ...],
    dead: bool,
    store_url: str | None,
    app_target: str | None,
    app_dir: str,
) -> None:
    """Make events pending again (after fixing a handler); the worker picks them up.

    Environment: APPEVENTS_STORE, APPEVENTS_APP.
    """
    if bool(event_ids) == dead:
        raise click.UsageError("give event ids or --dead (one of the two)")
    now = time.time()
    changed = _with_store(
        (store_url, app_target, app_dir),
        (lambda s: s.replay_dead(now=now)) if dead else (lambda s: s.replay(event_ids, now=now)),
    )
    click.echo(f"{len(changed)} event(s) queued for replay" + (": " if changed else ""), nl=False)
    click.echo(", ".join(changed))


@click.group()
def installations() -> None:
    """The accounts that installed the app, as the receiver knows them."""


@installations.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@store_option
@app_option
def list_installations(
    fmt: str, store_url: str | None, app_target: str | None, app_dir: str
) -> None:
    """List installations. Environment: APPEVENTS_STORE, APPEVENTS_APP."""
    rows = _with_store((store_url, app_target, app_dir), lambda s: s.list_installations())
    if fmt == "json":
        print_json([r.to_dict() for r in rows])
        return
    table = Table("account", "mode", "status", "source", "application", "installed", "uninstalled")
    for r in rows:
        table.add_row(
            escape(r.account),
            "live" if r.livemode else "test",
            r.status,
            r.source,
            escape(r.application_id or "-"),
            _when(r.installed_at),
            _when(r.uninstalled_at),
        )
    console().print(table)
