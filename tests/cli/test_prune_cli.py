"""``appevents inbox prune``: what it removes from a real SQLite inbox, and its refusals."""

from __future__ import annotations

import asyncio
import time

from click.testing import CliRunner

from appevents import Event
from appevents.cli.main import cli
from appevents.receiver import SQLiteStore
from appevents.receiver.inbox import Outcome, Status
from appevents.testing import make_event

DAY = 86400


def build_event(n: int, *, account: str, created: int) -> Event:
    body = make_event("payment_intent.succeeded", account=account, created=created,
                      event_id=f"evt_prune{n}")  # fmt: skip
    return Event.parse(body)


def test_prune_removes_old_done_events_keeps_recent_ids_and_unfinished_ones(tmp_path):
    now = time.time()
    path = tmp_path / "inbox.db"
    old = build_event(1, account="acct_a", created=int(now) - 40 * DAY)
    recent = build_event(2, account="acct_b", created=int(now) - 20 * DAY)
    waiting = build_event(3, account="acct_c", created=int(now) - 40 * DAY)

    async def fill():
        async with SQLiteStore(path) as store:
            await store.insert_events([old, recent], now - 35 * DAY)

            async def work(stored, tx):
                return Outcome(Status.DONE, now - 35 * DAY, now - 35 * DAY)

            await store.process_due(now=now - 35 * DAY, limit=10, work=work)
            await store.insert_events([waiting], now - 35 * DAY)

    asyncio.run(fill())
    store = f"sqlite:///{path}"
    result = CliRunner().invoke(
        cli, ["inbox", "prune", "--done-older-than", "30d", "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "1 event(s) removed, 1 kept as their id only (created within Stripe's 30 days: a late "
        "copy is still recognised)\n"
    )

    async def after():
        async with SQLiteStore(path) as s:
            return {e.id: (e.status, e.payload is None) for e in await s.list_events()}

    assert asyncio.run(after()) == {
        recent.id: (Status.DONE, True),
        waiting.id: (Status.PENDING, False),
    }


def test_prune_says_what_it_needs(tmp_path):
    store = f"sqlite:///{tmp_path}/inbox.db"
    nothing = CliRunner().invoke(cli, ["inbox", "prune", "--store", store])
    assert nothing.exit_code == 2
    assert (
        "say what to remove: --done-older-than AGE and/or --dead-older-than AGE" in nothing.output
    )
    bad = CliRunner().invoke(
        cli, ["inbox", "prune", "--done-older-than", "a month", "--store", store]
    )
    assert bad.exit_code == 2
    assert "Retention(done=...) 'a month' is not a duration: write it like 30d" in bad.output
