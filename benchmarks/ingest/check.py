"""What the receiver promised vs what its SQLite store holds.

A 200 with ``"duplicate":false`` promises the event is committed. Every request of a
run carries a distinct id starting with the run's tag, so the run's rows are exactly
those ids in the events table, and they must match the acknowledged ones.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from drivers import LoadResult

__all__ = ["RowCheck", "backlog", "check_rows", "wait_for_worker"]


@dataclass(frozen=True)
class RowCheck:
    stored: int
    acked: int
    ok: bool
    detail: str


def _connect(db: Path) -> sqlite3.Connection:
    # Read-only, separate connection: WAL lets it read while the server writes.
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def _stored_ids(db: Path, tag: str) -> set[str]:
    prefix = f"evt_{tag}"
    with _connect(db) as connection:
        rows = connection.execute(
            # '~' sorts after every base62 character: a range scan of the primary key.
            "SELECT id FROM events WHERE id >= ? AND id < ?",
            (prefix, prefix + "~"),
        ).fetchall()
    return {row[0] for row in rows}


def check_rows(
    db: Path, tag: str, ids: Sequence[str], result: LoadResult, connections: int
) -> RowCheck:
    stored = _stored_ids(db, tag)
    if result.duplicates:
        return RowCheck(
            len(stored),
            result.acked_new,
            False,
            f"{result.duplicates} distinct ids were answered duplicate=true",
        )
    if result.acked_indices is not None:
        # Built-in load generator: it knows which ids were acknowledged: compare sets.
        acked = {ids[i] for i in result.acked_indices}
        lost, unacked = acked - stored, stored - acked
        if not lost and not unacked:
            return RowCheck(len(stored), len(acked), True, "stored ids == acknowledged ids")
        return RowCheck(
            len(stored),
            len(acked),
            False,
            f"{len(lost)} acknowledged but not stored (e.g. {sorted(lost)[:3]}), "
            f"{len(unacked)} stored but not acknowledged "
            f"({result.errors} requests had no answer)",
        )
    # wrk counts acknowledgements but cannot say which ids they were, and it abandons
    # the requests in flight when its time is up: the server may have committed those
    # without wrk reading the answer. So: acked <= stored <= acked + in flight.
    in_flight = connections + result.errors
    ok = result.acked_new <= len(stored) <= result.acked_new + in_flight
    return RowCheck(
        len(stored),
        result.acked_new,
        ok,
        f"acked <= stored <= acked + {in_flight} abandoned in flight by wrk"
        if ok
        else f"stored {len(stored)} outside [{result.acked_new}, {result.acked_new + in_flight}]",
    )


def backlog(db: Path) -> int:
    """Events stored but not yet processed by the worker."""
    with _connect(db) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM events WHERE status IN ('pending', 'failed')"
        ).fetchone()
    return int(count)


def wait_for_worker(db: Path, timeout: float) -> float | None:
    """Seconds until the worker's backlog is empty; None if it is still busy at timeout.

    Runs wait for this so that one run's leftover work does not eat into the next one.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if backlog(db) == 0:
            return time.perf_counter() - started
        time.sleep(0.2)
    return None
