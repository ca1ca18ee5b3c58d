"""What both ways of running a PostgreSQL batch share: its installations and its settle.

A batch holds one event per account (each account's head), so what it needs of the
``installations`` table is read in one statement right after the claim, and what it
decided is written in one statement before the commit (``settle_events``), instead of a
read and a write per event. Both happen inside the batch's transaction, so nothing
changes for exactly-once: the outcomes still commit with the handlers' effects or not
at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...inbox import Outcome, Status, StoredEvent
from ...installations import Installation

__all__ = [
    "ABORTED_RETRY_DELAY",
    "Installations",
    "installation_keys",
    "installations_of",
    "kept_outcome",
    "settlements",
]

# A handler that swallowed a database error leaves the transaction aborted, so its
# success cannot be committed; the store cannot ask the retry policy, so it waits this long.
ABORTED_RETRY_DELAY = 60.0

Key = tuple[str, bool]
"""(account, livemode)"""


class Installations:
    """The batch's installations as its transaction has them, by (account, livemode).

    Filled from one read after the claim; kept current by the batch's own writes, and
    put back when an event's savepoint is rolled back. A key it does not hold (never
    for a claimed head) is for the caller to read from the table.
    """

    def __init__(self, known: dict[Key, Installation | None]) -> None:
        self._known = known
        self._before: dict[Key, Installation | None] = {}
        self._new: set[Key] = set()

    def __contains__(self, key: Key) -> bool:
        return key in self._known

    def get(self, key: Key) -> Installation | None:
        return self._known[key]

    def saved(self, installation: Installation) -> None:
        key = (installation.account, installation.livemode)
        if key not in self._before and key not in self._new:
            if key in self._known:
                self._before[key] = self._known[key]
            else:
                self._new.add(key)
        self._known[key] = installation

    def start_event(self) -> None:
        self._before.clear()
        self._new.clear()

    def roll_back_event(self) -> None:
        """The event's savepoint was rolled back, and so were its installation writes."""
        self._known.update(self._before)
        for key in self._new:
            del self._known[key]
        self.start_event()


def installation_keys(heads: Sequence[StoredEvent]) -> dict[str, list[Any]]:
    """``get_installations``' parameters: the connected accounts among ``heads``."""
    keyed = [(h.account, h.livemode) for h in heads if h.account]
    return {"accounts": [a for a, _ in keyed], "livemodes": [m for _, m in keyed]}


def installations_of(heads: Sequence[StoredEvent], found: Sequence[Installation]) -> Installations:
    """Every connected head's key, with its row or None, so a miss costs no query."""
    known: dict[Key, Installation | None] = {
        (h.account, h.livemode): None for h in heads if h.account
    }
    known.update({(i.account, i.livemode): i for i in found})
    return Installations(known)


def kept_outcome(outcome: Outcome, aborted: bool) -> Outcome:
    """``outcome``, or a failure if it claims success on an aborted transaction."""
    if not (outcome.succeeded and aborted):
        return outcome
    return Outcome(
        Status.FAILED,
        outcome.started_at,
        outcome.finished_at,
        error=(
            f"{outcome.error or ''}\na handler caught a database error and went on, "
            "but the transaction was aborted, so nothing it wrote can be kept; let "
            "the error propagate (or use a nested `connection.transaction()`)"
        ).strip(),
        retry_at=outcome.finished_at + ABORTED_RETRY_DELAY,
    )


def settlements(results: Sequence[tuple[StoredEvent, Outcome]]) -> dict[str, list[Any]]:
    """``settle_events``' parameters: one array per column, one element per event."""
    return {
        "ids": [e.id for e, _ in results],
        "statuses": [str(o.status) for _, o in results],
        "attempts": [e.attempts for e, _ in results],
        "retry_at": [o.retry_at for _, o in results],
        "completed_at": [o.finished_at if o.succeeded else None for _, o in results],
        "errors": [o.error for _, o in results],
        "erase": [o.erase_payload for _, o in results],
        "started_at": [o.started_at for _, o in results],
        "finished_at": [o.finished_at for _, o in results],
    }
