"""The suites every store runs (tests/receiver/stores: the contract, catch-up and
retention), on DjangoStore over Django's SQLite (two journal modes) and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connections
from djsite.support import fresh_database

from appevents.integrations.django.store import DjangoStore
from postgres_support import require_postgres
from receiver.stores.test_catchup_store import (  # noqa: F401 - collected here
    test_a_caught_up_event_is_processed_in_created_order_like_a_delivered_one,
    test_catchup_progress_is_kept_per_account_and_mode_and_replaced,
    test_each_event_keeps_its_source_and_a_duplicate_keeps_the_first,
    test_newest_created_is_per_account_and_mode,
)
from receiver.stores.test_retention_store import (  # noqa: F401 - collected here
    test_pruning_goes_in_batches_and_dead_events_stay_without_a_threshold,
    test_pruning_keeps_what_is_unfinished_young_or_still_sendable,
)
from receiver.stores.test_store_contract import (  # noqa: F401 - collected here
    test_a_failed_head_blocks_its_account_until_due_but_not_others,
    test_dead_events_unblock_their_account_and_can_be_replayed,
    test_erase_account_touches_only_that_account_mode_and_period,
    test_erasure_also_clears_error_texts,
    test_insert_reports_new_and_duplicate_ids,
    test_installations_saved_in_a_failed_attempt_are_discarded,
    test_list_filters_and_counts,
    test_nothing_due_returns_nothing,
    test_platform_events_keep_account_none,
    test_process_due_takes_the_head_of_each_account_in_created_order,
    test_replay_of_unknown_or_erased_events_is_refused,
    test_same_second_events_are_ordered_by_id,
    test_the_same_id_twice_in_one_batch_is_new_once,
    test_time_budget_stops_a_batch_early,
    test_unknown_event_is_not_found,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["default", "wal", pytest.param("pg", marks=pytest.mark.postgres)])
def alias(request):
    """A database without appevents' tables (set up outside the event loop: the ORM is sync)."""
    if request.param == "pg":
        require_postgres()
    fresh_database(request.param)
    yield request.param
    connections[request.param].close()


@pytest.fixture
async def store(alias):
    async with DjangoStore(alias) as store:
        yield store


async def test_prune_deletes_the_old_strips_the_recent_and_keeps_the_unfinished(store, make_event):
    from appevents.receiver.inbox import Outcome, Pruned, Status

    old, recent, waiting = make_event(1, created=100), make_event(2, created=900), make_event(3)
    await store.insert_events([old, recent, make_event(4, account="acct_2", created=950)], 10.0)

    async def work(stored, tx):
        return Outcome(Status.DONE, 20.0, 21.0)

    while await store.process_due(now=30.0, limit=10, work=work):
        pass
    await store.insert_events([waiting], 40.0)
    pruned = await store.prune(done_before=50.0, dead_before=None, created_before=500, now=60.0)
    assert pruned == Pruned(deleted=1, stripped=2)
    assert await store.insert_events([recent, old], 70.0) == [False, True]  # kept by id only
    kept = await store.get_event(recent.id)
    assert (kept.status, kept.payload, kept.erased_at, await store.attempts(recent.id)) == (
        Status.DONE, None, 60.0, [],
    )  # fmt: skip
    assert (await store.get_event(waiting.id)).status == Status.PENDING
    assert await store.prune(done_before=50.0, dead_before=None, created_before=500, now=61.0) == (
        Pruned(0, 0)
    )
