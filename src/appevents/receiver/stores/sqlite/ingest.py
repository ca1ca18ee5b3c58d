"""The receiver's SQLite transaction: store a batch of verified events, once each.

One function, :func:`insert_rows`, used wherever the batch is committed: on the store's
ingest thread, or in the ingest process (``ingest_process.py``). Rows are plain
tuples so that they cross a process boundary as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from ....event import Event
from ...inbox import Source
from ..queries import load_queries
from .connection import Connection
from .payloads import encode_payload

__all__ = ["Row", "event_rows", "insert_rows", "order_key"]

Q = load_queries(__package__, "queries.sql")
# One statement per chunk of rows: a batch costs a few statements, not one per event.
_ROWS_PER_INSERT = 500  # 10 parameters each, well under SQLite's 32766 limit
_IDS_PER_SELECT = 4000

Row = tuple[str, str, bool, str, int, str, float, float, str, bytes]
"""id, account ('' for the platform), livemode, type, created, order_key, received_at,
available_at, source, payload: what an insert sets (the payload in its own table)."""


def order_key(created: int, event_id: str) -> str:
    return f"{created:012d}{event_id}"


def event_rows(
    events: Sequence[Event], received_at: float, source: str = Source.DELIVERED
) -> list[Row]:
    return [
        (e.id, e.account or "", e.livemode, e.type, e.created, order_key(e.created, e.id),
         received_at, received_at, str(source), e.raw)
        for e in events
    ]  # fmt: skip


def insert_rows(connection: Connection, rows: Sequence[Row]) -> list[bool]:
    """Commit the rows whose id is not stored yet, durably; for each row, whether it was new.

    The same id twice in ``rows``: only the first can be new. Raises ``sqlite3.Error``
    if the transaction fails (nothing of it is stored then).
    """
    db = connection.db
    bodies = [encode_payload(row[-1]) for row in rows]  # before taking the write lock
    # The wait for the writer lock is bounded like SQLite's own: the commit fails (and
    # the receiver has answered 503) rather than wait behind a stalled writer forever.
    with (
        connection.lock.for_ingest(timeout=connection.busy_timeout),
        connection.transaction("BEGIN IMMEDIATE"),
    ):
        seen: set[str] = set()
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), _IDS_PER_SELECT):
            chunk_ids = ids[start : start + _IDS_PER_SELECT]
            sql = Q["stored_ids"].format(marks=", ".join(["?"] * len(chunk_ids)))
            seen.update(found for (found,) in db.execute(sql, chunk_ids))
        new: list[bool] = []
        fresh: list[tuple[Row, tuple[bytes, str]]] = []
        for row, body in zip(rows, bodies, strict=True):
            is_new = row[0] not in seen
            new.append(is_new)
            if is_new:
                seen.add(row[0])
                fresh.append((row, body))
        if not fresh:
            return new
        # Explicit seq, under the write lock: the payloads take the same numbers.
        (last,) = db.execute(Q["last_seq"]).fetchone()
        for start in range(0, len(fresh), _ROWS_PER_INSERT):
            chunk = fresh[start : start + _ROWS_PER_INSERT]
            first = last + 1 + start
            sql = Q["insert_inbox"].format(
                values=", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            )
            numbered = list(enumerate(chunk, first))
            db.execute(sql, [value for seq, (row, _) in numbered for value in (seq, *row[:-1])])
            sql = Q["insert_payloads"].format(values=", ".join(["(?, ?, ?)"] * len(chunk)))
            db.execute(sql, [value for seq, (_, body) in numbered for value in (seq, *body)])
    return new
