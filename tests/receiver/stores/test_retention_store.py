"""Every store: pruning removes only finished events past their retention, keeps the ids
Stripe may still send again, and never touches pending, failed or younger dead events."""

from __future__ import annotations

import pytest

from appevents import ConfigurationError, NotFound
from appevents.receiver.inbox import Outcome, Pruned, Status
from appevents.receiver.retention import Retention, prune_all

pytestmark = pytest.mark.anyio
DAY = 86400
NOW = 1_800_000_000.0
OLD = int(NOW) - 40 * DAY  # created before Stripe's 30 days
RECENT = int(NOW) - 10 * DAY


async def settle(store, outcomes, at):
    """Process every head once with the outcome its id asks for, finished at ``at``."""

    async def work(stored, tx):
        status = outcomes[stored.id]
        retry = at + 100 * DAY if status == Status.FAILED else None
        return Outcome(status, at, at, error="boom" if status != Status.DONE else None,
                       retry_at=retry)  # fmt: skip

    while await store.process_due(now=at, limit=100, work=work):
        pass


async def test_pruning_keeps_what_is_unfinished_young_or_still_sendable(store, make_event):
    # Account per event: each is its own account's head, so one pass settles them all.
    events = {
        "done_old": make_event(1, account="acct_a", created=OLD),
        "done_recent": make_event(2, account="acct_b", created=RECENT),
        "done_young": make_event(3, account="acct_c", created=int(NOW) - DAY),
        "dead_old": make_event(4, account="acct_d", created=OLD),
        "dead_young": make_event(5, account="acct_e", created=OLD),
        "failed_old": make_event(6, account="acct_f", created=OLD),
        "pending_old": make_event(7, account="acct_g", created=OLD),
    }
    ids = {name: e.id for name, e in events.items()}
    old_batch = [events[n] for n in ("done_old", "done_recent", "dead_old", "failed_old")]
    assert all(await store.insert_events(old_batch, NOW - 35 * DAY))
    await settle(store, {ids["done_old"]: Status.DONE, ids["done_recent"]: Status.DONE,
                         ids["dead_old"]: Status.DEAD, ids["failed_old"]: Status.FAILED},
                 NOW - 35 * DAY)  # fmt: skip
    assert all(await store.insert_events([events["done_young"], events["dead_young"]], NOW - DAY))
    await settle(store, {ids["done_young"]: Status.DONE, ids["dead_young"]: Status.DEAD}, NOW - DAY)
    assert await store.insert_events([events["pending_old"]], NOW - 35 * DAY) == [True]

    retention = Retention(done="30d", dead="7d")
    assert await prune_all(store, retention, now=NOW) == Pruned(deleted=2, stripped=1)
    for name in ("done_old", "dead_old"):  # older than Stripe keeps: gone whole
        with pytest.raises(NotFound):
            await store.get_event(ids[name])
    recent = await store.get_event(ids["done_recent"])  # Stripe may still send it: its id stays
    assert (recent.status, recent.payload, recent.erased_at) == (Status.DONE, None, NOW)
    assert await store.attempts(ids["done_recent"]) == []
    assert await store.insert_events([events["done_recent"]], NOW) == [False]  # still a duplicate
    for name in ("done_young", "dead_young", "failed_old", "pending_old"):
        kept = await store.get_event(ids[name])
        assert kept.payload == events[name].raw, name
    assert (await store.get_event(ids["failed_old"])).status == Status.FAILED
    assert (await store.get_event(ids["pending_old"])).status == Status.PENDING
    assert len(await store.attempts(ids["dead_young"])) == 1
    # A second prune finds nothing more; 31 days later the stripped one goes whole.
    assert await prune_all(store, retention, now=NOW) == Pruned(0, 0)
    assert await prune_all(store, Retention(done="30d"), now=NOW + 31 * DAY) == Pruned(2, 0)
    with pytest.raises(NotFound):
        await store.get_event(ids["done_recent"])


async def test_pruning_goes_in_batches_and_dead_events_stay_without_a_threshold(store, make_event):
    batch = [make_event(n, account=f"acct_{n}", created=OLD) for n in range(1, 8)]
    await store.insert_events(batch, NOW - 35 * DAY)
    await settle(store, {e.id: Status.DONE if int(e.id[-1]) % 2 else Status.DEAD
                         for e in batch}, NOW - 35 * DAY)  # fmt: skip
    retention = Retention(done="30d", batch=2)
    first = await prune_all(store, retention, now=NOW, max_batches=1)
    assert first == Pruned(2, 0)
    rest = await prune_all(store, retention, now=NOW)
    assert rest == Pruned(2, 0)  # the four done ones in all; the three dead stay
    assert (await store.counts())[Status.DEAD] == 3 and (await store.counts())[Status.DONE] == 0


def test_retention_settings_are_checked():
    assert Retention(done="12h", dead=90).done == 12 * 3600
    with pytest.raises(ConfigurationError, match=r"Retention\(done=...\) 'soon' is not a duration"):
        Retention(done="soon")
    with pytest.raises(ConfigurationError, match="positive duration such as '30d', got 0"):
        Retention(dead=0)
    with pytest.raises(ConfigurationError, match=r"batch=...\) must be a positive whole number"):
        Retention(batch=0)
