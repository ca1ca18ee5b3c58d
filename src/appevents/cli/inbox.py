"""``appevents inbox …`` and ``appevents installations …``: look into the store."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigurationError
from ..receiver.inbox import Attempt, Backlog, Status, Store, StoredEvent
from ..receiver.retention import Retention, prune_all
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
    table = Table("id", "type", "account", "created", "status", "attempts", "source", "last error")
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
            str(r.source),
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
    for key in ("id", "type", "account", "livemode", "status", "attempts", "source", "last_error"):
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


@inbox.command("prune")
@click.option(
    "--done-older-than",
    metavar="AGE",
    help="Remove done (and skipped) events completed longer ago than this: 30d, 12h, 2w.",
)
@click.option(
    "--dead-older-than",
    metavar="AGE",
    help="Remove dead-lettered events received longer ago than this. [default: keep them]",
)
@store_option
@app_option
def prune(
    done_older_than: str | None,
    dead_older_than: str | None,
    store_url: str | None,
    app_target: str | None,
    app_dir: str,
) -> None:
    """Remove finished events past their retention, in small transactions.

    Pending and failed events are never removed. An event created within Stripe's 30
    days keeps its id and state (its payload and attempts go), so that a late delivery,
    a resend or `appevents catchup` still finds it a duplicate; it goes whole later.
    Environment: APPEVENTS_STORE, APPEVENTS_APP.
    """
    if not done_older_than and not dead_older_than:
        raise click.UsageError(
            "say what to remove: --done-older-than AGE and/or --dead-older-than AGE"
        )
    try:
        retention = Retention(done=done_older_than or None, dead=dead_older_than or None)
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None
    now = time.time()
    pruned = _with_store(
        (store_url, app_target, app_dir), lambda s: prune_all(s, retention, now=now)
    )
    click.echo(
        f"{pruned.deleted} event(s) removed, {pruned.stripped} kept as their id only "
        "(created within Stripe's 30 days: a late copy is still recognised)"
    )


@inbox.command("stats")
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many event types, accounts and workers to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@store_option
@app_option
def stats(
    top: int, as_json: bool, store_url: str | None, app_target: str | None, app_dir: str
) -> None:
    """The inbox's figures, as the receiver's /metrics shows them: events by status and by
    type, the backlog, the oldest pending event's age, the busiest accounts' lag and the
    workers' heartbeats. Environment: APPEVENTS_STORE, APPEVENTS_APP.
    """
    now = time.time()

    async def fetch(
        store: Store,
    ) -> tuple[dict[Status, int], list[tuple[str, dict[Status, int]]], Backlog]:
        return (
            await store.counts(),
            await store.counts_by_type(top=top),
            await store.backlog(now=now, top=top),
        )

    counts, by_type, backlog = _with_store((store_url, app_target, app_dir), fetch)
    figures = _stats_figures(now, counts, by_type, backlog)
    if as_json:
        print_json(figures)
        return
    _print_stats(figures)


def _stats_figures(
    now: float,
    counts: dict[Status, int],
    by_type: list[tuple[str, dict[Status, int]]],
    backlog: Backlog,
) -> dict[str, object]:
    oldest = backlog.oldest_pending_at
    return {
        "at": now,
        "events": sum(counts.values()),
        "by_status": {str(status): n for status, n in counts.items()},
        "dead": counts.get(Status.DEAD, 0),
        "backlog": backlog.due,
        "pending": backlog.pending,
        "failed_due": backlog.failed_due,
        "failed_later": backlog.failed_later,
        "oldest_pending_received_at": oldest,
        "oldest_pending_age_seconds": None if oldest is None else round(now - oldest, 3),
        "by_type": [
            {"type": kind, "events": sum(n.values()), **{str(s): c for s, c in n.items()}}
            for kind, n in by_type
        ],
        "busiest_accounts": [
            {
                "account": a.account,
                "unfinished": a.unfinished,
                "oldest_received_at": a.oldest_received_at,
                "lag_seconds": round(now - a.oldest_received_at, 3),
            }
            for a in backlog.busiest
        ],
        "workers": [
            {
                "worker": w.name,
                "started_at": w.started_at,
                "beat_at": w.beat_at,
                "heartbeat_age_seconds": round(now - w.beat_at, 3),
            }
            for w in backlog.workers
        ],
    }


def _print_stats(figures: dict[str, Any]) -> None:
    by_status = figures["by_status"]
    click.echo(
        f"events: {figures['events']} ("
        + ", ".join(f"{n} {status}" for status, n in by_status.items())
        + ")"
    )
    age = figures["oldest_pending_age_seconds"]
    click.echo(
        f"backlog: {figures['backlog']} ({figures['pending']} pending, {figures['failed_due']} "
        f"failed and due again; {figures['failed_later']} failed waiting for their retry)"
    )
    click.echo("oldest pending: " + ("none" if age is None else f"{age:.1f} s ago"))
    click.echo(
        f"dead: {figures['dead']}" + (" (appevents inbox replay --dead)" if figures["dead"] else "")
    )
    statuses = [str(s) for s in Status]
    types = Table("type", "events", *statuses)
    for row in figures["by_type"]:
        types.add_row(escape(row["type"]), str(row["events"]), *(str(row[s]) for s in statuses))
    console().print(types)
    accounts = Table("busiest account", "unfinished", "lag (s)")
    for row in figures["busiest_accounts"]:
        accounts.add_row(
            escape(row["account"] or "(platform)"),
            str(row["unfinished"]),
            f"{row['lag_seconds']:.1f}",
        )
    console().print(accounts)
    if not figures["workers"]:
        click.echo("workers: none beat in the store in the last hour")
        return
    workers = Table("worker", "last beat (s ago)", "started")
    for row in figures["workers"]:
        workers.add_row(
            escape(row["worker"]), f"{row['heartbeat_age_seconds']:.1f}", _when(row["started_at"])
        )
    console().print(workers)


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
