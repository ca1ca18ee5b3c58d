"""``appevents catchup``: list the events Stripe kept and insert those the inbox lacks."""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from ..receiver.app import App
from ..receiver.catchup import Since, TokenBucket, key_livemode, parse_since, rate_for_key
from ..receiver.catchup_api import EventsAPI
from ..receiver.catchup_background import CatchupOnStart
from ..receiver.catchup_run import AccountResult, accounts_to_catch_up, catch_up
from ..receiver.inbox import Store
from ..receiver.stripe_api import DEFAULT_API_BASE
from .common import (
    STORE_ENV,
    app_option,
    console,
    guard,
    load_app,
    open_store,
    run,
    store_for_writing,
    store_option,
)
from .config import API_BASE_ENV, API_KEY_ENV


def _when(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class LineProgress:
    """Plain lines, one per window and account: for logs and pipes."""

    def started(self, result: AccountResult, through: int) -> None:
        if result.resumed_from is None:
            how = f"from {_when(result.since)}"
        else:
            how = f"resuming at {_when(through)} (a run from {_when(result.since)})"
        click.echo(f"catchup: {result.name}: {how} until {_when(result.until)}", err=True)

    def advanced(self, result: AccountResult, through: int) -> None:
        click.echo(
            f"catchup: {result.name}: through {_when(through)}, {result.listed} listed, "
            f"{result.inserted} new",
            err=True,
        )

    def finished(self, result: AccountResult) -> None:
        pass


class BarProgress:
    """A rich progress bar per account, on a terminal."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.tasks: dict[str | None, TaskID] = {}

    def started(self, result: AccountResult, through: int) -> None:
        since, until = result.since or through, result.until or through
        self.tasks[result.account] = self.bars.add_task(
            result.name, total=max(1, until - since), completed=through - since, new=0
        )

    def advanced(self, result: AccountResult, through: int) -> None:
        since = result.since or through
        self.bars.update(self.tasks[result.account], completed=through - since, new=result.inserted)

    def finished(self, result: AccountResult) -> None:
        task = self.tasks.get(result.account)
        if task is not None and result.error is None:
            self.bars.update(task, completed=self.bars.tasks[task].total)


@contextmanager
def _progress() -> Iterator[LineProgress | BarProgress]:
    out = console()
    if not (sys.stderr.isatty() and out.is_terminal):
        yield LineProgress()
        return
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%  {task.fields[new]} new"),
        console=out,
        transient=False,
    )
    with bars:
        yield BarProgress(bars)


def _summary(result: AccountResult) -> str:
    if result.skipped:
        return f"{result.name}: skipped: {result.skipped}"
    if result.error:
        return f"{result.name}: failed: {result.error}"
    return (
        f"{result.name}: {result.listed} listed, {result.inserted} new, "
        f"{result.duplicates} already in the inbox ({_when(result.since)} to "
        f"{_when(result.until)})"
    )


@click.command()
@click.option(
    "--since",
    metavar="WHEN",
    help="Start of the period to list: a date (2026-11-01, UTC), an RFC 3339 time "
    "(2026-11-01T12:00:00Z) or a duration ago (3d, 12h, 90m). Stripe keeps 30 days; "
    "with --since-last, the start for accounts with nothing stored.",
)
@click.option(
    "--since-last",
    is_flag=True,
    help="Start each account at its newest stored event (less 5 minutes, as Stripe does "
    "not deliver in order).",
)
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="ACCT",
    help="Only this account (acct_…; repeat for several; 'platform' for your own "
    "events). [default: your own events and every account the app is installed on]",
)
@click.option(
    "--api-key",
    envvar=API_KEY_ENV,
    show_envvar=True,
    default=None,
    help="The platform's secret key (sk_…): its mode is the events' mode. "
    "[default: the app's App(api_key=...)]",
)
@click.option(
    "--api-base",
    envvar=API_BASE_ENV,
    show_envvar=True,
    default=None,
    help=f"Stripe's API (the sandbox's URL locally). [default: the app's App(api_base=...), "
    f"{DEFAULT_API_BASE}]",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Requests a second at most. [default: Stripe's read limit for the key's mode: "
    "100 live, 25 test]",
)
@store_option
@app_option
def catchup(
    since: str | None,
    since_last: bool,
    accounts: tuple[str, ...],
    api_key: str | None,
    api_base: str | None,
    rate: float | None,
    store_url: str | None,
    app_target: str | None,
    app_dir: str,
) -> None:
    """Insert the events Stripe kept that the inbox lacks (deliveries that never came:
    an endpoint disabled, the receiver down past Stripe's retries).

    Lists your own events and each installed account's (Stripe-Account), oldest first,
    and inserts the missing ones as `catchup` (see `appevents inbox list`); the worker
    processes them in each account's order. Progress is kept in the store: run it again
    after an interruption and it continues. Environment: APPEVENTS_STORE,
    APPEVENTS_APP, APPEVENTS_API_KEY, APPEVENTS_API_BASE.
    """
    if not since and not since_last:
        raise click.UsageError("say where to start: --since WHEN (such as 3d) or --since-last")
    now = time.time()
    start: Since | None = None
    if since:
        try:
            start = parse_since(since, now=now)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        if start.clamped:
            click.echo(
                f"note: --since {since} is {_when(start.asked)}, but Stripe keeps events 30 "
                f"days: listing from {_when(start.at)}; older missed events cannot be "
                "recovered from the API",
                err=True,
            )
    store, key, base = _settings(store_url, app_target, app_dir, api_key, api_base)
    if not key:
        raise click.UsageError(
            f"catch-up lists events with the platform's secret key: pass --api-key sk_… or "
            f"set {API_KEY_ENV} (or App(api_key=...) with --app)"
        )
    wanted = [None if a == "platform" else a for a in accounts]
    limiter = guard(TokenBucket)(rate or rate_for_key(key))
    api = guard(EventsAPI)(key, base, limiter=limiter)
    livemode = key_livemode(key)

    async def main() -> list[AccountResult]:
        try:
            async with store:
                chosen = wanted or await accounts_to_catch_up(store, livemode)
                with _progress() as progress:
                    return await catch_up(
                        store,
                        api,
                        livemode=livemode,
                        accounts=chosen,
                        since=start,
                        from_last=since_last,
                        progress=progress,
                    )
        finally:
            await api.aclose()

    results = run(main())
    for result in results:
        click.echo(_summary(result))
    new = sum(r.inserted for r in results)
    click.echo(
        f"{new} event(s) inserted from {len(results)} account(s) in {api.requests} "
        "request(s)" + ("; the worker processes them in each account's order" if new else "")
    )
    if any(r.error for r in results):
        raise SystemExit(1)


def _settings(
    store_url: str | None,
    app_target: str | None,
    app_dir: str,
    api_key: str | None,
    api_base: str | None,
) -> tuple[Store, str | None, str]:
    """The store, key and API base: the options, else the app's (--app), else defaults."""
    if app_target:
        app = load_app(app_target, app_dir)
        store = open_store(store_url) if store_url else guard(app.open_store)()
        return (
            store_for_writing(store),
            api_key or app.api_key,
            api_base or app.api_base,
        )
    if not store_url:
        raise click.UsageError(
            f"which inbox? pass --store URL (or set {STORE_ENV}) or --app MODULE:APP"
        )
    return store_for_writing(open_store(store_url)), api_key, api_base or DEFAULT_API_BASE


def catchup_companion(app: App, store: Store, wake: Callable[[], None] | None) -> CatchupOnStart:
    """``serve --catchup-on-start``'s catch-up, with the app's key (``--api-key``)."""
    if not app.api_key:
        raise click.UsageError(
            f"--catchup-on-start lists events with the platform's secret key: pass --api-key "
            f"sk_… or set {API_KEY_ENV} (or App(api_key=...))"
        )
    on_inserted = None if wake is None else (lambda count: wake())
    return guard(CatchupOnStart)(store, app.api_key, app.api_base, on_inserted=on_inserted)
