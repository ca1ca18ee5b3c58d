"""Every store: where each event came from, the newest stored event per account, and the
catch-up's saved progress."""

from __future__ import annotations

import pytest

from appevents.receiver.inbox import CatchupProgress, Outcome, Source, Status

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


async def test_each_event_keeps_its_source_and_a_duplicate_keeps_the_first(store, make_event):
    delivered, caught_up = make_event(1), make_event(2)
    assert await store.insert_events([delivered], NOW) == [True]
    assert await store.insert_events([caught_up, delivered], NOW, source=Source.CATCHUP) == [
        True,
        False,
    ]
    assert (await store.get_event(delivered.id)).source == Source.DELIVERED
    assert (await store.get_event(caught_up.id)).source == Source.CATCHUP
    listed = {e.id: e.source for e in await store.list_events()}
    assert listed == {delivered.id: Source.DELIVERED, caught_up.id: Source.CATCHUP}
    assert (await store.get_event(caught_up.id)).to_dict()["source"] == "catchup"


async def test_a_caught_up_event_is_processed_in_created_order_like_a_delivered_one(
    store, make_event
):
    await store.insert_events([make_event(2)], NOW)
    await store.insert_events([make_event(1)], NOW, source=Source.CATCHUP)
    seen = []

    async def work(stored, tx):
        seen.append((stored.id, stored.source))
        return Outcome(Status.DONE, NOW, NOW)

    for _ in range(2):
        await store.process_due(now=NOW, limit=10, work=work)
    assert [event_id for event_id, _ in seen] == ["evt_000001", "evt_000002"]
    assert (await store.get_event("evt_000001")).status == Status.DONE


async def test_newest_created_is_per_account_and_mode(store, make_event):
    assert await store.newest_created("acct_1", False) is None
    await store.insert_events(
        [
            make_event(1, created=500),
            make_event(2, created=900),
            make_event(3, created=700),
            make_event(4, created=990, account="acct_2"),
            make_event(5, created=995, livemode=True),
            make_event(6, created=300, account=None),
        ],
        NOW,
    )
    assert await store.newest_created("acct_1", False) == 900
    assert await store.newest_created("acct_1", True) == 995
    assert await store.newest_created("acct_2", False) == 990
    assert await store.newest_created(None, False) == 300
    assert await store.newest_created("acct_3", False) is None

    async def work(stored, tx):
        return Outcome(Status.DONE, NOW, NOW)

    await store.process_due(now=NOW, limit=10, work=work)  # admitted or not, the same
    await store.insert_events([make_event(7, created=950)], NOW)
    assert await store.newest_created("acct_1", False) == 950


async def test_catchup_progress_is_kept_per_account_and_mode_and_replaced(store):
    assert await store.catchup_progress(None, False) is None
    platform = CatchupProgress(None, False, since=100, until=900, through=400, updated_at=NOW)
    account = CatchupProgress("acct_1", False, since=50, until=800, through=50, updated_at=NOW)
    await store.save_catchup_progress(platform)
    await store.save_catchup_progress(account)
    assert await store.catchup_progress(None, False) == platform
    assert await store.catchup_progress("acct_1", False) == account
    assert await store.catchup_progress("acct_1", True) is None
    assert not platform.finished
    done = CatchupProgress(None, False, since=100, until=900, through=900, updated_at=NOW + 1)
    await store.save_catchup_progress(done)
    assert await store.catchup_progress(None, False) == done
    assert done.finished
